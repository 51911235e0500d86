"""PutImage, BatchGetImage, BatchDeleteImage, ListImages and DescribeImages."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math

import boto3
import pytest
from botocore.exceptions import ClientError
from freezegun import freeze_time

from mock_ecr.domain import pagination
from mock_ecr.domain.images import manifests

from .ecr_helpers import (
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    DOCKER_SCHEMA1,
    DOCKER_SCHEMA1_SIGNED,
    OCI_INDEX,
    OCI_MANIFEST,
    digest_of,
    image_manifest,
    index_manifest,
    push_image,
    put_manifest,
    upload_blob,
)
from .shape_check import check_output

ACCOUNT = "123456789012"
REPO = "team/app"
CONFIG = json.dumps({"architecture": "amd64", "os": "linux"}).encode()
LAYERS = [b"layer one", b"layer two!"]
NOT_FOUND = {"failureCode": "ImageNotFound", "failureReason": "Requested image not found"}
INVALID_JSON = "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'"


@pytest.fixture
def repo(ecr_client):
    ecr_client.create_repository(repositoryName=REPO)
    return REPO


def _error(info: pytest.ExceptionInfo) -> tuple[str, str]:
    error = info.value.response["Error"]
    return error["Code"], error["Message"]


def _repository(ecr_mock, name=REPO):
    return ecr_mock.backend.store(ACCOUNT, "us-east-1").repositories[name]


def _seed_blobs(client, repo_name=REPO):
    for blob in (CONFIG, *LAYERS):
        upload_blob(client, repo_name, blob)


def _variant(number: int, media_type: str = OCI_MANIFEST) -> str:
    """A distinct image manifest over the seeded blobs (only an annotation differs)."""
    return image_manifest(CONFIG, LAYERS, media_type, annotations={"n": str(number)})


def _not_found(digest="null", tag="null", repo_name=REPO) -> str:
    return (
        f"The image with imageId {{imageDigest:'{digest}', imageTag:'{tag}'}} does not exist within the "
        f"repository with name '{repo_name}' in the registry with id '{ACCOUNT}'"
    )


# -- PutImage: formats, digests, results -------------------------------------------------


@freeze_time("2024-05-01 10:00:00")
def test_put_docker_image_and_describe_it(ecr_client, repo, raw_bodies):
    pushed = push_image(ecr_client, repo, tag="v1", layers=LAYERS, config=CONFIG)
    assert pushed.response["image"] == {
        "registryId": ACCOUNT,
        "repositoryName": repo,
        "imageId": {"imageDigest": pushed.digest, "imageTag": "v1"},
        "imageManifest": pushed.manifest,
        "imageManifestMediaType": DOCKER_MANIFEST,
    }
    details = ecr_client.describe_images(repositoryName=repo)["imageDetails"]
    assert details == [
        {
            "registryId": ACCOUNT,
            "repositoryName": repo,
            "imageDigest": pushed.digest,
            "imageTags": ["v1"],
            "imageSizeInBytes": sum(len(layer) for layer in LAYERS),
            "imagePushedAt": dt.datetime(2024, 5, 1, 10, tzinfo=dt.timezone.utc),
            "imageManifestMediaType": DOCKER_MANIFEST,
            "artifactMediaType": "application/vnd.docker.container.image.v1+json",
            "imageStatus": "ACTIVE",
        }
    ]
    for operation, body in raw_bodies:
        check_output(operation, body)


def test_digest_is_sha256_of_the_exact_manifest_text(ecr_client, repo):
    _seed_blobs(ecr_client)
    text = _variant(1).replace("\n", "\r\n") + "  \n"  # whitespace is part of what is hashed
    text = text.replace('"n"', '"ünïcode"')
    image = put_manifest(ecr_client, repo, text)["image"]
    assert image["imageId"] == {"imageDigest": "sha256:" + hashlib.sha256(text.encode()).hexdigest()}
    got = ecr_client.batch_get_image(repositoryName=repo, imageIds=[image["imageId"]])["images"][0]
    assert got["imageManifest"] == text


def test_oci_manifest_without_media_type_needs_the_parameter(ecr_client, repo):
    _seed_blobs(ecr_client)
    document = json.loads(_variant(2))
    del document["mediaType"]
    text = json.dumps(document)
    with pytest.raises(ClientError) as info:
        put_manifest(ecr_client, repo, text, tag="chart")
    assert _error(info) == ("InvalidParameterException", INVALID_JSON)
    image = put_manifest(ecr_client, repo, text, tag="chart", imageManifestMediaType=OCI_MANIFEST)["image"]
    assert image["imageManifestMediaType"] == OCI_MANIFEST
    detail = ecr_client.describe_images(repositoryName=repo, imageIds=[{"imageTag": "chart"}])["imageDetails"][0]
    assert detail["artifactMediaType"] == "application/vnd.oci.image.config.v1+json"


@pytest.mark.parametrize(
    "text, media_type",
    [
        ("{not json", None),
        ("[1, 2]", None),
        (json.dumps({"schemaVersion": 2, "config": {}, "layers": []}), None),  # no media type anywhere
        (json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.example+json"}), None),  # unsupported
        (json.dumps({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST, "layers": []}), None),  # no config
        (json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX}), None),  # no manifests
        (json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {"digest": "x", "size": 1}}), None),
    ],
)
def test_unreadable_manifests(ecr_client, repo, text, media_type):
    with pytest.raises(ClientError) as info:
        put_manifest(ecr_client, repo, text)
    assert _error(info) == ("InvalidParameterException", INVALID_JSON)


def test_declared_media_type_must_match_the_manifest(ecr_client, repo):
    _seed_blobs(ecr_client)
    with pytest.raises(ClientError) as info:
        put_manifest(ecr_client, repo, _variant(3, DOCKER_MANIFEST), imageManifestMediaType=OCI_MANIFEST)
    assert _error(info) == ("InvalidParameterException", INVALID_JSON)
    assert ecr_client.list_images(repositoryName=repo)["imageIds"] == []


def test_image_digest_parameter_must_match(ecr_client, repo):
    _seed_blobs(ecr_client)
    text = _variant(4)
    with pytest.raises(ClientError) as info:
        put_manifest(ecr_client, repo, text, imageDigest="sha256:" + "0" * 64)
    assert _error(info) == (
        "ImageDigestDoesNotMatchException",
        "The specified image digest does not match the digest that Amazon ECR calculated for the image.",
    )
    image = put_manifest(ecr_client, repo, text, imageDigest=digest_of(text.encode()))["image"]
    assert image["imageId"]["imageDigest"] == digest_of(text.encode())


def test_layers_must_be_in_the_repository(ecr_client, repo):
    upload_blob(ecr_client, repo, CONFIG)
    upload_blob(ecr_client, repo, LAYERS[0])
    ecr_client.create_repository(repositoryName="other")
    upload_blob(ecr_client, "other", LAYERS[1])  # a blob of another repository does not count
    text = image_manifest(CONFIG, [LAYERS[0], LAYERS[1], b"never uploaded"])
    with pytest.raises(ClientError) as info:
        put_manifest(ecr_client, repo, text, tag="v1")
    assert _error(info) == (
        "LayersNotFoundException",
        f"Layers with digests '[{digest_of(LAYERS[1])}, {digest_of(b'never uploaded')}]' required for pushing "
        f"image into repository with name '{repo}' in the registry with id '{ACCOUNT}' do not exist",
    )
    assert ecr_client.list_images(repositoryName=repo)["imageIds"] == []


def test_missing_config_blob_is_reported(ecr_client, repo):
    for layer in LAYERS:
        upload_blob(ecr_client, repo, layer)
    with pytest.raises(ClientError) as info:
        put_manifest(ecr_client, repo, image_manifest(CONFIG, LAYERS))
    assert _error(info)[0] == "LayersNotFoundException"
    assert digest_of(CONFIG) in _error(info)[1]


def test_foreign_layers_need_not_be_uploaded(ecr_client, repo):
    _seed_blobs(ecr_client)
    document = json.loads(image_manifest(CONFIG, LAYERS))
    document["layers"].insert(
        0,
        {
            "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
            "size": 5000,
            "digest": digest_of(b"windows base layer"),
            "urls": ["https://go.microsoft.com/fwlink/?linkid=837858"],
        },
    )
    image = put_manifest(ecr_client, repo, json.dumps(document), tag="win")["image"]
    detail = ecr_client.describe_images(repositoryName=repo)["imageDetails"][0]
    assert detail["imageDigest"] == image["imageId"]["imageDigest"]
    assert detail["imageSizeInBytes"] == 5000 + sum(len(layer) for layer in LAYERS)


@pytest.mark.parametrize("list_type, child_type", [(OCI_INDEX, OCI_MANIFEST), (DOCKER_MANIFEST_LIST, DOCKER_MANIFEST)])
def test_manifest_lists_and_indexes(ecr_client, repo, list_type, child_type):
    small = push_image(ecr_client, repo, layers=[b"a"], media_type=child_type)
    big = push_image(ecr_client, repo, layers=[b"bb", b"cccc"], media_type=child_type)
    text = index_manifest([(small.manifest, child_type), (big.manifest, child_type)], list_type)
    image = put_manifest(ecr_client, repo, text, tag="multi")["image"]
    assert image["imageManifestMediaType"] == list_type
    detail = ecr_client.describe_images(repositoryName=repo, imageIds=[{"imageTag": "multi"}])["imageDetails"][0]
    assert detail["imageSizeInBytes"] == 6  # the biggest child
    assert "artifactMediaType" not in detail
    untagged = ecr_client.list_images(repositoryName=repo, filter={"tagStatus": "UNTAGGED"})["imageIds"]
    assert {i["imageDigest"] for i in untagged} == {small.digest, big.digest}


def test_index_children_must_be_images_of_the_repository(ecr_client, repo):
    child = push_image(ecr_client, repo, media_type=OCI_MANIFEST)
    absent = image_manifest(CONFIG, [b"not pushed"], OCI_MANIFEST)
    text = index_manifest([(child.manifest, OCI_MANIFEST), (absent, OCI_MANIFEST)])
    with pytest.raises(ClientError) as info:
        put_manifest(ecr_client, repo, text, tag="multi")
    assert _error(info) == (
        "ReferencedImagesNotFoundException",
        f"Images with digests '[{digest_of(absent.encode())}]' required for pushing image into repository with "
        f"name '{repo}' in the registry with id '{ACCOUNT}' do not exist",
    )


def _schema1(fs_layers: list[bytes], *, signed: bool) -> tuple[str, bytes]:
    """A schema 1 manifest and the payload its digest covers (libtrust's JWS layout)."""
    payload = json.dumps(
        {
            "schemaVersion": 1,
            "name": REPO,
            "tag": "old",
            "architecture": "amd64",
            "fsLayers": [{"blobSum": digest_of(layer)} for layer in fs_layers],
            "history": [{"v1Compatibility": json.dumps({"id": str(n)})} for n, _ in enumerate(fs_layers)],
        },
        indent=3,
    ).encode()
    if not signed:
        return payload.decode(), payload
    cut = payload.rindex(b"\n}")  # the JSON object's closing brace is the "format tail"
    protected = {
        "formatLength": cut,
        "formatTail": base64.urlsafe_b64encode(payload[cut:]).decode().rstrip("="),
        "time": "2015-04-08T18:52:59Z",
    }
    signature = {
        "header": {"jwk": {"crv": "P-256", "kty": "EC", "x": "3gAw", "y": "t72g"}, "alg": "ES256"},
        "signature": "XREm0L8WNn27Ga_iE_vRnTxVMhhYY0Zst_FfkKopg6gWSoTOZTuW4rK0fg_IqnKkEKlbD83tD46LKEGi5aIVFg",
        "protected": base64.urlsafe_b64encode(json.dumps(protected).encode()).decode().rstrip("="),
    }
    signed_text = payload[:cut] + b',\n   "signatures": ' + json.dumps([signature], indent=3).encode() + b"\n}"
    return signed_text.decode(), payload


def test_schema1_signed_digest_covers_the_payload_without_signatures(ecr_client, repo):
    fs_layers = [b"top", b"base", b"base"]
    for layer in set(fs_layers):
        upload_blob(ecr_client, repo, layer)
    text, payload = _schema1(fs_layers, signed=True)
    assert digest_of(text.encode()) != digest_of(payload)
    image = put_manifest(ecr_client, repo, text, tag="old", imageManifestMediaType=DOCKER_SCHEMA1_SIGNED)["image"]
    assert image["imageId"] == {"imageDigest": digest_of(payload), "imageTag": "old"}
    got = ecr_client.batch_get_image(repositoryName=repo, imageIds=[{"imageDigest": digest_of(payload)}])
    assert got["images"][0]["imageManifest"] == text
    assert got["images"][0]["imageManifestMediaType"] == DOCKER_SCHEMA1_SIGNED
    detail = ecr_client.describe_images(repositoryName=repo)["imageDetails"][0]
    assert detail["imageSizeInBytes"] == len(b"top") + len(b"base")


def test_schema1_unsigned_digest_and_missing_layers(ecr_client, repo):
    upload_blob(ecr_client, repo, b"only")
    text, payload = _schema1([b"only"], signed=False)
    image = put_manifest(ecr_client, repo, text, imageManifestMediaType=DOCKER_SCHEMA1)["image"]
    assert image["imageId"]["imageDigest"] == digest_of(payload) == digest_of(text.encode())
    text, _ = _schema1([b"only", b"absent"], signed=True)
    with pytest.raises(ClientError) as info:
        put_manifest(ecr_client, repo, text, imageManifestMediaType=DOCKER_SCHEMA1_SIGNED)
    assert _error(info)[0] == "LayersNotFoundException"
    assert f"'[{digest_of(b'absent')}]'" in _error(info)[1]


def test_schema1_with_a_broken_signature_header_is_refused(ecr_client, repo):
    text = json.dumps(
        {"schemaVersion": 1, "fsLayers": [{"blobSum": digest_of(b"x")}], "signatures": [{"protected": "bm90IGpzb24"}]}
    )
    with pytest.raises(ClientError) as info:
        put_manifest(ecr_client, repo, text, imageManifestMediaType=DOCKER_SCHEMA1_SIGNED)
    assert _error(info) == ("InvalidParameterException", INVALID_JSON)


def test_manifest_parser_reports_references():
    text = index_manifest(
        [(_variant(1), OCI_MANIFEST)],
        OCI_INDEX,
        subject={"mediaType": OCI_MANIFEST, "digest": digest_of(b"s"), "size": 1},
    )
    parsed = manifests.parse(text)
    assert parsed.is_index and parsed.child_digests() == (digest_of(_variant(1).encode()),)
    assert parsed.subject_digest == digest_of(b"s") and parsed.blob_digests() == ()
    image = manifests.parse(image_manifest(CONFIG, [LAYERS[0], LAYERS[0]]))
    assert image.blob_digests() == (digest_of(CONFIG), digest_of(LAYERS[0]))


# -- PutImage: tags, immutability, quota ---------------------------------------------------


def test_same_manifest_and_tag_is_refused(ecr_client, repo):
    pushed = push_image(ecr_client, repo, tag="v1")
    with pytest.raises(ClientError) as info:
        put_manifest(ecr_client, repo, pushed.manifest, tag="v1")
    assert _error(info) == (
        "ImageAlreadyExistsException",
        f"Image with digest '{pushed.digest}' and tag 'v1' already exists in the repository with name '{repo}' "
        f"in registry with id '{ACCOUNT}'",
    )


def test_same_manifest_new_tag_adds_the_tag(ecr_client, repo):
    pushed = push_image(ecr_client, repo, tag="v1")
    image = put_manifest(ecr_client, repo, pushed.manifest, tag="latest")["image"]
    assert image["imageId"] == {"imageDigest": pushed.digest, "imageTag": "latest"}
    details = ecr_client.describe_images(repositoryName=repo)["imageDetails"]
    assert [(d["imageDigest"], d["imageTags"]) for d in details] == [(pushed.digest, ["v1", "latest"])]


def test_untagged_push_of_an_existing_manifest_changes_nothing(ecr_client, repo):
    pushed = push_image(ecr_client, repo, tag="v1")
    image = put_manifest(ecr_client, repo, pushed.manifest)["image"]
    assert image["imageId"] == {"imageDigest": pushed.digest}
    assert ecr_client.list_images(repositoryName=repo)["imageIds"] == [{"imageDigest": pushed.digest, "imageTag": "v1"}]
    untagged = push_image(ecr_client, repo, layers=[b"solo"])
    put_manifest(ecr_client, repo, untagged.manifest)
    assert len(ecr_client.describe_images(repositoryName=repo)["imageDetails"]) == 2


def test_tag_moves_to_a_new_manifest(ecr_client, repo):
    old = push_image(ecr_client, repo, tag="latest", layers=[b"old"])
    put_manifest(ecr_client, repo, old.manifest, tag="v1")
    new = push_image(ecr_client, repo, tag="latest", layers=[b"new"])
    described = ecr_client.describe_images(repositoryName=repo)["imageDetails"]
    details = {d["imageDigest"]: d.get("imageTags") for d in described}
    assert details == {old.digest: ["v1"], new.digest: ["latest"]}
    newest = push_image(ecr_client, repo, tag="v1", layers=[b"newest"])
    untagged = ecr_client.list_images(repositoryName=repo, filter={"tagStatus": "UNTAGGED"})["imageIds"]
    assert untagged == [{"imageDigest": old.digest}]  # the old image stays, untagged
    got = ecr_client.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])["images"][0]
    assert got["imageId"] == {"imageDigest": newest.digest, "imageTag": "v1"}


