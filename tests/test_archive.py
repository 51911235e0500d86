"""UpdateImageStorageClass: archive, restore (ACTIVATING for 20 minutes), and what listings and pulls see."""

from __future__ import annotations

import datetime as _dt

import boto3
import pytest
from botocore.exceptions import ClientError
from freezegun import freeze_time

from mock_ecr import mock_ecr

from .ecr_helpers import push_image

REPO = "app"
ACCOUNT = "123456789012"
START = _dt.datetime(2026, 3, 1, tzinfo=_dt.timezone.utc)


@pytest.fixture
def clock():
    with freeze_time(START) as frozen:
        yield frozen


@pytest.fixture
def ecr(clock):
    with mock_ecr():
        client = boto3.client("ecr", region_name="us-east-1")
        client.create_repository(repositoryName=REPO)
        yield client


def _update(ecr, target, **image_id):
    return ecr.update_image_storage_class(repositoryName=REPO, imageId=image_id, targetStorageClass=target)


def _status(ecr, tag):
    return ecr.describe_images(repositoryName=REPO, imageIds=[{"imageTag": tag}])["imageDetails"][0]


def _error(info):
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def test_archive_answers_archived_and_the_image_leaves_default_listings(ecr):
    old = push_image(ecr, REPO, tag="old")
    new = push_image(ecr, REPO, tag="new", layers=[b"other"])
    answer = _update(ecr, "ARCHIVE", imageTag="old")
    assert answer["imageStatus"] == "ARCHIVED"
    assert answer["imageId"] == {"imageDigest": old.digest, "imageTag": "old"}
    assert answer["registryId"] == ACCOUNT and answer["repositoryName"] == REPO

    # without an imageStatus filter only ACTIVE images are answered
    assert [d["imageDigest"] for d in ecr.describe_images(repositoryName=REPO)["imageDetails"]] == [new.digest]
    assert ecr.list_images(repositoryName=REPO)["imageIds"] == [{"imageDigest": new.digest, "imageTag": "new"}]
    archived = ecr.describe_images(repositoryName=REPO, filter={"imageStatus": "ARCHIVED"})["imageDetails"]
    assert [(d["imageDigest"], d["imageStatus"], d["lastArchivedAt"]) for d in archived] == [
        (old.digest, "ARCHIVED", START)
    ]
    listed = ecr.list_images(repositoryName=REPO, filter={"imageStatus": "ANY"})["imageIds"]
    assert {i["imageDigest"] for i in listed} == {old.digest, new.digest}
    # naming the image still describes it, whatever its status
    assert _status(ecr, "old")["imageStatus"] == "ARCHIVED"


def test_archived_images_cannot_be_pulled_or_scanned(ecr):
    push_image(ecr, REPO, tag="v1")
    _update(ecr, "ARCHIVE", imageTag="v1")
    pulled = ecr.batch_get_image(repositoryName=REPO, imageIds=[{"imageTag": "v1"}])
    assert pulled["images"] == [] and pulled["failures"][0]["failureCode"] == "ImageNotFound"
    with pytest.raises(ClientError) as info:
        ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    assert _error(info)[0] == "ImageArchivedException"
    assert "lastRecordedPullTime" not in _status(ecr, "v1")


def test_restore_is_activating_for_twenty_minutes_then_active(ecr, clock):
    pushed = push_image(ecr, REPO, tag="v1")
    _update(ecr, "ARCHIVE", imageDigest=pushed.digest)
    clock.tick(_dt.timedelta(days=1))
    assert _update(ecr, "STANDARD", imageDigest=pushed.digest)["imageStatus"] == "ACTIVATING"
    activating = ecr.describe_images(repositoryName=REPO, filter={"imageStatus": "ACTIVATING"})["imageDetails"]
    assert [d["imageDigest"] for d in activating] == [pushed.digest]
    assert ecr.list_images(repositoryName=REPO)["imageIds"] == []  # not ACTIVE yet
    assert ecr.batch_get_image(repositoryName=REPO, imageIds=[{"imageTag": "v1"}])["images"] == []

    clock.tick(_dt.timedelta(minutes=19, seconds=59))
    assert _status(ecr, "v1")["imageStatus"] == "ACTIVATING"
    clock.tick(_dt.timedelta(seconds=1))
    detail = _status(ecr, "v1")
    assert detail["imageStatus"] == "ACTIVE"
    assert detail["lastActivatedAt"] == START + _dt.timedelta(days=1, minutes=20)
    assert ecr.batch_get_image(repositoryName=REPO, imageIds=[{"imageTag": "v1"}])["images"]
    assert ecr.list_images(repositoryName=REPO)["imageIds"] == [{"imageDigest": pushed.digest, "imageTag": "v1"}]


def test_restore_before_the_minimum_archive_duration_is_allowed(ecr, clock):
    # 90 days is a minimum storage duration for billing and lifecycle expiry, not a lock
    push_image(ecr, REPO, tag="v1")
    _update(ecr, "ARCHIVE", imageTag="v1")
    clock.tick(_dt.timedelta(hours=1))
    assert _update(ecr, "STANDARD", imageTag="v1")["imageStatus"] == "ACTIVATING"


