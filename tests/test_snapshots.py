"""``m.snapshot()`` / ``m.restore()``: every registry back as it was, blobs shared, not copied."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import json
import pickle

import boto3
import pytest

from mock_ecr import mock_ecr
from mock_ecr.domain import snapshots
from mock_ecr.domain.images.index import Image, ImageIndex
from mock_ecr.domain.images.manifests import Manifest
from mock_ecr.domain.repositories import Repository
from mock_ecr.domain.scanning import ImageScan
from mock_ecr.domain.store import RegistryStore

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


#: every record a snapshot copies, its table, and how to list the fields an instance has
RECORDS = [
    (Repository, snapshots.REPOSITORY_FIELDS, lambda: {f.name for f in dataclasses.fields(Repository)}),
    (Image, snapshots.IMAGE_FIELDS, lambda: {f.name for f in dataclasses.fields(Image)}),
    (ImageScan, snapshots.SCAN_FIELDS, lambda: {f.name for f in dataclasses.fields(ImageScan)}),
    (ImageIndex, snapshots.INDEX_FIELDS, lambda: set(vars(ImageIndex()))),
    (RegistryStore, snapshots.STORE_FIELDS, lambda: set(vars(RegistryStore(ACCOUNT, "us-east-1")))),
]


@pytest.mark.parametrize(("cls", "table", "fields"), RECORDS, ids=[r[0].__name__ for r in RECORDS])
def test_the_copier_names_every_field(cls, table, fields):
    """A field added to a record must say how a snapshot copies it."""
    assert fields() == set(table)
    assert set(table.values()) <= set(snapshots.KINDS)


_IMMUTABLE = (str, int, float, bool, type(None), tuple, frozenset, dt.datetime, Manifest)


def _busy_registry(m, client):
    """A registry where every field of every record holds something."""
    pushed = m.push_image("app", "v1", layers=[b"base", b"one"])
    m.push_image("app", "v2", layers=[b"base", b"two"])
    index_text = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {"mediaType": pushed.media_type, "digest": pushed.digest, "size": len(pushed.manifest.encode())}
            ],
        }
    )
    client.put_image(repositoryName="app", imageManifest=index_text, imageTag="multi")
    arn = client.describe_repositories()["repositories"][0]["repositoryArn"]
    client.tag_resource(resourceArn=arn, tags=[{"Key": "team", "Value": "a"}])
    if "imageTagMutabilityExclusionFilters" in _input_members(client, "PutImageTagMutability"):
        client.put_image_tag_mutability(
            repositoryName="app",
            imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
            imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "dev*"}],
        )
    client.start_image_scan(repositoryName="app", imageId={"imageTag": "v1"})
    m.set_scan_findings("app", "v1", severity_counts={"HIGH": 2})
    client.batch_get_image(repositoryName="app", imageIds=[{"imageTag": "v2"}])
    client.start_lifecycle_policy_preview(repositoryName="app", lifecyclePolicyText=_POLICY)
    client.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=_POLICY)
    client.get_download_url_for_layer(repositoryName="app", layerDigest=pushed.layer_digests[0])
    client.put_registry_scanning_configuration(scanType="BASIC", rules=[])
    client.create_repository_creation_template(prefix="prod", appliedFor=["PULL_THROUGH_CACHE"])
    client.describe_repositories()  # fills the sorted names


def _input_members(client, operation):
    return client.meta.service_model.operation_model(operation).input_shape.members


_POLICY = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 5},
                "action": {"type": "expire"},
            }
        ]
    }
)


def _check_copy(original, twin, table, seen):
    """Each field of ``twin`` is what its kind promises; records owned by both are checked too."""
    assert type(twin) is type(original)
    for name, kind in table.items():
        value, copied = getattr(original, name), getattr(twin, name)
        if kind == "share":
            assert copied is value, name
            assert isinstance(value, _IMMUTABLE) or dataclasses.is_dataclass(value), f"{name} is shared but mutable"
            if dataclasses.is_dataclass(value):
                assert type(value).__dataclass_params__.frozen, f"{name} is shared but mutable"
        elif kind in ("copy", "copy values", "deep"):
            assert copied is not value or value is None, name
            if kind == "copy values":
                assert value.keys() == copied.keys()
                assert all(copied[key] is not item for key, item in value.items()), name
        elif kind == "fresh":
            assert copied is not value, name
        seen.add((type(original).__name__, name))


def test_each_field_is_copied_as_its_table_says(ecr_mock, ecr_client):
    _busy_registry(ecr_mock, ecr_client)
    store = _store(ecr_mock)
    snapshot = ecr_mock.snapshot()
    twin = snapshot._stores[store.key]
    seen: set[tuple[str, str]] = set()
    _check_copy(store, twin, snapshots.STORE_FIELDS, seen)
    repository, repository_twin = store.repositories["app"], twin.repositories["app"]
    _check_copy(repository, repository_twin, snapshots.REPOSITORY_FIELDS, seen)
    _check_copy(repository.images, repository_twin.images, snapshots.INDEX_FIELDS, seen)
    for image in repository.images:
        image_twin = repository_twin.images.get(image.digest)
        _check_copy(image, image_twin, snapshots.IMAGE_FIELDS, seen)
        assert image_twin is not image
        assert repository_twin.images.images_by_seq[image.seq] is image_twin
    for digest, scan in repository.scans.items():
        _check_copy(scan, repository_twin.scans[digest], snapshots.SCAN_FIELDS, seen)
        assert repository_twin.scans[digest].image is repository_twin.images.get(digest)  # the copied image
    assert repository_twin.images.tagged("v1") is repository_twin.images.get(repository.images.tagged("v1").digest)
    # the busy registry reached every field that is not special
    tables = {"RegistryStore": snapshots.STORE_FIELDS, "Repository": snapshots.REPOSITORY_FIELDS}
    tables |= {
        "ImageIndex": snapshots.INDEX_FIELDS,
        "Image": snapshots.IMAGE_FIELDS,
        "ImageScan": snapshots.SCAN_FIELDS,
    }
    assert seen == {(record, name) for record, table in tables.items() for name in table}


def test_a_restored_registry_is_independent_of_the_snapshot_in_every_part(ecr_mock, ecr_client):
    _busy_registry(ecr_mock, ecr_client)
    snapshot = ecr_mock.snapshot()
    before = ecr_mock.registries()
    preview_before = ecr_client.get_lifecycle_policy_preview(repositoryName="app")["status"]
    for _ in range(2):
        ecr_mock.restore(snapshot)
        assert ecr_mock.registries() == before
        # change every part of the restored registry
        arn = ecr_client.describe_repositories()["repositories"][0]["repositoryArn"]
        ecr_client.tag_resource(resourceArn=arn, tags=[{"Key": "team", "Value": "b"}])
        ecr_client.batch_delete_image(repositoryName="app", imageIds=[{"imageTag": "multi"}])
        ecr_client.put_image(
            repositoryName="app",
            imageManifest=ecr_client.batch_get_image(repositoryName="app", imageIds=[{"imageTag": "v1"}])["images"][0][
                "imageManifest"
            ],
            imageTag="moved",
        )
        ecr_mock.set_scan_findings("app", "v1", severity_counts={"LOW": 1})
        ecr_client.put_registry_scanning_configuration(scanType="ENHANCED", rules=[])
        ecr_client.delete_repository_creation_template(prefix="prod")
        ecr_client.get_lifecycle_policy_preview(repositoryName="app")  # completes the restored preview
        ecr_client.create_repository(repositoryName="added")
        ecr_mock.apply_lifecycle_policies()
    ecr_mock.restore(snapshot)
    assert ecr_mock.registries() == before
    assert ecr_client.get_lifecycle_policy_preview(repositoryName="app")["status"] == preview_before
    assert ecr_client.get_registry_scanning_configuration()["scanningConfiguration"]["scanType"] == "BASIC"
    assert [
        t["prefix"] for t in ecr_client.describe_repository_creation_templates()["repositoryCreationTemplates"]
    ] == ["prod"]
    findings = ecr_client.describe_image_scan_findings(repositoryName="app", imageId={"imageTag": "v1"})
    assert findings["imageScanFindings"]["findingSeverityCounts"] == {"HIGH": 2}


def test_images_pickle(ecr_mock):
    """An image is a slotted record: it still pickles (and so crosses to a process pool)."""
    ecr_mock.push_image("app", "v1")
    image = _store(ecr_mock).repositories["app"].images.tagged("v1")
    copy = pickle.loads(pickle.dumps(image))
    assert [getattr(copy, f.name) for f in dataclasses.fields(Image)] == [
        getattr(image, f.name) for f in dataclasses.fields(Image)
    ]


def test_snapshot_needs_an_active_mock():
    m = mock_ecr()
    with pytest.raises(RuntimeError):
        m.snapshot()
