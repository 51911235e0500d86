"""ListImageReferrers: artifacts whose subject is an image, filtered by type and status, paged."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from .ecr_helpers import OCI_MANIFEST, digest_of, push_image, put_manifest, upload_blob

REPO = "app"
SBOM = "application/spdx+json"
SIGNATURE = "application/vnd.cncf.notary.signature"
EMPTY = "application/vnd.oci.empty.v1+json"


def _artifact(client, subject, artifact_type, body: bytes, *, annotations=None, tag=None):
    """Push an OCI artifact of ``artifact_type`` whose subject is ``subject`` (a Pushed)."""
    for blob in (b"{}", body):
        upload_blob(client, REPO, blob)
    document = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": {"mediaType": EMPTY, "digest": digest_of(b"{}"), "size": 2},
        "layers": [{"mediaType": "application/octet-stream", "digest": digest_of(body), "size": len(body)}],
        "subject": {"mediaType": subject.media_type, "digest": subject.digest, "size": len(subject.manifest)},
    }
    if annotations:
        document["annotations"] = annotations
    text = json.dumps(document)
    put_manifest(client, REPO, text, tag=tag)
    return digest_of(text.encode()), text


@pytest.fixture
def image(ecr_client):
    ecr_client.create_repository(repositoryName=REPO)
    return push_image(ecr_client, REPO, tag="v1")


def _list(client, digest, **params):
    return client.list_image_referrers(repositoryName=REPO, subjectId={"imageDigest": digest}, **params)


def test_referrers_are_answered_as_oci_descriptors_in_push_order(ecr_client, image):
    sbom, sbom_text = _artifact(ecr_client, image, SBOM, b"sbom", annotations={"org.example": "yes"})
    signature, _ = _artifact(ecr_client, image, SIGNATURE, b"sig")
    push_image(ecr_client, REPO, tag="unrelated", layers=[b"other"])
    answer = _list(ecr_client, image.digest)
    assert answer["referrers"] == [
        {
            "digest": sbom,
            "mediaType": OCI_MANIFEST,
            "artifactType": SBOM,
            "size": len(sbom_text.encode()),
            "annotations": {"org.example": "yes"},
            "artifactStatus": "ACTIVE",
        },
        {
            "digest": signature,
            "mediaType": OCI_MANIFEST,
            "artifactType": SIGNATURE,
            "size": answer["referrers"][1]["size"],
            "artifactStatus": "ACTIVE",
        },
    ]
    assert "nextToken" not in answer
    # an image with no referrers, and a digest the repository does not hold, have none
    assert _list(ecr_client, digest_of(b"nothing"))["referrers"] == []


def test_artifact_type_filter(ecr_client, image):
    _artifact(ecr_client, image, SBOM, b"sbom")
    signature, _ = _artifact(ecr_client, image, SIGNATURE, b"sig")
    found = _list(ecr_client, image.digest, filter={"artifactTypes": [SIGNATURE, "application/x-other"]})
    assert [r["digest"] for r in found["referrers"]] == [signature]


def test_status_filter_defaults_to_active(ecr_client, image):
    sbom, _ = _artifact(ecr_client, image, SBOM, b"sbom", tag="sbom")
    signature, _ = _artifact(ecr_client, image, SIGNATURE, b"sig")
    ecr_client.update_image_storage_class(
        repositoryName=REPO, imageId={"imageTag": "sbom"}, targetStorageClass="ARCHIVE"
    )
    assert [r["digest"] for r in _list(ecr_client, image.digest)["referrers"]] == [signature]
    archived = _list(ecr_client, image.digest, filter={"artifactStatus": "ARCHIVED"})["referrers"]
    assert [(r["digest"], r["artifactStatus"]) for r in archived] == [(sbom, "ARCHIVED")]
    every = _list(ecr_client, image.digest, filter={"artifactStatus": "ANY"})["referrers"]
    assert [r["digest"] for r in every] == [sbom, signature]


def test_pages_resume_where_they_ended(ecr_client, image):
    digests = [_artifact(ecr_client, image, SBOM, f"sbom {n}".encode())[0] for n in range(25)]
    first = _list(ecr_client, image.digest)
    assert [r["digest"] for r in first["referrers"]] == digests[:20]  # the model's default page: 20
    second = _list(ecr_client, image.digest, nextToken=first["nextToken"])
    assert [r["digest"] for r in second["referrers"]] == digests[20:] and "nextToken" not in second
    walked = [r["digest"] for page in _pages(ecr_client, image.digest, 7) for r in page]
    assert walked == digests


def _pages(client, digest, size):
    token = None
    while True:
        params = {"maxResults": size, **({"nextToken": token} if token else {})}
        answer = _list(client, digest, **params)
        yield answer["referrers"]
        token = answer.get("nextToken")
        if not token:
            return


def test_bad_requests(ecr_client, image, unvalidated):
    with pytest.raises(ClientError) as info:
        _list(ecr_client, image.digest, nextToken="not a token")
    assert info.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as info:
        _list(ecr_client, "not-a-digest")
    assert info.value.response["Error"] == {
        "Code": "InvalidParameterException",
        "Message": "Invalid parameter at 'subjectId.imageDigest' failed to satisfy constraint: "
        "'Member must satisfy regular expression pattern: [a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
    }
    with pytest.raises(ClientError) as info:
        unvalidated.list_image_referrers(repositoryName=REPO, subjectId={"imageDigest": image.digest}, maxResults=51)
    assert info.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as info:
        ecr_client.list_image_referrers(repositoryName="missing", subjectId={"imageDigest": image.digest})
    assert info.value.response["Error"]["Code"] == "RepositoryNotFoundException"
