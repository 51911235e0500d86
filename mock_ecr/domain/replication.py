"""Private image replication: the registry's configuration, and the copies a push sets off.

Configuration (PutReplicationConfiguration): rules of destinations (a region and registry
id) and optional PREFIX_MATCH repository filters (a repository matches a rule without
filters, or one whose name starts with one of its filters). A destination equal to the
source registry is refused, and the rules together name at most 25 unique destinations
(user guide, "Considerations for private image replication"; the rule count is the model's).

A push that a rule matches copies the image (manifest, layers, tags) into each destination
registry, creating the destination repository when it is missing: with the settings of a
REPLICATION repository creation template of the destination when one matches, else ECR's
defaults. Replication into another account needs the destination's registry policy to let
the source account ``ecr:ReplicateImage`` (and ``ecr:CreateRepository`` when the repository
must be created); otherwise that destination's status is FAILED. An image replicated into a
registry is not replicated onward from it (ECR replicates once per push). A tag an immutable
destination repository holds on another image is left out, the image replicated without it.

**When it happens.** The copy is made as soon as the push is answered: ``on_push`` queues
it with ``RegistryStore.follow_up``, and it runs, holding the source's and the destination's
locks (``Backend.locked``), before the pushing call returns. What
DescribeImageReplicationStatus reports is deterministic: each destination is IN_PROGRESS
the first time the call reports it, and its outcome (COMPLETE or FAILED with a
``failureCode``) from the next call on. Code that polls until a final status sees both.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .. import messages
from ..errors import (
    ECRError,
    ImageAlreadyExistsException,
    ImageTagAlreadyExistsException,
    LimitExceededException,
    invalid_parameter,
)
from . import naming, permissions, pushes, templates
from .images.copy import copy_image
from .images.index import Image
from .store import Backend, RegistryKey, RegistryStore

if TYPE_CHECKING:
    from .registry_settings import RegistrySettings
    from .repositories import Repository

#: unique destinations across all rules of a configuration
MAX_DESTINATIONS = 25


@dataclass(frozen=True)
class Replication:
    """The replication of one image to one destination registry."""

    registry_id: str
    region: str
    #: "COMPLETE" or "FAILED" once the copy ran; None while it runs
    outcome: str | None = None
    failure_code: str | None = None
    #: whether a DescribeImageReplicationStatus has reported it IN_PROGRESS already
    reported: bool = False

    @property
    def key(self) -> RegistryKey:
        return (self.registry_id, self.region)


# -- configuration ----------------------------------------------------------------------------


def check_configuration(store: RegistryStore, configuration: dict[str, Any]) -> dict[str, Any]:
    """The configuration to store, or the InvalidParameterException ECR refuses it with."""
    rules = []
    unique: set[RegistryKey] = set()
    for rule in configuration["rules"]:
        destinations = [{"region": d["region"], "registryId": d["registryId"]} for d in rule["destinations"]]
        for destination in destinations:
            key = (destination["registryId"], destination["region"])
            if key == store.key:
                raise invalid_parameter("replicationConfiguration", messages.DESTINATION_IS_SOURCE)
            unique.add(key)
        stored: dict[str, Any] = {"destinations": destinations}
        if rule.get("repositoryFilters"):
            stored["repositoryFilters"] = [
                {"filter": f["filter"], "filterType": f["filterType"]} for f in rule["repositoryFilters"]
            ]
        if "deleteReplication" in rule:
            stored["deleteReplication"] = {"enabled": bool(rule["deleteReplication"]["enabled"])}
        rules.append(stored)
    if len(unique) > MAX_DESTINATIONS:
        raise invalid_parameter(
            "replicationConfiguration", messages.too_many_replication_destinations(MAX_DESTINATIONS)
        )
    return {"rules": rules}


def described(settings: RegistrySettings) -> dict[str, Any]:
    """The ReplicationConfiguration shape (a copy: the answer cannot change the store)."""
    return {"rules": [_copy_rule(rule) for rule in settings.replication_configuration.get("rules", [])]}


def _copy_rule(rule: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"destinations": [dict(d) for d in rule["destinations"]]}
    if "repositoryFilters" in rule:
        out["repositoryFilters"] = [dict(f) for f in rule["repositoryFilters"]]
    if "deleteReplication" in rule:
        out["deleteReplication"] = dict(rule["deleteReplication"])
    return out


def rule_matches(rule: dict[str, Any], repository_name: str) -> bool:
    filters = rule.get("repositoryFilters")
    return not filters or any(repository_name.startswith(f["filter"]) for f in filters)


def destinations_for(settings: RegistrySettings, repository_name: str) -> list[RegistryKey]:
    """The destinations a push to the repository replicates to, in configuration order."""
    found: dict[RegistryKey, None] = {}
    for rule in settings.replication_configuration.get("rules", []):
        if rule_matches(rule, repository_name):
            for destination in rule["destinations"]:
                found[(destination["registryId"], destination["region"])] = None
    return list(found)


# -- replicating a push -----------------------------------------------------------------------


def on_push(store: RegistryStore, repository: Repository, image: Image, now: _dt.datetime) -> None:
    """Queue the replication of a pushed (or newly tagged) image; under ``store``'s lock."""
    destinations = destinations_for(store.settings, repository.name)
    if not destinations:
        return
    start(image, destinations)
    source, name, digest = store.key, repository.name, image.digest

    def work(backend: Backend) -> None:
        for destination in destinations:
            replicate(backend, source, name, digest, destination, now)

    store.follow_up(work)