def _immutable_refusal(tag: str) -> tuple[str, str]:
    return (
        "ImageTagAlreadyExistsException",
        f"The image tag '{tag}' already exists in the '{REPO}' repository and cannot be overwritten because the "
        "tag is immutable.",
    )


def test_immutable_repository_refuses_moving_a_tag(ecr_client):
    ecr_client.create_repository(repositoryName=REPO, imageTagMutability="IMMUTABLE")
    first = push_image(ecr_client, REPO, tag="v1", layers=[b"one"])
    second = push_image(ecr_client, REPO, layers=[b"two"])
    with pytest.raises(ClientError) as info:
        put_manifest(ecr_client, REPO, second.manifest, tag="v1")
    assert _error(info) == _immutable_refusal("v1")
    with pytest.raises(ClientError) as info:  # the same image and tag: ImageAlreadyExists wins
        put_manifest(ecr_client, REPO, first.manifest, tag="v1")
    assert _error(info)[0] == "ImageAlreadyExistsException"
    put_manifest(ecr_client, REPO, first.manifest, tag="v1.0")  # new tags are fine
    put_manifest(ecr_client, REPO, second.manifest, tag="v2")
    tags = {d["imageDigest"]: d["imageTags"] for d in ecr_client.describe_images(repositoryName=REPO)["imageDetails"]}
    assert tags == {first.digest: ["v1", "v1.0"], second.digest: ["v2"]}


