"""Manifests: PUT, GET, HEAD, DELETE; Accept negotiation; the refusals ECR answers."""

from __future__ import annotations

import json

import pytest

from mock_ecr.registry import manifests as registry_manifests

from .conftest import ACCOUNT, DOCKER, DOCKER_LIST, OCI, OCI_INDEX, digest_of, errors

SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json"


@pytest.fixture
def app(reg):
    reg.ecr.create_repository(repositoryName="app")
    return reg


def _index(children, media_type=OCI_INDEX, **extra):
    manifests = [
        {
            "mediaType": kind,
            "digest": digest_of(text),
            "size": len(text),
            "platform": {"os": "linux", "architecture": a},
        }
        for (text, kind), a in zip(children, ["amd64", "arm64"], strict=False)
    ]
    return json.dumps({"schemaVersion": 2, "mediaType": media_type, "manifests": manifests, **extra}).encode()


def test_put_then_get_and_head_the_bytes_as_pushed(app):
    digest, text = app.push_image("app", "v1", [b"layer"], DOCKER)
    for reference in ("v1", digest):
        got = app.get(f"/v2/app/manifests/{reference}", headers={"Accept": DOCKER})
        assert got.status_code == 200
        assert got.content == text
        assert got.headers["Content-Type"] == DOCKER
        assert got.headers["Docker-Content-Digest"] == digest
        head = app.request("HEAD", f"/v2/app/manifests/{reference}", headers={"Accept": DOCKER})
        assert (head.status_code, head.content) == (200, b"")
        assert head.headers["Content-Length"] == str(len(text))
        assert head.headers["Docker-Content-Digest"] == digest


def test_put_answers_201_with_the_digest(app):
    app.push_blob("app", b"{}")
    text = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI,
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": digest_of(b"{}"), "size": 2},
            "layers": [],
        }
    ).encode()
    answer = app.push_manifest("app", "v1", text, OCI)
    assert answer.status_code == 201
    assert answer.headers["Docker-Content-Digest"] == digest_of(text)
    assert answer.headers["Location"] == f"/v2/app/manifests/{digest_of(text)}"
    call = app.mock.calls.last("PutImage")
    assert call.params == {
        "registryId": ACCOUNT,
        "repositoryName": "app",
        "imageTag": "v1",
        "imageManifestMediaType": OCI,
    }
    assert call.response["image"]["imageId"] == {"imageDigest": digest_of(text), "imageTag": "v1"}
    # the same manifest to the same tag again: stored already, 201 again
    assert app.push_manifest("app", "v1", text, OCI).status_code == 201
    # by digest: untagged
    assert app.push_manifest("app", digest_of(text), text, OCI).status_code == 201
    assert app.push_manifest("app", digest_of(b"other"), text, OCI).status_code == 400
    assert errors(app.push_manifest("app", digest_of(b"other"), text, OCI))[0] == (
        "DIGEST_INVALID",
        "The specified image digest does not match the digest that Amazon ECR calculated for the image.",
    )


def test_every_format_putimage_accepts_round_trips(app):
    docker_digest, docker = app.push_image("app", "docker", [b"d"], DOCKER)
    oci_digest, oci = app.push_image("app", "oci", [b"o"], OCI)
    listing = _index([(docker, DOCKER)], DOCKER_LIST)
    index = _index([(oci, OCI)], OCI_INDEX, annotations={"a": "b"})
    app.push_blob("app", b"schema1 layer")
    schema1 = json.dumps(
        {
            "schemaVersion": 1,
            "name": "app",
            "tag": "old",
            "architecture": "amd64",
            "fsLayers": [{"blobSum": digest_of(b"schema1 layer")}],
            "history": [{"v1Compatibility": "{}"}],
        }
    ).encode()
    for tag, text, kind in [("list", listing, DOCKER_LIST), ("index", index, OCI_INDEX), ("old", schema1, SCHEMA1)]:
        assert app.push_manifest("app", tag, text, kind).status_code == 201, tag
        got = app.get(f"/v2/app/manifests/{tag}", headers={"Accept": kind})
        assert (got.content, got.headers["Content-Type"]) == (text, kind)
    details = {d["imageManifestMediaType"] for d in app.ecr.describe_images(repositoryName="app")["imageDetails"]}
    assert details == {DOCKER, OCI, DOCKER_LIST, OCI_INDEX, SCHEMA1}


