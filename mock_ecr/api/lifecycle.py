"""Lifecycle policies: Put/Get/DeleteLifecyclePolicy, Start/GetLifecyclePolicyPreview, and applying them.

Policy text is validated by ``lifecycle_rules`` and evaluated by ``lifecycle_engine`` (both
pure); this module keeps the per-repository state and speaks the API.

**Previews are deterministic.** StartLifecyclePolicyPreview computes the preview's results
at once, a snapshot of the repository's images at the request's time, and answers
``IN_PROGRESS`` as ECR does. The preview stays ``IN_PROGRESS`` until the first successful
GetLifecyclePolicyPreview of that repository, which answers ``COMPLETE``, as do all later
ones; so botocore's ``lifecycle_policy_preview_complete`` waiter succeeds on its first
poll. A StartLifecyclePolicyPreview while a preview is still ``IN_PROGRESS`` (started and
not yet read) is refused with LifecyclePolicyPreviewInProgressException. No sleeps and no
background threads; previews never change images.

**Policies run when a test says so.** Real ECR applies a repository's policy in the
background within a day of it being set. ``apply_lifecycle_policies`` (reached as
``MockECR.apply_lifecycle_policies``) runs every selected policy at the current
(freezegun-controlled) time: it deletes the images the policy expires, through the same
path as BatchDeleteImage, and records the time as the policy's ``lastEvaluatedAt``.
``transition`` rules archive the images they select: an archived image is still described
and listed (``imageStatus`` ARCHIVED, ``lastArchivedAt``) but cannot be pulled, and pushing
it again restores it, as ECR documents.

``lastEvaluatedAt`` of a policy that has never run is the epoch (``0.0``), which is what
the AWS CLI's own examples of get-lifecycle-policy and delete-lifecycle-policy show.

Botocore also models ValidationException for these actions; real ECR reports every
problem with a lifecycle request as InvalidParameterException (see
``lifecycle_rules``), and so does the mock, so ValidationException is never sent.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from ..domain import pagination
from ..domain.lifecycle.engine import Decision, evaluate
from ..domain.lifecycle.rules import parse_lifecycle_policy
from ..domain.repositories import Repository, get_repository
from ..domain.store import Backend, RegistryStore, utcnow
from ..errors import (
    LifecyclePolicyNotFoundException,
    LifecyclePolicyPreviewInProgressException,
    LifecyclePolicyPreviewNotFoundException,
)
from .handlers import RequestContext, operation
from .images import archive, delete_image, images_of

#: GetLifecyclePolicyPreview's page size when maxResults is not given
DEFAULT_PAGE_SIZE = 100
#: what GetLifecyclePolicy answers as ``lastEvaluatedAt`` before the policy has ever run
NEVER_EVALUATED = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)

_PREVIEW = "lifecycle_preview"
_EVALUATED_AT = "lifecycle_evaluated_at"
_TOKEN_KIND = "GetLifecyclePolicyPreview"


# -- messages (the NotFound text is real ECR's; the preview texts follow the same family) -----
def _policy_not_found(repository: Repository) -> LifecyclePolicyNotFoundException:
    return LifecyclePolicyNotFoundException(
        f"Lifecycle policy does not exist for the repository with name '{repository.name}' "
        f"in the registry with id '{repository.registry_id}'"
    )


def _preview_not_found(repository: Repository) -> LifecyclePolicyPreviewNotFoundException:
    return LifecyclePolicyPreviewNotFoundException(
        f"Lifecycle policy preview does not exist for the repository with name '{repository.name}' "
        f"in the registry with id '{repository.registry_id}'"
    )


def _preview_in_progress(repository: Repository) -> LifecyclePolicyPreviewInProgressException:
    return LifecyclePolicyPreviewInProgressException(
        f"Lifecycle policy preview is already in progress for the repository with name '{repository.name}' "
        f"in the registry with id '{repository.registry_id}'"
    )


# -- Put / Get / Delete -----------------------------------------------------------------------
def _last_evaluated_at(repository: Repository) -> _dt.datetime:
    return repository.extra.get(_EVALUATED_AT) or NEVER_EVALUATED


def _stored_policy(repository: Repository) -> dict[str, Any]:
    if repository.lifecycle_policy_text is None:
        raise _policy_not_found(repository)
    return {
        "registryId": repository.registry_id,
        "repositoryName": repository.name,
        "lifecyclePolicyText": repository.lifecycle_policy_text,
        "lastEvaluatedAt": _last_evaluated_at(repository),
    }


@operation("PutLifecyclePolicy")
def put_lifecycle_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Store the policy text exactly as sent; a changed policy has not been evaluated yet."""
    repository = get_repository(ctx.store, params["repositoryName"])
    text = params["lifecyclePolicyText"]
    ctx.backend.quotas.check_text_length("lifecyclePolicyText", text, "lifecycle_policy_length")
    parse_lifecycle_policy(text)
    if text != repository.lifecycle_policy_text:
        repository.extra.pop(_EVALUATED_AT, None)
    repository.lifecycle_policy_text = text
    return {"registryId": repository.registry_id, "repositoryName": repository.name, "lifecyclePolicyText": text}


