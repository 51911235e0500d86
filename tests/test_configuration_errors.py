"""Configuration mistakes fail where they are made; tooling refusals are ClientErrors; edge dates answer."""

from __future__ import annotations

import io
import json

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from freezegun import freeze_time

from mock_ecr import ECRError, mock_ecr


@pytest.mark.parametrize("value", ["bad", "12345678901", "1234567890123", "12345678901a", "١٢٣٤٥٦٧٨٩٠١٢", 123456789012])
def test_account_id_must_be_twelve_digits(value):
    with pytest.raises(ValueError, match="12 digits") as raised:
        mock_ecr(account_id=value)
    assert repr(value) in str(raised.value)


def test_account_from_the_environment_is_checked_at_start(monkeypatch):
    monkeypatch.setenv("MOCK_ECR_ACCOUNT_ID", "bad")
    m = mock_ecr()
    with pytest.raises(ValueError, match="MOCK_ECR_ACCOUNT_ID.*'bad'"):
        m.start()
    assert not m.active
    monkeypatch.setenv("MOCK_ECR_ACCOUNT_ID", "444455556666")
    with mock_ecr():
        assert boto3.client("ecr", region_name="us-east-1").describe_registry()["registryId"] == "444455556666"


def test_quotas_assigned_on_a_live_mock_are_checked_when_assigned(ecr_mock, ecr_client):
    with pytest.raises(TypeError, match="images_per_repository.*'x'"):
        ecr_mock.quotas.images_per_repository = "x"
    with pytest.raises(ValueError, match="images_per_repository.*-1"):
        ecr_mock.quotas.images_per_repository = -1
    with pytest.raises(TypeError, match="True"):
        ecr_mock.quotas.images_per_repository = True
    with pytest.raises(AttributeError, match="unknown quota 'images_per_repo'"):
        ecr_mock.quotas.images_per_repo = 5
    ecr_mock.push_image("repo", "v1")  # the refused assignments changed nothing
    ecr_mock.quotas.images_per_repository = 1
    with pytest.raises(ClientError) as raised:
        ecr_mock.push_image("repo", "v2")
    assert raised.value.response["Error"]["Code"] == "LimitExceededException"


def test_a_push_image_refusal_is_a_client_error_with_a_boto3_response(ecr_mock, ecr_client):
    ecr_mock.quotas.images_per_repository = 1
    pushed = ecr_mock.push_image("repo", "v1")
    with pytest.raises(ClientError) as raised:
        ecr_mock.push_image("repo", "v2")
    error = raised.value
    assert isinstance(error, ECRError)
    assert error.operation_name == "PutImage"
    assert error.response["Error"]["Code"] == "LimitExceededException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    # the same refusal through boto3 carries the same response, request ids aside
    with pytest.raises(ClientError) as through_boto3:
        ecr_client.put_image(
            repositoryName="repo",
            imageManifest=json.dumps({**json.loads(pushed.manifest), "annotations": {"x": "y"}}),
            imageTag="v3",
        )
    real = through_boto3.value.response
    assert real["Error"]["Code"] == "LimitExceededException"

    def comparable(response):
        meta = dict(response["ResponseMetadata"])
        meta.pop("RequestId")
        # the client's own retry bookkeeping: botocore 1.44 retries LimitExceededException
        meta.pop("RetryAttempts", None)
        meta.pop("MaxAttemptsReached", None)
        headers = {k: v for k, v in meta.pop("HTTPHeaders").items() if k != "x-amzn-requestid"}
        return {**response, "ResponseMetadata": meta, "headers": sorted(headers)}

    mine = comparable(error.response)
    theirs = comparable(real)
    assert mine.keys() == theirs.keys()
    assert mine["ResponseMetadata"] == theirs["ResponseMetadata"]
    assert mine["headers"] == theirs["headers"]


def test_except_ecr_error_still_catches_tooling_refusals(ecr_mock):
    with pytest.raises(ECRError) as raised:
        ecr_mock.push_image("repo", "v1", create_repository=False)
    assert raised.value.response["Error"]["Code"] == "RepositoryNotFoundException"
    assert str(raised.value) == raised.value.message


def test_a_file_like_request_body_is_read(ecr_mock, ecr_client):
    def file_like_body(request, **_):
        request.data = io.BytesIO(request.data if isinstance(request.data, bytes) else request.data.encode())

    ecr_client.meta.events.register("before-sign.ecr.CreateRepository", file_like_body)
    created = ecr_client.create_repository(repositoryName="from-a-stream")
    assert created["repository"]["repositoryName"] == "from-a-stream"
    assert [c.operation for c in ecr_mock.calls] == ["CreateRepository"]


@pytest.mark.parametrize("moment", ["0001-01-01 00:00:00", "9999-12-31 23:59:59"])
def test_dates_at_the_edges_of_datetime_get_answers(moment):
    policy = json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "selection": {
                        "tagStatus": "any",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": 1,
                    },
                    "action": {"type": "expire"},
                }
            ]
        }
    )
    with freeze_time(moment), mock_ecr() as m:
        client = boto3.client("ecr", region_name="us-east-1")
        pushed = m.push_image("edge", "v1")
        token = client.get_authorization_token()["authorizationData"][0]
        assert token["expiresAt"].year in (1, 9999)
        url = client.get_download_url_for_layer(repositoryName="edge", layerDigest=pushed.layer_digests[0])
        assert requests.get(url["downloadUrl"]).status_code == 200
        client.start_lifecycle_policy_preview(repositoryName="edge", lifecyclePolicyText=policy)
        assert client.get_lifecycle_policy_preview(repositoryName="edge")["status"] == "COMPLETE"
        client.put_lifecycle_policy(repositoryName="edge", lifecyclePolicyText=policy)
        assert m.apply_lifecycle_policies() == []
        images = client.describe_images(repositoryName="edge")["imageDetails"]
        assert images[0]["imagePushedAt"].year == int(moment[:4])