def test_accept_negotiation_answers_the_stored_format_or_manifest_unknown(app):
    digest, text = app.push_image("app", "v1", [b"layer"], DOCKER)
    several = f"{OCI}, {DOCKER};q=0.9, {DOCKER_LIST}"
    assert app.get("/v2/app/manifests/v1", headers={"Accept": several}).content == text
    assert app.get("/v2/app/manifests/v1", headers={"Accept": "*/*"}).content == text
    assert app.get("/v2/app/manifests/v1").content == text  # no Accept: any format
    refused = app.get("/v2/app/manifests/v1", headers={"Accept": f"{OCI}, {OCI_INDEX}"})
    assert refused.status_code == 404
    assert errors(refused) == [("MANIFEST_UNKNOWN", "Requested image not found")]
    assert app.mock.calls.last("BatchGetImage").params["acceptedMediaTypes"] == [OCI, OCI_INDEX]


def test_a_pull_records_batch_get_image_and_the_pull_time(app):
    digest, _ = app.push_image("app", "v1", [b"layer"], OCI)
    assert "lastRecordedPullTime" not in app.ecr.describe_images(repositoryName="app")["imageDetails"][0]
    app.request("HEAD", "/v2/app/manifests/v1")
    assert "lastRecordedPullTime" not in app.ecr.describe_images(repositoryName="app")["imageDetails"][0]
    app.get("/v2/app/manifests/v1")
    assert "lastRecordedPullTime" in app.ecr.describe_images(repositoryName="app")["imageDetails"][0]
    call = app.mock.calls.last("BatchGetImage")
    assert call.params["imageIds"] == [{"imageTag": "v1"}]
    assert call.response["images"][0]["imageId"] == {"imageDigest": digest, "imageTag": "v1"}


def test_unknown_manifests_repositories_and_references(app):
    answer = app.get("/v2/app/manifests/nope")
    assert (answer.status_code, errors(answer)) == (404, [("MANIFEST_UNKNOWN", "Requested image not found")])
    assert app.mock.calls.last("BatchGetImage").error_code == "ImageNotFoundException"
    assert app.request("HEAD", f"/v2/app/manifests/{digest_of(b'x')}").status_code == 404
    missing = app.get("/v2/missing/manifests/v1")
    assert missing.status_code == 404
    assert errors(missing) == [
        ("NAME_UNKNOWN", f"The repository with name 'missing' does not exist in the registry with id '{ACCOUNT}'")
    ]
    assert app.get("/v2/app/manifests/bad+tag").status_code == 400


def test_missing_blobs_and_children_are_manifest_blob_unknown(app):
    layer = digest_of(b"never uploaded")
    text = json.dumps(
        {"schemaVersion": 2, "mediaType": OCI, "config": {"mediaType": "x", "digest": layer, "size": 1}, "layers": []}
    )
    answer = app.push_manifest("app", "v1", text, OCI)
    assert answer.status_code == 400
    assert errors(answer) == [
        (
            "MANIFEST_BLOB_UNKNOWN",
            f"Layers with digests '[{layer}]' required for pushing image into repository with name 'app' "
            f"in the registry with id '{ACCOUNT}' do not exist",
        )
    ]
    child = digest_of(b"child")
    index = json.dumps(
        {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [{"mediaType": OCI, "digest": child, "size": 5}]}
    )
    assert errors(app.push_manifest("app", "idx", index, OCI_INDEX)) == [
        (
            "MANIFEST_BLOB_UNKNOWN",
            f"Images with digests '[{child}]' required for pushing image into repository with name 'app' "
            f"in the registry with id '{ACCOUNT}' do not exist",
        )
    ]
    assert app.mock.calls.last("PutImage").error_code == "ReferencedImagesNotFoundException"
    assert app.ecr.describe_images(repositoryName="app")["imageDetails"] == []


