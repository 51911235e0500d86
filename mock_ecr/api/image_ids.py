"""The image an ImageIdentifier names, and the ``imageId`` an answer echoes back: shared by the
operations on one image (scanning, archive, signing, replication status)."""

from __future__ import annotations

from .. import messages
from ..domain.images import service
from ..domain.images.index import Image
from ..domain.repositories import Repository
from ..errors import ImageNotFoundException


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
