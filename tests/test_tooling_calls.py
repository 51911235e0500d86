"""Call recording: ``m.calls`` in order, with what botocore sent and what the mock answered."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from mock_ecr import mock_ecr

ACCOUNT = "123456789012"


def test_every_call_in_order_with_params_region_account_and_outcome(ecr_mock):
    ecr = boto3.client("ecr", region_name="eu-west-1")
    ecr.create_repository(repositoryName="app", tags=[{"Key": "team", "Value": "x"}])
    with pytest.raises(ClientError):
        ecr.delete_repository(repositoryName="missing")
    first, second = ecr_mock.calls
    assert first.operation == "CreateRepository"
    assert first.params == {"repositoryName": "app", "tags": [{"Key": "team", "Value": "x"}]}
    assert (first.region, first.account_id, first.ok, first.status) == ("eu-west-1", ACCOUNT, True, 200)
    assert first.response["repository"]["repositoryName"] == "app"
    assert (first.error_code, first.error_message) == (None, None)
    assert second.operation == "DeleteRepository"
    assert (second.ok, second.status, second.response) == (False, 400, None)
    assert second.error_code == "RepositoryNotFoundException"
    assert second.error_message == (
        f"The repository with name 'missing' does not exist in the registry with id '{ACCOUNT}'"
    )


def test_filtering_without_loops(ecr_mock, ecr_client):
    for name in ("a1", "a2", "b1"):
        ecr_client.create_repository(repositoryName=name)
    ecr_client.delete_repository(repositoryName="a2")
    with pytest.raises(ClientError):
        ecr_client.delete_repository(repositoryName="a2")

    calls = ecr_mock.calls
    assert [c.params["repositoryName"] for c in calls.filter("CreateRepository")] == ["a1", "a2", "b1"]
    assert calls.filter("create_repository") == calls.filter("CreateRepository")
    assert len(calls.filter("DeleteRepository", repositoryName="a2")) == 2
    assert calls.filter(ok=False)[0].error_code == "RepositoryNotFoundException"
    assert calls.count(error_code="RepositoryNotFoundException") == 1
    assert calls.count("DeleteRepository", ok=True) == 1
    assert calls.last("CreateRepository").params == {"repositoryName": "b1"}
    assert calls.filter("CreateRepository", registryId=ACCOUNT) == []  # a member the calls did not send
    assert "DeleteRepository" in calls and "delete_repository" in calls and "PutImage" not in calls
    assert calls.operations() == ["CreateRepository"] * 3 + ["DeleteRepository"] * 2
    assert calls.filter(region="eu-west-1") == []
    with pytest.raises(LookupError, match="no recorded ECR call matches 'PutImage'"):
        calls.last("PutImage")


def test_clear(ecr_mock, ecr_client):
    ecr_client.describe_repositories()
    ecr_mock.calls.clear()
    assert len(ecr_mock.calls) == 0
    ecr_client.describe_repositories()
    assert ecr_mock.calls.operations() == ["DescribeRepositories"]


def test_layer_bytes_are_recorded_as_their_size(ecr_mock, ecr_client):
    ecr_client.create_repository(repositoryName="app")
    upload_id = ecr_client.initiate_layer_upload(repositoryName="app")["uploadId"]
    ecr_client.upload_layer_part(
        repositoryName="app", uploadId=upload_id, partFirstByte=0, partLastByte=9, layerPartBlob=b"0123456789"
    )
    assert ecr_mock.calls.last("UploadLayerPart").params["layerPartBlob"] == "<10 bytes>"


def test_every_retry_attempt_is_a_call(ecr_mock, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    ecr = boto3.client("ecr", region_name="us-east-1", config=Config(retries={"mode": "standard"}))
    ecr_mock.inject_error("DescribeRepositories", "ThrottlingException", count=2)
    ecr.describe_repositories()
    assert [c.error_code for c in ecr_mock.calls] == ["ThrottlingException", "ThrottlingException", None]


def test_calls_of_the_latest_activation_stay_readable_after_it():
    with mock_ecr() as m:
        boto3.client("ecr", region_name="us-east-1").describe_repositories()
    assert m.calls.operations() == ["DescribeRepositories"]


def test_recording_stays_cheap():
    """Recording must not dominate a call (about a microsecond; the bound leaves room for slow CI)."""
    import timeit

    from mock_ecr.tooling.recording import CallLog

    log, params = CallLog(), {"repositoryName": "app"}
    seconds = min(
        timeit.repeat(
            lambda: log.record("CreateRepository", params, "us-east-1", ACCOUNT, {}, None), number=20_000, repeat=3
        )
    )
    assert seconds / 20_000 < 5e-6
