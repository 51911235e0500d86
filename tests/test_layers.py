"""Layer uploads, BatchCheckLayerAvailability, GetDownloadUrlForLayer and serving download URLs."""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import uuid
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
import responses
from botocore.exceptions import ClientError
from freezegun import freeze_time
from requests.adapters import HTTPAdapter

from mock_ecr import mock_ecr
from mock_ecr.domain.blobs.blob import Blob

from .shape_check import check_output

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "111111111111"
MiB = 1024 * 1024
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
URL_SHAPE = re.compile(
    r"https://prod-us-east-1-starport-layer-bucket\.s3\.us-east-1\.amazonaws\.com"
    rf"/[0-9a-f]{{4}}-{ACCOUNT}-[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}"
    r"/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    r"\?X-Amz-Security-Token=[^&]+&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=(\d{8})T\d{6}Z"
    r"&X-Amz-SignedHeaders=host&X-Amz-Expires=3600"
    r"&X-Amz-Credential=ASIA[A-Z0-9]{16}%2F(\d{8})%2Fus-east-1%2Fs3%2Faws4_request"
    r"&X-Amz-Signature=[0-9a-f]{64}"
)


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _error(info: pytest.ExceptionInfo) -> tuple[str, str]:
    error = info.value.response["Error"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return error["Code"], error["Message"]


def upload_parts_to(client, repo: str, upload_id: str, parts: list[bytes], **kwargs) -> None:
    first = 0
    for part in parts:
        client.upload_layer_part(
            repositoryName=repo,
            uploadId=upload_id,
            partFirstByte=first,
            partLastByte=first + len(part) - 1,
            layerPartBlob=part,
            **kwargs,
        )
        first += len(part)


def upload_parts(client, repo: str, parts: list[bytes], **kwargs) -> str:
    """Initiate an upload and send ``parts`` in order; returns the upload id."""
    upload_id = client.initiate_layer_upload(repositoryName=repo, **kwargs)["uploadId"]
    upload_parts_to(client, repo, upload_id, parts, **kwargs)
    return upload_id


def push_blob(client, repo: str, data: bytes, part_size: int = 5 * MiB, **kwargs) -> str:
    parts = [data[i : i + part_size] for i in range(0, len(data), part_size)]
    upload_id = upload_parts(client, repo, parts, **kwargs)
    return client.complete_layer_upload(repositoryName=repo, uploadId=upload_id, layerDigests=[sha256(data)], **kwargs)[
        "layerDigest"
    ]


def push_image(client, repo: str, layers: list[bytes], tag: str = "v1", oci: bool = False) -> list[str]:
    """Upload a config and ``layers`` and put a manifest referencing them; returns the layer digests."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "tag": tag}).encode()
    push_blob(client, repo, config)
    digests = [push_blob(client, repo, layer) for layer in layers]
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST if oci else DOCKER_MANIFEST,
        "config": {"mediaType": OCI_CONFIG if oci else DOCKER_CONFIG, "size": len(config), "digest": sha256(config)},
        "layers": [
            {"mediaType": OCI_LAYER if oci else DOCKER_LAYER, "size": len(layer), "digest": digest}
            for layer, digest in zip(layers, digests, strict=True)
        ],
    }
    client.put_image(repositoryName=repo, imageManifest=json.dumps(manifest), imageTag=tag)
    return digests


@pytest.fixture
def repo(ecr_client) -> str:
    ecr_client.create_repository(repositoryName="app")
    return "app"


def _store(ecr_mock, account: str = ACCOUNT, region: str = "us-east-1"):
    return ecr_mock.backend.store(account, region)


# -- InitiateLayerUpload ------------------------------------------------------------------


def test_initiate_answers_a_lowercase_uuid4_and_ecrs_part_size(ecr_client, repo, raw_bodies):
    answer = ecr_client.initiate_layer_upload(repositoryName=repo)
    upload_id = answer["uploadId"]
    assert str(uuid.UUID(upload_id)) == upload_id and uuid.UUID(upload_id).version == 4
    assert answer["partSize"] == 10485760
    assert ecr_client.initiate_layer_upload(repositoryName=repo)["uploadId"] != upload_id
    check_output("InitiateLayerUpload", raw_bodies[-1][1])


def test_initiate_in_a_missing_repository(ecr_client):
    with pytest.raises(ClientError) as info:
        ecr_client.initiate_layer_upload(repositoryName="missing")
    assert _error(info) == (
        "RepositoryNotFoundException",
        f"The repository with name 'missing' does not exist in the registry with id '{ACCOUNT}'",
    )


# -- UploadLayerPart ----------------------------------------------------------------------


def test_parts_report_the_last_byte_received(ecr_client, repo, raw_bodies):
    upload_id = ecr_client.initiate_layer_upload(repositoryName=repo)["uploadId"]
    first = ecr_client.upload_layer_part(
        repositoryName=repo, uploadId=upload_id, partFirstByte=0, partLastByte=4, layerPartBlob=b"12345"
    )
    check_output("UploadLayerPart", raw_bodies[-1][1])
    second = ecr_client.upload_layer_part(
        repositoryName=repo, uploadId=upload_id, partFirstByte=5, partLastByte=7, layerPartBlob=b"678"
    )
    del first["ResponseMetadata"], second["ResponseMetadata"]
    assert first == {"registryId": ACCOUNT, "repositoryName": repo, "uploadId": upload_id, "lastByteReceived": 4}
    assert second == {"registryId": ACCOUNT, "repositoryName": repo, "uploadId": upload_id, "lastByteReceived": 7}


def _part_error(client, repo, upload_id, first, last, blob) -> tuple[str, str, dict]:
    with pytest.raises(ClientError) as info:
        client.upload_layer_part(
            repositoryName=repo, uploadId=upload_id, partFirstByte=first, partLastByte=last, layerPartBlob=blob
        )
    members = {k: info.value.response[k] for k in ("registryId", "repositoryName", "uploadId", "lastValidByteReceived")}
    return (*_error(info), members)


def test_a_part_must_start_at_the_bytes_received_so_far(ecr_client, repo, raw_bodies):
    upload_id = ecr_client.initiate_layer_upload(repositoryName=repo)["uploadId"]
    members = {"registryId": ACCOUNT, "repositoryName": repo, "uploadId": upload_id}
    assert _part_error(ecr_client, repo, upload_id, 1, 1, b"a") == (
        "InvalidLayerPartException",
        "First byte of the layer part is 1 instead of 0",
        {**members, "lastValidByteReceived": 0},
    )
    body = json.loads(raw_bodies[-1][1])
    assert body == {
        "__type": "InvalidLayerPartException",
        "message": "First byte of the layer part is 1 instead of 0",
        **members,
        "lastValidByteReceived": 0,
    }
    ecr_client.upload_layer_part(
        repositoryName=repo, uploadId=upload_id, partFirstByte=0, partLastByte=4, layerPartBlob=b"12345"
    )
    # a resent part (a retry after a lost answer) and a gap are refused alike
    for first in (0, 3, 6):
        assert _part_error(ecr_client, repo, upload_id, first, first + 2, b"abc") == (
            "InvalidLayerPartException",
            f"First byte of the layer part is {first} instead of 5",
            {**members, "lastValidByteReceived": 4},
        )


def test_the_last_byte_must_match_the_parts_length(ecr_client, repo):
    upload_id = ecr_client.initiate_layer_upload(repositoryName=repo)["uploadId"]
    for last in (2, 4, 0):
        code, message, members = _part_error(ecr_client, repo, upload_id, 0, last, b"abcd")
        assert (code, message) == ("InvalidLayerPartException", f"Last byte of the layer part is {last} instead of 3")
        assert members["lastValidByteReceived"] == 0
    code, message, _ = _part_error(ecr_client, repo, upload_id, 0, 0, b"")
    assert (code, message) == ("InvalidLayerPartException", "The layer part must contain at least one byte")


def test_a_refused_part_changes_nothing(ecr_client, repo):
    head = b"a" * (5 * MiB)
    upload_id = upload_parts(ecr_client, repo, [head])
    _part_error(ecr_client, repo, upload_id, 5 * MiB, 5 * MiB + 9, b"def")
    _part_error(ecr_client, repo, upload_id, 0, 2, b"def")
    ecr_client.upload_layer_part(
        repositoryName=repo, uploadId=upload_id, partFirstByte=5 * MiB, partLastByte=5 * MiB + 2, layerPartBlob=b"def"
    )
    done = _complete(ecr_client, repo, upload_id, [sha256(head + b"def")])
    assert done["layerDigest"] == sha256(head + b"def")


def test_too_many_parts(ecr_mock, ecr_client, repo):
    ecr_mock.quotas.update({"layer_parts_per_upload": 3})
    upload_id = upload_parts(ecr_client, repo, [b"a", b"b", b"c"])
    with pytest.raises(ClientError) as info:
        ecr_client.upload_layer_part(
            repositoryName=repo, uploadId=upload_id, partFirstByte=3, partLastByte=3, layerPartBlob=b"d"
        )
    assert _error(info) == (
        "LimitExceededException",
        "The operation did not succeed because it would cause a service limit to be exceeded. Layer parts: 3",
    )


def _not_found(upload_id: str, repo: str = "app", account: str = ACCOUNT) -> tuple[str, str]:
    return (
        "UploadNotFoundException",
        f"The upload with id '{upload_id}' does not exist in the repository with name '{repo}' "
        f"in registry with id '{account}'",
    )


def _complete(client, repo, upload_id, digests, **kwargs):
    return client.complete_layer_upload(repositoryName=repo, uploadId=upload_id, layerDigests=digests, **kwargs)


def test_unknown_upload_ids(ecr_client, repo):
    unknown = str(uuid.uuid4())
    with pytest.raises(ClientError) as info:
        ecr_client.upload_layer_part(
            repositoryName=repo, uploadId=unknown, partFirstByte=0, partLastByte=0, layerPartBlob=b"a"
        )
    assert _error(info) == _not_found(unknown)
    with pytest.raises(ClientError) as info:
        _complete(ecr_client, repo, unknown, [sha256(b"a")])
    assert _error(info) == _not_found(unknown)


def test_a_completed_upload_is_gone(ecr_client, repo):
    upload_id = upload_parts(ecr_client, repo, [b"abc"])
    _complete(ecr_client, repo, upload_id, [sha256(b"abc")])
    with pytest.raises(ClientError) as info:
        _complete(ecr_client, repo, upload_id, [sha256(b"abc")])
    assert _error(info) == _not_found(upload_id)
    with pytest.raises(ClientError) as info:
        ecr_client.upload_layer_part(
            repositoryName=repo, uploadId=upload_id, partFirstByte=3, partLastByte=3, layerPartBlob=b"d"
        )
    assert _error(info) == _not_found(upload_id)


def test_an_upload_belongs_to_its_repository(ecr_client, repo):
    ecr_client.create_repository(repositoryName="other")
    upload_id = upload_parts(ecr_client, repo, [b"abc"])
    with pytest.raises(ClientError) as info:
        ecr_client.upload_layer_part(
            repositoryName="other", uploadId=upload_id, partFirstByte=3, partLastByte=3, layerPartBlob=b"d"
        )
    assert _error(info) == _not_found(upload_id, "other")
    with pytest.raises(ClientError) as info:
        _complete(ecr_client, "other", upload_id, [sha256(b"abc")])
    assert _error(info) == _not_found(upload_id, "other")
    assert _complete(ecr_client, repo, upload_id, [sha256(b"abc")])["layerDigest"] == sha256(b"abc")


def test_uploads_are_isolated_across_accounts_and_regions(ecr_client, repo):
    west = boto3.client("ecr", region_name="us-west-2")
    west.create_repository(repositoryName=repo)
    ecr_client.create_repository(repositoryName=repo, registryId=OTHER_ACCOUNT)
    upload_id = upload_parts(ecr_client, repo, [b"abc"])
    with pytest.raises(ClientError) as info:
        _complete(west, repo, upload_id, [sha256(b"abc")])
    assert _error(info) == _not_found(upload_id)
    with pytest.raises(ClientError) as info:
        _complete(ecr_client, repo, upload_id, [sha256(b"abc")], registryId=OTHER_ACCOUNT)
    assert _error(info) == _not_found(upload_id, account=OTHER_ACCOUNT)
    # and the same bytes pushed in each registry are answered by each registry
    other = _complete(
        ecr_client,
        repo,
        upload_parts(ecr_client, repo, [b"abc"], registryId=OTHER_ACCOUNT),
        [sha256(b"abc")],
        registryId=OTHER_ACCOUNT,
    )
    assert other["registryId"] == OTHER_ACCOUNT
    assert _complete(ecr_client, repo, upload_id, [sha256(b"abc")])["registryId"] == ACCOUNT
    failures = west.batch_check_layer_availability(repositoryName=repo, layerDigests=[sha256(b"abc")])["failures"]
    assert failures == [
        {
            "layerDigest": sha256(b"abc"),
            "failureCode": "MissingLayerDigest",
            "failureReason": "Requested layer not found",
        },
    ]


# -- CompleteLayerUpload ------------------------------------------------------------------


def test_complete_answers_the_calculated_digest(ecr_client, repo, raw_bodies):
    upload_id = upload_parts(ecr_client, repo, [b"layer bytes"])
    done = _complete(ecr_client, repo, upload_id, [sha256(b"layer bytes")])
    check_output("CompleteLayerUpload", raw_bodies[-1][1])
    del done["ResponseMetadata"]
    assert done == {
        "registryId": ACCOUNT,
        "repositoryName": repo,
        "uploadId": upload_id,
        "layerDigest": sha256(b"layer bytes"),
    }


def test_one_matching_digest_among_several_is_enough(ecr_client, repo):
    upload_id = upload_parts(ecr_client, repo, [b"abc"])
    given = [sha256(b"something else"), "sha512:" + hashlib.sha512(b"abc").hexdigest(), sha256(b"abc")]
    assert _complete(ecr_client, repo, upload_id, given)["layerDigest"] == sha256(b"abc")


def test_an_upload_without_parts_cannot_be_completed(ecr_client, repo):
    upload_id = ecr_client.initiate_layer_upload(repositoryName=repo)["uploadId"]
    with pytest.raises(ClientError) as info:
        _complete(ecr_client, repo, upload_id, [sha256(b"")])
    assert _error(info) == (
        "EmptyUploadException",
        f"The upload with id '{upload_id}' in the repository with name '{repo}' in registry with id '{ACCOUNT}' "
        "cannot be completed because it does not have any parts",
    )
    # the upload is still there to receive its parts
    upload_parts_to(ecr_client, repo, upload_id, [b"late"])
    assert _complete(ecr_client, repo, upload_id, [sha256(b"late")])["layerDigest"] == sha256(b"late")


def test_parts_but_the_last_must_be_at_least_5_mib(ecr_client, repo):
    upload_id = upload_parts(ecr_client, repo, [b"a" * (5 * MiB - 1), b"b"])
    with pytest.raises(ClientError) as info:
        _complete(ecr_client, repo, upload_id, [sha256(b"a" * (5 * MiB - 1) + b"b")])
    assert _error(info) == ("LayerPartTooSmallException", "All layer parts except the last part should be at least 5MB")


def test_a_wrong_digest_is_refused_and_the_upload_kept(ecr_client, repo):
    upload_id = upload_parts(ecr_client, repo, [b"abc"])
    with pytest.raises(ClientError) as info:
        # digests are compared exactly: the right one in upper case does not match
        _complete(ecr_client, repo, upload_id, [sha256(b"abd"), sha256(b"abc").upper().replace("SHA256", "sha256")])
    assert _error(info) == (
        "InvalidLayerException",
        "None of the provided layer digests match the calculated layer digest",
    )
    assert _complete(ecr_client, repo, upload_id, [sha256(b"abc")])["layerDigest"] == sha256(b"abc")


def test_a_layer_already_in_the_repository(ecr_client, repo):
    push_blob(ecr_client, repo, b"abc")
    upload_id = upload_parts(ecr_client, repo, [b"abc"])
    with pytest.raises(ClientError) as info:
        _complete(ecr_client, repo, upload_id, [sha256(b"abc")])
    assert _error(info) == (
        "LayerAlreadyExistsException",
        f"The layer with digest '{sha256(b'abc')}' already exists in the repository with name '{repo}' "
        f"in registry with id '{ACCOUNT}'",
    )


def test_the_order_of_completion_checks(ecr_client, repo):
    push_blob(ecr_client, repo, b"x" * (5 * MiB) + b"y")
    # too small and with a wrong digest: the part sizes are checked first
    upload_id = upload_parts(ecr_client, repo, [b"a", b"b"])
    with pytest.raises(ClientError) as info:
        _complete(ecr_client, repo, upload_id, [sha256(b"zz")])
    assert _error(info)[0] == "LayerPartTooSmallException"
    # already there and with a wrong digest: the digest is checked first
    upload_id = upload_parts(ecr_client, repo, [b"x" * (5 * MiB), b"y"])
    with pytest.raises(ClientError) as info:
        _complete(ecr_client, repo, upload_id, [sha256(b"zz")])
    assert _error(info)[0] == "InvalidLayerException"
    # a missing repository comes before anything about the upload
    with pytest.raises(ClientError) as info:
        _complete(ecr_client, "missing", upload_id, [sha256(b"zz")])
    assert _error(info)[0] == "RepositoryNotFoundException"


def test_a_blob_pushed_to_two_repositories_is_stored_once(ecr_client, ecr_mock, repo):
    ecr_client.create_repository(repositoryName="other")
    data = os.urandom(9 * MiB)  # spooled to disk
    assert push_blob(ecr_client, repo, data) == push_blob(ecr_client, "other", data) == sha256(data)
    stored = _store(ecr_mock).blobs.blobs
    assert list(stored) == [sha256(data)]
    for name in (repo, "other"):
        layers = ecr_client.batch_check_layer_availability(repositoryName=name, layerDigests=[sha256(data)])["layers"]
        assert layers[0]["layerSize"] == len(data)


def test_deleting_a_repository_discards_its_uploads(ecr_client, ecr_mock, repo):
    upload_id = upload_parts(ecr_client, repo, [b"abc"])
    buffer = _store(ecr_mock).uploads[upload_id].buffer
    ecr_client.delete_repository(repositoryName=repo, force=True)
    assert buffer.discarded
    assert _store(ecr_mock).uploads == {}
    ecr_client.create_repository(repositoryName=repo)
    with pytest.raises(ClientError) as info:
        ecr_client.upload_layer_part(
            repositoryName=repo, uploadId=upload_id, partFirstByte=3, partLastByte=3, layerPartBlob=b"d"
        )
    assert _error(info) == _not_found(upload_id)


def test_uploads_in_progress_are_closed_when_the_mock_stops():
    with mock_ecr() as mock:
        client = boto3.client("ecr", region_name="us-east-1")
        client.create_repository(repositoryName="app")
        upload_id = upload_parts(client, "app", [b"abc"])
        buffer = mock.backend.store(ACCOUNT, "us-east-1").uploads[upload_id].buffer
    assert buffer.discarded


def test_concurrent_multipart_uploads_to_one_registry(ecr_mock, ecr_client, repo):
    ecr_mock.quotas.update({"min_layer_part_size": 1000})  # many small parts interleave across threads
    blobs = [f"blob {index} ".encode() * 1000 for index in range(8)]
    digests: dict[int, str] = {}
    errors: list[BaseException] = []

    def push(index: int) -> None:
        try:
            digests[index] = push_blob(ecr_client, repo, blobs[index], part_size=1000)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=push, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert [digests[index] for index in range(8)] == [sha256(blob) for blob in blobs]
    answer = ecr_client.batch_check_layer_availability(repositoryName=repo, layerDigests=list(digests.values()))
    assert len(answer["layers"]) == 8 and answer["failures"] == []


# -- BatchCheckLayerAvailability ------------------------------------------------------------


def test_batch_check_layer_availability(ecr_client, repo, raw_bodies):
    ecr_client.create_repository(repositoryName="other")
    present = push_blob(ecr_client, repo, b"present")
    elsewhere = push_blob(ecr_client, "other", b"elsewhere")
    answer = ecr_client.batch_check_layer_availability(
        repositoryName=repo, layerDigests=[present, "not-a-digest", "", elsewhere, present]
    )
    check_output("BatchCheckLayerAvailability", raw_bodies[-1][1])
    invalid = "Invalid request parameters: layer digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'"
    assert answer["layers"] == [
        {"layerDigest": present, "layerAvailability": "AVAILABLE", "layerSize": 7, "mediaType": DOCKER_LAYER}
    ]
    assert answer["failures"] == [
        {"layerDigest": "not-a-digest", "failureCode": "InvalidLayerDigest", "failureReason": invalid},
        {"layerDigest": "", "failureCode": "InvalidLayerDigest", "failureReason": invalid},
        {"layerDigest": elsewhere, "failureCode": "MissingLayerDigest", "failureReason": "Requested layer not found"},
    ]


def test_batch_check_answers_an_empty_failure_list(ecr_client, repo, raw_bodies):
    digest = push_blob(ecr_client, repo, b"abc")
    ecr_client.batch_check_layer_availability(repositoryName=repo, layerDigests=[digest])
    assert json.loads(raw_bodies[-1][1])["failures"] == []


def test_batch_check_reports_the_media_type_a_manifest_gave(ecr_client, repo):
    config_digest = sha256(json.dumps({"architecture": "amd64", "os": "linux", "tag": "v1"}).encode())
    (layer,) = push_image(ecr_client, repo, [b"oci layer"], oci=True)
    layers = ecr_client.batch_check_layer_availability(repositoryName=repo, layerDigests=[layer, config_digest])
    assert [(entry["layerDigest"], entry["mediaType"]) for entry in layers["layers"]] == [
        (layer, OCI_LAYER),
        (config_digest, OCI_CONFIG),
    ]


def test_batch_check_in_a_missing_repository(ecr_client):
    with pytest.raises(ClientError) as info:
        ecr_client.batch_check_layer_availability(repositoryName="missing", layerDigests=[sha256(b"")])
    assert _error(info)[0] == "RepositoryNotFoundException"


# -- GetDownloadUrlForLayer -----------------------------------------------------------------


def test_a_layer_never_uploaded_to_the_repository(ecr_client, repo):
    ecr_client.create_repository(repositoryName="other")
    elsewhere = push_blob(ecr_client, "other", b"elsewhere")
    for digest in (sha256(b"never"), elsewhere):
        with pytest.raises(ClientError) as info:
            ecr_client.get_download_url_for_layer(repositoryName=repo, layerDigest=digest)
        assert _error(info) == (
            "LayersNotFoundException",
            f"The layer with digest '{digest}' does not exist within the repository with name '{repo}' "
            f"in the registry with id '{ACCOUNT}'",
        )


def _inaccessible(digest: str, repo: str = "app") -> tuple[str, str]:
    return (
        "LayerInaccessibleException",
        f"The layer with digest '{digest}' is not associated with an image in the repository with name '{repo}' "
        f"in the registry with id '{ACCOUNT}'",
    )


def test_a_layer_no_image_references_is_inaccessible(ecr_client, repo):
    digest = push_blob(ecr_client, repo, b"loose")
    with pytest.raises(ClientError) as info:
        ecr_client.get_download_url_for_layer(repositoryName=repo, layerDigest=digest)
    assert _error(info) == _inaccessible(digest)


def test_a_layer_becomes_inaccessible_again_when_its_last_image_goes(ecr_client, repo):
    (layer,) = push_image(ecr_client, repo, [b"layer"])
    ecr_client.get_download_url_for_layer(repositoryName=repo, layerDigest=layer)
    ecr_client.batch_delete_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])
    with pytest.raises(ClientError) as info:
        ecr_client.get_download_url_for_layer(repositoryName=repo, layerDigest=layer)
    assert _error(info) == _inaccessible(layer)


def test_download_url_in_a_missing_repository(ecr_client):
    with pytest.raises(ClientError) as info:
        ecr_client.get_download_url_for_layer(repositoryName="missing", layerDigest=sha256(b""))
    assert _error(info)[0] == "RepositoryNotFoundException"


@freeze_time("2024-06-05 21:05:50")
def test_download_url_shape(ecr_client, repo, raw_bodies):
    (layer,) = push_image(ecr_client, repo, [b"layer"])
    answer = ecr_client.get_download_url_for_layer(repositoryName=repo, layerDigest=layer)
    check_output("GetDownloadUrlForLayer", raw_bodies[-1][1])
    assert answer["layerDigest"] == layer
    url = answer["downloadUrl"]
    match = URL_SHAPE.fullmatch(url)
    assert match, url
    assert match.groups() == ("20240605", "20240605")
    assert "X-Amz-Date=20240605T210550Z" in url
    # the object key is stable; every call signs afresh
    again = ecr_client.get_download_url_for_layer(repositoryName=repo, layerDigest=layer)["downloadUrl"]
    assert urlsplit(again).path == urlsplit(url).path


@pytest.mark.parametrize(
    ("region", "host"),
    [
        ("cn-north-1", "prod-cn-north-1-starport-layer-bucket.s3.cn-north-1.amazonaws.com.cn"),
        ("us-gov-west-1", "prod-us-gov-west-1-starport-layer-bucket.s3.us-gov-west-1.amazonaws.com"),
    ],
)
def test_download_hosts_follow_the_partition(ecr_mock, region, host):
    client = boto3.client("ecr", region_name=region)
    client.create_repository(repositoryName="app")
    (layer,) = push_image(client, "app", [b"layer"])
    url = client.get_download_url_for_layer(repositoryName="app", layerDigest=layer)["downloadUrl"]
    assert urlsplit(url).hostname == host
    assert f"%2F{region}%2Fs3%2Faws4_request" in url
    assert requests.get(url).content == b"layer"


# -- serving download URLs --------------------------------------------------------------------


def _download_url(client, repo: str, digest: str) -> str:
    return client.get_download_url_for_layer(repositoryName=repo, layerDigest=digest)["downloadUrl"]


def test_a_multipart_layer_round_trips_byte_exact(ecr_client, repo):
    data = os.urandom(10 * MiB + 12345)
    upload_id = upload_parts(ecr_client, repo, [data[: 5 * MiB], data[5 * MiB : 10 * MiB], data[10 * MiB :]])
    assert _complete(ecr_client, repo, upload_id, [sha256(data)])["layerDigest"] == sha256(data)
    config = b'{"architecture":"amd64","os":"linux"}'
    push_blob(ecr_client, repo, config)
    manifest = {
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": DOCKER_CONFIG, "size": len(config), "digest": sha256(config)},
        "layers": [{"mediaType": DOCKER_LAYER, "size": len(data), "digest": sha256(data)}],
    }
    ecr_client.put_image(repositoryName=repo, imageManifest=json.dumps(manifest), imageTag="big")
    response = requests.get(_download_url(ecr_client, repo, sha256(data)))
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(len(data))
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.content == data
    # the config blob is downloadable too: images reference it
    assert requests.get(_download_url(ecr_client, repo, sha256(config))).content == config


@pytest.mark.parametrize("tail", [1, 100, 8191])
def test_a_layer_on_disk_with_a_small_last_part_round_trips(ecr_client, repo, tail):
    data = os.urandom(9 * MiB + tail)  # beyond the in-memory threshold, and a last part smaller than a file buffer
    upload_id = upload_parts(ecr_client, repo, [data[: 9 * MiB], data[9 * MiB :]])
    _complete(ecr_client, repo, upload_id, [sha256(data)])
    config = b'{"architecture":"amd64","os":"linux"}'
    push_blob(ecr_client, repo, config)
    manifest = {
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": DOCKER_CONFIG, "size": len(config), "digest": sha256(config)},
        "layers": [{"mediaType": DOCKER_LAYER, "size": len(data), "digest": sha256(data)}],
    }
    ecr_client.put_image(repositoryName=repo, imageManifest=json.dumps(manifest), imageTag="tail")
    assert requests.get(_download_url(ecr_client, repo, sha256(data))).content == data


def test_large_layers_are_streamed(ecr_client, repo, monkeypatch):
    data = os.urandom(3 * MiB + 7)
    (layer,) = push_image(ecr_client, repo, [data])
    pulled: list[int] = []
    chunks = Blob.chunks

    def counted(self, *args, **kwargs):
        for chunk in chunks(self, *args, **kwargs):
            pulled.append(len(chunk))
            yield chunk

    monkeypatch.setattr(Blob, "chunks", counted)
    response = requests.get(_download_url(ecr_client, repo, layer), stream=True)
    received = response.iter_content(chunk_size=MiB)
    first = next(received)
    assert len(pulled) < 4  # read from storage as the response is read, not before
    assert first + b"".join(received) == data
    assert pulled == [MiB, MiB, MiB, 7]


def test_head_answers_the_size_without_a_body(ecr_client, repo):
    (layer,) = push_image(ecr_client, repo, [b"twelve bytes"])
    response = requests.head(_download_url(ecr_client, repo, layer))
    assert response.status_code == 200
    assert response.headers["Content-Length"] == "12"
    assert response.content == b""


def test_plain_http_is_served_too(ecr_client, repo):
    (layer,) = push_image(ecr_client, repo, [b"layer"])
    url = _download_url(ecr_client, repo, layer)
    assert requests.get("http://" + url[len("https://") :]).content == b"layer"


def _s3_error(response: requests.Response) -> dict[str, str]:
    assert response.headers["Content-Type"] == "application/xml"
    assert response.text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<Error>')
    root = ET.fromstring(response.content)
    assert root.tag == "Error"
    fields = {child.tag: child.text or "" for child in root}
    assert re.fullmatch(r"[A-Z0-9]{16}", fields.pop("RequestId")) and fields.pop("HostId")
    return fields


def test_a_url_expires_after_an_hour(ecr_client, repo):
    with freeze_time("2024-06-05 21:05:50") as clock:
        (layer,) = push_image(ecr_client, repo, [b"layer"])
        url = _download_url(ecr_client, repo, layer)
        clock.tick(3600)
        assert requests.get(url).content == b"layer"
        clock.tick(1)
        response = requests.get(url)
    assert response.status_code == 403
    assert _s3_error(response) == {
        "Code": "AccessDenied",
        "Message": "Request has expired",
        "X-Amz-Expires": "3600",
        "Expires": "2024-06-05T22:05:50Z",
        "ServerTime": "2024-06-05T22:05:51Z",
    }
    # the same layer asked for again is served
    assert requests.get(_download_url(ecr_client, repo, layer)).content == b"layer"


def test_a_url_of_a_deleted_repository_answers_no_such_key(ecr_client, repo):
    (layer,) = push_image(ecr_client, repo, [b"layer"])
    url = _download_url(ecr_client, repo, layer)
    ecr_client.delete_repository(repositoryName=repo, force=True)
    ecr_client.create_repository(repositoryName=repo)  # a new repository of the same name is another bucket folder
    response = requests.get(url)
    assert response.status_code == 404
    assert _s3_error(response) == {
        "Code": "NoSuchKey",
        "Message": "The specified key does not exist.",
        "Key": urlsplit(url).path[1:],
    }
    head = requests.head(url)
    assert (head.status_code, head.content) == (404, b"")


def test_a_url_stays_valid_while_another_repository_is_deleted(ecr_client, repo):
    ecr_client.create_repository(repositoryName="other")
    (layer,) = push_image(ecr_client, repo, [b"shared"])
    push_image(ecr_client, "other", [b"shared"])
    url = _download_url(ecr_client, repo, layer)
    ecr_client.delete_repository(repositoryName="other", force=True)
    assert requests.get(url).content == b"shared"


def test_an_edited_url_is_refused(ecr_client, repo):
    (layer,) = push_image(ecr_client, repo, [b"layer"])
    url = _download_url(ecr_client, repo, layer)
    path = urlsplit(url).path
    changed_last = "1" if path.endswith("0") else "0"  # always a real edit of the object key
    for edited in (
        url.replace("X-Amz-Expires=3600", "X-Amz-Expires=604800"),
        url.replace(path, path[:-1] + changed_last),
    ):
        assert edited != url
        response = requests.get(edited)
        assert response.status_code == 403
        assert _s3_error(response) == {
            "Code": "SignatureDoesNotMatch",
            "Message": "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
        }
    unsigned = requests.get(url.split("?")[0])
    assert unsigned.status_code == 403
    assert _s3_error(unsigned) == {"Code": "AccessDenied", "Message": "Access Denied"}


def test_the_router_runs_for_the_whole_activation_and_stops_with_the_mock():
    original_send, original_get_adapter = HTTPAdapter.send, requests.Session.get_adapter
    with mock_ecr():
        # served before any layer URL or registry password exists: nothing reaches the network
        anonymous = requests.get("https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/")
        assert anonymous.status_code == 401
        client = boto3.client("ecr", region_name="us-east-1")
        client.create_repository(repositoryName="app")
        (layer,) = push_image(client, "app", [b"layer"])
        assert requests.Session.get_adapter is not original_get_adapter
        url = _download_url(client, "app", layer)
        assert requests.get(url).content == b"layer"
        assert HTTPAdapter.send is original_send  # what responses patches is left alone
    assert requests.Session.get_adapter is original_get_adapter


def test_a_responses_mock_of_the_code_under_test_keeps_working():
    with responses.RequestsMock() as outer:
        outer.add(responses.GET, "https://example.test/config", body="from the outer mock")
        patched = HTTPAdapter.send
        with mock_ecr():
            client = boto3.client("ecr", region_name="us-east-1")
            client.create_repository(repositoryName="app")
            (layer,) = push_image(client, "app", [b"layer"])
            assert requests.get(_download_url(client, "app", layer)).content == b"layer"
            assert requests.get("https://example.test/config").text == "from the outer mock"
        assert HTTPAdapter.send is patched
        assert requests.get("https://example.test/config").text == "from the outer mock"


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        body = b"hello from the network"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_other_urls_pass_through(ecr_client, repo):
    server = HTTPServer(("127.0.0.1", 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        (layer,) = push_image(ecr_client, repo, [b"layer"])
        _download_url(ecr_client, repo, layer)
        response = requests.get(f"http://127.0.0.1:{server.server_port}/anything")
        assert response.content == b"hello from the network"
    finally:
        server.shutdown()
        server.server_close()


def test_download_urls_carry_the_query_as_real_ecr_orders_it(ecr_client, repo):
    (layer,) = push_image(ecr_client, repo, [b"layer"])
    url = _download_url(ecr_client, repo, layer)
    names = [pair.split("=", 1)[0] for pair in urlsplit(url).query.split("&")]
    assert names == [
        "X-Amz-Security-Token",
        "X-Amz-Algorithm",
        "X-Amz-Date",
        "X-Amz-SignedHeaders",
        "X-Amz-Expires",
        "X-Amz-Credential",
        "X-Amz-Signature",
    ]
    assert parse_qs(urlsplit(url).query)["X-Amz-Security-Token"][0].startswith("IQoJb3JpZ2luX2Vj")