@pytest.mark.parametrize(
    "mode, movable, fixed",
    [("IMMUTABLE_WITH_EXCLUSION", "dev-1", "release-1"), ("MUTABLE_WITH_EXCLUSION", "release-1", "dev-1")],
)
def test_mutability_exclusions(ecr_client, mode, movable, fixed):
    ecr_client.create_repository(
        repositoryName=REPO,
        imageTagMutability=mode,
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "dev-*"}],
    )
    first = push_image(ecr_client, REPO, layers=[b"one"])
    second = push_image(ecr_client, REPO, layers=[b"two"])
    for tag in (movable, fixed):
        put_manifest(ecr_client, REPO, first.manifest, tag=tag)
    put_manifest(ecr_client, REPO, second.manifest, tag=movable)
    with pytest.raises(ClientError) as info:
        put_manifest(ecr_client, REPO, second.manifest, tag=fixed)
    assert _error(info) == _immutable_refusal(fixed)


def test_images_per_repository_quota(ecr_mock, ecr_client, repo):
    ecr_mock.backend.quotas.update({"images_per_repository": 2})
    _seed_blobs(ecr_client)
    put_manifest(ecr_client, repo, _variant(1), tag="a")
    put_manifest(ecr_client, repo, _variant(2))
    with pytest.raises(ClientError) as info:
        put_manifest(ecr_client, repo, _variant(3), tag="c")
    assert _error(info) == (
        "LimitExceededException",
        f"The repository with name '{repo}' in registry with id '{ACCOUNT}' already has the maximum allowed "
        "number of images which is '2'",
    )
    put_manifest(ecr_client, repo, _variant(2), tag="b")  # tagging an existing image is no new image


