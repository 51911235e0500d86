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

import boto3
import pytest
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError

from mock_ecr import mock_ecr
from mock_ecr.wire.model import service_model

REPO = "app"
PRINCIPAL = "arn:aws:iam::123456789012:role/ci"
PROFILE = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/release"
DIGEST = "sha256:" + "0" * 64
ACTIONS = [
    "UpdateImageStorageClass", "ListImageReferrers", "PutSigningConfiguration", "GetSigningConfiguration",
    "DeleteSigningConfiguration", "DescribeImageSigningStatus", "RegisterPullTimeUpdateExclusion",
    "DeregisterPullTimeUpdateExclusion", "ListPullTimeUpdateExclusions",
]  # fmt: skip
PAIRS = [(action, shape.name) for action in ACTIONS for shape in service_model().operation_model(action).error_shapes]


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


def _call(client: Any, action: str, **params: Any) -> Any:
    return getattr(client, xform_name(action))(**params)


def _inject(mock: Any, client: Any, action: str, code: str) -> Any:
    mock.inject_error(action, code)
    return _call(client, action, **valid_params(action))


def _invalid_parameter(mock: Any, client: Any, action: str) -> Any:
    bad = {
        "PutSigningConfiguration": {"signingConfiguration": {"rules": [{"signingProfileArn": "arn:aws:signer:x"}]}},
        "RegisterPullTimeUpdateExclusion": {"principalArn": "arn:aws:iam::123456789012:group/devs"},
        "DeregisterPullTimeUpdateExclusion": {"principalArn": "not an arn"},
        "ListPullTimeUpdateExclusions": {"nextToken": "garbage"},
        "ListImageReferrers": {"repositoryName": REPO, "subjectId": {"imageDigest": "not-a-digest"}},
    }.get(action)
    return _call(client, action, **(bad if bad is not None else valid_params(action, "Bad_Name!")))


def _repository_missing(mock: Any, client: Any, action: str) -> Any:
    return _call(client, action, **valid_params(action, "missing"))


def _image_missing(mock: Any, client: Any, action: str) -> Any:
    return _call(client, action, **valid_params(action))


def _already_archived(mock: Any, client: Any, action: str) -> Any:
    mock.push_image(REPO, "v1")
    _call(client, action, **valid_params(action))
    return _call(client, action, **valid_params(action))


def _no_configuration(mock: Any, client: Any, action: str) -> Any:
    return _call(client, action)


def _twice(mock: Any, client: Any, action: str) -> Any:
    _call(client, action, **valid_params(action))
    return _call(client, action, **valid_params(action))


def _over_the_limit(mock: Any, client: Any, action: str) -> Any:
    client.register_pull_time_update_exclusion(principalArn="arn:aws:iam::123456789012:role/first")
    return _call(client, action, **valid_params(action))


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


def _way(action: str, code: str) -> tuple[str, Callable[..., Any]]:
    if (action, code) in INJECTED_PAIRS:
        return "inject_error", lambda mock, client, action: _inject(mock, client, action, code)
    if (action, code) in SPECIFIC:
        return "natural", SPECIFIC[(action, code)]
    if code == "InvalidParameterException":
        return "natural", _invalid_parameter
    if code == "RepositoryNotFoundException":
        return "natural", _repository_missing
    if code in INJECTED:
        return "inject_error", lambda mock, client, action: _inject(mock, client, action, code)
    raise AssertionError(f"no way to reach {code} from {action}")


@pytest.mark.parametrize(("action", "code"), [pytest.param(a, c, id=f"{a}-{c}") for a, c in PAIRS])
def test_pair_is_reached_through_boto3(action: str, code: str) -> None:
    _, provoke = _way(action, code)
    quotas = {"pull_time_update_exclusions_per_registry": 1} if provoke is _over_the_limit else {}
    with mock_ecr(quotas=quotas) as mock:
        client = boto3.client(
            "ecr", region_name="us-east-1",
            config=Config(retries={"total_max_attempts": 1}, parameter_validation=False),
        )  # fmt: skip
        client.create_repository(repositoryName=REPO)
        with pytest.raises(ClientError) as info:
            provoke(mock, client, action)
        failing = mock.calls[-1]
    response = info.value.response
    assert response["Error"]["Code"] == code
    assert response["ResponseMetadata"]["HTTPStatusCode"] == (500 if code == "ServerException" else 400)
    assert (failing.operation, failing.error_code) == (action, code)


def test_only_what_no_request_causes_is_injected() -> None:
    injected = {(a, c) for a, c in PAIRS if _way(a, c)[0] == "inject_error"}
    assert {c for a, c in injected if (a, c) not in INJECTED_PAIRS} <= INJECTED
    assert ("RegisterPullTimeUpdateExclusion", "LimitExceededException") not in injected