pushes.FOLLOWERS.append(on_push)


def start(image: Image, destinations: list[RegistryKey]) -> None:
    """Mark the replication of ``image`` to ``destinations`` as running (under its registry's lock)."""
    fresh = {key: Replication(*key) for key in destinations}
    kept = [record for record in image.replications if record.key not in fresh]
    image.replications = (*kept, *fresh.values())


def replicate(
    backend: Backend,
    source: RegistryKey,
    repository_name: str,
    digest: str,
    destination: RegistryKey,
    now: _dt.datetime,
    tags: tuple[str, ...] | None = None,
) -> str | None | bool:
    """Copy the image into ``destination`` with ``tags`` (default: every tag it has now),
    holding both registries' locks; returns the failure code, None when it succeeded, or
    False when the image is no longer in the source."""
    with backend.locked(source, destination) as stores:
        source_store, target_store = stores[source], stores[destination]
        origin = source_store.repositories.get(repository_name)
        image = origin.images.get(digest) if origin is not None else None
        if origin is None or image is None:
            return False  # deleted before the copy ran: nothing to replicate or report
        code = _copy(backend, source_store, origin, image, target_store, now, tags)
        _finish(image, destination, code)
        return code


def _finish(image: Image, destination: RegistryKey, code: str | None) -> None:
    outcome = "FAILED" if code else "COMPLETE"
    records = list(image.replications)
    for index, record in enumerate(records):
        if record.key == destination:
            records[index] = replace(record, outcome=outcome, failure_code=code)
            break
    else:
        records.append(Replication(*destination, outcome=outcome, failure_code=code))
    image.replications = tuple(records)


def _copy(
    backend: Backend,
    source_store: RegistryStore,
    origin: Repository,
    image: Image,
    target_store: RegistryStore,
    now: _dt.datetime,
    tags: tuple[str, ...] | None,
) -> str | None:
    """Replicate ``image`` into ``target_store`` (both locked); the failure code, or None."""
    other_account = source_store.account_id != target_store.account_id
    arn = naming.repository_arn(target_store.account_id, target_store.region, origin.name)
    policy = target_store.settings.policy_text
    if other_account and not permissions.allows(policy, source_store.account_id, "ecr:ReplicateImage", arn):
        return messages.REPLICATION_ACCESS_DENIED
    destination = target_store.repositories.get(origin.name)
    try:
        if destination is None:
            if other_account and not permissions.allows(policy, source_store.account_id, "ecr:CreateRepository", arn):
                return messages.REPLICATION_REPOSITORY_NOT_FOUND
            destination = templates.create_repository_for(target_store, backend.quotas, origin.name, "REPLICATION", now)
        _copy_image(backend, source_store, origin, image, target_store, destination, now, tags)
    except LimitExceededException:
        return messages.REPLICATION_LIMIT_EXCEEDED
    except ECRError:
        return messages.REPLICATION_FAILED
    return None


def _copy_image(
    backend: Backend,
    source_store: RegistryStore,
    origin: Repository,
    image: Image,
    target_store: RegistryStore,
    destination: Repository,
    now: _dt.datetime,
    tags: tuple[str, ...] | None,
) -> None:
    for child_digest in image.manifest.child_digests():  # a manifest list's images first
        child = origin.images.get(child_digest)
        if child is not None and destination.images.get(child_digest) is None:
            _copy_image(backend, source_store, origin, child, target_store, destination, now, ())
    where = (backend, source_store.key, origin.name, image.digest, target_store.key, destination.name)
    copy_image(*where, now=now, replica=True)
    for tag in image.tags if tags is None else tags:
        try:
            copy_image(*where, tag=tag, now=now, replica=True)
        except ImageTagAlreadyExistsException:
            pass  # an immutable tag on another image there: replicated without the tag
        except ImageAlreadyExistsException:
            pass  # there with this tag already


# -- reporting --------------------------------------------------------------------------------


def report(image: Image) -> list[dict[str, str]]:
    """The ImageReplicationStatus list DescribeImageReplicationStatus answers; under the
    registry's lock. Each destination is IN_PROGRESS the first time it is reported."""
    out: list[dict[str, str]] = []
    records = []
    for record in image.replications:
        if record.outcome is None or not record.reported:
            status = "IN_PROGRESS"
            if record.outcome is not None:
                record = replace(record, reported=True)
        else:
            status = record.outcome
        records.append(record)
        entry = {"region": record.region, "registryId": record.registry_id, "status": status}
        if status == "FAILED" and record.failure_code:
            entry["failureCode"] = record.failure_code
        out.append(entry)
    image.replications = tuple(records)
    return out
