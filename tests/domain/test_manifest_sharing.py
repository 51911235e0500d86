"""The parts a registry's manifests share (descriptors and lists of them), the blob
reference counts deletes release, and BatchDeleteImage's order of work."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from mock_ecr.domain.images import manifests

from ..ecr_helpers import OCI_MANIFEST, digest_of, image_manifest, index_manifest, push_image, put_manifest

ACCOUNT, REGION, REPO = "123456789012", "us-east-1", "app"
BASE = b"a base layer every image names"


@pytest.fixture
def repo(ecr_client):
    ecr_client.create_repository(repositoryName=REPO)
    return REPO


def _image(ecr_mock, digest, name=REPO):
    return ecr_mock.backend.store(ACCOUNT, REGION).repositories[name].images.get(digest)


def _config(number: int) -> bytes:
    return json.dumps({"architecture": "amd64", "os": "linux", "n": number}).encode()


def test_images_naming_the_same_blobs_share_their_descriptors(ecr_mock, ecr_client, repo):
    one = push_image(ecr_client, repo, tag="one", layers=[BASE], config=_config(1))
    two = push_image(ecr_client, repo, tag="two", layers=[BASE], config=_config(2))
    again = push_image(ecr_client, repo, tag="again", layers=[BASE, b"top"], config=_config(1))
    first, second, third = (_image(ecr_mock, p.digest).manifest for p in (one, two, again))
    assert first.layers is second.layers  # the same list of layers: one tuple
    assert first.layers[0] is third.layers[0]  # the same base layer: one descriptor
    assert first.config is third.config and first.config is not second.config
    assert first.config.digest == digest_of(_config(1)) and second.config.digest == digest_of(_config(2))
    assert [d.digest for d in third.layers] == [digest_of(BASE), digest_of(b"top")]


def test_a_blob_described_differently_keeps_each_description(ecr_mock, ecr_client, repo):
    one = push_image(ecr_client, repo, tag="one", layers=[BASE])
    document = json.loads(one.manifest)
    document["layers"][0]["mediaType"] = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
    document["layers"][0]["size"] += 1  # ECR keeps what the manifest says
    text = json.dumps(document)
    put_manifest(ecr_client, repo, text, tag="two")
    kept = _image(ecr_mock, digest_of(text.encode())).manifest.layers[0]
    assert kept.digest == digest_of(BASE) and kept.size == len(BASE) + 1
    assert kept.media_type == "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
    assert _image(ecr_mock, one.digest).manifest.layers[0].size == len(BASE)
    images = ecr_client.describe_images(repositoryName=repo, imageIds=[{"imageTag": "two"}])["imageDetails"]
    assert images[0]["imageSizeInBytes"] == len(BASE) + 1


def test_a_refused_push_shares_nothing(ecr_mock, ecr_client, repo):
    text = image_manifest(_config(9), [b"never uploaded"])
    with pytest.raises(ClientError, match="LayersNotFoundException"):
        put_manifest(ecr_client, repo, text)
    parts = ecr_mock.backend.store(ACCOUNT, REGION).manifest_parts
    assert digest_of(b"never uploaded") not in parts.descriptors and not parts.lists


def test_parse_without_a_store_shares_nothing():
    text = image_manifest(_config(1), [BASE])
    assert manifests.parse(text).layers is not manifests.parse(text).layers
    parts = manifests.SharedParts()
    first = manifests.parse(text, known=parts)
    manifests.remember(parts, first)
    second = manifests.parse(text, known=parts)
    assert second.layers is first.layers and second.config is first.config
    assert parts.copy().descriptors == parts.descriptors and parts.copy().descriptors is not parts.descriptors


def test_annotations_are_kept_for_referrers_only(ecr_mock, ecr_client, repo):
    notes = {"org.example.kind": "sbom"}
    plain = push_image(ecr_client, repo, tag="plain", layers=[BASE], annotations=notes)
    subject = {"mediaType": OCI_MANIFEST, "digest": plain.digest, "size": len(plain.manifest)}
    referrer = push_image(
        ecr_client, repo, layers=[b"sbom"], media_type=OCI_MANIFEST, subject=subject, annotations=notes
    )
    assert _image(ecr_mock, plain.digest).manifest.annotations == ()
    assert _image(ecr_mock, referrer.digest).manifest.annotations == (("org.example.kind", "sbom"),)
    # the text keeps them all: a pull gives back exactly what was pushed
    pulled = ecr_client.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "plain"}])["images"][0]
    assert json.loads(pulled["imageManifest"])["annotations"] == notes


def test_a_manifest_with_bad_annotations_is_refused_with_or_without_a_subject(ecr_client, repo):
    push_image(ecr_client, repo, tag="ok", layers=[BASE])
    for bad in ({"k": 1}, ["k"]):
        with pytest.raises(ClientError, match="Invalid JSON syntax"):
            push_image(ecr_client, repo, layers=[BASE], config=_config(3), annotations=bad)


def test_blob_references_read_zero_once_released_and_after_a_restore(ecr_mock, ecr_client, repo):
    one = push_image(ecr_client, repo, tag="one", layers=[BASE, b"own"])
    references = ecr_mock.backend.store(ACCOUNT, REGION).repositories[repo].blob_refs
    assert references[digest_of(b"own")] == 1 and references[digest_of(b"nothing")] == 0
    snapshot = ecr_mock.snapshot()
    ecr_client.batch_delete_image(repositoryName=repo, imageIds=[{"imageDigest": one.digest}])
    assert references[digest_of(b"own")] == 0 and digest_of(b"own") not in references
    ecr_mock.restore(snapshot)
    restored = ecr_mock.backend.store(ACCOUNT, REGION).repositories[repo].blob_refs
    assert restored[digest_of(b"own")] == 1 and restored[digest_of(b"nothing")] == 0
    two = push_image(ecr_client, repo, tag="two", layers=[BASE, b"new"])
    gone = ecr_client.batch_delete_image(repositoryName=repo, imageIds=[{"imageDigest": two.digest}])
    assert gone["imageIds"] == [{"imageDigest": two.digest, "imageTag": "two"}]
    assert restored[digest_of(b"new")] == 0 and restored[digest_of(BASE)] == 1


def test_batch_delete_works_through_the_ids_in_order(ecr_client, repo):
    kept = push_image(ecr_client, repo, tag="kept", layers=[BASE])
    both = push_image(ecr_client, repo, tag="a", layers=[BASE, b"both"])
    put_manifest(ecr_client, repo, both.manifest, tag="b")
    result = ecr_client.batch_delete_image(
        repositoryName=repo,
        imageIds=[
            {"imageTag": "a"},  # one of two tags: only the tag goes
            {"imageDigest": both.digest},  # then the image with its other tag
            {"imageTag": "b"},  # already gone with it
            {"imageDigest": both.digest},  # asked twice: answered once
            {"imageTag": "kept", "imageDigest": both.digest},
        ],
    )
    assert result["imageIds"] == [
        {"imageDigest": both.digest, "imageTag": "a"},
        {"imageDigest": both.digest, "imageTag": "b"},
    ]
    assert [(f["imageId"], f["failureCode"]) for f in result["failures"]] == [
        ({"imageTag": "b"}, "ImageNotFound"),
        ({"imageTag": "kept", "imageDigest": both.digest}, "ImageNotFound"),
    ]
    listed = ecr_client.list_images(repositoryName=repo)["imageIds"]
    assert listed == [{"imageDigest": kept.digest, "imageTag": "kept"}]


def test_an_index_and_its_child_in_one_batch_by_digest(ecr_client, repo):
    child = push_image(ecr_client, repo, layers=[BASE], media_type=OCI_MANIFEST)
    text = index_manifest([(child.manifest, OCI_MANIFEST)])
    index_digest = put_manifest(ecr_client, repo, text)["image"]["imageId"]["imageDigest"]
    child_first = ecr_client.batch_delete_image(
        repositoryName=repo, imageIds=[{"imageDigest": child.digest}, {"imageDigest": index_digest}]
    )
    assert child_first["imageIds"] == [{"imageDigest": index_digest}]
    assert child_first["failures"][0]["failureCode"] == "ImageReferencedByManifestList"
    again = ecr_client.batch_delete_image(repositoryName=repo, imageIds=[{"imageDigest": child.digest}])
    assert again["imageIds"] == [{"imageDigest": child.digest}] and again["failures"] == []
