"""Repository settings changed after creation: PutImageTagMutability, PutImageScanningConfiguration.

Both change what CreateRepository set; later pushes, tag moves and DescribeRepositories see
the new value at once (they read the repository's fields on every call).
"""

from __future__ import annotations

from typing import Any

from ..domain.repositories import get_repository
from .handlers import RequestContext, operation
from .repositories import _mutability


@operation("PutImageTagMutability")
def put_image_tag_mutability(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    repository = get_repository(ctx.store, params["repositoryName"])
    mode, exclusions = _mutability(params)  # the checks CreateRepository makes
    repository.tag_mutability, repository.mutability_exclusions = mode, exclusions
    result: dict[str, Any] = {
        "registryId": repository.registry_id,
        "repositoryName": repository.name,
        "imageTagMutability": mode,
    }
    if exclusions:
        result["imageTagMutabilityExclusionFilters"] = [dict(f) for f in exclusions]
    return result


@operation("PutImageScanningConfiguration")
def put_image_scanning_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    repository = get_repository(ctx.store, params["repositoryName"])
    repository.scan_on_push = bool(params["imageScanningConfiguration"].get("scanOnPush", False))
    return {
        "registryId": repository.registry_id,
        "repositoryName": repository.name,
        "imageScanningConfiguration": {"scanOnPush": repository.scan_on_push},
    }
