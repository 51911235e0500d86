"""Every error the ECR model declares for the archive, referrer, signing and pull-time exclusion
actions, reached through boto3: naturally where state or a request causes it, through a small
quota for the exclusion limit, and through ``inject_error`` only for what no request can cause
here (ServerException, ValidationException, which ECR's front end sends and the mock reports as
InvalidParameterException like ECR's other actions, the LimitExceededException that listing or
removing an exclusion never reaches, and the pull-through cache failure of ListImageReferrers).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .error_matrix_kit import REPO, Matrix, call, declared_pairs

PRINCIPAL = "arn:aws:iam::123456789012:role/ci"
PROFILE = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/release"
DIGEST = "sha256:" + "0" * 64
ACTIONS = [
    "UpdateImageStorageClass", "ListImageReferrers", "PutSigningConfiguration", "GetSigningConfiguration",
    "DeleteSigningConfiguration", "DescribeImageSigningStatus", "RegisterPullTimeUpdateExclusion",
    "DeregisterPullTimeUpdateExclusion", "ListPullTimeUpdateExclusions",
]  # fmt: skip


def valid_params(action: str, repository: str = REPO) -> dict[str, Any]:
    image = {"repositoryName": repository, "imageId": {"imageTag": "v1"}}
    return {
        "UpdateImageStorageClass": {**image, "targetStorageClass": "ARCHIVE"},
        "ListImageReferrers": {"repositoryName": repository, "subjectId": {"imageDigest": DIGEST}},
        "PutSigningConfiguration": {"signingConfiguration": {"rules": [{"signingProfileArn": PROFILE}]}},
        "GetSigningConfiguration": {},
        "DeleteSigningConfiguration": {},
        "DescribeImageSigningStatus": image,
        "RegisterPullTimeUpdateExclusion": {"principalArn": PRINCIPAL},
        "DeregisterPullTimeUpdateExclusion": {"principalArn": PRINCIPAL},
        "ListPullTimeUpdateExclusions": {},
    }[action]


def _invalid_parameter(mock: Any, client: Any, action: str) -> Any:
    bad = {
        "PutSigningConfiguration": {"signingConfiguration": {"rules": [{"signingProfileArn": "arn:aws:signer:x"}]}},
        "RegisterPullTimeUpdateExclusion": {"principalArn": "arn:aws:iam::123456789012:group/devs"},
        "DeregisterPullTimeUpdateExclusion": {"principalArn": "not an arn"},
        "ListPullTimeUpdateExclusions": {"nextToken": "garbage"},
        "ListImageReferrers": {"repositoryName": REPO, "subjectId": {"imageDigest": "not-a-digest"}},
    }.get(action)
    return call(client, action, **(bad if bad is not None else valid_params(action, "Bad_Name!")))


def _repository_missing(mock: Any, client: Any, action: str) -> Any:
    return call(client, action, **valid_params(action, "missing"))


def _image_missing(mock: Any, client: Any, action: str) -> Any:
    return call(client, action, **valid_params(action))


def _already_archived(mock: Any, client: Any, action: str) -> Any:
    mock.push_image(REPO, "v1")
    call(client, action, **valid_params(action))
    return call(client, action, **valid_params(action))


def _no_configuration(mock: Any, client: Any, action: str) -> Any:
    return call(client, action)


def _twice(mock: Any, client: Any, action: str) -> Any:
    call(client, action, **valid_params(action))
    return call(client, action, **valid_params(action))


def _over_the_limit(mock: Any, client: Any, action: str) -> Any:
    client.register_pull_time_update_exclusion(principalArn="arn:aws:iam::123456789012:role/first")
    return call(client, action, **valid_params(action))


SPECIFIC: dict[tuple[str, str], Callable[..., Any]] = {
    ("UpdateImageStorageClass", "ImageNotFoundException"): _image_missing,
    ("UpdateImageStorageClass", "ImageStorageClassUpdateNotSupportedException"): _already_archived,
    ("DescribeImageSigningStatus", "ImageNotFoundException"): _image_missing,
    ("GetSigningConfiguration", "SigningConfigurationNotFoundException"): _no_configuration,
    ("DeleteSigningConfiguration", "SigningConfigurationNotFoundException"): _no_configuration,
    ("RegisterPullTimeUpdateExclusion", "ExclusionAlreadyExistsException"): _twice,
    ("RegisterPullTimeUpdateExclusion", "LimitExceededException"): _over_the_limit,
    ("DeregisterPullTimeUpdateExclusion", "ExclusionNotFoundException"): _image_missing,
}
INJECTED = {"ServerException", "ValidationException", "LimitExceededException",
            "UnableToListUpstreamImageReferrersException"}  # fmt: skip


#: an action that takes no member a request could get wrong
INJECTED_PAIRS = {("GetSigningConfiguration", "InvalidParameterException")}


MATRIX = Matrix(
    pairs=declared_pairs(ACTIONS),
    valid_params=valid_params,
    specific=SPECIFIC,
    generic={"InvalidParameterException": _invalid_parameter, "RepositoryNotFoundException": _repository_missing},
    injected=INJECTED,
    injected_pairs=INJECTED_PAIRS,
    quotas={_over_the_limit: {"pull_time_update_exclusions_per_registry": 1}},
)


@pytest.mark.parametrize(("action", "code"), MATRIX.cases())
def test_pair_is_reached_through_boto3(action: str, code: str) -> None:
    MATRIX.reach(action, code)


def test_only_what_no_request_causes_is_injected() -> None:
    injected = MATRIX.injected_reached()
    assert {c for a, c in injected if (a, c) not in INJECTED_PAIRS} <= INJECTED
    assert ("RegisterPullTimeUpdateExclusion", "LimitExceededException") not in injected
