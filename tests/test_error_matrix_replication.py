"""Every error the ECR model declares for the replication actions, reached through boto3:
naturally where a request or state causes it, through ``inject_error`` only for what no
request can (ServerException, and ValidationException of the actions that never send it).
The backfill actions are in the model of the newest botocore only; their pairs exist only there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mock_ecr.wire.model import operation_names

from .error_matrix_kit import REPO, Matrix, call, declared_pairs

ACCOUNT = "123456789012"
DESTINATION = {"region": "us-west-2", "registryId": ACCOUNT}
UNKNOWN_ID = "00000000-0000-0000-0000-000000000000"
ACTIONS = [
    action
    for action in (
        "PutReplicationConfiguration",
        "DescribeImageReplicationStatus",
        "StartReplicationBackfill",
        "StopReplicationBackfill",
        "ListReplicationBackfills",
        "DescribeReplicationBackfillResults",
    )
    if action in operation_names()
]


def valid_params(action: str) -> dict[str, Any]:
    return {
        "PutReplicationConfiguration": {"replicationConfiguration": {"rules": [{"destinations": [DESTINATION]}]}},
        "DescribeImageReplicationStatus": {"repositoryName": REPO, "imageId": {"imageTag": "v1"}},
        "StartReplicationBackfill": {"destination": DESTINATION},
        "StopReplicationBackfill": {"replicationBackfillId": UNKNOWN_ID},
        "ListReplicationBackfills": {},
        "DescribeReplicationBackfillResults": {"replicationBackfillId": UNKNOWN_ID},
    }[action]


def _configured(client: Any, *destinations: dict[str, str]) -> None:
    rule = {"destinations": list(destinations or [DESTINATION])}
    client.put_replication_configuration(replicationConfiguration={"rules": [rule]})


def _invalid_parameter(mock: Any, client: Any, action: str) -> Any:
    bad = {
        "PutReplicationConfiguration": {
            "replicationConfiguration": {"rules": [{"destinations": [{"region": "us-east-1", "registryId": ACCOUNT}]}]}
        },
        "DescribeImageReplicationStatus": {"repositoryName": "Bad_Name!", "imageId": {"imageTag": "v1"}},
        "StartReplicationBackfill": {"destination": {"region": "us-west-2", "registryId": "not-an-account"}},
        "StopReplicationBackfill": {"replicationBackfillId": "not-a-uuid"},
        "ListReplicationBackfills": {"nextToken": "garbage"},
        "DescribeReplicationBackfillResults": {"replicationBackfillId": "not-a-uuid"},
    }[action]
    return call(client, action, **bad)


def _image_missing(mock: Any, client: Any, action: str) -> Any:
    return call(client, action, **valid_params(action))


def _repository_missing(mock: Any, client: Any, action: str) -> Any:
    return client.describe_image_replication_status(repositoryName="missing", imageId={"imageTag": "v1"})


def _not_configured(mock: Any, client: Any, action: str) -> Any:
    return client.start_replication_backfill(destination=DESTINATION)


def _in_progress(mock: Any, client: Any, action: str) -> Any:
    _configured(client)
    client.start_replication_backfill(destination=DESTINATION)
    return client.start_replication_backfill(destination=DESTINATION)


def _over_the_limit(mock: Any, client: Any, action: str) -> Any:
    destinations = [{"region": f"xx-test-{n}", "registryId": ACCOUNT} for n in range(11)]
    _configured(client, *destinations)
    for destination in destinations:
        client.start_replication_backfill(destination=destination)


def _unknown(mock: Any, client: Any, action: str) -> Any:
    return call(client, action, **valid_params(action))


def _already_ended(mock: Any, client: Any, action: str) -> Any:
    _configured(client)
    backfill_id = client.start_replication_backfill(destination=DESTINATION)["replicationBackfillId"]
    client.stop_replication_backfill(replicationBackfillId=backfill_id)
    return client.stop_replication_backfill(replicationBackfillId=backfill_id)


def _before_injection(mock: Any, client: Any, action: str) -> None:
    if action == "StartReplicationBackfill":
        _configured(client)


SPECIFIC: dict[tuple[str, str], Callable[..., Any]] = {
    ("DescribeImageReplicationStatus", "ImageNotFoundException"): _image_missing,
    ("DescribeImageReplicationStatus", "RepositoryNotFoundException"): _repository_missing,
    ("StartReplicationBackfill", "ValidationException"): _not_configured,
    ("StartReplicationBackfill", "ReplicationBackfillInProgressException"): _in_progress,
    ("StartReplicationBackfill", "LimitExceededException"): _over_the_limit,
    ("StopReplicationBackfill", "ReplicationBackfillNotFoundException"): _unknown,
    ("StopReplicationBackfill", "ReplicationBackfillInvalidStatusException"): _already_ended,
    ("DescribeReplicationBackfillResults", "ReplicationBackfillNotFoundException"): _unknown,
}
#: what no request to the mock can cause: server faults, and ValidationException of the
#: actions that report every bad request as InvalidParameterException
INJECTED = {"ServerException", "ValidationException"}


MATRIX = Matrix(
    pairs=declared_pairs(ACTIONS),
    valid_params=valid_params,
    specific=SPECIFIC,
    generic={"InvalidParameterException": _invalid_parameter},
    injected=INJECTED,
    arrange=_before_injection,
)


@pytest.mark.parametrize(("action", "code"), MATRIX.cases())
def test_pair_is_reached_through_boto3(action: str, code: str) -> None:
    MATRIX.reach(action, code)


def test_only_what_no_request_causes_is_injected() -> None:
    injected = MATRIX.injected_reached()
    assert {c for _, c in injected} <= INJECTED
    assert ("StartReplicationBackfill", "ValidationException") not in injected
