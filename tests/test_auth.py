"""GetAuthorizationToken."""

from __future__ import annotations

import base64
import datetime as dt

import boto3
import pytest
from botocore.exceptions import ClientError
from freezegun import freeze_time


@freeze_time("2025-05-05 10:00:00")
def test_token_for_callers_registry(ecr_client):
    data = ecr_client.get_authorization_token()["authorizationData"]
    assert len(data) == 1
    user, password = base64.b64decode(data[0]["authorizationToken"]).decode().split(":", 1)
    assert user == "AWS" and len(password) > 100
    assert data[0]["expiresAt"] == dt.datetime(2025, 5, 5, 22, 0, tzinfo=dt.timezone.utc)
    assert data[0]["proxyEndpoint"] == "https://123456789012.dkr.ecr.us-east-1.amazonaws.com"


def test_one_token_per_requested_registry(ecr_client):
    data = ecr_client.get_authorization_token(registryIds=["111111111111", "222222222222"])["authorizationData"]
    assert [d["proxyEndpoint"] for d in data] == [
        "https://111111111111.dkr.ecr.us-east-1.amazonaws.com",
        "https://222222222222.dkr.ecr.us-east-1.amazonaws.com",
    ]


def test_proxy_endpoint_is_regional_and_partition_aware(ecr_mock):
    data = boto3.client("ecr", region_name="cn-northwest-1").get_authorization_token()["authorizationData"]
    assert data[0]["proxyEndpoint"] == "https://123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn"


def test_tokens_change_over_time(ecr_client):
    with freeze_time("2025-01-01"):
        first = ecr_client.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    with freeze_time("2025-01-02"):
        second = ecr_client.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    assert first != second


def test_invalid_registry_ids(ecr_mock):
    from botocore.config import Config

    client = boto3.client("ecr", region_name="us-east-1", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as info:
        client.get_authorization_token(registryIds=["not-an-id"])
    assert info.value.response["Error"]["Message"] == (
        "Invalid parameter at 'registryIds' failed to satisfy constraint: "
        "'Member must satisfy constraint: [Member must satisfy regular expression pattern: [0-9]{12}]'"
    )
    with pytest.raises(ClientError) as info:
        client.get_authorization_token(registryIds=[str(100000000000 + i) for i in range(11)])
    assert info.value.response["Error"]["Message"] == (
        "Invalid parameter at 'registryIds' failed to satisfy constraint: "
        "'Member must have length less than or equal to 10'"
    )
