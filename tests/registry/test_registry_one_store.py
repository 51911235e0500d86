"""One store: what the registry face pushes the API sees, and the reverse; faults, call log, lifecycle."""

from __future__ import annotations

import json
import os

import boto3
import pytest
import requests
from freezegun import freeze_time

from ..ecr_helpers import push_image as api_push
from .conftest import ACCOUNT, DOCKER, OCI, Registry, digest_of, errors, password


@pytest.fixture
def app(reg):
    reg.ecr.create_repository(repositoryName="app")
    return reg


def test_a_v2_push_is_in_describe_list_and_batch_get(app):
    with freeze_time("2025-03-04 05:06:07"):
        digest, text = app.push_image("app", "v1", [b"layer one", b"layer two"], OCI)
    ecr = app.ecr
    (detail,) = ecr.describe_images(repositoryName="app")["imageDetails"]
    assert detail["imageDigest"] == digest == digest_of(text)
    assert detail["imageTags"] == ["v1"]
    assert detail["imageSizeInBytes"] == len(b"layer one") + len(b"layer two")
    assert detail["imagePushedAt"].isoformat().startswith("2025-03-04T05:06:07")
    assert detail["imageManifestMediaType"] == OCI
    assert ecr.list_images(repositoryName="app")["imageIds"] == [{"imageDigest": digest, "imageTag": "v1"}]
    (image,) = ecr.batch_get_image(repositoryName="app", imageIds=[{"imageTag": "v1"}])["images"]
    assert image["imageManifest"].encode() == text


def test_v2_layers_satisfy_the_layer_api(app):
    layer = os.urandom(3000)
    app.push_image("app", "v1", [layer], DOCKER)
    ecr = app.ecr
    (found,) = ecr.batch_check_layer_availability(repositoryName="app", layerDigests=[digest_of(layer)])["layers"]
    assert (found["layerAvailability"], found["layerSize"]) == ("AVAILABLE", 3000)
    url = ecr.get_download_url_for_layer(repositoryName="app", layerDigest=digest_of(layer))["downloadUrl"]
    assert requests.get(url).content == layer


def test_a_putimage_image_pulls_byte_identical(app):
    pushed = api_push(app.ecr, "app", tag="api", layers=[b"api layer"], media_type=DOCKER)
    got = app.get("/v2/app/manifests/api", headers={"Accept": DOCKER})
    assert got.content == pushed.manifest.encode()
    assert got.headers["Docker-Content-Digest"] == pushed.digest
    for blob in (pushed.config, *pushed.layers):
        assert app.get(f"/v2/app/blobs/{digest_of(blob)}").content == blob


def test_layers_uploaded_through_the_api_let_a_v2_manifest_in(app):
    api_push(app.ecr, "app", tag="api", layers=[b"shared"], media_type=OCI)
    text = json.loads(app.get("/v2/app/manifests/api").content)
    text["annotations"] = {"again": "through v2"}
    data = json.dumps(text).encode()
    assert app.push_manifest("app", "v2", data, OCI).status_code == 201
    assert {d["imageDigest"] for d in app.ecr.describe_images(repositoryName="app")["imageDetails"]} >= {
        digest_of(data)
    }


@pytest.mark.parametrize(
    ("operation", "method", "path"),
    [
        ("BatchGetImage", "GET", "/v2/app/manifests/v1"),
        ("PutImage", "PUT", "/v2/app/manifests/v2"),
        ("InitiateLayerUpload", "POST", "/v2/app/blobs/uploads/"),
        ("ListImages", "GET", "/v2/app/tags/list"),
        ("BatchDeleteImage", "DELETE", "/v2/app/manifests/{digest}"),
        ("BatchCheckLayerAvailability", "HEAD", "/v2/app/blobs/{layer}"),
        ("GetDownloadUrlForLayer", "GET", "/v2/app/blobs/{layer}"),
    ],
)
def test_faults_of_the_ecr_action_answer_registry_requests(app, operation, method, path):
    digest, text = app.push_image("app", "v1", [b"layer"], OCI)
    app.mock.inject_error(operation, "ThrottlingException")
    url = path.format(digest=digest, layer=digest_of(b"layer"))
    answer = app.request(method, url, data=text if method == "PUT" else None, headers={"Content-Type": OCI})
    assert answer.status_code == 429
    if method != "HEAD":
        assert errors(answer)[0][0] == "TOOMANYREQUESTS"
    assert app.mock.calls.last(operation).error_code == "ThrottlingException"
    again = app.request(method, url, data=text if method == "PUT" else None, headers={"Content-Type": OCI})
    assert again.status_code < 300  # the fault answered one call


