"""A repository's lifecycle policy: set, delete, preview, and apply it.

**Previews are deterministic.** Starting a preview computes its results at once, a
snapshot of the repository's images at that time; it stays in progress until the first
successful read (see ``api.lifecycle``). A preview never changes images.

**Policies run when a test says so.** Real ECR applies a repository's policy in the
background within a day of it being set. ``apply_lifecycle_policies`` runs every selected
policy at the current (freezegun-controlled) time: it deletes the images the policy
expires, as BatchDeleteImage does, archives the ones ``transition`` rules select, and
records the time as the policy's ``lastEvaluatedAt``.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from ... import messages
from ...errors import (
    LifecyclePolicyNotFoundException,
    LifecyclePolicyPreviewInProgressException,
    LifecyclePolicyPreviewNotFoundException,
)
from ..images.archive import settle
from ..images.service import archive, delete_image
from ..quotas import Quotas
from ..repositories import Repository
from ..store import Backend, RegistryStore, utcnow
from .engine import evaluate
from .preview import Preview
from .rules import parse_lifecycle_policy

_TEXT_MEMBER = "lifecyclePolicyText"
_LENGTH_QUOTA = "lifecycle_policy_length"


def policy_text(repository: Repository) -> str:
    """The repository's policy text, or LifecyclePolicyNotFoundException."""
    text = repository.lifecycle_policy_text
    if text is None:
        raise LifecyclePolicyNotFoundException(
            messages.lifecycle_policy_not_found(repository.name, repository.registry_id)
        )
    return text


def set_policy(quotas: Quotas, repository: Repository, text: str) -> None:
    """Store the policy text exactly as sent; a changed policy has not been evaluated yet."""
    quotas.check_text_length(_TEXT_MEMBER, text, _LENGTH_QUOTA)
    parse_lifecycle_policy(text)
    if text != repository.lifecycle_policy_text:
        repository.lifecycle_evaluated_at = None
    repository.lifecycle_policy_text = text


def delete_policy(repository: Repository) -> str:
    """Remove the policy; returns its text."""
    text = policy_text(repository)
    repository.lifecycle_policy_text = None
    repository.lifecycle_evaluated_at = None
    return text


# -- previews ---------------------------------------------------------------------------------


def start_preview(quotas: Quotas, repository: Repository, text: str | None, now: _dt.datetime) -> Preview:
    """Preview ``text``, or the repository's own policy when None."""
    if text is None:
        text = policy_text(repository)
    else:
        quotas.check_text_length(_TEXT_MEMBER, text, _LENGTH_QUOTA)
    policy = parse_lifecycle_policy(text)
    current = repository.lifecycle_preview
    if current is not None and current.in_progress:
        raise LifecyclePolicyPreviewInProgressException(
            messages.lifecycle_preview_in_progress(repository.name, repository.registry_id)
        )
    _settle_restores(repository, now)
    preview = repository.lifecycle_preview = Preview.snapshot(text, evaluate(policy, repository.images, now))
    return preview


def latest_preview(repository: Repository) -> Preview:
    preview = repository.lifecycle_preview
    if preview is None:
        raise LifecyclePolicyPreviewNotFoundException(
            messages.lifecycle_preview_not_found(repository.name, repository.registry_id)
        )
    return preview


# -- applying policies --------------------------------------------------------------------------
@dataclass(frozen=True)
class ExpiredImage:
    """An image a lifecycle policy expired (deleted) or transitioned (archived) when
    ``apply_lifecycle_policies`` ran."""

    registry_id: str
    region: str
    repository_name: str
    digest: str
    #: the image's tags when it was deleted, sorted
    tags: tuple[str, ...]
    rule_priority: int
    #: ``"EXPIRE"`` or ``"TRANSITION"``
    action: str


def apply_lifecycle_policies(
    backend: Backend,
    *,
    region: str | None = None,
    account_id: str | None = None,
    repository_name: str | None = None,
) -> list[ExpiredImage]:
    """Run the lifecycle policy of every selected repository now, as ECR does in the background.

    Selects repositories by ``region``, registry ``account_id`` and ``repository_name``
    (each ``None`` for all); a ``repository_name`` that selects no repository raises
    LookupError, so a typo cannot pass for "nothing expired". Each registry is worked on
    under its lock. Returns the expired images, registry by registry, each repository's in
    the order its policy decided them.
    """
    now = utcnow()
    expired: list[ExpiredImage] = []
    found = False
    for store in backend.stores():
        if (region is not None and store.region != region) or (
            account_id is not None and store.account_id != account_id
        ):
            continue
        with store.lock:
            for repository in _selected(store, repository_name):
                found = True
                expired.extend(apply_policy(store, repository, now))
    if repository_name is not None and not found:
        raise LookupError(f"no repository named {repository_name!r} in the selected registries")
    return expired


def _settle_restores(repository: Repository, now: _dt.datetime) -> None:
    """Restores that completed by ``now`` count as standard-class images for the rules."""
    for image in repository.images:
        settle(image, now)


def _selected(store: RegistryStore, name: str | None) -> list[Repository]:
    if name is None:
        return list(store.repositories.values())
    repository = store.repositories.get(name)
    return [repository] if repository is not None else []


def apply_policy(store: RegistryStore, repository: Repository, now: _dt.datetime) -> list[ExpiredImage]:
    """Do what ``repository``'s policy decides at ``now``; record the evaluation."""
    text = repository.lifecycle_policy_text
    if text is None:
        return []
    index = repository.images
    _settle_restores(repository, now)
    all_decisions = evaluate(parse_lifecycle_policy(text), index, now)
    archived: set[str] = set()
    for decision in all_decisions:
        image = index.get(decision.digest)
        if decision.action == "TRANSITION" and image is not None:
            archive(image, now)
            archived.add(decision.digest)
    decisions = [d for d in all_decisions if d.action == "EXPIRE"]
    # Like BatchDeleteImage, never delete an image a manifest list or index in the repository
    # still references: delete in passes, so a list expiring with its children goes first.
    deleted: set[str] = set()
    progress = True
    while progress:
        progress = False
        for decision in decisions:
            image = index.get(decision.digest)
            if decision.digest in deleted or image is None or index.referrers(decision.digest):
                continue
            delete_image(repository, image)
            deleted.add(decision.digest)
            progress = True
    repository.lifecycle_evaluated_at = now
    return [
        ExpiredImage(
            registry_id=store.account_id,
            region=store.region,
            repository_name=repository.name,
            digest=decision.digest,
            tags=decision.tags,
            rule_priority=decision.rule_priority,
            action=decision.action,
        )
        for decision in all_decisions
        if decision.digest in (deleted if decision.action == "EXPIRE" else archived)
    ]