@operation("GetLifecyclePolicy")
def get_lifecycle_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _stored_policy(get_repository(ctx.store, params["repositoryName"]))


@operation("DeleteLifecyclePolicy")
def delete_lifecycle_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    repository = get_repository(ctx.store, params["repositoryName"])
    result = _stored_policy(repository)
    repository.lifecycle_policy_text = None
    repository.extra.pop(_EVALUATED_AT, None)
    return result


# -- previews -----------------------------------------------------------------------------------
@dataclass
class Preview:
    """One repository's latest preview: results fixed when it started, status moving once.

    Everything a GetLifecyclePolicyPreview needs is indexed when the preview starts, so a
    page, a filter or a list of imageIds costs what it returns, not the preview's size.
    """

    policy_text: str
    #: what the policy would do, in rule-priority then push-time order
    decisions: tuple[Decision, ...]
    #: positions in ``decisions`` per filter.tagStatus
    positions: dict[str, list[int]]
    #: position of each digest and each tag (an image is acted on by one rule at most)
    by_digest: dict[str, int]
    by_tag: dict[str, int]
    expiring: int
    #: target storage class -> number of images transitioning to it
    transitioning: dict[str, int]
    status: str = "IN_PROGRESS"

    @classmethod
    def snapshot(cls, text: str, decisions: list[Decision]) -> Preview:
        positions: dict[str, list[int]] = {"ANY": [], "TAGGED": [], "UNTAGGED": []}
        by_digest: dict[str, int] = {}
        by_tag: dict[str, int] = {}
        expiring = 0
        transitioning: dict[str, int] = {}
        for position, decision in enumerate(decisions):
            positions["ANY"].append(position)
            positions["TAGGED" if decision.tags else "UNTAGGED"].append(position)
            by_digest[decision.digest] = position
            by_tag.update(dict.fromkeys(decision.tags, position))
            if decision.action == "EXPIRE":
                expiring += 1
            elif decision.target_storage_class:
                target = decision.target_storage_class
                transitioning[target] = transitioning.get(target, 0) + 1
        return cls(text, tuple(decisions), positions, by_digest, by_tag, expiring, transitioning)

    def summary(self) -> dict[str, Any]:
        """Counts over the whole preview, whatever page or filter a request asks for."""
        summary: dict[str, Any] = {"expiringImageTotalCount": self.expiring}
        if self.transitioning:  # "only present if at least one image will be transitioned"
            summary["transitioningImageTotalCounts"] = [
                {"targetStorageClass": target, "imageTotalCount": total}
                for target, total in self.transitioning.items()
            ]
        return summary

    def named(self, image_ids: list[dict[str, str]], tag_status: str) -> list[int]:
        """Positions of the results of the images ``image_ids`` name, in preview order."""
        found: set[int] = set()
        for image_id in image_ids:
            digest, tag = image_id.get("imageDigest"), image_id.get("imageTag")
            if digest is not None:
                position = self.by_digest.get(digest)
                if position is not None and tag is not None and tag not in self.decisions[position].tags:
                    position = None  # digest and tag name different images
            else:
                position = self.by_tag.get(tag) if tag is not None else None
            if position is not None and _has_status(self.decisions[position], tag_status):
                found.add(position)
        return sorted(found)


