"""Image scans: StartImageScan, DescribeImageScanFindings (state and rules in ``domain/scanning.py``).

Wording: ScanNotFoundException and the per-image LimitExceededException follow the texts
real ECR answers (as emulators' tests quote them); UnsupportedImageTypeException and
ImageArchivedException use the model's documentation of the error.
"""

from __future__ import annotations

from typing import Any

from .. import messages
from ..domain import pagination, scanning
from ..domain.images import archive
from ..domain.repositories import get_repository
from ..errors import (
    ImageArchivedException,
    LimitExceededException,
    ScanNotFoundException,
    UnsupportedImageTypeException,
    ValidationException,
)
from .handlers import RequestContext, operation
from .image_ids import answered_id, named_image

DEFAULT_PAGE_SIZE = 100
_TOKEN_KIND = "DescribeImageScanFindings"


def _id_parts(image_id: dict[str, str]) -> tuple[str, str]:
    return image_id.get("imageDigest", "null"), image_id.get("imageTag", "null")


@operation("StartImageScan")
def start_image_scan(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    repository = get_repository(ctx.store, params["repositoryName"])
    image = named_image(repository, params["imageId"])
    if ctx.store.settings.scan_type == "ENHANCED":
        raise ValidationException(messages.MANUAL_SCAN_UNDER_ENHANCED)
    if archive.status(image, ctx.now) != "ACTIVE":  # archived, or still being restored
        raise ImageArchivedException(messages.IMAGE_ARCHIVED_SCAN)
    if not scanning.scannable(image.manifest):
        raise UnsupportedImageTypeException(messages.UNSUPPORTED_SCAN_TYPE)
    if scanning.limit_reached(scanning.scan_of(repository, image), ctx.now):
        raise LimitExceededException(messages.SCAN_LIMIT)
    record = scanning.start(repository, image, ctx.now)
    return {
        "registryId": repository.registry_id,
        "repositoryName": repository.name,
        "imageId": answered_id(image, params["imageId"]),
        "imageScanStatus": scanning.status_shape(record),
    }


@operation("DescribeImageScanFindings")
def describe_image_scan_findings(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    repository = get_repository(ctx.store, params["repositoryName"])
    image_id = params["imageId"]
    image = named_image(repository, image_id)
    record = scanning.scan_of(repository, image)
    if record is None or not record.exists:
        raise ScanNotFoundException(
            messages.scan_not_found(*_id_parts(image_id), repository.name, repository.registry_id)
        )
    keys = list(range(len(record.findings)))
    start, stop, token = pagination.page(
        keys, _TOKEN_KIND, params.get("nextToken"), params.get("maxResults", DEFAULT_PAGE_SIZE)
    )
    scanning.observe(record, ctx.now)
    result: dict[str, Any] = {
        "registryId": repository.registry_id,
        "repositoryName": repository.name,
        "imageId": answered_id(image, image_id),
        "imageScanStatus": scanning.status_shape(record),
    }
    if record.status in ("COMPLETE", "ACTIVE"):
        findings: dict[str, Any] = {
            "imageScanCompletedAt": record.completed_at,
            "vulnerabilitySourceUpdatedAt": record.completed_at,
            "findingSeverityCounts": record.counts(),
        }
        page = record.findings[start:stop]
        if record.kind == "ENHANCED":
            findings["enhancedFindings"] = [
                scanning.enhanced_finding(f, repository, image, record.completed_at or ctx.now) for f in page
            ]
        else:
            findings["findings"] = [dict(f) for f in page]
        result["imageScanFindings"] = findings
        if token:
            result["nextToken"] = token
    return result
