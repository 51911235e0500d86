"""Replication backfill: replicating a registry's existing images to one configured destination.

A backfill (StartReplicationBackfill) covers the images of every repository that a rule of
the replication configuration naming the destination matches; each (image, tag) pair is one
replication, and an untagged image one more. It fails if 50% or more of its replications
fail, and completes otherwise (user guide, "Replication backfill"). At most one backfill is
in progress per destination Region, and at most ``MAX_IN_PROGRESS`` per registry. Ended
backfills are kept for 90 days, then no longer listed or described.

**When it happens.** The replications run as soon as StartReplicationBackfill is answered
(a follow-up of the call, as a push's replication is); what the backfill reports moves one
step per look, so a test sees every status deterministically: StartReplicationBackfill
answers PREPARING, the first ListReplicationBackfills or DescribeReplicationBackfillResults
that shows it says IN_PROGRESS, later ones COMPLETE or FAILED (with the per-image results).
StopReplicationBackfill before the final status has been shown ends it STOPPED (the images
already replicated stay); after that it is refused.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import messages
from . import replication
from .store import Backend, RegistryKey, RegistryStore, later

if TYPE_CHECKING:
    from .images.index import Image

#: backfills in progress at once in one registry
MAX_IN_PROGRESS = 10
#: how long an ended backfill is still listed and described
RETENTION = _dt.timedelta(days=90)
RUNNING = ("PREPARING", "IN_PROGRESS", "STOPPING")


@dataclass(frozen=True)
class BackfillResult:
    repository_name: str
    digest: str
    tag: str | None
    status: str  # COMPLETE or FAILED
    failure_code: str | None = None
    #: failure codes of the images a manifest list references (None: not a manifest list)
    sub_image_failure_codes: tuple[str, ...] | None = None


@dataclass
class Backfill:
    backfill_id: str
    seq: int
    registry_id: str
    destination: RegistryKey  # (registry id, region)
    started_at: _dt.datetime
    #: (repository name, digest, tag or None) of each replication to make
    planned: list[tuple[str, str, str | None]]
    status: str = "PREPARING"
    ended_at: _dt.datetime | None = None
    results: list[BackfillResult] = field(default_factory=list)
    #: the replications ran (the follow-up of StartReplicationBackfill finished)
    done: bool = False

    @property
    def destination_shape(self) -> dict[str, str]:
        return {"region": self.destination[1], "registryId": self.destination[0]}

    def progress(self) -> dict[str, object] | None:
        """The ReplicationBackfillProgress shape; None while preparing."""
        if self.status == "PREPARING":
            return None
        failed = [result for result in self.results if result.status == "FAILED"]
        return {
            "totalReplicationCount": len(self.planned),
            "completedReplicationCount": len(self.results) - len(failed),
            "failedReplicationCount": len(failed),
            "failureCodes": sorted({result.failure_code for result in failed if result.failure_code}),
        }


def configured(store: RegistryStore, destination: RegistryKey) -> bool:
    rules = store.settings.replication_configuration.get("rules", [])
    return any((d["registryId"], d["region"]) == destination for rule in rules for d in rule["destinations"])


def running(store: RegistryStore) -> list[Backfill]:
    return [backfill for backfill in store.backfills.values() if backfill.status in RUNNING]


def plan(store: RegistryStore, destination: RegistryKey) -> list[tuple[str, str, str | None]]:
    """Every replication a backfill to ``destination`` makes, in repository and push order."""
    rules = [
        rule
        for rule in store.settings.replication_configuration.get("rules", [])
        if any((d["registryId"], d["region"]) == destination for d in rule["destinations"])
    ]
    planned: list[tuple[str, str, str | None]] = []
    for name, repository in store.repositories.items():
        if not repository.image_count() or not any(replication.rule_matches(rule, name) for rule in rules):
            continue
        for image in repository.images:
            planned.extend((name, image.digest, tag) for tag in image.tags or (None,))
    return planned


def start(store: RegistryStore, destination: RegistryKey, now: _dt.datetime) -> Backfill:
    """Record a new backfill (checked by the caller) and queue its replications."""
    seq = max((backfill.seq for backfill in store.backfills.values()), default=0) + 1
    backfill = Backfill(str(uuid.uuid4()), seq, store.account_id, destination, now, plan(store, destination))
    store.backfills[backfill.backfill_id] = backfill
    source = store.key
    store.follow_up(lambda backend: _run(backend, source, backfill.backfill_id, now))
    return backfill


def _run(backend: Backend, source: RegistryKey, backfill_id: str, now: _dt.datetime) -> None:
    store = backend.store(*source)
    with store.lock:
        backfill = store.backfills.get(backfill_id)
        if backfill is None:
            return
        planned = list(backfill.planned)
    results = []
    for name, digest, tag in planned:
        tags = (tag,) if tag is not None else ()
        code = replication.replicate(backend, source, name, digest, backfill.destination, now, tags)
        if code is False:
            code = messages.REPLICATION_FAILED  # deleted since the backfill started
        results.append(_result(store, name, digest, tag, code if isinstance(code, str) else None))
    with store.lock:
        backfill.results = results
        backfill.done = True


def _result(store: RegistryStore, name: str, digest: str, tag: str | None, code: str | None) -> BackfillResult:
    sub_codes: tuple[str, ...] | None = None
    with store.lock:
        repository = store.repositories.get(name)
        image: Image | None = repository.images.get(digest) if repository is not None else None
        if image is not None and image.manifest.child_digests():
            sub_codes = (code,) if code else ()
    return BackfillResult(name, digest, tag, "FAILED" if code else "COMPLETE", code, sub_codes)


def look(backfill: Backfill, now: _dt.datetime) -> None:
    """One look at the backfill (List / Describe): its status moves one step."""
    if backfill.status == "PREPARING":
        backfill.status = "IN_PROGRESS"
    elif backfill.status == "IN_PROGRESS" and backfill.done:
        failed = sum(result.status == "FAILED" for result in backfill.results)
        backfill.status = "FAILED" if failed and failed * 2 >= len(backfill.results) else "COMPLETE"
        backfill.ended_at = now
    elif backfill.status == "STOPPING" and backfill.done:
        backfill.status, backfill.ended_at = "STOPPED", now


def stop(backfill: Backfill, now: _dt.datetime) -> None:
    backfill.status = "STOPPED" if backfill.done else "STOPPING"
    if backfill.status == "STOPPED":
        backfill.ended_at = now


def visible(store: RegistryStore, now: _dt.datetime) -> list[Backfill]:
    """The backfills still kept, in start order (forgetting those ended over 90 days ago)."""
    expired = [
        key
        for key, backfill in store.backfills.items()
        if backfill.ended_at is not None and later(backfill.ended_at, RETENTION) <= now
    ]
    for key in expired:
        del store.backfills[key]
    return list(store.backfills.values())
