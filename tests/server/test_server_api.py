"""m.serve() and the ecr_server fixture: the ECR API, downloads and the control API over HTTP."""

from __future__ import annotations

import hashlib
import http.client
import json
import socket
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from mock_ecr import mock_ecr

NO_RETRIES = Config(retries={"total_max_attempts": 1})
SIGNED = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/{region}/ecr/aws4_request, SignedHeaders=host, Signature=0"


def over_http(server: Any, region: str = "us-east-1") -> Any:
    return boto3.client("ecr", endpoint_url=server.url, region_name=region, config=NO_RETRIES)


def control(server: Any, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(server.url + "/_mock_ecr/" + path, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def connection(server: Any) -> http.client.HTTPConnection:
    parts = urlsplit(server.url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)


def test_the_server_shares_the_mock_state_both_ways(ecr_mock, ecr_client, ecr_server):
    remote = over_http(ecr_server)
    ecr_client.create_repository(repositoryName="made/in-process")
    remote.create_repository(repositoryName="made/over-http")
    names = {"made/in-process", "made/over-http"}
    assert {r["repositoryName"] for r in remote.describe_repositories()["repositories"]} == names
    assert {r["repositoryName"] for r in ecr_client.describe_repositories()["repositories"]} == names
    assert set(ecr_mock.state().repositories) == names
    assert ecr_mock.calls.count("CreateRepository") == 2

    # the client given the URL really went over HTTP: the server's own header is on its answers
    assert remote.describe_repositories()["ResponseMetadata"]["HTTPHeaders"]["server"] == "mock_ecr"
    assert "server" not in ecr_client.describe_repositories()["ResponseMetadata"]["HTTPHeaders"]


def test_url_host_and_port(ecr_server):
    assert ecr_server.host == "127.0.0.1"
    assert ecr_server.url == f"http://127.0.0.1:{ecr_server.port}"
    assert ecr_server.port > 0


def test_the_signed_region_and_the_mock_account_decide(ecr_server):
    with mock_ecr(account_id="111122223333") as inner:
        server = inner.serve()
        repository = over_http(server, "eu-west-2").create_repository(repositoryName="app")["repository"]
        assert repository["repositoryUri"] == "111122223333.dkr.ecr.eu-west-2.amazonaws.com/app"
        assert repository["repositoryArn"] == "arn:aws:ecr:eu-west-2:111122223333:repository/app"
        token = over_http(server, "eu-west-2").get_authorization_token()["authorizationData"][0]
        assert token["proxyEndpoint"] == "https://111122223333.dkr.ecr.eu-west-2.amazonaws.com"
        other = over_http(server, "eu-west-2").create_repository(repositoryName="app", registryId="444455556666")
        assert other["repository"]["registryId"] == "444455556666"
        assert inner.calls.last("CreateRepository").region == "eu-west-2"


def test_errors_keep_their_code_status_and_text(ecr_server):
    with pytest.raises(ClientError) as info:
        over_http(ecr_server).describe_repositories(repositoryNames=["missing"])
    error = info.value.response
    assert error["Error"]["Code"] == "RepositoryNotFoundException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Message"] == (
        "The repository with name 'missing' does not exist in the registry with id '123456789012'"
    )


def test_a_request_without_authorization_gets_aws_403(ecr_mock, ecr_server):
    conn = connection(ecr_server)
    conn.request(
        "POST",
        "/",
        b"{}",
        {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories",
        },
    )
    response = conn.getresponse()
    assert response.status == 403
    assert json.loads(response.read()) == {
        "__type": "MissingAuthenticationTokenException",
        "message": "Missing Authentication Token",
    }
    assert len(ecr_mock.calls) == 0  # refused before ECR sees it


def test_any_path_answers_the_json_api_with_keep_alive_and_chunked_bodies(ecr_mock, ecr_server):
    conn = connection(ecr_server)
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "Authorization": SIGNED.format(region="us-west-2"),
        "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.CreateRepository",
    }
    body = json.dumps({"repositoryName": "chunked"}).encode()
    conn.request("POST", "/some/path", iter([body[:5], body[5:]]), headers, encode_chunked=True)
    first = conn.getresponse()
    assert first.status == 200, first.read()
    assert json.loads(first.read())["repository"]["repositoryName"] == "chunked"
    sock = conn.sock
    headers["X-Amz-Target"] = "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories"
    conn.request("POST", "/", b"{}", headers)
    second = conn.getresponse()
    assert conn.sock is sock  # the same connection answered both
    assert [r["repositoryName"] for r in json.loads(second.read())["repositories"]] == ["chunked"]
    assert ecr_mock.calls.last("CreateRepository").region == "us-west-2"


