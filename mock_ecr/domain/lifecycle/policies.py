"""A repository's lifecycle policy: set, delete, preview, and apply it.

**Previews are deterministic.** Starting a preview computes its results at once, a
snapshot of the repository's images at that time; it stays in progress until the first
successful read (see ``api.lifecycle``). A preview never changes images.

**Policies run when a test says so.** Real ECR applies a repository's policy in the
background within a day of it being set. ``apply_lifecycle_policies`` runs every selected
policy at the current (freezegun-controlled) time: it deletes the images the policy
expires, as BatchDeleteImage does, archives the ones ``transition`` rules select, and
records the time as the policy's ``lastEvaluatedAt``.

**Evaluation runs outside the registry's lock.** A policy of 30,720 characters against
thousands of images takes a while to evaluate; other calls to the registry do not wait
for it. A preview or an apply reads a view of the repository's images (what the engine
reads of each: digest, tags, times, storage class) with the lock held, evaluates the
policy against the view with the lock released (``store.Hold.paused``), then, with the
lock held again, reads the view once more: unchanged, the decisions stand; changed (an
image pushed, deleted, re-tagged or pulled meanwhile), the policy is evaluated again on
the new view, so nothing is expired that the policy would keep now. Re-checking only the
images decided on would not do: a count rule keeps the newest N images, so deleting a
kept image changes which older ones may go.
"""

from __future__ import annotations

import datetime as _dt
import operator
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

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
from ..store import Backend, Hold, RegistryStore, never_paused, utcnow
from .engine import Decision, evaluate
from .preview import Preview
from .rules import LifecyclePolicy, parse_lifecycle_policy

_TEXT_MEMBER = "lifecyclePolicyText"
_LENGTH_QUOTA = "lifecycle_policy_length"
#: evaluations tried outside the lock before one runs with it held (the images kept changing)
ATTEMPTS = 3
Pause = Callable[[], AbstractContextManager[None]]
S = TypeVar("S")
R = TypeVar("R")


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


def start_preview(
    quotas: Quotas, repository: Repository, text: str | None, now: _dt.datetime, pause: Pause = never_paused
) -> Preview:
    """Preview ``text``, or the repository's own policy when None; parsed and evaluated in
    ``pause()`` (see the module docstring)."""
    if text is None:
        text = policy_text(repository)
    else:
        quotas.check_text_length(_TEXT_MEMBER, text, _LENGTH_QUOTA)
    with pause():
        policy = parse_lifecycle_policy(text)
    _refuse_preview_in_progress(repository)
    _settle_restores(repository, now)
    decisions = decide_outside_lock(lambda: _view(repository), lambda view: _evaluate(policy, view, now), pause)
    _refuse_preview_in_progress(repository)  # one started while this one was evaluated
    preview = repository.lifecycle_preview = Preview.snapshot(text, decisions)
    return preview


def _refuse_preview_in_progress(repository: Repository) -> None:
    current = repository.lifecycle_preview
    if current is not None and current.in_progress:
        raise LifecyclePolicyPreviewInProgressException(
            messages.lifecycle_preview_in_progress(repository.name, repository.registry_id)
        )


# -- evaluating outside the lock ----------------------------------------------------------------
class ImageView(NamedTuple):
    """What the engine reads of an image, as it was when the view was taken."""

    digest: str
    tags: tuple[str, ...]
    pushed_at: _dt.datetime
    storage_class: str
    last_pulled_at: _dt.datetime | None
    last_archived_at: _dt.datetime | None


_read_image = operator.attrgetter(*ImageView._fields)


def _view(repository: Repository) -> list[Any]:
    """The repository's images as plain tuples of ``ImageView``'s fields: quick to take and
    to compare with the lock held (C-level, no object per image)."""
    return list(map(_read_image, repository.images))


def _evaluate(policy: LifecyclePolicy, view: list[Any], now: _dt.datetime) -> list[Decision]:
    return evaluate(policy, map(ImageView._make, view), now)


def decide_outside_lock(read: Callable[[], S], decide: Callable[[S], R], pause: Pause) -> R:
    """``decide(read())``, ``read`` run with the lock held and ``decide`` (long, pure) in
    ``pause()``. Returns with the lock held and a result that holds for the state as it is
    now: when ``read()`` answers differently after ``decide``, the new state is decided
    again; after ``ATTEMPTS`` of them (a state that keeps changing), with the lock held."""
    state = read()
    for _ in range(ATTEMPTS):
        with pause():
            result = decide(state)
        current = read()
        if current == state:
            return result
        state = current
    return decide(state)


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
    under its lock, released while a policy is evaluated. Returns the expired images,
    registry by registry, each repository's in the order its policy decided them.
    """
    now = utcnow()
    expired: list[ExpiredImage] = []
    found = False
    for store in backend.stores():
        if (region is not None and store.region != region) or (
            account_id is not None and store.account_id != account_id
        ):
            continue
        with Hold(store) as hold:
            for repository in _selected(store, repository_name):
                found = True
                expired.extend(apply_policy(store, repository, now, hold.paused))
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


def apply_policy(
    store: RegistryStore, repository: Repository, now: _dt.datetime, pause: Pause = never_paused
) -> list[ExpiredImage]:
    """Do what ``repository``'s policy decides at ``now``; record the evaluation. The policy
    is evaluated in ``pause()``; a repository deleted or given another policy meanwhile is
    dealt with as it is once the lock is held again."""
    parsed: dict[str, LifecyclePolicy] = {}

    def live_text() -> str | None:
        text = repository.lifecycle_policy_text
        return text if store.repositories.get(repository.name) is repository else None

    def read() -> tuple[str | None, list[Any]]:
        text = live_text()
        return text, _view(repository) if text is not None else []

    def decide(state: tuple[str | None, list[Any]]) -> list[Decision]:
        text, view = state
        if text is None:
            return []
        if text not in parsed:
            parsed[text] = parse_lifecycle_policy(text)
        return _evaluate(parsed[text], view, now)

    if live_text() is None:
        return []
    _settle_restores(repository, now)
    all_decisions = decide_outside_lock(read, decide, pause)
    if live_text() is None:
        return []  # deleted, or the policy removed, while it was evaluated
    index = repository.images
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
