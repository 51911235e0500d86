"""Every error the ECR model declares for the pull through cache actions, and the upstream
errors of BatchGetImage and GetDownloadUrlForLayer, reached through boto3: naturally where
a request or state causes it, through a small quota for the limits, and through
``inject_error`` only for what nothing the mock models can cause (ServerException,
ValidationException, which ECR's front end answers for requests the mock reports as
InvalidParameterException, and UnableToDecryptSecretValueException, which needs KMS).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .error_matrix_kit import Matrix, call, declared_pairs

ACCOUNT = "123456789012"
SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:ecr-pullthroughcache/hub"
RULE = "hub"
ACTIONS = [
    "CreatePullThroughCacheRule", "DescribePullThroughCacheRules", "UpdatePullThroughCacheRule",
    "DeletePullThroughCacheRule", "ValidatePullThroughCacheRule",
]  # fmt: skip
UPSTREAM_PAIRS = [
    ("BatchGetImage", "UnableToGetUpstreamImageException"),
    ("BatchGetImage", "LimitExceededException"),
    ("GetDownloadUrlForLayer", "UnableToGetUpstreamLayerException"),
]
PAIRS = declared_pairs(ACTIONS) + UPSTREAM_PAIRS


def valid_params(action: str) -> dict[str, Any]:
    return {
        "CreatePullThroughCacheRule": {
            "ecrRepositoryPrefix": RULE, "upstreamRegistryUrl": "registry-1.docker.io", "credentialArn": SECRET,
        },
        "DescribePullThroughCacheRules": {},
        "UpdatePullThroughCacheRule": {"ecrRepositoryPrefix": RULE, "credentialArn": SECRET},
        "DeletePullThroughCacheRule": {"ecrRepositoryPrefix": RULE},
        "ValidatePullThroughCacheRule": {"ecrRepositoryPrefix": RULE},
        "BatchGetImage": {"repositoryName": f"{RULE}/library/nginx", "imageIds": [{"imageTag": "1.27"}]},
        "GetDownloadUrlForLayer": {"repositoryName": f"{RULE}/library/nginx", "layerDigest": "sha256:" + "a" * 64},
    }[action]  # fmt: skip


def _with_rule(mock: Any, client: Any) -> None:
    call(client, "CreatePullThroughCacheRule", **valid_params("CreatePullThroughCacheRule"))


def _invalid_parameter(mock: Any, client: Any, action: str) -> Any:
    if action == "UpdatePullThroughCacheRule":
        _with_rule(mock, client)
        return call(client, action, ecrRepositoryPrefix=RULE)  # neither a secret nor a role
    if action == "DescribePullThroughCacheRules":
        return call(client, action, nextToken="garbage")
    params = valid_params(action)
    params["ecrRepositoryPrefix"] = "Bad_Prefix!"
    return call(client, action, **params)


def _twice(mock: Any, client: Any, action: str) -> Any:
    _with_rule(mock, client)
    return call(client, action, **valid_params(action))


def _no_rule(mock: Any, client: Any, action: str) -> Any:
    if action == "DescribePullThroughCacheRules":
        return call(client, action, ecrRepositoryPrefixes=["none"])
    return call(client, action, **valid_params(action))


def _unsupported(mock: Any, client: Any, action: str) -> Any:
    return call(client, action, ecrRepositoryPrefix=RULE, upstreamRegistryUrl="harbor.example.com")


def _second_rule(mock: Any, client: Any, action: str) -> Any:
    call(client, action, ecrRepositoryPrefix="quay", upstreamRegistryUrl="quay.io")
    return call(client, action, **valid_params(action))


def _secret(account: str, region: str) -> Callable[..., Any]:
    def provoke(mock: Any, client: Any, action: str) -> Any:
        if action == "UpdatePullThroughCacheRule":
            _with_rule(mock, client)
        params = valid_params(action)
        params["credentialArn"] = SECRET.replace(ACCOUNT, account).replace("us-east-1", region)
        return call(client, action, **params)

    return provoke


def _nothing_upstream(mock: Any, client: Any, action: str) -> Any:
    _with_rule(mock, client)
    return call(client, action, **valid_params(action))


def _no_room(mock: Any, client: Any, action: str) -> Any:
    _with_rule(mock, client)
    mock.seed_upstream("docker-hub", "library/nginx", "1.27")
    return call(client, action, **valid_params(action))


SPECIFIC: dict[tuple[str, str], Callable[..., Any]] = {
    ("CreatePullThroughCacheRule", "PullThroughCacheRuleAlreadyExistsException"): _twice,
    ("CreatePullThroughCacheRule", "UnsupportedUpstreamRegistryException"): _unsupported,
    ("CreatePullThroughCacheRule", "LimitExceededException"): _second_rule,
    ("CreatePullThroughCacheRule", "UnableToAccessSecretException"): _secret("210987654321", "us-east-1"),
    ("CreatePullThroughCacheRule", "SecretNotFoundException"): _secret(ACCOUNT, "eu-west-1"),
    ("UpdatePullThroughCacheRule", "UnableToAccessSecretException"): _secret("210987654321", "us-east-1"),
    ("UpdatePullThroughCacheRule", "SecretNotFoundException"): _secret(ACCOUNT, "eu-west-1"),
    ("BatchGetImage", "UnableToGetUpstreamImageException"): _nothing_upstream,
    ("BatchGetImage", "LimitExceededException"): _no_room,
    ("GetDownloadUrlForLayer", "UnableToGetUpstreamLayerException"): _nothing_upstream,
}
#: what nothing the mock models can cause
INJECTED = {"ServerException", "ValidationException", "UnableToDecryptSecretValueException"}
QUOTAS = {_second_rule: {"pull_through_cache_rules_per_registry": 1}, _no_room: {"repositories_per_registry": 1}}


MATRIX = Matrix(
    pairs=PAIRS,
    valid_params=valid_params,
    specific=SPECIFIC,
    generic={"InvalidParameterException": _invalid_parameter, "PullThroughCacheRuleNotFoundException": _no_rule},
    injected=INJECTED,
    quotas=QUOTAS,
)


@pytest.mark.parametrize(("action", "code"), MATRIX.cases())
def test_pair_is_reached_through_boto3(action: str, code: str) -> None:
    MATRIX.reach(action, code)


def test_only_what_no_request_causes_is_injected() -> None:
    injected = {code for _, code in MATRIX.injected_reached()}
    assert injected <= INJECTED
    assert {code for _, code in PAIRS} >= {"SecretNotFoundException", "UnableToAccessSecretException"}