def test_download_urls_point_at_the_server_and_stream_the_layer(ecr_mock, ecr_client, ecr_server):
    layer = bytes(range(256)) * (12 * 1024 * 4)  # 12 MiB: several chunks
    pushed = ecr_mock.push_image("app", "v1", layers=[layer])
    digest = pushed.layer_digests[0]
    url = over_http(ecr_server).get_download_url_for_layer(repositoryName="app", layerDigest=digest)["downloadUrl"]
    assert url.startswith(ecr_server.url + "/_mock_ecr/layers/us-east-1/")
    with urllib.request.urlopen(url, timeout=10) as response:  # a plain HTTP client, no mock in between
        assert response.headers["Content-Length"] == str(len(layer))
        sha = hashlib.sha256()
        while chunk := response.read(1 << 20):
            sha.update(chunk)
    assert "sha256:" + sha.hexdigest() == digest

    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url.replace("X-Amz-Expires=3600", "X-Amz-Expires=9999"), timeout=10)
    assert info.value.code == 403 and b"SignatureDoesNotMatch" in info.value.read()

    # in-process callers keep ECR's own URL shape
    in_process = ecr_client.get_download_url_for_layer(repositoryName="app", layerDigest=digest)["downloadUrl"]
    assert in_process.startswith("https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/")


def test_the_server_stops_when_the_mock_stops():
    with mock_ecr() as m:
        server = m.serve()
        port = server.port
        assert control(server, "GET", "health")[0] == 200
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert not server.running


def test_control_health_and_reset(ecr_mock, ecr_client, ecr_server):
    assert control(ecr_server, "GET", "health") == (
        200,
        {"status": "ok", "account_id": "123456789012", "region": "us-east-1"},
    )
    ecr_client.create_repository(repositoryName="app")
    ecr_mock.inject_error("ListImages", "ThrottlingException")
    assert control(ecr_server, "POST", "reset") == (200, {})
    assert ecr_client.describe_repositories()["repositories"] == []
    assert not ecr_mock.calls.filter("CreateRepository")
    ecr_client.create_repository(repositoryName="app")
    assert ecr_client.list_images(repositoryName="app")["imageIds"] == []  # the fault is gone
    # after a reset, layer URLs are served to ``requests`` as before
    pushed = ecr_mock.push_image("after", "v1")
    url = ecr_client.get_download_url_for_layer(repositoryName="after", layerDigest=pushed.layer_digests[0])
    assert requests.get(url["downloadUrl"], timeout=10).status_code == 200


def test_control_calls(ecr_client, ecr_server):
    ecr_client.create_repository(repositoryName="app")
    with pytest.raises(ClientError):
        ecr_client.delete_repository(repositoryName="missing")
    status, body = control(ecr_server, "GET", "calls")
    assert status == 200
    assert [(c["operation"], c["ok"], c["error_code"], c["status"]) for c in body["calls"]] == [
        ("CreateRepository", True, None, 200),
        ("DeleteRepository", False, "RepositoryNotFoundException", 400),
    ]
    assert body["calls"][0]["params"] == {"repositoryName": "app"}
    assert body["calls"][0]["response"]["repository"]["repositoryName"] == "app"
    only = control(ecr_server, "GET", "calls?operation=DeleteRepository")[1]["calls"]
    assert [c["operation"] for c in only] == ["DeleteRepository"]