def test_pushing_an_archived_or_activating_image_restores_it_at_once(ecr, clock):
    pushed = push_image(ecr, REPO, tag="v1")
    _update(ecr, "ARCHIVE", imageTag="v1")
    clock.tick(_dt.timedelta(minutes=5))
    ecr.put_image(repositoryName=REPO, imageManifest=pushed.manifest, imageTag="v1")
    detail = _status(ecr, "v1")
    assert detail["imageStatus"] == "ACTIVE" and detail["lastActivatedAt"] == START + _dt.timedelta(minutes=5)

    _update(ecr, "ARCHIVE", imageTag="v1")
    _update(ecr, "STANDARD", imageTag="v1")
    ecr.put_image(repositoryName=REPO, imageManifest=pushed.manifest, imageTag="v1")
    assert _status(ecr, "v1")["imageStatus"] == "ACTIVE"


def test_refused_updates_change_nothing(ecr):
    pushed = push_image(ecr, REPO, tag="v1")
    with pytest.raises(ClientError) as info:
        _update(ecr, "STANDARD", imageTag="v1")
    assert _error(info) == (
        "ImageStorageClassUpdateNotSupportedException",
        f"The image with digest '{pushed.digest}' in the repository with name '{REPO}' in the registry with id "
        f"'{ACCOUNT}' is already in the STANDARD storage class",
    )
    _update(ecr, "ARCHIVE", imageTag="v1")
    with pytest.raises(ClientError) as info:
        _update(ecr, "ARCHIVE", imageTag="v1")
    assert _error(info)[0] == "ImageStorageClassUpdateNotSupportedException"
    assert "ARCHIVE storage class" in _error(info)[1]
    _update(ecr, "STANDARD", imageTag="v1")
    for target in ("ARCHIVE", "STANDARD"):
        with pytest.raises(ClientError) as info:
            _update(ecr, target, imageTag="v1")
        assert _error(info) == (
            "ImageStorageClassUpdateNotSupportedException",
            f"The image with digest '{pushed.digest}' in the repository with name '{REPO}' in the registry with id "
            f"'{ACCOUNT}' is being restored",
        )
    assert _status(ecr, "v1")["imageStatus"] == "ACTIVATING"


def test_missing_image_and_repository(ecr):
    push_image(ecr, REPO, tag="v1")
    with pytest.raises(ClientError) as info:
        _update(ecr, "ARCHIVE", imageTag="v2")
    assert _error(info) == (
        "ImageNotFoundException",
        f"The image with imageId {{imageDigest:'null', imageTag:'v2'}} does not exist within the repository with "
        f"name '{REPO}' in the registry with id '{ACCOUNT}'",
    )
    with pytest.raises(ClientError) as info:
        ecr.update_image_storage_class(
            repositoryName="missing", imageId={"imageTag": "v1"}, targetStorageClass="ARCHIVE"
        )
    assert _error(info)[0] == "RepositoryNotFoundException"


def test_lifecycle_transition_and_the_api_share_one_archive(ecr, clock):
    """A lifecycle-archived image restores through UpdateImageStorageClass; a restore under way
    completes before lifecycle rules look at storage classes."""
    ecr.put_lifecycle_policy(
        repositoryName=REPO,
        lifecyclePolicyText=(
            '{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"sinceImagePushed",'
            '"countUnit":"days","countNumber":1},"action":{"type":"transition","targetStorageClass":"archive"}}]}'
        ),
    )
    push_image(ecr, REPO, tag="v1")
    clock.tick(_dt.timedelta(days=2))
    with mock_ecr() as m:
        assert [e.action for e in m.apply_lifecycle_policies()] == ["TRANSITION"]
        assert m.state().repository(REPO).image("v1").status == "ARCHIVED"
        _update(ecr, "STANDARD", imageTag="v1")
        assert m.state().repository(REPO).image("v1").status == "ACTIVATING"
        clock.tick(_dt.timedelta(minutes=20))
        state = m.state().repository(REPO).image("v1")
        assert (state.status, state.storage_class) == ("ACTIVE", "STANDARD")
        # restored, it is a standard-class image again: the transition rule archives it anew
        assert [e.action for e in m.apply_lifecycle_policies()] == ["TRANSITION"]


def test_snapshot_and_restore_keep_a_restore_under_way(ecr, clock):
    pushed = push_image(ecr, REPO, tag="v1")
    _update(ecr, "ARCHIVE", imageTag="v1")
    _update(ecr, "STANDARD", imageTag="v1")
    with mock_ecr() as m:
        snapshot = m.snapshot()
        ecr.put_image(repositoryName=REPO, imageManifest=pushed.manifest, imageTag="v1")  # restored at once
        assert _status(ecr, "v1")["imageStatus"] == "ACTIVE"
        m.restore(snapshot)
        assert _status(ecr, "v1")["imageStatus"] == "ACTIVATING"
        clock.tick(_dt.timedelta(minutes=20))
        assert _status(ecr, "v1")["imageStatus"] == "ACTIVE"
