"""StartImageScan, DescribeImageScanFindings, scan on push, and scan fields of DescribeImages."""

from __future__ import annotations

import datetime as dt
import json
import threading

import boto3
import pytest
from botocore.exceptions import ClientError
from freezegun import freeze_time

from .ecr_helpers import OCI_INDEX, OCI_MANIFEST, descriptor, digest_of, index_manifest, put_manifest, upload_blob
from .shape_check import check_output

ACCOUNT = "123456789012"
EVERYWHERE = [{"filter": "*", "filterType": "WILDCARD"}]


def _error(info):
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


@pytest.fixture
def repo(ecr_client):
    ecr_client.create_repository(repositoryName="app")
    return "app"


def _scan(client, tag="v1", repository="app"):
    return client.start_image_scan(repositoryName=repository, imageId={"imageTag": tag})


def _findings(client, tag="v1", repository="app", **params):
    return client.describe_image_scan_findings(repositoryName=repository, imageId={"imageTag": tag}, **params)


# -- StartImageScan ---------------------------------------------------------------------------------
def test_start_answers_in_progress_then_the_first_read_completes(ecr_mock, ecr_client, repo):
    pushed = ecr_mock.push_image(repo, "v1")
    started = _scan(ecr_client)
    assert started["imageScanStatus"] == {"status": "IN_PROGRESS"}
    assert started["imageId"] == {"imageDigest": pushed.digest, "imageTag": "v1"}
    assert (started["registryId"], started["repositoryName"]) == (ACCOUNT, repo)
    found = _findings(ecr_client)
    assert found["imageScanStatus"] == {"status": "COMPLETE", "description": "The scan was completed successfully."}
    assert found["imageScanFindings"]["findings"] == []
    assert found["imageScanFindings"]["findingSeverityCounts"] == {}
    assert _findings(ecr_client)["imageScanStatus"]["status"] == "COMPLETE"


def test_the_waiter_succeeds_on_its_first_poll(ecr_mock, ecr_client, repo):
    ecr_mock.push_image(repo, "v1")
    _scan(ecr_client)
    ecr_client.get_waiter("image_scan_complete").wait(repositoryName=repo, imageId={"imageTag": "v1"})
    assert ecr_mock.calls.operations().count("DescribeImageScanFindings") == 1


def test_the_waiter_stops_on_a_failed_scan(ecr_mock, ecr_client, repo):
    from botocore.exceptions import WaiterError

    ecr_mock.push_image(repo, "v1")
    _scan(ecr_client)
    ecr_mock.fail_scan(repo, "v1", description="The scan failed: unreadable layer.")
    with pytest.raises(WaiterError):
        ecr_client.get_waiter("image_scan_complete").wait(repositoryName=repo, imageId={"imageTag": "v1"})
    status = _findings(ecr_client)["imageScanStatus"]
    assert status == {"status": "FAILED", "description": "The scan failed: unreadable layer."}
    assert "imageScanFindings" not in _findings(ecr_client)


def test_start_by_digest(ecr_mock, ecr_client, repo):
    pushed = ecr_mock.push_image(repo, "v1")
    started = ecr_client.start_image_scan(repositoryName=repo, imageId={"imageDigest": pushed.digest})
    assert started["imageId"] == {"imageDigest": pushed.digest}


def test_one_scan_per_image_per_24_hours(ecr_mock, ecr_client, repo):
    with freeze_time("2026-01-01T00:00:00Z") as clock:
        ecr_mock.push_image(repo, "v1")
        _scan(ecr_client)
        clock.tick(dt.timedelta(hours=23, minutes=59))
        with pytest.raises(ClientError) as info:
            _scan(ecr_client)
        assert _error(info) == (
            "LimitExceededException",
            "The scan quota per image has been exceeded. Wait and try again.",
        )
        clock.tick(dt.timedelta(minutes=1))
        assert _scan(ecr_client)["imageScanStatus"]["status"] == "IN_PROGRESS"


def test_another_image_is_not_limited(ecr_mock, ecr_client, repo):
    ecr_mock.push_image(repo, "v1")
    ecr_mock.push_image(repo, "v2")
    _scan(ecr_client, "v1")
    assert _scan(ecr_client, "v2")["imageScanStatus"]["status"] == "IN_PROGRESS"