def test_unknown_repository(ecr_client):
    for call in (
        lambda: put_manifest(ecr_client, "nope", _variant(1)),
        lambda: ecr_client.batch_get_image(repositoryName="nope", imageIds=[{"imageTag": "x"}]),
        lambda: ecr_client.batch_delete_image(repositoryName="nope", imageIds=[{"imageTag": "x"}]),
        lambda: ecr_client.list_images(repositoryName="nope"),
        lambda: ecr_client.describe_images(repositoryName="nope"),
    ):
        with pytest.raises(ClientError) as info:
            call()
        assert _error(info) == (
            "RepositoryNotFoundException",
            f"The repository with name 'nope' does not exist in the registry with id '{ACCOUNT}'",
        )


# -- BatchGetImage ------------------------------------------------------------------------


def test_batch_get_image_and_failures(ecr_client, repo, raw_bodies):
    one = push_image(ecr_client, repo, tag="v1", layers=[b"one"])
    two = push_image(ecr_client, repo, tag="v2", layers=[b"two"])
    result = ecr_client.batch_get_image(
        repositoryName=repo,
        imageIds=[
            {"imageTag": "v1"},
            {"imageDigest": two.digest},
            {"imageDigest": one.digest, "imageTag": "v1"},
            {"imageTag": "v1"},  # an exact repeat is answered once
            {"imageTag": "missing"},
            {"imageDigest": two.digest, "imageTag": "v1"},
            {"imageDigest": "sha256:" + "a" * 64, "imageTag": "v1"},
            {},
            {"imageDigest": "invalid_digest"},
        ],
    )
    assert [(i["imageId"], i["imageManifest"]) for i in result["images"]] == [
        ({"imageDigest": one.digest, "imageTag": "v1"}, one.manifest),
        ({"imageDigest": two.digest}, two.manifest),
        ({"imageDigest": one.digest, "imageTag": "v1"}, one.manifest),
    ]
    assert all(i["registryId"] == ACCOUNT and i["repositoryName"] == repo for i in result["images"])
    assert result["failures"] == [
        {"imageId": {"imageTag": "missing"}, **NOT_FOUND},
        {
            "imageId": {"imageDigest": two.digest, "imageTag": "v1"},
            "failureCode": "ImageTagDoesNotMatchDigest",
            "failureReason": "Invalid request parameters: given tag does not map to the given digest",
        },
        {
            "imageId": {"imageDigest": "sha256:" + "a" * 64, "imageTag": "v1"},
            "failureCode": "ImageNotFound",
            "failureReason": "Requested image not found",
        },
        {
            "imageId": {},
            "failureCode": "MissingDigestAndTag",
            "failureReason": "Invalid request parameters: both tag and digest cannot be null",
        },
        {
            "imageId": {"imageDigest": "invalid_digest"},
            "failureCode": "InvalidImageDigest",
            "failureReason": "Invalid request parameters: image digest should satisfy the regex "
            "'[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
        },
    ]
    for operation, body in raw_bodies:
        check_output(operation, body)


