"""UpdateImageStorageClass: archive an image, or restore an archived one.

The semantics (statuses, restore time, refusals) are ``domain.images.archive``'s, the same
lifecycle ``transition`` rules and re-pushes use.
"""

from __future__ import annotations

from typing import Any

from .. import messages
from ..domain.images import archive, service
from ..domain.images.index import Image
from ..domain.repositories import Repository
from ..errors import ImageNotFoundException
from .handlers import RequestContext, repository_operation


def named_image(repository: Repository, image_id: dict[str, str]) -> Image:
    """The image an ImageIdentifier names (digest, tag, or both agreeing), else
    ImageNotFoundException in DescribeImages' wording."""
    image, _ = service.resolve(repository.images, image_id.get("imageDigest"), image_id.get("imageTag"))
    if image is None:
        digest, tag = image_id.get("imageDigest", "null"), image_id.get("imageTag", "null")
        raise ImageNotFoundException(messages.image_not_found(digest, tag, repository.name, repository.registry_id))
    return image


def answered_id(image: Image, image_id: dict[str, str]) -> dict[str, str]:
    """The ``imageId`` of an answer: the digest, and the tag when the request named one."""
    out = {"imageDigest": image.digest}
    if image_id.get("imageTag") is not None:
        out["imageTag"] = image_id["imageTag"]
    return out


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
