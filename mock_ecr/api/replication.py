"""Replication: PutReplicationConfiguration, DescribeImageReplicationStatus, and the replication
backfill actions (StartReplicationBackfill, StopReplicationBackfill, ListReplicationBackfills,
DescribeReplicationBackfillResults), which only the newest botocore models; their handlers are
registered whatever botocore is installed, and answer only when its model has them.

Semantics and the rule for when statuses change are in ``domain/replication.py`` and
``domain/replication_backfill.py``; DescribeRegistry (``registry_settings``) shows the
configuration.
"""

from __future__ import annotations

from typing import Any

from .. import messages
from ..domain import pagination
from ..domain import replication as rules
from ..domain import replication_backfill as backfills
from ..domain.replication_backfill import Backfill
from ..domain.repositories import Repository
from ..errors import (
    LimitExceededException,
    ReplicationBackfillInProgressException,
    ReplicationBackfillInvalidStatusException,
    ReplicationBackfillNotFoundException,
    ValidationException,
)
from .handlers import RequestContext, operation, repository_operation
from .image_ids import answered_id, named_image


def _caller_registry(ctx: RequestContext, params: dict[str, Any]) -> tuple[str, str]:
    """PutReplicationConfiguration takes no ``registryId``: it configures the caller's registry."""
    return ctx.account_id, ctx.region


@operation("PutReplicationConfiguration", locate=_caller_registry)
def put_replication_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    settings = ctx.store.settings
    settings.replication_configuration = rules.check_configuration(ctx.store, params["replicationConfiguration"])
    return {"replicationConfiguration": rules.described(settings)}


@repository_operation("DescribeImageReplicationStatus")
def describe_image_replication_status(
    ctx: RequestContext, repository: Repository, params: dict[str, Any]
) -> dict[str, Any]:
    image = named_image(repository, params["imageId"])
    return {
        "repositoryName": repository.name,
        "imageId": answered_id(image, params["imageId"]),
        "replicationStatuses": rules.report(image),
    }


# -- replication backfill --------------------------------------------------------------------------
def _backfill(ctx: RequestContext, backfill_id: str) -> Backfill:
    found: Backfill | None = next(
        (b for b in backfills.visible(ctx.store, ctx.now) if b.backfill_id == backfill_id), None
    )
    if found is None:
        raise ReplicationBackfillNotFoundException(messages.backfill_not_found(backfill_id, ctx.store.account_id))
    return found


def _summary(backfill: Backfill) -> dict[str, Any]:
    out: dict[str, Any] = {
        "replicationBackfillId": backfill.backfill_id,
        "destination": backfill.destination_shape,
        "status": backfill.status,
    }
    progress = backfill.progress()
    if progress is not None:
        out["progress"] = progress
    out["startedAt"] = backfill.started_at
    if backfill.ended_at is not None:
        out["endedAt"] = backfill.ended_at
    return out


@operation("StartReplicationBackfill")
def start_replication_backfill(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    store = ctx.store
    destination = (params["destination"]["registryId"], params["destination"]["region"])
    if not backfills.configured(store, destination):
        raise ValidationException(messages.BACKFILL_DESTINATION_NOT_CONFIGURED)
    running = backfills.running(store)
    if any(backfill.destination[1] == destination[1] for backfill in running):
        raise ReplicationBackfillInProgressException(messages.backfill_in_progress(destination[1]))
    if len(running) >= backfills.MAX_IN_PROGRESS:
        raise LimitExceededException(
            messages.limit_exceeded("Replication backfills in progress per registry", backfills.MAX_IN_PROGRESS)
        )
    backfill = backfills.start(store, destination, ctx.now)
    return {
        "replicationBackfillId": backfill.backfill_id,
        "registryId": store.account_id,
        "destination": backfill.destination_shape,
        "status": backfill.status,
        "startedAt": backfill.started_at,
    }


@operation("StopReplicationBackfill")
def stop_replication_backfill(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    backfill = _backfill(ctx, params["replicationBackfillId"])
    if backfill.status not in ("PREPARING", "IN_PROGRESS"):
        raise ReplicationBackfillInvalidStatusException(
            messages.backfill_invalid_status(backfill.backfill_id, backfill.status)
        )
    backfills.stop(backfill, ctx.now)
    return {
        "registryId": ctx.store.account_id,
        "replicationBackfillId": backfill.backfill_id,
        "destination": backfill.destination_shape,
        "status": backfill.status,
        "startedAt": backfill.started_at,
    }


@operation("ListReplicationBackfills")
def list_replication_backfills(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    paging = pagination.paging("ListReplicationBackfills")
    kept = backfills.visible(ctx.store, ctx.now)
    start, stop, token = pagination.page([b.seq for b in kept], "ListReplicationBackfills", *paging.requested(params))
    shown = kept[start:stop]
    for backfill in shown:
        backfills.look(backfill, ctx.now)
    result = {"registryId": ctx.store.account_id, "backfills": [_summary(b) for b in shown]}
    return paging.answer(result, token)


@operation("DescribeReplicationBackfillResults")
def describe_replication_backfill_results(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    paging = pagination.paging("DescribeReplicationBackfillResults")
    backfill = _backfill(ctx, params["replicationBackfillId"])
    wanted = params.get("resultStatusFilter")
    token, size = paging.requested(params)
    if not token:  # a page after the first does not look again
        backfills.look(backfill, ctx.now)
    summary = _summary(backfill)
    result: dict[str, Any] = {"registryId": ctx.store.account_id, **summary}
    if backfill.status in backfills.RUNNING:
        return result  # results are there once the backfill has ended
    numbered = [(n, r) for n, r in enumerate(backfill.results) if wanted is None or r.status == wanted]
    start, stop, next_token = pagination.page([n for n, _ in numbered], _results_kind(backfill), token, size)
    result["results"] = [_result(r) for _, r in numbered[start:stop]]
    return paging.answer(result, next_token)


def _results_kind(backfill: Backfill) -> str:
    return f"DescribeReplicationBackfillResults/{backfill.backfill_id}"


def _result(result: backfills.BackfillResult) -> dict[str, Any]:
    image_id = {"imageDigest": result.digest}
    if result.tag is not None:
        image_id["imageTag"] = result.tag
    out: dict[str, Any] = {"repositoryName": result.repository_name, "imageId": image_id, "status": result.status}
    if result.failure_code:
        out["failureCode"] = result.failure_code
    if result.sub_image_failure_codes is not None:
        out["subImageFailureCodes"] = list(result.sub_image_failure_codes)
    return out