def test_accepted_media_types(ecr_client, repo):
    docker = push_image(ecr_client, repo, tag="docker", layers=[b"d"])
    oci = push_image(ecr_client, repo, tag="oci", layers=[b"o"], media_type=OCI_MANIFEST)
    result = ecr_client.batch_get_image(
        repositoryName=repo,
        imageIds=[{"imageTag": "docker"}, {"imageTag": "oci"}],
        acceptedMediaTypes=[OCI_MANIFEST, OCI_INDEX],
    )
    assert [i["imageId"]["imageDigest"] for i in result["images"]] == [oci.digest]
    assert result["failures"] == [{"imageId": {"imageTag": "docker"}, **NOT_FOUND}]
    both = ecr_client.batch_get_image(
        repositoryName=repo,
        imageIds=[{"imageDigest": docker.digest}],
        acceptedMediaTypes=[DOCKER_MANIFEST, OCI_MANIFEST],
    )
    assert both["images"][0]["imageManifestMediaType"] == DOCKER_MANIFEST


def test_pulls_record_last_recorded_pull_time(ecr_client, repo):
    with freeze_time("2024-05-01 10:00:00"):
        push_image(ecr_client, repo, tag="v1")
    detail = ecr_client.describe_images(repositoryName=repo)["imageDetails"][0]
    assert "lastRecordedPullTime" not in detail
    with freeze_time("2024-05-03 08:30:00"):
        ecr_client.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])
    detail = ecr_client.describe_images(repositoryName=repo)["imageDetails"][0]
    assert detail["lastRecordedPullTime"] == dt.datetime(2024, 5, 3, 8, 30, tzinfo=dt.timezone.utc)
    assert detail["imagePushedAt"] == dt.datetime(2024, 5, 1, 10, tzinfo=dt.timezone.utc)


