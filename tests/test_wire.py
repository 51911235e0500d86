"""The wire layer: response shapes against botocore's model, protocol errors, unimplemented actions."""

from __future__ import annotations

import json

import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.exceptions import ClientError

from mock_ecr.api import HANDLERS
from mock_ecr.errors import ERRORS_BY_CODE, ECRError, error_class
from mock_ecr.wire.model import service_model

from .ecr_helpers import send_raw
from .scenario import run_every_operation
from .shape_check import check_output

TARGET = "AmazonEC2ContainerRegistry_V20150921."


def test_every_error_shape_of_the_model_has_a_class():
    for shape in service_model().error_shapes:
        cls = error_class(shape.name)
        assert cls.code == shape.name and issubclass(cls, ECRError)
    # the codes of the 2018 reference and the botocore model this project was built against
    assert {"RepositoryNotFoundException", "LayerInaccessibleException", "ValidationException"} <= set(ERRORS_BY_CODE)
    assert ERRORS_BY_CODE["ServerException"].status == 500
    assert ERRORS_BY_CODE["MissingAuthenticationTokenException"].status == 403  # AWS's, not a modeled one
    others = set(ERRORS_BY_CODE) - {"ServerException", "MissingAuthenticationTokenException"}
    assert all(ERRORS_BY_CODE[code].status == 400 for code in others)


def test_every_implemented_operation_answers_bodies_that_fit_the_output_shape(ecr_client, ecr_mock, raw_bodies):
    run_every_operation(ecr_client, ecr_mock)
    exercised = {operation for operation, _ in raw_bodies}
    modeled = set(HANDLERS) & set(ecr_client.meta.service_model.operation_names)
    assert exercised == modeled, f"scenario misses {modeled - exercised}"
    for operation, body in raw_bodies:
        check_output(operation, body)


def test_error_bodies_are_json_1_1(ecr_client, raw_bodies):
    with pytest.raises(ClientError) as info:
        ecr_client.describe_repositories(repositoryNames=["missing"])
    body = json.loads(raw_bodies[-1][1])
    assert set(body) == {"__type", "message"}
    assert body["__type"] == "RepositoryNotFoundException"
    assert info.value.response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/x-amz-json-1.1"
    assert info.value.response["ResponseMetadata"]["RequestId"]


def test_request_ids_are_unique(ecr_client):
    ids = {ecr_client.describe_repositories()["ResponseMetadata"]["RequestId"] for _ in range(5)}
    assert len(ids) == 5


def test_unimplemented_action_answers_a_modeled_error(ecr_client, monkeypatch):
    monkeypatch.delitem(HANDLERS, "DescribePullThroughCacheRules")
    with pytest.raises(ClientError) as info:
        ecr_client.describe_pull_through_cache_rules()
    error = info.value.response["Error"]
    assert error["Code"] == "InvalidParameterException"
    assert "DescribePullThroughCacheRules" in error["Message"] and "does not implement" in error["Message"]


def _raw(ecr_client, target: str | None, body: bytes) -> tuple[int, dict]:
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    if target is not None:
        headers["X-Amz-Target"] = target
    request = AWSPreparedRequest("POST", "https://api.ecr.us-east-1.amazonaws.com/", headers, body, False)
    response = send_raw(ecr_client, request)
    return response.status_code, json.loads(response.content)


def test_raw_requests_botocore_would_never_send(ecr_client):
    assert _raw(ecr_client, TARGET + "NoSuchAction", b"{}") == (
        400,
        {
            "__type": "UnknownOperationException",
            "message": "Unknown operation 'AmazonEC2ContainerRegistry_V20150921.NoSuchAction'",
        },
    )
    assert _raw(ecr_client, None, b"{}")[1]["__type"] == "UnknownOperationException"
    status, body = _raw(ecr_client, TARGET + "DescribeRepositories", b"{not json")
    assert (status, body["__type"]) == (400, "SerializationException")
    status, body = _raw(ecr_client, TARGET + "DescribeRepositories", b"[1, 2]")
    assert (status, body["__type"]) == (400, "SerializationException")
    status, body = _raw(ecr_client, TARGET + "DescribeRepositories", b'{"maxResults": "ten"}')
    assert (status, body["__type"]) == (400, "SerializationException")
    status, body = _raw(ecr_client, TARGET + "CreateRepository", b'{"repositoryName": 5}')
    assert (status, body["__type"]) == (400, "SerializationException")
    status, body = _raw(ecr_client, TARGET + "DescribeRepositories", b"")
    assert (status, body) == (200, {"repositories": []})
    assert ecr_client.describe_repositories()["repositories"] == []


def test_unknown_members_are_ignored(ecr_client):
    status, body = _raw(ecr_client, TARGET + "CreateRepository", b'{"repositoryName": "extra", "color": "blue"}')
    assert status == 200 and body["repository"]["repositoryName"] == "extra"