def test_upload_faults(app):
    location = app.request("POST", "/v2/app/blobs/uploads/").headers["Location"]
    app.mock.inject_error("UploadLayerPart", "ServerException")
    assert app.request("PATCH", location, data=b"data").status_code == 500
    assert app.request("GET", location).headers["Range"] == "0-0"  # the faulted call changed nothing
    app.request("PATCH", location, data=b"data")
    app.mock.inject_error("CompleteLayerUpload", "ServerException")
    assert app.request("PUT", location + f"?digest={digest_of(b'data')}").status_code == 500
    assert app.request("PUT", location + f"?digest={digest_of(b'data')}").status_code == 201


def test_each_request_is_recorded_under_its_ecr_action(app):
    app.push_image("app", "v1", [b"layer"], OCI)
    app.get("/v2/app/manifests/v1")
    operations = [call.operation for call in app.mock.calls][2:]  # after CreateRepository, GetAuthorizationToken
    per_blob = ["InitiateLayerUpload", "UploadLayerPart", "CompleteLayerUpload"]
    assert operations == per_blob * 2 + ["PutImage", "BatchGetImage"]
    assert all(call.region == "us-east-1" and call.account_id == ACCOUNT for call in app.mock.calls)


def test_lifecycle_expires_v2_pushes(app):
    with freeze_time("2025-01-01") as clock:
        old, _ = app.push_image("app", "old", [b"one"], OCI)
        clock.tick(3600)
        new, _ = app.push_image("app", "new", [b"two"], OCI)
        keep_one = {
            "rules": [
                {
                    "rulePriority": 1,
                    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
                    "action": {"type": "expire"},
                }
            ]
        }
        app.ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=json.dumps(keep_one))
        expired = app.mock.apply_lifecycle_policies()
    assert [image.digest for image in expired] == [old]
    assert app.get("/v2/app/manifests/old").status_code == 404
    assert app.get("/v2/app/tags/list").json()["tags"] == ["new"]


def test_the_server_answers_the_registry_its_host_names(m, ecr):
    server = m.serve()
    try:
        eu = boto3.client("ecr", region_name="eu-west-1")
        with_account = "111111111111"
        from mock_ecr import mock_ecr

        with mock_ecr(account_id=with_account):
            eu_other = boto3.client("ecr", region_name="eu-west-1")
            eu_other.create_repository(repositoryName="theirs")
        registry = Registry(m, server.url, eu, "server")
        host = f"{with_account}.dkr.ecr.eu-west-1.localhost"
        answer = registry.get("/v2/theirs/tags/list", headers={"Host": host})
        assert (answer.status_code, answer.json()) == (200, {"name": "theirs", "tags": []})
        # without such a Host, the server's own registry (us-east-1): no repository "theirs" there
        own = requests.get(server.url + "/v2/theirs/tags/list", auth=("AWS", password(ecr)))
        assert errors(own)[0][0] == "NAME_UNKNOWN"
        challenge = requests.get(server.url + "/v2/", headers={"Host": host}).headers["WWW-Authenticate"]
        assert (
            challenge
            == f'Basic realm="https://{with_account}.dkr.ecr.eu-west-1.amazonaws.com/",service="ecr.amazonaws.com"'
        )
        # the eu-west-1 password is not good at the server's own us-east-1 registry
        assert registry.get("/v2/").status_code == 403
    finally:
        server.stop()