def test_image_records_expose_what_lifecycle_rules_read(ecr_mock, ecr_client, repo):
    with freeze_time("2024-05-01 10:00:00"):
        pushed = push_image(ecr_client, repo, tag="v1")
        put_manifest(ecr_client, repo, pushed.manifest, tag="v2")
    [image] = list(_repository(ecr_mock).images)
    assert image.digest == pushed.digest and image.tags == ("v1", "v2") and image.last_pulled_at is None
    assert image.pushed_at == dt.datetime(2024, 5, 1, 10, tzinfo=dt.timezone.utc)


# -- BatchDeleteImage ---------------------------------------------------------------------


def test_delete_by_tag_and_by_digest(ecr_mock, ecr_client, repo, raw_bodies):
    one = push_image(ecr_client, repo, tag="v1", layers=[b"shared", b"one"])
    put_manifest(ecr_client, repo, one.manifest, tag="latest")
    two = push_image(ecr_client, repo, tag="v2", layers=[b"shared", b"two"])
    put_manifest(ecr_client, repo, two.manifest, tag="stable")
    references = _repository(ecr_mock).blob_refs
    assert references[digest_of(b"shared")] == 2 and references[digest_of(CONFIG)] == 2

    result = ecr_client.batch_delete_image(repositoryName=repo, imageIds=[{"imageTag": "latest"}])
    assert result == {**result, "imageIds": [{"imageDigest": one.digest, "imageTag": "latest"}], "failures": []}
    result = ecr_client.batch_delete_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])
    assert result["imageIds"] == [{"imageDigest": one.digest, "imageTag": "v1"}]  # its last tag: image gone
    assert references[digest_of(b"one")] == 0 and references[digest_of(b"shared")] == 1

    result = ecr_client.batch_delete_image(
        repositoryName=repo,
        imageIds=[{"imageDigest": two.digest}, {"imageTag": "v1"}, {}, {"imageDigest": "bad"}],
    )
    assert result["imageIds"] == [
        {"imageDigest": two.digest, "imageTag": "v2"},
        {"imageDigest": two.digest, "imageTag": "stable"},
    ]
    codes = [f["failureCode"] for f in result["failures"]]
    assert codes == ["ImageNotFound", "MissingDigestAndTag", "InvalidImageDigest"]
    assert result["failures"][0] == {"imageId": {"imageTag": "v1"}, **NOT_FOUND}
    assert ecr_client.list_images(repositoryName=repo)["imageIds"] == []
    assert sum(references.values()) == 0
    for operation, body in raw_bodies:
        check_output(operation, body)


def test_delete_untagged_image_and_tag_digest_mismatch(ecr_client, repo):
    pushed = push_image(ecr_client, repo, layers=[b"u"])
    other = push_image(ecr_client, repo, tag="t", layers=[b"t"])
    result = ecr_client.batch_delete_image(
        repositoryName=repo, imageIds=[{"imageDigest": pushed.digest, "imageTag": "t"}, {"imageDigest": pushed.digest}]
    )
    assert result["imageIds"] == [{"imageDigest": pushed.digest}]
    assert result["failures"] == [
        {
            "imageId": {"imageDigest": pushed.digest, "imageTag": "t"},
            "failureCode": "ImageTagDoesNotMatchDigest",
            "failureReason": "Invalid request parameters: given tag does not map to the given digest",
        }
    ]
    assert ecr_client.list_images(repositoryName=repo)["imageIds"] == [{"imageDigest": other.digest, "imageTag": "t"}]


def test_images_referenced_by_an_index_cannot_be_deleted(ecr_client, repo):
    child = push_image(ecr_client, repo, layers=[b"c"], media_type=OCI_MANIFEST)
    index_text = index_manifest([(child.manifest, OCI_MANIFEST)])
    index_digest = put_manifest(ecr_client, repo, index_text, tag="multi")["image"]["imageId"]["imageDigest"]
    result = ecr_client.batch_delete_image(repositoryName=repo, imageIds=[{"imageDigest": child.digest}])
    assert result["imageIds"] == []
    assert result["failures"] == [
        {
            "imageId": {"imageDigest": child.digest},
            "failureCode": "ImageReferencedByManifestList",
            "failureReason": f"Requested image referenced by manifest list: [{index_digest}]",
        }
    ]
    # the index first, then its child: both go
    result = ecr_client.batch_delete_image(
        repositoryName=repo, imageIds=[{"imageTag": "multi"}, {"imageDigest": child.digest}]
    )
    assert result["imageIds"] == [{"imageDigest": index_digest, "imageTag": "multi"}, {"imageDigest": child.digest}]
    assert result["failures"] == []


def test_force_delete_repository_drops_its_images(ecr_client, repo):
    push_image(ecr_client, repo, tag="v1")
    with pytest.raises(ClientError) as info:
        ecr_client.delete_repository(repositoryName=repo)
    assert _error(info)[0] == "RepositoryNotEmptyException"
    ecr_client.delete_repository(repositoryName=repo, force=True)
    ecr_client.create_repository(repositoryName=repo)
    assert ecr_client.describe_images(repositoryName=repo)["imageDetails"] == []


