"""Replication backfill through boto3, where the installed botocore models it: existing images
replicated on request, statuses one step per look, and the modeled errors."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
from botocore.exceptions import ClientError
from freezegun import freeze_time

from mock_ecr import mock_ecr
from mock_ecr.wire.model import operation_names

pytestmark = pytest.mark.skipif(
    "StartReplicationBackfill" not in operation_names(), reason="the installed botocore has no replication backfill"
)

SOURCE = "123456789012"
OTHER = "210987654321"
HOME, AWAY = "us-east-1", "us-west-2"
DESTINATION = {"region": AWAY, "registryId": SOURCE}


def _client(region: str = HOME):
    return boto3.client("ecr", region_name=region)


def _configure(client, *destinations, filters=None):
    rule = {"destinations": [dict(d) for d in destinations]}
    if filters:
        rule["repositoryFilters"] = [{"filter": f, "filterType": "PREFIX_MATCH"} for f in filters]
    client.put_replication_configuration(replicationConfiguration={"rules": [rule]})


def _error(info) -> tuple[str, str]:
    error = info.value.response["Error"]
    return error["Code"], error["Message"]


def _describe(client, backfill_id, **params):
    return client.describe_replication_backfill_results(replicationBackfillId=backfill_id, **params)


def test_a_backfill_replicates_existing_images_that_the_rules_match(ecr_mock):
    client = _client()
    first = ecr_mock.push_image("prod/app", "v1")
    ecr_mock.push_image("prod/app", "v2")
    client.put_image(
        repositoryName="prod/app",
        imageManifest=client.batch_get_image(repositoryName="prod/app", imageIds=[{"imageTag": "v1"}])["images"][0][
            "imageManifest"
        ],
        imageTag="stable",
    )
    untagged = ecr_mock.push_image("prod/app")
    ecr_mock.push_image("dev/app", "v1")
    _configure(client, DESTINATION, filters=["prod"])
    with freeze_time("2026-05-01 10:00:00"):
        started = client.start_replication_backfill(destination=DESTINATION)
    assert started["status"] == "PREPARING"
    assert started["registryId"] == SOURCE and started["destination"] == DESTINATION
    assert started["startedAt"] == dt.datetime(2026, 5, 1, 10, tzinfo=dt.timezone.utc)
    backfill_id = started["replicationBackfillId"]

    away = ecr_mock.state(region=AWAY)
    assert list(away.repositories) == ["prod/app"]
    copied = away.repository("prod/app")
    assert copied.image(first.digest).tags == ("v1", "stable")
    assert copied.image(untagged.digest).tags == ()
    assert len(copied.images) == 3

    listed = client.list_replication_backfills()["backfills"]
    assert [(b["replicationBackfillId"], b["status"]) for b in listed] == [(backfill_id, "IN_PROGRESS")]
    assert listed[0]["progress"] == {
        "totalReplicationCount": 4,  # v1, stable, v2 and the untagged image
        "completedReplicationCount": 4,
        "failedReplicationCount": 0,
        "failureCodes": [],
    }
    described = _describe(client, backfill_id)
    assert described["status"] == "COMPLETE" and "endedAt" in described
    assert [(r["imageId"].get("imageTag"), r["status"]) for r in described["results"]] == [
        ("v1", "COMPLETE"),
        ("stable", "COMPLETE"),
        ("v2", "COMPLETE"),
        (None, "COMPLETE"),
    ]
    assert {r["repositoryName"] for r in described["results"]} == {"prod/app"}
    assert _describe(client, backfill_id)["status"] == "COMPLETE"  # final from then on


def test_results_come_only_once_the_backfill_has_ended(ecr_mock):
    client = _client()
    ecr_mock.push_image("app", "v1")
    _configure(client, DESTINATION)
    backfill_id = client.start_replication_backfill(destination=DESTINATION)["replicationBackfillId"]
    running = _describe(client, backfill_id)
    assert running["status"] == "IN_PROGRESS" and "results" not in running and "endedAt" not in running
    assert len(_describe(client, backfill_id)["results"]) == 1


def test_a_backfill_where_half_the_replications_fail_fails(ecr_mock):
    client = _client()
    ecr_mock.push_image("app", "v1")
    ecr_mock.push_image("app", "v2")
    other = {"region": HOME, "registryId": OTHER}
    _configure(client, other)  # no registry policy there: every replication is refused
    backfill_id = client.start_replication_backfill(destination=other)["replicationBackfillId"]
    _describe(client, backfill_id)
    described = _describe(client, backfill_id)
    assert described["status"] == "FAILED"
    assert described["progress"] == {
        "totalReplicationCount": 2,
        "completedReplicationCount": 0,
        "failedReplicationCount": 2,
        "failureCodes": ["ACCESS_DENIED"],
    }
    assert {(r["status"], r["failureCode"]) for r in described["results"]} == {("FAILED", "ACCESS_DENIED")}
    only_failed = _describe(client, backfill_id, resultStatusFilter="COMPLETE")
    assert only_failed["results"] == []


def test_results_page(ecr_mock):
    client = _client()
    for n in range(5):
        ecr_mock.push_image("app", f"v{n}")
    _configure(client, DESTINATION)
    backfill_id = client.start_replication_backfill(destination=DESTINATION)["replicationBackfillId"]
    _describe(client, backfill_id)
    paginator = client.get_paginator("describe_replication_backfill_results")
    pages = list(paginator.paginate(replicationBackfillId=backfill_id, PaginationConfig={"PageSize": 2}))
    assert [len(page["results"]) for page in pages] == [2, 2, 1]
    tags = [r["imageId"]["imageTag"] for page in pages for r in page["results"]]
    assert tags == [f"v{n}" for n in range(5)]
    with pytest.raises(ClientError) as info:
        _describe(client, backfill_id, nextToken="garbage")
    assert _error(info)[0] == "InvalidParameterException"


def test_stopping_before_the_end_is_shown_stops_it(ecr_mock):
    client = _client()
    ecr_mock.push_image("app", "v1")
    _configure(client, DESTINATION)
    backfill_id = client.start_replication_backfill(destination=DESTINATION)["replicationBackfillId"]
    stopped = client.stop_replication_backfill(replicationBackfillId=backfill_id)
    assert stopped["status"] == "STOPPED" and stopped["destination"] == DESTINATION
    described = _describe(client, backfill_id)
    assert described["status"] == "STOPPED" and "endedAt" in described
    assert [r["status"] for r in described["results"]] == ["COMPLETE"]  # what it replicated stays
    with pytest.raises(ClientError) as info:
        client.stop_replication_backfill(replicationBackfillId=backfill_id)
    assert _error(info) == (
        "ReplicationBackfillInvalidStatusException",
        f"The replication backfill with id '{backfill_id}' cannot be stopped because its status is STOPPED",
    )
    client.start_replication_backfill(destination=DESTINATION)  # the destination is free again


def test_a_completed_backfill_cannot_be_stopped(ecr_mock):
    client = _client()
    _configure(client, DESTINATION)
    backfill_id = client.start_replication_backfill(destination=DESTINATION)["replicationBackfillId"]
    _describe(client, backfill_id)
    assert _describe(client, backfill_id)["status"] == "COMPLETE"
    with pytest.raises(ClientError) as info:
        client.stop_replication_backfill(replicationBackfillId=backfill_id)
    assert _error(info)[0] == "ReplicationBackfillInvalidStatusException"


def test_the_destination_must_be_in_the_replication_configuration(ecr_mock):
    client = _client()
    with pytest.raises(ClientError) as info:
        client.start_replication_backfill(destination=DESTINATION)
    assert _error(info) == (
        "ValidationException",
        "The destination must already be configured in the registry's replication configuration.",
    )
    assert client.list_replication_backfills()["backfills"] == []


def test_one_backfill_in_progress_per_destination_region(ecr_mock):
    client = _client()
    same_region = {"region": AWAY, "registryId": OTHER}
    _configure(client, DESTINATION, same_region)
    client.start_replication_backfill(destination=DESTINATION)
    with pytest.raises(ClientError) as info:
        client.start_replication_backfill(destination=same_region)
    assert _error(info) == (
        "ReplicationBackfillInProgressException",
        f"A replication backfill is already in progress for the destination Region '{AWAY}'",
    )
    assert len(client.list_replication_backfills()["backfills"]) == 1


def test_at_most_ten_backfills_in_progress_per_registry(ecr_mock):
    client = _client()
    destinations = [{"region": f"xx-test-{n}", "registryId": SOURCE} for n in range(11)]
    _configure(client, *destinations)
    for destination in destinations[:10]:
        client.start_replication_backfill(destination=destination)
    with pytest.raises(ClientError) as info:
        client.start_replication_backfill(destination=destinations[10])
    assert _error(info)[0] == "LimitExceededException"
    assert "Replication backfills in progress per registry: 10" in _error(info)[1]


def test_unknown_backfills_are_not_found(ecr_mock):
    client = _client()
    unknown = "00000000-0000-0000-0000-000000000000"
    for call in (client.stop_replication_backfill, client.describe_replication_backfill_results):
        with pytest.raises(ClientError) as info:
            call(replicationBackfillId=unknown)
        assert _error(info) == (
            "ReplicationBackfillNotFoundException",
            f"The replication backfill with id '{unknown}' does not exist in the registry with id '{SOURCE}'",
        )


def test_backfills_are_per_registry_and_listed_in_start_order_in_pages(ecr_mock):
    client = _client()
    destinations = [{"region": f"xx-test-{n}", "registryId": SOURCE} for n in range(3)]
    _configure(client, *destinations)
    ids = [client.start_replication_backfill(destination=d)["replicationBackfillId"] for d in destinations]
    pages = list(client.get_paginator("list_replication_backfills").paginate(PaginationConfig={"PageSize": 2}))
    assert [b["replicationBackfillId"] for page in pages for b in page["backfills"]] == ids
    assert _client(AWAY).list_replication_backfills()["backfills"] == []
    with mock_ecr(account_id=OTHER):
        assert (
            _client().list_replication_backfills(registryId=SOURCE)["backfills"][0]["replicationBackfillId"] == ids[0]
        )


def test_ended_backfills_are_kept_for_90_days(ecr_mock):
    client = _client()
    _configure(client, DESTINATION)
    with freeze_time("2026-01-01") as clock:
        backfill_id = client.start_replication_backfill(destination=DESTINATION)["replicationBackfillId"]
        _describe(client, backfill_id)
        _describe(client, backfill_id)  # ended now
        clock.tick(dt.timedelta(days=89))
        assert len(client.list_replication_backfills()["backfills"]) == 1
        clock.tick(dt.timedelta(days=1))
        assert client.list_replication_backfills()["backfills"] == []
        with pytest.raises(ClientError) as info:
            _describe(client, backfill_id)
        assert _error(info)[0] == "ReplicationBackfillNotFoundException"


def test_a_backfill_replicates_across_accounts_the_policy_allows(ecr_mock):
    policy = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": SOURCE},
                    "Action": ["ecr:ReplicateImage", "ecr:CreateRepository"],
                }
            ]
        }
    )
    with mock_ecr(account_id=OTHER):
        _client().put_registry_policy(policyText=policy)
    client = _client()
    pushed = ecr_mock.push_image("app", "v1")
    other = {"region": HOME, "registryId": OTHER}
    _configure(client, other)
    client.start_replication_backfill(destination=other)
    assert ecr_mock.state(account_id=OTHER).repository("app").image("v1").digest == pushed.digest
    statuses = client.describe_image_replication_status(repositoryName="app", imageId={"imageTag": "v1"})
    assert statuses["replicationStatuses"] == [{"region": HOME, "registryId": OTHER, "status": "IN_PROGRESS"}]


def test_state_and_snapshots_show_backfills(ecr_mock):
    client = _client()
    ecr_mock.push_image("app", "v1")
    _configure(client, DESTINATION)
    backfill_id = client.start_replication_backfill(destination=DESTINATION)["replicationBackfillId"]
    saved = ecr_mock.snapshot()
    shown = ecr_mock.state().replication_backfills[backfill_id]
    assert shown["status"] == "PREPARING" and shown["progress"] is None
    assert [r["imageTag"] for r in shown["results"]] == ["v1"]
    client.stop_replication_backfill(replicationBackfillId=backfill_id)
    ecr_mock.restore(saved)
    assert ecr_mock.state().replication_backfills[backfill_id]["status"] == "PREPARING"
    assert client.list_replication_backfills()["backfills"][0]["status"] == "IN_PROGRESS"