def _has_status(decision: Decision, tag_status: str) -> bool:
    return tag_status == "ANY" or bool(decision.tags) == (tag_status == "TAGGED")


def _preview_result(decision: Decision) -> dict[str, Any]:
    """The ``LifecyclePolicyPreviewResult`` shape of one decision."""
    result: dict[str, Any] = {"imageDigest": decision.digest}
    if decision.tags:
        result["imageTags"] = list(decision.tags)
    result["imagePushedAt"] = decision.pushed_at
    action: dict[str, Any] = {"type": decision.action}
    if decision.target_storage_class:
        action["targetStorageClass"] = decision.target_storage_class
    result["action"] = action
    result["appliedRulePriority"] = decision.rule_priority
    result["storageClass"] = decision.storage_class
    return result


@operation("StartLifecyclePolicyPreview")
def start_lifecycle_policy_preview(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Preview the given policy text, or the repository's own policy when none is given."""
    repository = get_repository(ctx.store, params["repositoryName"])
    text = params.get("lifecyclePolicyText")
    if text is None:
        text = repository.lifecycle_policy_text
        if text is None:
            raise _policy_not_found(repository)
    else:
        ctx.backend.quotas.check_text_length("lifecyclePolicyText", text, "lifecycle_policy_length")
    policy = parse_lifecycle_policy(text)
    current: Preview | None = repository.extra.get(_PREVIEW)
    if current is not None and current.status == "IN_PROGRESS":
        raise _preview_in_progress(repository)
    preview = Preview.snapshot(text, evaluate(policy, images_of(repository), ctx.now))
    repository.extra[_PREVIEW] = preview
    return {
        "registryId": repository.registry_id,
        "repositoryName": repository.name,
        "lifecyclePolicyText": text,
        "status": preview.status,
    }


@operation("GetLifecyclePolicyPreview")
def get_lifecycle_policy_preview(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """The latest preview's results: all of them for ``imageIds``, else one page.

    ``filter.tagStatus`` keeps tagged or untagged images; ``imageIds`` keeps the results of
    the images they name (by digest, tag, or both) and, as for DescribeImages, cannot be
    combined with ``maxResults`` or ``nextToken``.
    """
    repository = get_repository(ctx.store, params["repositoryName"])
    preview: Preview | None = repository.extra.get(_PREVIEW)
    if preview is None:
        raise _preview_not_found(repository)
    image_ids = params.get("imageIds")
    if image_ids is not None:
        pagination.refuse_paging_with("imageIds", params)
    tag_status = (params.get("filter") or {}).get("tagStatus", "ANY")
    next_token = None
    if image_ids is not None:
        chosen = preview.named(image_ids, tag_status)
    else:
        positions = preview.positions[tag_status]
        start, stop, next_token = pagination.page(
            positions, _TOKEN_KIND, params.get("nextToken"), params.get("maxResults", DEFAULT_PAGE_SIZE)
        )
        chosen = positions[start:stop]
    preview.status = "COMPLETE"  # only once the request is known to succeed: a failed call changes nothing
    result: dict[str, Any] = {
        "registryId": repository.registry_id,
        "repositoryName": repository.name,
        "lifecyclePolicyText": preview.policy_text,
        "status": preview.status,
        "previewResults": [_preview_result(preview.decisions[p]) for p in chosen],
        "summary": preview.summary(),
    }
    if next_token:
        result["nextToken"] = next_token
    return result


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
                expired.extend(_apply(store, repository, now))
    if repository_name is not None and not found:
        raise LookupError(f"no repository named {repository_name!r} in the selected registries")
    return expired


def _selected(store: RegistryStore, name: str | None) -> list[Repository]:
    if name is None:
        return list(store.repositories.values())
    repository = store.repositories.get(name)
    return [repository] if repository is not None else []


def _apply(store: RegistryStore, repository: Repository, now: _dt.datetime) -> list[ExpiredImage]:
    """Delete what ``repository``'s policy expires at ``now``; record the evaluation."""
    text = repository.lifecycle_policy_text
    if text is None:
        return []
    index = images_of(repository)
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
    repository.extra[_EVALUATED_AT] = now
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
