"""Every error the ECR model declares for the scanning, registry-settings and template actions,
reached through boto3: naturally where state or a request causes it, through a small quota for
the template limit, and through ``inject_error`` only for what no request can cause here
(ServerException, ValidationException of the actions that never send it, and
BlockedByOrganizationPolicyException, which needs AWS Organizations).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from .error_matrix_kit import REPO, Matrix, call, declared_pairs

POLICY = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]})
EVERYWHERE = [{"filter": "*", "filterType": "WILDCARD"}]
ACTIONS = [
    "PutImageTagMutability", "PutImageScanningConfiguration", "StartImageScan", "DescribeImageScanFindings",
    "GetRegistryScanningConfiguration", "PutRegistryScanningConfiguration", "BatchGetRepositoryScanningConfiguration",
    "PutRegistryPolicy", "GetRegistryPolicy", "DeleteRegistryPolicy", "DescribeRegistry", "GetAccountSetting",
    "PutAccountSetting", "CreateRepositoryCreationTemplate", "DescribeRepositoryCreationTemplates",
    "UpdateRepositoryCreationTemplate", "DeleteRepositoryCreationTemplate",
]  # fmt: skip


def valid_params(action: str, repository: str = REPO) -> dict[str, Any]:
    where = {"repositoryName": repository}
    image = {**where, "imageId": {"imageTag": "v1"}}
    return {
        "PutImageTagMutability": {**where, "imageTagMutability": "IMMUTABLE"},
        "PutImageScanningConfiguration": {**where, "imageScanningConfiguration": {"scanOnPush": True}},
        "StartImageScan": image,
        "DescribeImageScanFindings": image,
        "GetRegistryScanningConfiguration": {},
        "PutRegistryScanningConfiguration": {"scanType": "BASIC", "rules": []},
        "BatchGetRepositoryScanningConfiguration": {"repositoryNames": [repository]},
        "PutRegistryPolicy": {"policyText": POLICY},
        "GetRegistryPolicy": {},
        "DeleteRegistryPolicy": {},
        "DescribeRegistry": {},
        "GetAccountSetting": {"name": "BLOB_MOUNTING"},
        "PutAccountSetting": {"name": "BLOB_MOUNTING", "value": "ENABLED"},
        "CreateRepositoryCreationTemplate": {"prefix": "prod", "appliedFor": ["PULL_THROUGH_CACHE"]},
        "DescribeRepositoryCreationTemplates": {},
        "UpdateRepositoryCreationTemplate": {"prefix": "prod"},
        "DeleteRepositoryCreationTemplate": {"prefix": "prod"},
    }[action]


def _invalid_parameter(mock: Any, client: Any, action: str) -> Any:
    bad = {
        "PutRegistryScanningConfiguration": {
            "scanType": "BASIC",
            "rules": [{"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": EVERYWHERE}],
        },
        "BatchGetRepositoryScanningConfiguration": {"repositoryNames": ["Bad_Name!"]},
        "PutRegistryPolicy": {"policyText": "not json"},
        "GetAccountSetting": {"name": "NO_SUCH_SETTING"},
        "PutAccountSetting": {"name": "BLOB_MOUNTING", "value": "MAYBE"},
        "CreateRepositoryCreationTemplate": {"prefix": "Bad_Prefix!", "appliedFor": ["PULL_THROUGH_CACHE"]},
        "DescribeRepositoryCreationTemplates": {"nextToken": "garbage"},
        "UpdateRepositoryCreationTemplate": {"prefix": "Bad_Prefix!"},
        "DeleteRepositoryCreationTemplate": {"prefix": "Bad_Prefix!"},
    }.get(action)
    return call(client, action, **(bad if bad is not None else valid_params(action, "Bad_Name!")))


def _pushed(mock: Any, client: Any) -> None:
    mock.push_image(REPO, "v1")


def _scan_twice(mock: Any, client: Any, action: str) -> Any:
    _pushed(mock, client)
    client.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})
    return client.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})


def _image_missing(mock: Any, client: Any, action: str) -> Any:
    return call(client, action, **valid_params(action))


def _no_scan(mock: Any, client: Any, action: str) -> Any:
    _pushed(mock, client)
    return client.describe_image_scan_findings(repositoryName=REPO, imageId={"imageTag": "v1"})


def _unsupported(mock: Any, client: Any, action: str) -> Any:
    pushed = mock.push_image(REPO, "child")
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {"mediaType": pushed.media_type, "digest": pushed.digest, "size": len(pushed.manifest.encode())}
            ],
        }
    )
    client.put_image(repositoryName=REPO, imageManifest=index, imageTag="v1")
    return client.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})


def _archived(mock: Any, client: Any, action: str) -> Any:
    import datetime as dt

    from mock_ecr.domain.images.service import archive

    pushed = mock.push_image(REPO, "v1")
    store = mock.backend.store(mock.account_id, "us-east-1")
    with store.lock:
        archive(store.repositories[REPO].images.get(pushed.digest), dt.datetime.now(dt.timezone.utc))
    return client.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})


def _enhanced_manual_scan(mock: Any, client: Any, action: str) -> Any:
    client.put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[
            {
                "scanFrequency": "CONTINUOUS_SCAN",
                "repositoryFilters": [{"filter": "nothing-matches", "filterType": "WILDCARD"}],
            }
        ],
    )
    _pushed(mock, client)
    return client.start_image_scan(repositoryName=REPO, imageId={"imageTag": "v1"})


def _no_registry_policy(mock: Any, client: Any, action: str) -> Any:
    return call(client, action)


def _template_twice(mock: Any, client: Any, action: str) -> Any:
    call(client, action, **valid_params(action))
    return call(client, action, **valid_params(action))


def _second_template(mock: Any, client: Any, action: str) -> Any:
    client.create_repository_creation_template(prefix="first", appliedFor=["REPLICATION"])
    return call(client, action, **valid_params(action))


def _no_template(mock: Any, client: Any, action: str) -> Any:
    return call(client, action, **valid_params(action))


def _repository_missing(mock: Any, client: Any, action: str) -> Any:
    return call(client, action, **valid_params(action, "missing"))


SPECIFIC: dict[tuple[str, str], Callable[..., Any]] = {
    ("StartImageScan", "LimitExceededException"): _scan_twice,
    ("StartImageScan", "ImageNotFoundException"): _image_missing,
    ("StartImageScan", "UnsupportedImageTypeException"): _unsupported,
    ("StartImageScan", "ImageArchivedException"): _archived,
    ("StartImageScan", "ValidationException"): _enhanced_manual_scan,
    ("DescribeImageScanFindings", "ImageNotFoundException"): _image_missing,
    ("DescribeImageScanFindings", "ScanNotFoundException"): _no_scan,
    ("GetRegistryPolicy", "RegistryPolicyNotFoundException"): _no_registry_policy,
    ("DeleteRegistryPolicy", "RegistryPolicyNotFoundException"): _no_registry_policy,
    ("CreateRepositoryCreationTemplate", "TemplateAlreadyExistsException"): _template_twice,
    ("CreateRepositoryCreationTemplate", "LimitExceededException"): _second_template,
    ("UpdateRepositoryCreationTemplate", "TemplateNotFoundException"): _no_template,
    ("DeleteRepositoryCreationTemplate", "TemplateNotFoundException"): _no_template,
}
#: modeled errors no request to the mock can cause: real ECR answers them for server faults,
#: AWS Organizations policies, a per-account setting quota, or request checks it makes in
#: the API front end that the mock reports as InvalidParameterException like ECR's other actions
INJECTED = {"ServerException", "ValidationException", "BlockedByOrganizationPolicyException",
            "LimitExceededException"}  # fmt: skip


#: pairs of actions that take no member a request could get wrong, and BatchGet's missing
#: repositories, which ECR reports as REPOSITORY_NOT_FOUND failures rather than an error
INJECTED_PAIRS = {
    ("GetRegistryScanningConfiguration", "InvalidParameterException"),
    ("GetRegistryPolicy", "InvalidParameterException"),
    ("DeleteRegistryPolicy", "InvalidParameterException"),
    ("DescribeRegistry", "InvalidParameterException"),
    ("BatchGetRepositoryScanningConfiguration", "RepositoryNotFoundException"),
}


MATRIX = Matrix(
    pairs=declared_pairs(ACTIONS),
    valid_params=valid_params,
    specific=SPECIFIC,
    generic={"InvalidParameterException": _invalid_parameter, "RepositoryNotFoundException": _repository_missing},
    injected=INJECTED,
    injected_pairs=INJECTED_PAIRS,
    quotas={_second_template: {"repository_creation_templates_per_registry": 1}},
)


@pytest.mark.parametrize(("action", "code"), MATRIX.cases())
def test_pair_is_reached_through_boto3(action: str, code: str) -> None:
    MATRIX.reach(action, code)


def test_only_what_no_request_causes_is_injected() -> None:
    injected = MATRIX.injected_reached()
    assert {c for a, c in injected if (a, c) not in INJECTED_PAIRS} <= INJECTED
    assert ("StartImageScan", "LimitExceededException") not in injected
    assert ("CreateRepositoryCreationTemplate", "LimitExceededException") not in injected