def test_unknown_image_and_repository(ecr_mock, ecr_client, repo):
    ecr_mock.push_image(repo, "v1")
    with pytest.raises(ClientError) as info:
        _scan(ecr_client, "v2")
    assert _error(info) == (
        "ImageNotFoundException",
        "The image with imageId {imageDigest:'null', imageTag:'v2'} does not exist within the repository "
        f"with name 'app' in the registry with id '{ACCOUNT}'",
    )
    with pytest.raises(ClientError) as info:
        _scan(ecr_client, repository="missing")
    assert _error(info)[0] == "RepositoryNotFoundException"
    with pytest.raises(ClientError) as info:
        _findings(ecr_client, repository="missing")
    assert _error(info)[0] == "RepositoryNotFoundException"
    with pytest.raises(ClientError) as info:
        _findings(ecr_client, "v2")
    assert _error(info)[0] == "ImageNotFoundException"


def _index(client, repository):
    child = put_manifest(client, repository, _oci_image(client, repository))["image"]["imageManifest"]
    return put_manifest(client, repository, index_manifest([(child, OCI_MANIFEST)], OCI_INDEX), tag="multi")


def _oci_image(client, repository, config_type="application/vnd.oci.image.config.v1+json"):
    config, layer = b'{"architecture":"amd64","os":"linux"}', b"oci layer"
    for blob in (config, layer):
        upload_blob(client, repository, blob)
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": descriptor(config_type, config),
            "layers": [descriptor("application/vnd.oci.image.layer.v1.tar+gzip", layer)],
        }
    )


def test_manifest_lists_and_artifacts_cannot_be_scanned(ecr_client, repo):
    _index(ecr_client, repo)
    with pytest.raises(ClientError) as info:
        _scan(ecr_client, "multi")
    assert _error(info) == ("UnsupportedImageTypeException", "The image is of a type that cannot be scanned.")
    put_manifest(
        ecr_client, repo, _oci_image(ecr_client, repo, "application/vnd.cncf.helm.config.v1+json"), tag="chart"
    )
    with pytest.raises(ClientError) as info:
        _scan(ecr_client, "chart")
    assert _error(info)[0] == "UnsupportedImageTypeException"
    put_manifest(ecr_client, repo, _oci_image(ecr_client, repo), tag="oci")
    assert _scan(ecr_client, "oci")["imageScanStatus"]["status"] == "IN_PROGRESS"


def test_archived_images_cannot_be_scanned(ecr_mock, ecr_client, repo):
    from mock_ecr.domain.images.service import archive

    pushed = ecr_mock.push_image(repo, "v1")
    store = ecr_mock.backend.store(ACCOUNT, "us-east-1")
    with store.lock:
        archive(store.repositories[repo].images.get(pushed.digest), dt.datetime.now(dt.timezone.utc))
    with pytest.raises(ClientError) as info:
        _scan(ecr_client)
    assert _error(info) == ("ImageArchivedException", "The specified image is archived and cannot be scanned.")
    with pytest.raises(ClientError):
        _findings(ecr_client)  # the refused scan left nothing behind


# -- DescribeImageScanFindings --------------------------------------------------------------------
def test_scan_not_found_before_any_scan(ecr_mock, ecr_client, repo):
    ecr_mock.push_image(repo, "v1")
    with pytest.raises(ClientError) as info:
        _findings(ecr_client)
    assert _error(info) == (
        "ScanNotFoundException",
        "Image scan does not exist for the image with '{imageDigest:'null', imageTag:'v1'}' in the repository "
        f"with name 'app' in the registry with id '{ACCOUNT}'",
    )