# -- ListImages / DescribeImages ----------------------------------------------------------


def test_list_images_has_one_entry_per_tag_and_per_untagged_image(ecr_client, repo, raw_bodies):
    _seed_blobs(ecr_client)
    a = put_manifest(ecr_client, repo, _variant(1), tag="a1")["image"]["imageId"]["imageDigest"]
    put_manifest(ecr_client, repo, _variant(1), tag="a2")
    b = put_manifest(ecr_client, repo, _variant(2))["image"]["imageId"]["imageDigest"]
    c = put_manifest(ecr_client, repo, _variant(3), tag="c1")["image"]["imageId"]["imageDigest"]
    every = ecr_client.list_images(repositoryName=repo)["imageIds"]
    assert every == [
        {"imageDigest": a, "imageTag": "a1"},
        {"imageDigest": a, "imageTag": "a2"},
        {"imageDigest": b},
        {"imageDigest": c, "imageTag": "c1"},
    ]
    tagged = ecr_client.list_images(repositoryName=repo, filter={"tagStatus": "TAGGED"})["imageIds"]
    assert tagged == [every[0], every[1], every[3]]
    assert ecr_client.list_images(repositoryName=repo, filter={"tagStatus": "UNTAGGED"})["imageIds"] == [every[2]]
    page = ecr_client.list_images(repositoryName=repo, maxResults=3)  # maxResults counts entries
    assert page["imageIds"] == every[:3]
    rest = ecr_client.list_images(repositoryName=repo, maxResults=3, nextToken=page["nextToken"])
    assert rest["imageIds"] == every[3:] and "nextToken" not in rest
    assert ecr_client.list_images(repositoryName=repo, filter={"imageStatus": "ARCHIVED"})["imageIds"] == []
    for operation, body in raw_bodies:
        check_output(operation, body)


def test_describe_images_filters_and_pages(ecr_client, repo):
    _seed_blobs(ecr_client)
    digests = []
    for number in range(105):
        tag = {"imageTag": f"t{number}"} if number % 2 else {}
        digests.append(
            put_manifest(ecr_client, repo, _variant(number), **{"tag": tag.get("imageTag")})["image"]["imageId"][
                "imageDigest"
            ]
        )
    first = ecr_client.describe_images(repositoryName=repo)
    assert [d["imageDigest"] for d in first["imageDetails"]] == digests[:100]  # default page: 100
    second = ecr_client.describe_images(repositoryName=repo, nextToken=first["nextToken"])
    assert [d["imageDigest"] for d in second["imageDetails"]] == digests[100:] and "nextToken" not in second
    untagged = ecr_client.get_paginator("describe_images").paginate(
        repositoryName=repo, filter={"tagStatus": "UNTAGGED"}, PaginationConfig={"PageSize": 7}
    )
    seen = [d["imageDigest"] for page in untagged for d in page["imageDetails"]]
    assert seen == digests[0::2]
    tagged = ecr_client.describe_images(repositoryName=repo, filter={"tagStatus": "TAGGED"}, maxResults=1000)
    assert [d["imageTags"] for d in tagged["imageDetails"]] == [[f"t{n}"] for n in range(1, 105, 2)]


def test_describe_images_by_id(ecr_client, repo):
    pushed = push_image(ecr_client, repo, tag="v1")
    put_manifest(ecr_client, repo, pushed.manifest, tag="v2")
    details = ecr_client.describe_images(
        repositoryName=repo, imageIds=[{"imageTag": "v1"}, {"imageDigest": pushed.digest}, {"imageTag": "v2"}]
    )["imageDetails"]
    assert [d["imageDigest"] for d in details] == [pushed.digest]  # one detail per image
    cases = [
        ({"imageTag": "nope"}, _not_found(tag="nope")),
        ({"imageDigest": "sha256:" + "b" * 64}, _not_found(digest="sha256:" + "b" * 64)),
        ({"imageDigest": "sha256:" + "b" * 64, "imageTag": "v1"}, _not_found(digest="sha256:" + "b" * 64, tag="v1")),
    ]
    for image_id, message in cases:
        with pytest.raises(ClientError) as info:
            ecr_client.describe_images(repositoryName=repo, imageIds=[{"imageTag": "v1"}, image_id])
        assert _error(info) == ("ImageNotFoundException", message)


def test_describe_images_ids_exclude_paging(ecr_client, repo):
    push_image(ecr_client, repo, tag="v1")
    with pytest.raises(ClientError) as info:
        ecr_client.describe_images(repositoryName=repo, imageIds=[{"imageTag": "v1"}], maxResults=5)
    assert _error(info) == (
        "InvalidParameterException",
        "Invalid parameter at 'imageIds' failed to satisfy constraint: "
        "'cannot be specified together with maxResults or nextToken'",
    )


def test_bad_next_token(ecr_client, repo):
    page = ecr_client.list_images(repositoryName=repo, maxResults=1)
    assert "nextToken" not in page
    for call in (ecr_client.list_images, ecr_client.describe_images):
        with pytest.raises(ClientError) as info:
            call(repositoryName=repo, nextToken="garbage")
        assert _error(info) == (
            "InvalidParameterException",
            "Invalid parameter at 'NextToken' failed to satisfy constraint: 'Invalid next token provided'",
        )


