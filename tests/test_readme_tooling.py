"""The README's test-author tooling examples, run as written.

Each ``python`` block of the README's "Test-author tooling" section is copied verbatim from
this module (the regions between ``# --- README`` markers); ``test_readme_blocks_are_this_code``
fails if they drift apart. botocore sleeps between retry attempts; here ``time.sleep`` is
patched so the retry examples run in milliseconds (their outcome does not depend on it).
"""
# ruff: noqa: E402  (each README example shows its own imports)

import pytest


@pytest.fixture(autouse=True)
def _no_retry_sleep(monkeypatch):
    for name in ("AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS"):  # the examples assume botocore's default mode
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("time.sleep", lambda seconds: None)


# --- README: faults ---------------------------------------------------------------------------
import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

NO_RETRIES = Config(retries={"total_max_attempts": 1})


def test_throttling_reaches_the_caller(ecr_mock):
    ecr = boto3.client("ecr", region_name="us-east-1", config=NO_RETRIES)
    ecr_mock.inject_error("CreateRepository", "ThrottlingException")

    with pytest.raises(ClientError) as error:
        ecr.create_repository(repositoryName="app")
    assert error.value.response["Error"] == {"Code": "ThrottlingException", "Message": "Rate exceeded"}

    ecr.create_repository(repositoryName="app")  # used up; the failed call created nothing
# --- END ----------------------------------------------------------------------------------


# --- README: retries --------------------------------------------------------------------------
def test_botocore_absorbs_one_server_error(ecr_mock, ecr_client):
    ecr_mock.inject_error("DescribeRepositories", "ServerException")  # count=1
    ecr_client.describe_repositories()  # no error: botocore retried the 500
    assert [call.error_code for call in ecr_mock.calls] == ["ServerException", None]