def test_findings_set_by_the_test_are_paginated(ecr_mock, ecr_client, repo, raw_bodies):
    ecr_mock.push_image(repo, "v1")
    ecr_mock.set_scan_findings(repo, "v1", severity_counts={"CRITICAL": 1, "HIGH": 2, "LOW": 2})
    _scan(ecr_client)
    first = _findings(ecr_client, maxResults=2)
    assert [f["severity"] for f in first["imageScanFindings"]["findings"]] == ["CRITICAL", "HIGH"]
    assert first["imageScanFindings"]["findingSeverityCounts"] == {"CRITICAL": 1, "HIGH": 2, "LOW": 2}
    assert "nextToken" in first
    pages = ecr_client.get_paginator("describe_image_scan_findings").paginate(
        repositoryName=repo, imageId={"imageTag": "v1"}, PaginationConfig={"PageSize": 2}
    )
    names = [f["name"] for page in pages for f in page["imageScanFindings"]["findings"]]
    assert len(names) == len(set(names)) == 5
    for operation, body in raw_bodies:
        check_output(operation, body)
    with pytest.raises(ClientError) as info:
        _findings(ecr_client, nextToken="not-a-token")
    assert _error(info)[0] == "InvalidParameterException"


def test_explicit_findings_are_reported_as_given(ecr_mock, ecr_client, repo):
    finding = {
        "name": "CVE-2021-44228",
        "severity": "CRITICAL",
        "uri": "https://nvd.nist.gov/vuln/detail/CVE-2021-44228",
        "attributes": [{"key": "package_name", "value": "log4j"}, {"key": "package_version", "value": "2.14"}],
    }
    ecr_mock.push_image(repo, "v1")
    _scan(ecr_client)
    ecr_mock.set_scan_findings(repo, "v1", findings=[finding])
    found = _findings(ecr_client)["imageScanFindings"]
    assert found["findings"] == [finding]
    assert found["findingSeverityCounts"] == {"CRITICAL": 1}
    assert ecr_mock.state().repository(repo).image("v1").digest in ecr_mock.state().repository(repo).scan_findings


def test_tooling_refuses_unknown_images(ecr_mock, repo):
    with pytest.raises(KeyError):
        ecr_mock.set_scan_findings(repo, "nope", severity_counts={"HIGH": 1})
    ecr_mock.push_image(repo, "v1")
    with pytest.raises(ValueError):
        ecr_mock.set_scan_findings(repo, "v1", severity_counts={"SEVERE": 1})
    with pytest.raises(ValueError):
        ecr_mock.set_scan_findings(repo, "v1")


# -- DescribeImages -------------------------------------------------------------------------------
def test_describe_images_shows_scan_status_and_summary(ecr_mock, ecr_client, repo):
    ecr_mock.push_image(repo, "v1")
    detail = ecr_client.describe_images(repositoryName=repo)["imageDetails"][0]
    assert "imageScanStatus" not in detail and "imageScanFindingsSummary" not in detail
    ecr_mock.set_scan_findings(repo, "v1", severity_counts={"MEDIUM": 3})
    _scan(ecr_client)
    detail = ecr_client.describe_images(repositoryName=repo)["imageDetails"][0]
    assert detail["imageScanStatus"]["status"] == "COMPLETE"
    assert detail["imageScanFindingsSummary"]["findingSeverityCounts"] == {"MEDIUM": 3}
    assert "imageScanCompletedAt" in detail["imageScanFindingsSummary"]


# -- scan on push ---------------------------------------------------------------------------------
def test_scan_on_push_from_the_repository_setting(ecr_mock, ecr_client):
    ecr_client.create_repository(repositoryName="scanned", imageScanningConfiguration={"scanOnPush": True})
    ecr_mock.push_image("scanned", "v1")
    assert _findings(ecr_client, repository="scanned")["imageScanStatus"]["status"] == "COMPLETE"
    with pytest.raises(ClientError) as info:  # the push's scan counts toward the daily limit
        _scan(ecr_client, repository="scanned")
    assert _error(info)[0] == "LimitExceededException"


def test_scan_on_push_follows_put_image_scanning_configuration(ecr_mock, ecr_client, repo):
    ecr_client.put_image_scanning_configuration(repositoryName=repo, imageScanningConfiguration={"scanOnPush": True})
    ecr_mock.push_image(repo, "v1")
    assert _findings(ecr_client)["imageScanStatus"]["status"] == "COMPLETE"
    ecr_client.put_image_scanning_configuration(repositoryName=repo, imageScanningConfiguration={"scanOnPush": False})
    ecr_mock.push_image(repo, "v2")
    with pytest.raises(ClientError) as info:
        _findings(ecr_client, "v2")
    assert _error(info)[0] == "ScanNotFoundException"


