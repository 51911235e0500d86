"""Lifecycle policies: Put/Get/DeleteLifecyclePolicy, Start/GetLifecyclePolicyPreview.

Policy text is validated by ``domain.lifecycle.rules`` and evaluated by
``domain.lifecycle.engine``; ``domain.lifecycle.policies`` keeps the per-repository state
and applies policies (``apply_lifecycle_policies``, re-exported here for ``MockECR``).

A preview stays ``IN_PROGRESS`` until the first successful GetLifecyclePolicyPreview of
its repository, which answers ``COMPLETE``, as do all later ones; so botocore's
``lifecycle_policy_preview_complete`` waiter succeeds on its first poll. A
StartLifecyclePolicyPreview while a preview is still ``IN_PROGRESS`` (started and not yet
read) is refused with LifecyclePolicyPreviewInProgressException. No sleeps and no
background threads.

``lastEvaluatedAt`` of a policy that has never run is the epoch (``0.0``), which is what
the AWS CLI's own examples of get-lifecycle-policy and delete-lifecycle-policy show.

Botocore also models ValidationException for these actions; real ECR reports every
problem with a lifecycle request as InvalidParameterException (see
``domain.lifecycle.rules``), and so does the mock, so ValidationException is never sent.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from ..domain import pagination
from ..domain.lifecycle import policies
from ..domain.lifecycle.policies import ExpiredImage, apply_lifecycle_policies
from ..domain.repositories import Repository
from . import shapes
from .handlers import RequestContext, repository_operation

__all__ = ["ExpiredImage", "apply_lifecycle_policies"]

#: what GetLifecyclePolicy answers as ``lastEvaluatedAt`` before the policy has ever run
NEVER_EVALUATED = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_TOKEN_KIND = "GetLifecyclePolicyPreview"


def _stored_policy(repository: Repository, text: str) -> dict[str, Any]:
    return {
        "registryId": repository.registry_id,
        "repositoryName": repository.name,
        "lifecyclePolicyText": text,
        "lastEvaluatedAt": repository.lifecycle_evaluated_at or NEVER_EVALUATED,
    }


@repository_operation("PutLifecyclePolicy")
def put_lifecycle_policy(ctx: RequestContext, repository: Repository, params: dict[str, Any]) -> dict[str, Any]:
    text = params["lifecyclePolicyText"]
    policies.set_policy(ctx.backend.quotas, repository, text)
    return {"registryId": repository.registry_id, "repositoryName": repository.name, "lifecyclePolicyText": text}


@repository_operation("GetLifecyclePolicy")
def get_lifecycle_policy(ctx: RequestContext, repository: Repository, params: dict[str, Any]) -> dict[str, Any]:
    return _stored_policy(repository, policies.policy_text(repository))


@repository_operation("DeleteLifecyclePolicy")
def delete_lifecycle_policy(ctx: RequestContext, repository: Repository, params: dict[str, Any]) -> dict[str, Any]:
    result = _stored_policy(repository, policies.policy_text(repository))
    policies.delete_policy(repository)
    return result


@repository_operation("StartLifecyclePolicyPreview")
def start_lifecycle_policy_preview(
    ctx: RequestContext, repository: Repository, params: dict[str, Any]
) -> dict[str, Any]:
    """Preview the given policy text, or the repository's own policy when none is given."""
    text = params.get("lifecyclePolicyText")
    preview = policies.start_preview(ctx.backend.quotas, repository, text, ctx.now, ctx.hold.paused)
    return {
        "registryId": repository.registry_id,
        "repositoryName": repository.name,
        "lifecyclePolicyText": preview.policy_text,
        "status": preview.status,
    }


@repository_operation("GetLifecyclePolicyPreview")
def get_lifecycle_policy_preview(ctx: RequestContext, repository: Repository, params: dict[str, Any]) -> dict[str, Any]:
    """The latest preview's results: all of them for ``imageIds``, else one page.

    ``filter.tagStatus`` keeps tagged or untagged images; ``imageIds`` keeps the results of
    the images they name (by digest, tag, or both) and, as for DescribeImages, cannot be
    combined with ``maxResults`` or ``nextToken``.
    """
    paging = pagination.paging("GetLifecyclePolicyPreview")
    preview = policies.latest_preview(repository)
    image_ids = params.get("imageIds")
    if image_ids is not None:
        pagination.refuse_paging_with("imageIds", params, paging)
    tag_status = (params.get("filter") or {}).get("tagStatus", "ANY")
    next_token = None
    if image_ids is not None:
        chosen = preview.named(((i.get("imageDigest"), i.get("imageTag")) for i in image_ids), tag_status)
    else:
        positions = preview.positions[tag_status]
        start, stop, next_token = pagination.page(positions, _TOKEN_KIND, *paging.requested(params))
        chosen = positions[start:stop]
    preview.complete()  # only once the request is known to succeed: a failed call changes nothing
    result: dict[str, Any] = {
        "registryId": repository.registry_id,
        "repositoryName": repository.name,
        "lifecyclePolicyText": preview.policy_text,
        "status": preview.status,
        "previewResults": [shapes.preview_result(preview.decisions[p]) for p in chosen],
        "summary": _summary(preview),
    }
    return paging.answer(result, next_token)


def _summary(preview: policies.Preview) -> dict[str, Any]:
    """Counts over the whole preview, whatever page or filter a request asks for."""
    summary: dict[str, Any] = {"expiringImageTotalCount": preview.expiring}
    if preview.transitioning:  # "only present if at least one image will be transitioned"
        summary["transitioningImageTotalCounts"] = [
            {"targetStorageClass": target, "imageTotalCount": total} for target, total in preview.transitioning.items()
        ]
    return summary