def test_control_faults(ecr_client, ecr_server):
    status, body = control(
        ecr_server, "POST", "faults", {"operation": "create_repository", "code": "ThrottlingException", "count": 2}
    )
    assert status == 200 and body["fault"]["operation"] == "CreateRepository" and body["fault"]["remaining"] == 2
    for _ in range(2):
        with pytest.raises(ClientError) as info:
            over_http(ecr_server).create_repository(repositoryName="app")
        assert info.value.response["Error"] == {"Code": "ThrottlingException", "Message": "Rate exceeded"}
    assert over_http(ecr_server).create_repository(repositoryName="app")["repository"]["repositoryName"] == "app"

    control(ecr_server, "POST", "faults", {"operation": "*", "code": "ServiceUnavailable", "count": None})
    with pytest.raises(ClientError):
        over_http(ecr_server).describe_repositories()
    assert control(ecr_server, "DELETE", "faults") == (200, {})
    assert len(ecr_client.describe_repositories()["repositories"]) == 1


@pytest.mark.parametrize(
    ("body", "wanted"),
    [
        ({"operation": "CreateRepository"}, "'code' is required"),
        ({"operation": "CreateRepository", "code": "NoSuchCode"}, "cannot answer 'NoSuchCode'"),
        ({"operation": "NoSuchOperation", "code": "ThrottlingException"}, "unknown ECR operation"),
        ({"operation": "CreateRepository", "code": "ThrottlingException", "count": 0}, "count must be"),
        ({"operation": "CreateRepository", "code": "ThrottlingException", "colour": "red"}, "unknown member(s) colour"),
        (b"{not json", "the body is not JSON"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_bad_control_requests_get_400_saying_what_is_wrong(ecr_client, ecr_server, body, wanted):
    status, answer = control(ecr_server, "POST", "faults", body)
    assert status == 400
    assert wanted in answer["error"]
    ecr_client.create_repository(repositoryName="app")  # no fault was installed


def test_unknown_control_paths_and_methods(ecr_server):
    status, body = control(ecr_server, "GET", "nothing-here")
    assert status == 404 and "GET /_mock_ecr/health" in body["error"]
    status, body = control(ecr_server, "GET", "reset")
    assert status == 405 and body["error"] == "/_mock_ecr/reset takes POST, not GET"
    assert control(ecr_server, "GET", "state?colour=red")[0] == 400


def test_control_lifecycle_apply(ecr_mock, ecr_client, ecr_server):
    for tag in ("v1", "v2", "v3"):
        ecr_mock.push_image("app", tag)
    ecr_client.put_lifecycle_policy(
        repositoryName="app",
        lifecyclePolicyText=json.dumps(
            {
                "rules": [
                    {
                        "rulePriority": 1,
                        "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
                        "action": {"type": "expire"},
                    }
                ]
            }
        ),
    )
    status, body = control(ecr_server, "POST", "lifecycle/apply", {"repository_name": "app"})
    assert status == 200
    assert sorted(tag for image in body["expired"] for tag in image["tags"]) == ["v1", "v2"]
    assert {image["action"] for image in body["expired"]} == {"EXPIRE"}
    assert list(ecr_mock.state().repository("app").image_tags) == ["v3"]
    status, body = control(ecr_server, "POST", "lifecycle/apply", {"repository_name": "nope"})
    assert status == 404 and "nope" in body["error"]
    assert control(ecr_server, "POST", "lifecycle/apply", {"region": 5})[0] == 400


def test_control_state(ecr_mock, ecr_server):
    pushed = ecr_mock.push_image("app", "v1")
    boto3.client("ecr", region_name="eu-west-1").create_repository(repositoryName="elsewhere")
    status, body = control(ecr_server, "GET", "state")
    assert status == 200
    assert {(r["account_id"], r["region"]) for r in body["registries"]} == {
        ("123456789012", "us-east-1"),
        ("123456789012", "eu-west-1"),
    }
    one = control(ecr_server, "GET", "state?region=us-east-1")[1]
    (repository,) = one["repositories"]
    assert repository["name"] == "app"
    assert repository["uri"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com/app"
    assert repository["image_tags"] == {"v1": pushed.digest}
    assert [(i["digest"], i["tags"], i["size"]) for i in repository["images"]] == [(pushed.digest, ["v1"], pushed.size)]
    assert set(repository["layer_digests"]) >= set(pushed.layer_digests)