def list_repositories(ecr, attempts=3):  # code under test: its own retry loop
    for attempt in range(attempts):
        try:
            return ecr.describe_repositories()["repositories"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "ServerException" or attempt == attempts - 1:
                raise


def test_our_retries_recover_then_give_up(ecr_mock):
    ecr = boto3.client("ecr", region_name="us-east-1", config=NO_RETRIES)
    ecr_mock.inject_error("DescribeRepositories", "ServerException", count=2)
    assert list_repositories(ecr) == []

    ecr_mock.inject_error("DescribeRepositories", "ServerException", count=None)
    with pytest.raises(ClientError):
        list_repositories(ecr)
    ecr_mock.clear_errors()


@pytest.mark.parametrize(("mode", "attempts"), [("legacy", 5), ("standard", 3)])
def test_retries_give_up_after_the_budget(ecr_mock, mode, attempts):
    ecr = boto3.client("ecr", region_name="us-east-1", config=Config(retries={"mode": mode}))
    ecr_mock.inject_error("DescribeRepositories", "ServiceUnavailable", count=attempts)
    with pytest.raises(ClientError) as error:
        ecr.describe_repositories()
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert ecr_mock.calls.count("DescribeRepositories") == attempts
# --- END ----------------------------------------------------------------------------------


# --- README: chaos ----------------------------------------------------------------------------
def test_listing_survives_random_throttling(ecr_mock, ecr_client):
    for number in range(30):
        ecr_mock.push_image("app", f"v{number}")
    ecr_mock.inject_error("ListImages", "ThrottlingException", rate=0.3, seed=7)

    pages = ecr_client.get_paginator("list_images").paginate(repositoryName="app", maxResults=5)
    tags = {image["imageTag"] for page in pages for image in page["imageIds"]}

    assert len(tags) == 30
    assert ecr_mock.calls.count("ListImages", error_code="ThrottlingException") > 0
# --- END ----------------------------------------------------------------------------------


# --- README: quotas ---------------------------------------------------------------------------
from mock_ecr import mock_ecr


@mock_ecr(quotas={"repositories_per_registry": 2, "images_per_repository": 1})
def test_small_quotas():
    ecr = boto3.client("ecr", region_name="us-east-1")
    ecr.create_repository(repositoryName="one")
    ecr.create_repository(repositoryName="two")
    with pytest.raises(ecr.exceptions.LimitExceededException):
        ecr.create_repository(repositoryName="three")
# --- END ----------------------------------------------------------------------------------


# --- README: quotas-runtime -------------------------------------------------------------------
from mock_ecr import ECRError


def test_quota_changed_during_a_test(ecr_mock):
    ecr_mock.push_image("app", "v1")
    ecr_mock.quotas.images_per_repository = 1
    with pytest.raises(ECRError) as error:  # push_image raises what ECR answers
        ecr_mock.push_image("app", "v2")
    assert error.value.code == "LimitExceededException"
# --- END ----------------------------------------------------------------------------------


# --- README: calls ----------------------------------------------------------------------------
def delete_untagged(ecr, repository):  # code under test
    ids = ecr.list_images(repositoryName=repository, filter={"tagStatus": "UNTAGGED"})["imageIds"]
    if ids:
        ecr.batch_delete_image(repositoryName=repository, imageIds=ids)


def test_cleanup_deletes_exactly_the_untagged_images(ecr_mock, ecr_client):
    ecr_mock.push_image("app", "v1")
    untagged = [ecr_mock.push_image("app"), ecr_mock.push_image("app")]

    delete_untagged(ecr_client, "app")

    call = ecr_mock.calls.last("BatchDeleteImage")
    assert call.params == {"repositoryName": "app", "imageIds": [image.image_id for image in untagged]}
    assert call.ok and call.response["failures"] == []
    assert ecr_mock.calls.operations() == ["ListImages", "BatchDeleteImage"]
    assert ecr_mock.calls.filter("BatchDeleteImage", repositoryName="other") == []
# --- END ----------------------------------------------------------------------------------


# --- README: seeding --------------------------------------------------------------------------
from datetime import datetime, timezone

from freezegun import freeze_time


def test_seeded_repository(ecr_mock, ecr_client):
    with freeze_time("2024-06-01"):
        release = ecr_mock.push_image("team/app", "v1.0", layers=3, layer_size=4096)
    ecr_mock.push_image("team/app", "nightly", layers=[b"base layer", b"app layer"], media_type="oci")

    details = ecr_client.describe_images(repositoryName="team/app", imageIds=[{"imageTag": "v1.0"}])
    assert details["imageDetails"][0]["imageDigest"] == release.digest
    assert details["imageDetails"][0]["imageSizeInBytes"] == release.size == 3 * 4096

    repository = ecr_mock.state().repository("team/app")
    assert [image.tags for image in repository.images] == [("v1.0",), ("nightly",)]
    assert repository.image("v1.0").pushed_at == datetime(2024, 6, 1, tzinfo=timezone.utc)
    assert repository.image("v1.0").layer_digests == release.layer_digests
# --- END ----------------------------------------------------------------------------------


# --- README: inspection -----------------------------------------------------------------------
def test_upload_in_progress(ecr_mock, ecr_client):
    ecr_client.create_repository(repositoryName="app")
    upload_id = ecr_client.initiate_layer_upload(repositoryName="app")["uploadId"]
    ecr_client.upload_layer_part(repositoryName="app", uploadId=upload_id,
                                 partFirstByte=0, partLastByte=9, layerPartBlob=b"0123456789")

    (upload,) = ecr_mock.state().uploads
    assert (upload.upload_id, upload.repository_name, upload.bytes_received) == (upload_id, "app", 10)


def test_reset_between_phases(ecr_mock, ecr_client):
    ecr_mock.push_image("app", "v1")
    ecr_mock.reset()  # no repositories, calls or injected errors; still active
    assert ecr_mock.state().repositories == {}
    assert ecr_client.describe_repositories()["repositories"] == []
# --- END ----------------------------------------------------------------------------------


SECTION = "## Test-author tooling"


def _heading(markdown: str):
    import re

    return re.search(rf"^{SECTION}[ \t]*$", markdown, flags=re.MULTILINE)


def _blocks(markdown: str) -> list[str]:
    import re

    start = _heading(markdown).start()
    following = markdown.find("\n## ", start + len(SECTION))
    section = markdown[start:following if following >= 0 else None]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def _documents():
    from pathlib import Path

    readme = Path(__file__).resolve().parent.parent / "README.md"
    return [readme] if _heading(readme.read_text()) else []


def test_readme_blocks_are_this_code():
    from pathlib import Path

    documents = _documents()
    assert documents, "README.md has no test-author tooling section"
    module = Path(__file__).read_text()
    for document in documents:
        blocks = _blocks(document.read_text())
        assert len(blocks) >= 8, f"{document} shows too few examples"
        for block in blocks:
            assert block in module, f"{document.name} block not in {Path(__file__).name}:\n{block}"
