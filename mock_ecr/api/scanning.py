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
from ..domain.images.index import Image, ImageIndex
from ..domain.repositories import Repository, get_repository
from ..errors import (
    ImageArchivedException,
    ImageNotFoundException,
    LimitExceededException,
    ScanNotFoundException,
    UnsupportedImageTypeException,
    ValidationException,
)
from .handlers import RequestContext, operation

DEFAULT_PAGE_SIZE = 100
_TOKEN_KIND = "DescribeImageScanFindings"


def _id_parts(image_id: dict[str, str]) -> tuple[str, str]:
    return image_id.get("imageDigest", "null"), image_id.get("imageTag", "null")


def _image(repository: Repository, image_id: dict[str, str]) -> Image:
    """The image an ImageIdentifier names, or ImageNotFoundException."""
    index: ImageIndex = repository.images
    digest, tag = image_id.get("imageDigest"), image_id.get("imageTag")
    image = index.get(digest) if digest is not None else index.tagged(tag) if tag is not None else None
    if image is not None and tag is not None and tag not in image.tags:
        image = None
    if image is None:
        raise ImageNotFoundException(
            messages.image_not_found(*_id_parts(image_id), repository.name, repository.registry_id)
        )
    return image


def _answer_id(image: Image, image_id: dict[str, str]) -> dict[str, str]:
    out = {"imageDigest": image.digest}
    if image_id.get("imageTag") is not None:
        out["imageTag"] = image_id["imageTag"]
    return out


@operation("StartImageScan")
def start_image_scan(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    repository = get_repository(ctx.store, params["repositoryName"])
    image = _image(repository, params["imageId"])
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
        "imageId": _answer_id(image, params["imageId"]),
        "imageScanStatus": scanning.status_shape(record),
    }


@operation("DescribeImageScanFindings")
def describe_image_scan_findings(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    repository = get_repository(ctx.store, params["repositoryName"])
    image_id = params["imageId"]
    image = _image(repository, image_id)
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
        "imageId": _answer_id(image, image_id),
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
