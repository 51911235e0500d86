"""``m.snapshot()`` / ``m.restore()``: every registry back as it was, blobs shared, not copied."""

from __future__ import annotations

import dataclasses
import gc

import boto3
import pytest

from mock_ecr import mock_ecr
from mock_ecr.domain import snapshots
from mock_ecr.domain.images.index import Image
from mock_ecr.domain.repositories import Repository
from mock_ecr.domain.scanning import ImageScan

ACCOUNT = "123456789012"


def _store(m, region="us-east-1"):
    return m.backend.store(ACCOUNT, region)


def test_restore_puts_every_registry_back_and_leaves_calls_and_faults(ecr_mock, ecr_client):
    pushed = ecr_mock.push_image("kept", "v1")
    ecr_mock.push_image("other-region", "v1", region="eu-west-1")
    ecr_client.tag_resource(
        resourceArn=ecr_client.describe_repositories()["repositories"][0]["repositoryArn"],
        tags=[{"Key": "team", "Value": "a"}],
    )
    before = ecr_mock.registries()
    snapshot = ecr_mock.snapshot()

    ecr_client.put_image(repositoryName="kept", imageManifest=pushed.manifest, imageTag="v2")
    ecr_client.batch_delete_image(repositoryName="kept", imageIds=[{"imageTag": "v1"}])
    ecr_client.create_repository(repositoryName="added")
    boto3.client("ecr", region_name="eu-west-1").delete_repository(repositoryName="other-region", force=True)
    ecr_mock.inject_error("ListImages", "ServerException", count=None)
    calls = len(ecr_mock.calls)

    ecr_mock.restore(snapshot)
    assert ecr_mock.registries() == before
    assert len(ecr_mock.calls) == calls  # calls untouched
    with pytest.raises(Exception, match="ServerException"):
        ecr_client.list_images(repositoryName="kept")  # faults untouched
    ecr_mock.clear_errors()
    tags = ecr_client.describe_images(repositoryName="kept")["imageDetails"][0]["imageTags"]
    assert tags == ["v1"]

    # the same snapshot restores again after more changes
    ecr_client.delete_repository(repositoryName="kept", force=True)
    ecr_mock.restore(snapshot)
    assert ecr_mock.registries() == before


def test_restored_state_is_independent_of_the_snapshot(ecr_mock, ecr_client):
    ecr_mock.push_image("repo", "v1")
    snapshot = ecr_mock.snapshot()
    ecr_mock.restore(snapshot)
    ecr_client.put_image_tag_mutability(repositoryName="repo", imageTagMutability="IMMUTABLE")
    ecr_client.batch_get_image(repositoryName="repo", imageIds=[{"imageTag": "v1"}])  # records a pull
    ecr_mock.push_image("repo", "v2")
    ecr_mock.restore(snapshot)
    repository = ecr_client.describe_repositories()["repositories"][0]
    assert repository["imageTagMutability"] == "MUTABLE"
    images = ecr_client.describe_images(repositoryName="repo")["imageDetails"]
    assert [i["imageTags"] for i in images] == [["v1"]]
    assert "lastRecordedPullTime" not in images[0]


def test_restore_copies_no_blob_bytes_and_keeps_deleted_blobs_readable(ecr_mock, ecr_client):
    pushed = ecr_mock.push_image("repo", "v1", layers=[b"layer-bytes"])
    layer = pushed.layer_digests[0]
    blob = _store(ecr_mock).blobs.blobs[layer]
    snapshot = ecr_mock.snapshot()
    ecr_client.delete_repository(repositoryName="repo", force=True)
    assert not blob.closed  # the snapshot still holds it
    ecr_mock.restore(snapshot)
    assert _store(ecr_mock).blobs.blobs[layer] is blob  # shared, not copied
    url = ecr_client.get_download_url_for_layer(repositoryName="repo", layerDigest=layer)["downloadUrl"]
    import requests

    assert requests.get(url).content == b"layer-bytes"


def test_a_dropped_snapshot_releases_the_blobs_only_it_held(ecr_mock, ecr_client):
    pushed = ecr_mock.push_image("repo", "v1")
    blob = _store(ecr_mock).blobs.blobs[pushed.layer_digests[0]]
    snapshot = ecr_mock.snapshot()
    ecr_client.delete_repository(repositoryName="repo", force=True)
    assert not blob.closed
    del snapshot
    gc.collect()
    assert blob.closed


def test_uploads_in_progress_are_not_part_of_a_snapshot(ecr_mock, ecr_client):
    ecr_client.create_repository(repositoryName="repo")
    upload_id = ecr_client.initiate_layer_upload(repositoryName="repo")["uploadId"]
    ecr_mock.restore(ecr_mock.snapshot())
    with pytest.raises(ecr_client.exceptions.UploadNotFoundException):
        ecr_client.upload_layer_part(
            repositoryName="repo", uploadId=upload_id, partFirstByte=0, partLastByte=1, layerPartBlob=b"ab"
        )


def test_restore_refuses_what_is_not_a_snapshot(ecr_mock):
    with pytest.raises(TypeError, match="snapshot"):
        ecr_mock.restore({"not": "a snapshot"})


@pytest.mark.parametrize(
    ("cls", "table"),
    [(Repository, snapshots.REPOSITORY_FIELDS), (Image, snapshots.IMAGE_FIELDS), (ImageScan, snapshots.SCAN_FIELDS)],
)
def test_the_copier_names_every_field(cls, table):
    """A field added to a record must say how a snapshot copies it."""
    assert {f.name for f in dataclasses.fields(cls)} == set(table)


def test_snapshot_needs_an_active_mock():
    m = mock_ecr()
    with pytest.raises(RuntimeError):
        m.snapshot()