def test_unreadable_manifests_are_manifest_invalid(app):
    for body, kind in [
        (b"{not json", OCI),
        (b"\xff\xfe", OCI),
        (json.dumps({"schemaVersion": 2, "mediaType": DOCKER}).encode(), OCI),
    ]:
        answer = app.push_manifest("app", "v1", body, kind)
        assert answer.status_code == 400
        assert errors(answer)[0][0] == "MANIFEST_INVALID"


def test_an_immutable_tag_is_tag_invalid(app):
    app.ecr.put_image_tag_mutability(repositoryName="app", imageTagMutability="IMMUTABLE")
    app.push_image("app", "v1", [b"one"], OCI)
    app.push_blob("app", b"two")
    answer = app.push_manifest("app", "v1", _image(app, b"two"), OCI)
    assert answer.status_code == 400
    assert errors(answer) == [
        (
            "TAG_INVALID",
            "The image tag 'v1' already exists in the 'app' repository and cannot be overwritten "
            "because the tag is immutable.",
        )
    ]


def _image(app, layer):
    config = b'{"os":"linux"}'
    app.push_blob("app", config)
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": digest_of(config),
                "size": len(config),
            },
            "layers": [
                {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest_of(layer), "size": len(layer)}
            ],
        }
    )


def test_the_image_quota_is_denied(reg):
    from mock_ecr import mock_ecr

    with mock_ecr(quotas={"images_per_repository": 1}):
        reg.ecr.create_repository(repositoryName="app")
        reg.push_image("app", "v1", [b"one"], OCI)
        reg.push_blob("app", b"two")
        answer = reg.push_manifest("app", "v2", _image(reg, b"two"), OCI)
        assert answer.status_code == 403
        assert errors(answer) == [
            (
                "DENIED",
                f"The repository with name 'app' in registry with id '{ACCOUNT}' already has the maximum allowed "
                "number of images which is '1'",
            )
        ]


def test_delete_by_digest_removes_the_image(app):
    digest, _ = app.push_image("app", "v1", [b"layer"], OCI)
    answer = app.request("DELETE", f"/v2/app/manifests/{digest}")
    assert answer.status_code == 202
    assert app.ecr.describe_images(repositoryName="app")["imageDetails"] == []
    call = app.mock.calls.last("BatchDeleteImage")
    assert call.response["imageIds"] == [{"imageDigest": digest, "imageTag": "v1"}]
    assert app.get(f"/v2/app/manifests/{digest}").status_code == 404
    assert errors(app.request("DELETE", f"/v2/app/manifests/{digest}"))[0][0] == "MANIFEST_UNKNOWN"


def test_delete_by_tag_is_unsupported_and_a_referenced_child_stays(app):
    digest, text = app.push_image("app", "v1", [b"layer"], OCI)
    answer = app.request("DELETE", "/v2/app/manifests/v1")
    assert (answer.status_code, errors(answer)) == (405, [("UNSUPPORTED", "The operation is unsupported.")])
    assert app.push_manifest("app", "idx", _index([(text, OCI)]), OCI_INDEX).status_code == 201
    refused = app.request("DELETE", f"/v2/app/manifests/{digest}")
    assert refused.status_code == 403
    assert errors(refused)[0][1].startswith("Requested image referenced by manifest list")
    assert len(app.ecr.describe_images(repositoryName="app")["imageDetails"]) == 2


def test_an_archived_image_is_not_pullable(app, m):
    digest, _ = app.push_image("app", "v1", [b"layer"], OCI)
    from mock_ecr.domain.images import service

    store = m.backend.store(ACCOUNT, "us-east-1")
    with store.lock:
        service.archive(store.repositories["app"].images.get(digest), service_now())
    assert app.get("/v2/app/manifests/v1").status_code == 404
    assert app.request("HEAD", "/v2/app/manifests/v1").status_code == 404


def service_now():
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc)


def test_a_missing_image_asks_the_pull_through_hook(app, monkeypatch):
    asked = []

    def hook(store, name, reference, call):
        asked.append((name, reference))
        return False

    monkeypatch.setattr(registry_manifests, "pull_through_hook", hook)
    assert app.get("/v2/cache/library/alpine/manifests/3.20").status_code == 404
    assert asked == [("cache/library/alpine", "3.20")]