def test_scan_on_push_from_a_registry_rule(ecr_mock, ecr_client):
    ecr_client.put_registry_scanning_configuration(
        scanType="BASIC",
        rules=[
            {"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "prod-*", "filterType": "WILDCARD"}]}
        ],
    )
    for name in ("prod-api", "dev-api"):
        ecr_client.create_repository(repositoryName=name)
        ecr_mock.push_image(name, "v1")
    assert _findings(ecr_client, repository="prod-api")["imageScanStatus"]["status"] == "COMPLETE"
    with pytest.raises(ClientError) as info:
        _findings(ecr_client, repository="dev-api")
    assert _error(info)[0] == "ScanNotFoundException"


def test_manifest_lists_are_not_scanned_on_push(ecr_client):
    ecr_client.create_repository(repositoryName="multi", imageScanningConfiguration={"scanOnPush": True})
    _index(ecr_client, "multi")
    with pytest.raises(ClientError) as info:
        _findings(ecr_client, "multi", repository="multi")
    assert _error(info)[0] == "ScanNotFoundException"


def test_a_deleted_and_repushed_image_has_no_scan(ecr_mock, ecr_client, repo):
    pushed = ecr_mock.push_image(repo, "v1")
    _scan(ecr_client)
    ecr_client.batch_delete_image(repositoryName=repo, imageIds=[{"imageDigest": pushed.digest}])
    put_manifest(ecr_client, repo, pushed.manifest, tag="v1")
    with pytest.raises(ClientError) as info:
        _findings(ecr_client)
    assert _error(info)[0] == "ScanNotFoundException"


# -- enhanced scanning -----------------------------------------------------------------------------
def test_enhanced_scanning_answers_active_with_enhanced_findings(ecr_mock, ecr_client, repo, raw_bodies):
    ecr_client.put_registry_scanning_configuration(
        scanType="ENHANCED", rules=[{"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": EVERYWHERE}]
    )
    ecr_mock.push_image(repo, "v1")
    ecr_mock.set_scan_findings(repo, "v1", severity_counts={"HIGH": 1})
    found = _findings(ecr_client)
    assert found["imageScanStatus"] == {"status": "ACTIVE", "description": "Continuous scan is selected for image."}
    enhanced = found["imageScanFindings"]["enhancedFindings"]
    assert [f["severity"] for f in enhanced] == ["HIGH"]
    assert enhanced[0]["resources"][0]["details"]["awsEcrContainerImage"]["repositoryName"] == repo
    assert "findings" not in found["imageScanFindings"]
    for operation, body in raw_bodies:
        check_output(operation, body)
    with pytest.raises(ClientError) as info:  # manual scans are a basic-scanning feature
        _scan(ecr_client)
    assert _error(info)[0] == "ValidationException"


def test_enhanced_scanning_ignores_the_repository_scan_on_push_flag(ecr_mock, ecr_client):
    ecr_client.put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[{"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "team", "filterType": "WILDCARD"}]}],
    )
    ecr_client.create_repository(repositoryName="other", imageScanningConfiguration={"scanOnPush": True})
    ecr_client.create_repository(repositoryName="my-team-app")
    ecr_mock.push_image("other", "v1")
    ecr_mock.push_image("my-team-app", "v1")
    with pytest.raises(ClientError):
        _findings(ecr_client, repository="other")
    assert _findings(ecr_client, repository="my-team-app")["imageScanStatus"]["status"] == "ACTIVE"


# -- concurrency ----------------------------------------------------------------------------------
def test_concurrent_scans_of_one_image_start_exactly_once(ecr_mock, repo):
    ecr_mock.push_image(repo, "v1")
    outcomes: list[str] = []

    def scan():
        client = boto3.client("ecr", region_name="us-east-1")
        try:
            outcomes.append(_scan(client)["imageScanStatus"]["status"])
        except ClientError as error:
            outcomes.append(error.response["Error"]["Code"])

    threads = [threading.Thread(target=scan) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["IN_PROGRESS"] + ["LimitExceededException"] * 7


def test_digest_helper_matches_push(ecr_mock, repo):
    pushed = ecr_mock.push_image(repo, "v1")
    assert pushed.digest == digest_of(pushed.manifest.encode())
