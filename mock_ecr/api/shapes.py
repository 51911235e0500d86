"""Response shapes built from domain objects: the wire's view of repositories and images.

The domain knows no member names; these functions are where a ``Repository`` becomes the
``Repository`` structure and an ``Image`` an ``ImageDetail``, as botocore's model names them.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from .. import messages
from ..domain import scanning
from ..domain.images import archive
from ..domain.images.index import Image
from ..domain.lifecycle.engine import Decision
from ..domain.repositories import Repository
from ..domain.store import utcnow


def repository(repository: Repository) -> dict[str, Any]:
    """The ``Repository`` shape as ECR returns it."""
    out: dict[str, Any] = {
        "repositoryArn": repository.arn,
        "registryId": repository.registry_id,
        "repositoryName": repository.name,
        "repositoryUri": repository.uri,
        "createdAt": repository.created_at,
        "imageTagMutability": repository.tag_mutability,
        "imageScanningConfiguration": {"scanOnPush": repository.scan_on_push},
        "encryptionConfiguration": dict(repository.encryption),
    }
    if repository.mutability_exclusions:
        out["imageTagMutabilityExclusionFilters"] = [dict(f) for f in repository.mutability_exclusions]
    return out


def image_id(image: Image, tag: str | None = None) -> dict[str, str]:
    return {"imageDigest": image.digest, "imageTag": tag} if tag is not None else {"imageDigest": image.digest}


def image_ids(pairs: list[tuple[str, str | None]]) -> list[dict[str, str]]:
    """The ``ImageIdentifier`` shapes of (digest, tag or None) pairs, as ``service.delete_ids``
    reports what it deleted."""
    return [
        {"imageDigest": digest, "imageTag": tag} if tag is not None else {"imageDigest": digest}
        for digest, tag in pairs
    ]


def image(repository: Repository, image: Image, tag: str | None) -> dict[str, Any]:
    """The ``Image`` shape (PutImage, BatchGetImage)."""
    return {
        "registryId": repository.registry_id,
        "repositoryName": repository.name,
        "imageId": image_id(image, tag),
        "imageManifest": image.manifest_text,
        "imageManifestMediaType": image.media_type,
    }


def failure(requested: dict[str, str], code: str, reason: str | None = None) -> dict[str, Any]:
    """The ``ImageFailure`` shape for the id a request gave."""
    return {"imageId": dict(requested), "failureCode": code, "failureReason": reason or messages.FAILURE_TEXT[code]}


def image_status(image: Image, now: _dt.datetime | None = None) -> str:
    """ECR's ``imageStatus``: ACTIVE, ARCHIVED, or ACTIVATING while a restore is under way
    (at ``now``, the time of the call; read from the clock when not given)."""
    return archive.status(image, now or utcnow())


def image_detail(repository: Repository, image: Image, now: _dt.datetime | None = None) -> dict[str, Any]:
    """The ``ImageDetail`` shape of ``image`` (``now``: the time of the call, for the status
    and scan states; a listing reads the clock once for its whole page)."""
    now = now or utcnow()
    detail: dict[str, Any] = {
        "registryId": repository.registry_id,
        "repositoryName": repository.name,
        "imageDigest": image.digest,
    }
    if image.tags:
        detail["imageTags"] = list(image.tags)
    manifest = image.manifest
    detail["imageSizeInBytes"] = image.size
    detail["imagePushedAt"] = image.pushed_at
    detail["imageManifestMediaType"] = manifest.media_type
    artifact_media_type = manifest.artifact_media_type
    if artifact_media_type:
        detail["artifactMediaType"] = artifact_media_type
    if image.last_pulled_at is not None:
        detail["lastRecordedPullTime"] = image.last_pulled_at
    if manifest.subject_digest:
        detail["subjectManifestDigest"] = manifest.subject_digest
    detail["imageStatus"] = image_status(image, now)
    if image.last_archived_at is not None:
        detail["lastArchivedAt"] = image.last_archived_at
    if image.last_activated_at is not None:
        detail["lastActivatedAt"] = image.last_activated_at
    if repository.scans:  # imageScanStatus, imageScanFindingsSummary
        detail.update(scanning.detail_fields(repository, image, now))
    return detail


def preview_result(decision: Decision) -> dict[str, Any]:
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
