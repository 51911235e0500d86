"""The gateway on its own: transport-neutral requests, the recording of every outcome, output checks."""

from __future__ import annotations

import json

import boto3
import pytest

from mock_ecr.api import HANDLERS
from mock_ecr.gateway import Headers, HttpRequest, route
from mock_ecr.session import Session
from mock_ecr.wire.output import OutputShapeError

TARGET = "AmazonEC2ContainerRegistry_V20150921."


def _request(operation: str, body: bytes, region: str = "eu-west-1") -> HttpRequest:
    headers = Headers(
        {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": TARGET + operation,
            "Authorization": f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/{region}/ecr/aws4_request, "
            "SignedHeaders=host, Signature=0",
        }
    )
    return HttpRequest("POST", f"https://api.ecr.{region}.amazonaws.com/", headers, body)


def test_a_session_answers_without_any_patch_installed():
    session = Session(account_id="111122223333")
    created = route(session, _request("CreateRepository", b'{"repositoryName": "svc"}'))
    assert created.status == 200
    repository = json.loads(created.read())["repository"]
    assert repository["repositoryUri"] == "111122223333.dkr.ecr.eu-west-1.amazonaws.com/svc"
    described = route(session, _request("DescribeRepositories", b"{}"))
    assert [r["repositoryName"] for r in json.loads(described.read())["repositories"]] == ["svc"]
    assert session.calls.operations() == ["CreateRepository", "DescribeRepositories"]
    assert session.calls[0].region == "eu-west-1"
    session.reset()
    assert json.loads(route(session, _request("DescribeRepositories", b"")).read()) == {"repositories": []}


def test_the_request_id_header_is_a_fresh_uuid_per_call():
    session = Session()
    first = route(session, _request("DescribeRepositories", b"{}")).headers["x-amzn-RequestId"]
    second = route(session, _request("DescribeRepositories", b"{}")).headers["x-amzn-RequestId"]
    assert first != second and len(first) == 36 and first[14] == "4"


def test_a_streamed_request_body_is_read():
    import io

    session = Session()
    response = route(session, _request("CreateRepository", io.BytesIO(b'{"repositoryName": "streamed"}')))  # type: ignore[arg-type]
    assert response.status == 200


@pytest.mark.parametrize("body", [b"[]", b"12", b"not json", b'"text"'])
def test_a_body_that_is_not_an_object_is_recorded_like_any_failed_call(ecr_mock, body):
    client = boto3.client("ecr", region_name="us-east-1")

    def replace_body(request, **_):
        request.data = body

    client.meta.events.register("before-sign.ecr.DescribeRepositories", replace_body)
    with pytest.raises(client.exceptions.ClientError) as raised:
        client.describe_repositories()
    assert raised.value.response["Error"]["Code"] == "SerializationException"
    call = ecr_mock.calls.last("DescribeRepositories")
    assert call.error_code == "SerializationException" and call.params == {}


def test_a_member_of_the_wrong_type_is_recorded_too(ecr_mock):
    client = boto3.client("ecr", region_name="us-east-1")

    def replace_body(request, **_):
        request.data = b'{"repositoryNames": "not-a-list"}'

    client.meta.events.register("before-sign.ecr.DescribeRepositories", replace_body)
    with pytest.raises(client.exceptions.ClientError) as raised:
        client.describe_repositories()
    assert raised.value.response["Error"]["Code"] == "SerializationException"
    assert ecr_mock.calls.last("DescribeRepositories").error_code == "SerializationException"


def test_a_result_that_does_not_fit_the_output_shape_fails_loudly(ecr_mock, monkeypatch):
    handler, locate = HANDLERS["DescribeRepositories"]

    def broken(ctx, params):
        return {**handler(ctx, params), "notAMember": 1}

    monkeypatch.setitem(HANDLERS, "DescribeRepositories", (broken, locate))
    client = boto3.client("ecr", region_name="us-east-1")
    with pytest.raises(OutputShapeError, match="notAMember"):
        client.describe_repositories()


def test_a_wrongly_typed_result_member_fails_loudly(ecr_mock, monkeypatch):
    handler, locate = HANDLERS["DescribeRepositories"]
    wrong = {"repositories": [{"createdAt": "x"}]}
    monkeypatch.setitem(HANDLERS, "DescribeRepositories", (lambda ctx, params: wrong, locate))
    client = boto3.client("ecr", region_name="us-east-1")
    with pytest.raises(OutputShapeError, match="createdAt"):
        client.describe_repositories()
