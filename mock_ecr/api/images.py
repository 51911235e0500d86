"""Images: PutImage, BatchGetImage, BatchDeleteImage (ListImages, DescribeImages: ``listing``).

What each does to a repository's images is ``domain.images.service``; these handlers read
the request's ids and shape the answers.

Wording: ImageNotFoundException, ImageAlreadyExistsException, the images-per-repository
LimitExceededException, the ``'Invalid JSON syntax'`` manifest refusal and the
``ImageNotFound`` / ``ImageReferencedByManifestList`` failure reasons are quoted from real
ECR answers; ImageTagAlreadyExistsException from ECR's registry endpoint, which relays the
API text. The other failure reasons come from emulators' tests; ImageDigestDoesNotMatch
uses the model's documentation; LayersNotFound and ReferencedImagesNotFound follow the
registry endpoint's "required for pushing image into repository" phrasing.
"""

from __future__ import annotations

from typing import Any

from ..domain import principals
from ..domain.images import service
from ..domain.repositories import Repository, get_repository
from . import pulling, shapes
from .handlers import RequestContext, operation, repository_for_push, repository_operation


def distinct(image_ids: list[dict[str, str]]) -> list[dict[str, str]]:
    """The request's ids without exact repeats, in order."""
    seen: set[tuple[str | None, str | None]] = set()
    out = []
    for image_id in image_ids:
        key = (image_id.get("imageDigest"), image_id.get("imageTag"))
        if key not in seen:
            seen.add(key)
            out.append(image_id)
    return out


@repository_operation("PutImage", find=repository_for_push)
def put_image(ctx: RequestContext, repository: Repository, params: dict[str, Any]) -> dict[str, Any]:
    text = params["imageManifest"]
    tag = params.get("imageTag")
    image = service.put_image(
        ctx.store,
        ctx.backend.quotas,
        repository,
        text,
        media_type=params.get("imageManifestMediaType"),
        digest=params.get("imageDigest"),
        tag=tag,
        now=ctx.now,
    )
    answer = shapes.image(repository, image, tag)
    answer["imageManifest"] = text  # the text as sent, even when the image was stored before
    return {"image": answer}


@operation("BatchGetImage")
def batch_get_image(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    image_ids = distinct(params["imageIds"])
    upstream = pulling.import_missing(ctx, params["repositoryName"], image_ids)
    repository = get_repository(ctx.store, params["repositoryName"])
    index = repository.images
    accepted = params.get("acceptedMediaTypes")
    record = principals.records_pulls_of(ctx.store.settings, ctx.caller_arn)  # pull-time exclusions
    images: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for number, image_id in enumerate(image_ids):
        tag = image_id.get("imageTag")
        image, code = service.resolve(index, image_id.get("imageDigest"), tag)
        if image is None and number in upstream:
            failures.append(upstream[number])  # the upstream could not give it
            continue
        if image is not None and accepted is not None and image.media_type not in accepted:
            # ECR converts no manifest here; an image in a format the caller does not
            # accept is reported as not found, as the registry answers a pull whose
            # Accept header excludes the stored format
            image, code = None, "ImageNotFound"
        if image is not None and not service.pull(image, ctx.now, record=record):
            # archived (and activating) images cannot be pulled: ECR answers a pull of one as not found (404)
            image, code = None, "ImageNotFound"
        if image is None:
            failures.append(shapes.failure(image_id, code or "ImageNotFound"))
            continue
        images.append(shapes.image(repository, image, tag))
    return {"images": images, "failures": failures}


@repository_operation("BatchDeleteImage")
def batch_delete_image(ctx: RequestContext, repository: Repository, params: dict[str, Any]) -> dict[str, Any]:
    """``service.delete_ids`` on the ids as given; a failure echoes its id as it was sent."""
    image_ids = params["imageIds"]
    deleted, failed = service.delete_ids(repository, [(i.get("imageDigest"), i.get("imageTag")) for i in image_ids])
    failure = shapes.failure
    return {
        "imageIds": shapes.image_ids(deleted),
        "failures": [failure(image_ids[position], code, reason) for position, code, reason in failed],
    }
