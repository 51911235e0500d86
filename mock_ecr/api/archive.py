"""UpdateImageStorageClass: archive an image, or restore an archived one.

The semantics (statuses, restore time, refusals) are ``domain.images.archive``'s, the same
lifecycle ``transition`` rules and re-pushes use.
"""

from __future__ import annotations

from typing import Any

from ..domain.images import archive
from ..domain.repositories import Repository
from .handlers import RequestContext, repository_operation
from .image_ids import answered_id, named_image


@repository_operation("UpdateImageStorageClass")
def update_image_storage_class(ctx: RequestContext, repository: Repository, params: dict[str, Any]) -> dict[str, Any]:
    image = named_image(repository, params["imageId"])
    status = archive.update_storage_class(repository, image, params["targetStorageClass"], ctx.now)
    return {
        "registryId": repository.registry_id,
        "repositoryName": repository.name,
        "imageId": answered_id(image, params["imageId"]),
        "imageStatus": status,
    }