def test_paging_is_stable_while_images_are_pushed_between_pages(ecr_client, repo):
    """Pushes and tag moves land between every two pages of both walks (deterministically)."""
    _seed_blobs(ecr_client)
    before = {
        put_manifest(ecr_client, repo, _variant(n), tag=f"old{n}")["image"]["imageId"]["imageDigest"] for n in range(60)
    }
    pusher_client = boto3.client("ecr", region_name="us-east-1")
    pushed_during: list[str] = []

    def push_after_each_page(**_) -> None:
        for _step in range(3):
            number = 1000 + len(pushed_during)
            # new images, and old tags moved onto them
            tag = f"old{number % 60}" if number % 3 == 0 else f"new{number}"
            image = put_manifest(pusher_client, repo, _variant(number), tag=tag)["image"]
            pushed_during.append(image["imageId"]["imageDigest"])

    ecr_client.meta.events.register("after-call.ecr.DescribeImages", push_after_each_page)
    ecr_client.meta.events.register("after-call.ecr.ListImages", push_after_each_page)
    walked = [
        d["imageDigest"]
        for page in ecr_client.get_paginator("describe_images").paginate(
            repositoryName=repo, PaginationConfig={"PageSize": 7}
        )
        for d in page["imageDetails"]
    ]
    entries = [
        (i["imageDigest"], i.get("imageTag"))
        for page in ecr_client.get_paginator("list_images").paginate(
            repositoryName=repo, PaginationConfig={"PageSize": 5}
        )
        for i in page["imageIds"]
    ]
    assert len(pushed_during) >= 3 * (60 // 7)
    assert len(walked) == len(set(walked)) and before <= set(walked)
    assert len(entries) == len(set(entries))
    assert {digest for digest, _ in entries} >= before  # every image listed at least once (tagged or not)


class _CountingList(list):
    """A list that counts element reads (bisect reads through ``__getitem__`` too)."""

    reads = 0

    def __getitem__(self, item):
        if isinstance(item, slice):
            result = super().__getitem__(item)
            _CountingList.reads += len(result)
            return result
        _CountingList.reads += 1
        return super().__getitem__(item)


@pytest.mark.parametrize("walk", ["describe_images", "list_images"])
def test_page_cost_does_not_grow_with_repository_size(ecr_mock, ecr_client, walk):
    """Reads of the paging order per page: a binary search plus the page, at 1k or 50k images."""
    costs = {}
    for size in (1_000, 50_000):
        name = f"big{size}"
        ecr_client.create_repository(repositoryName=name)
        _seed_blobs(ecr_client, name)
        put_manifest(ecr_client, name, _variant(0), tag="real")
        repository = _repository(ecr_mock, name)
        index = repository.images
        template = index.get(digest_of(_variant(0).encode()))
        for number in range(1, size):  # synthetic records straight into the index
            image = index.add(
                f"sha256:{number:064x}", template.manifest_text, template.manifest, template.pushed_at, template.size
            )
            if number % 2:
                index.tag(image, f"t{number}")
        for keys in (*index._image_keys.values(), *index._entry_keys.values()):
            keys.keys = _CountingList(keys.keys)
        call = getattr(ecr_client, walk)
        # resume in the middle of a walk, as a token returned there would
        keys = index.image_keys() if walk == "describe_images" else index.entry_keys()
        token = pagination.encode_token(
            "DescribeImages" if walk == "describe_images" else "ListImages", keys[len(keys) // 2]
        )
        _CountingList.reads = 0
        page = call(repositoryName=name, maxResults=10, nextToken=token, filter={"tagStatus": "TAGGED"})
        assert len(page["imageDetails" if walk == "describe_images" else "imageIds"]) == 10
        costs[size] = _CountingList.reads
    for size, reads in costs.items():
        assert reads <= 10 + 2 * math.ceil(math.log2(size)) + 4, costs
    assert costs[50_000] - costs[1_000] <= 2 * math.ceil(math.log2(50)), costs


def test_every_response_fits_the_output_shapes(ecr_client, repo, raw_bodies):
    child = push_image(ecr_client, repo, layers=[b"c"], media_type=OCI_MANIFEST)
    put_manifest(ecr_client, repo, index_manifest([(child.manifest, OCI_MANIFEST)]), tag="i")
    ecr_client.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "i"}, {"imageTag": "x"}])
    ecr_client.describe_images(repositoryName=repo)
    ecr_client.describe_images(repositoryName=repo, imageIds=[{"imageTag": "i"}])
    ecr_client.list_images(repositoryName=repo, maxResults=1)
    ecr_client.batch_delete_image(repositoryName=repo, imageIds=[{"imageTag": "i"}, {"imageTag": "x"}])
    operations = {operation for operation, _ in raw_bodies}
    assert {"PutImage", "BatchGetImage", "DescribeImages", "ListImages", "BatchDeleteImage"} <= operations
    for operation, body in raw_bodies:
        check_output(operation, body)
