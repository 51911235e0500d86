"""Images: PutImage, BatchGetImage, BatchDeleteImage, ListImages, DescribeImages.

A repository's images live in an ``ImageIndex`` (``image_index.py``) in
``Repository.extra["images"]``; manifests are parsed by ``manifests.py``. Every handler
checks everything before it changes anything, so a refused call leaves no trace.

Other modules use ``images_of(repository)`` to read a repository's images and
``delete_image(repository, image)`` to delete one (the lifecycle engine does both).

Wording: ImageNotFoundException, ImageAlreadyExistsException, the images-per-repository
LimitExceededException, the ``'Invalid JSON syntax'`` manifest refusal and the
``ImageNotFound`` / ``ImageReferencedByManifestList`` failure reasons are quoted from real
ECR answers; ImageTagAlreadyExistsException from ECR's registry endpoint, which relays the
API text. The other failure reasons come from emulators' tests; ImageDigestDoesNotMatch
uses the model's documentation; LayersNotFound and ReferencedImagesNotFound follow the
registry endpoint's "required for pushing image into repository" phrasing.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable
from typing import Any

from ..domain import pagination, scanning
from ..domain.blobs import storage as blobs
from ..domain.images import manifests
from ..domain.images.index import Image, ImageIndex
from ..domain.lifecycle.engine import tag_pattern_matches  # linear time: filters are user-controlled
from ..domain.repositories import Repository, get_repository
from ..domain.store import utcnow
from ..errors import (
    ImageAlreadyExistsException,
    ImageDigestDoesNotMatchException,
    ImageNotFoundException,
    ImageTagAlreadyExistsException,
    LayersNotFoundException,
    ReferencedImagesNotFoundException,
)
from .handlers import RequestContext, operation

DEFAULT_PAGE_SIZE = 100
#: ImageIdentifier.imageDigest as BatchGetImage / BatchDeleteImage check it
_IMAGE_DIGEST = re.compile(r"[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+")

FAILURE_TEXT = {
    "ImageNotFound": "Requested image not found",
    "ImageTagDoesNotMatchDigest": "Invalid request parameters: given tag does not map to the given digest",
    "MissingDigestAndTag": "Invalid request parameters: both tag and digest cannot be null",
    "InvalidImageDigest": (
        "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'"
    ),
}


def images_of(repository: Repository) -> ImageIndex:
    """The repository's image index (created empty on first use)."""
    index = repository.extra.get("images")
    if index is None:
        index = repository.extra["images"] = ImageIndex()
    return index


def delete_image(repository: Repository, image: Image, index: ImageIndex | None = None) -> None:
    """Delete ``image`` and its tags from ``repository``, releasing its blob references
    (``index``: the repository's, when the caller holds it already)."""
    (images_of(repository) if index is None else index).remove(image)
    references = blobs.image_references(repository)
    for digest in image.manifest.blob_digests():
        references[digest] -= 1
        if references[digest] <= 0:
            del references[digest]


# -- messages ---------------------------------------------------------------------------


def _image_not_found(repository: Repository, image_id: dict[str, str]) -> ImageNotFoundException:
    digest, tag = image_id.get("imageDigest", "null"), image_id.get("imageTag", "null")
    return ImageNotFoundException(
        f"The image with imageId {{imageDigest:'{digest}', imageTag:'{tag}'}} does not exist within the "
        f"repository with name '{repository.name}' in the registry with id '{repository.registry_id}'"
    )


def _digest_list(digests: list[str]) -> str:
    return "[" + ", ".join(digests) + "]"


def _failure(image_id: dict[str, str], code: str, reason: str | None = None) -> dict[str, Any]:
    return {"imageId": dict(image_id), "failureCode": code, "failureReason": reason or FAILURE_TEXT[code]}


def _image_id(image: Image, tag: str | None = None) -> dict[str, str]:
    return {"imageDigest": image.digest, "imageTag": tag} if tag is not None else {"imageDigest": image.digest}


# -- tag mutability ---------------------------------------------------------------------


def tag_is_immutable(repository: Repository, tag: str) -> bool:
    """Whether an existing ``tag`` may not be moved to another image in ``repository``."""
    mode = repository.tag_mutability
    if mode in ("MUTABLE", "IMMUTABLE"):
        return mode == "IMMUTABLE"
    excluded = any(
        tag_pattern_matches(f.get("filter", ""), tag) for f in repository.mutability_exclusions
    )
    # IMMUTABLE_WITH_EXCLUSION: matching tags are mutable; MUTABLE_WITH_EXCLUSION: the reverse
    return excluded != (mode == "IMMUTABLE_WITH_EXCLUSION")


# -- PutImage ---------------------------------------------------------------------------


def _check_references(
    ctx: RequestContext, repository: Repository, index: ImageIndex, manifest: manifests.Manifest
) -> int:
    """Refuse a manifest whose blobs or child manifests are not in the repository; returns
    the image's size (``imageSizeInBytes``)."""
    store = ctx.store
    missing = [d for d in manifest.blob_digests() if blobs.repository_blob(store, repository, d) is None]
    if missing:
        raise LayersNotFoundException(
            f"Layers with digests '{_digest_list(missing)}' required for pushing image into repository with name "
            f"'{repository.name}' in the registry with id '{repository.registry_id}' do not exist"
        )
    children = {d: index.get(d) for d in manifest.child_digests()}
    absent = [d for d, child in children.items() if child is None]
    if absent:
        raise ReferencedImagesNotFoundException(
            f"Images with digests '{_digest_list(absent)}' required for pushing image into repository with name "
            f"'{repository.name}' in the registry with id '{repository.registry_id}' do not exist"
        )
    if manifest.is_index:
        # "If the image is a manifest list, this will be the max size of all manifests in the list."
        return max((child.size for child in children.values() if child is not None), default=0)
    if manifest.media_type in manifests.SCHEMA1_TYPES:
        found = (blobs.repository_blob(store, repository, d) for d in manifest.blob_digests())
        return sum(blob.size for blob in found if blob is not None)
    return manifest.layers_size()


def _store_image(
    ctx: RequestContext, repository: Repository, index: ImageIndex, manifest: manifests.Manifest, text: str, size: int
) -> Image:
    image = index.add(manifest.digest, text, manifest, ctx.now, size)
    references = blobs.image_references(repository)
    described = {d.digest: d.media_type for d in (manifest.config, *manifest.layers) if d is not None}
    for digest in manifest.blob_digests():
        references[digest] += 1
        blob = blobs.repository_blob(ctx.store, repository, digest)
        if blob is not None and blob.media_type is None and described.get(digest):
            blob.media_type = described[digest]
    return image


@operation("PutImage")
def put_image(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    store = ctx.store
    repository = get_repository(store, params["repositoryName"])
    text = params["imageManifest"]
    manifest = manifests.parse(text, params.get("imageManifestMediaType"))
    given_digest = params.get("imageDigest")
    if given_digest is not None and given_digest != manifest.digest:
        raise ImageDigestDoesNotMatchException(
            "The specified image digest does not match the digest that Amazon ECR calculated for the image."
        )
    tag = params.get("imageTag")
    index = images_of(repository)
    image = index.get(manifest.digest)
    restored = image is not None and image.storage_class == "ARCHIVE"
    if image is not None and (tag is None or tag in image.tags):
        if restored:  # pushing an archived image again restores it
            _restore(image, ctx.now)
        elif tag is not None:
            raise ImageAlreadyExistsException(
                f"Image with digest '{image.digest}' and tag '{tag}' already exists in the repository with name "
                f"'{repository.name}' in registry with id '{repository.registry_id}'"
            )
        # the same manifest pushed again without a new tag: nothing else changes
        return {"image": _put_result(repository, image, text, tag)}
    holder = index.tagged(tag) if tag is not None else None
    if holder is not None and tag_is_immutable(repository, tag):
        raise ImageTagAlreadyExistsException(
            f"The image tag '{tag}' already exists in the '{repository.name}' repository and cannot be "
            "overwritten because the tag is immutable."
        )
    if image is None:
        size = _check_references(ctx, repository, index, manifest)
        ctx.backend.quotas.check_image_count(repository)
        image = _store_image(ctx, repository, index, manifest, text, size)
        scanning.on_push(store, repository, image, ctx.now)  # scan on push (repository or registry setting)
    elif restored:
        _restore(image, ctx.now)
    if tag is not None:
        index.tag(image, tag)
    return {"image": _put_result(repository, image, text, tag)}


def archive(image: Image, now: _dt.datetime) -> None:
    """Move ``image`` to the archive storage class (a lifecycle ``transition``)."""
    image.storage_class = "ARCHIVE"
    image.last_archived_at = now


def _restore(image: Image, now: _dt.datetime) -> None:
    image.storage_class = "STANDARD"
    image.last_activated_at = now


def _put_result(repository: Repository, image: Image, text: str, tag: str | None) -> dict[str, Any]:
    return {
        "registryId": repository.registry_id,
        "repositoryName": repository.name,
        "imageId": _image_id(image, tag),
        "imageManifest": text,
        "imageManifestMediaType": image.media_type,
    }


# -- resolving ImageIdentifiers -----------------------------------------------------------


def _resolve(index: ImageIndex, image_id: dict[str, str]) -> tuple[Image | None, str | None]:
    """The image an ImageIdentifier names, or the failure code BatchGet/BatchDelete report."""
    digest, tag = image_id.get("imageDigest"), image_id.get("imageTag")
    if digest is None and tag is None:
        return None, "MissingDigestAndTag"
    if digest is not None and _IMAGE_DIGEST.fullmatch(digest) is None:
        return None, "InvalidImageDigest"
    if tag is None:
        image = index.get(digest)  # type: ignore[arg-type]
        return (image, None) if image is not None else (None, "ImageNotFound")
    image = index.tagged(tag)
    if image is None:
        return None, "ImageNotFound"
    if digest is not None and image.digest != digest:
        # the tag exists but names another image; if the digest exists neither, nothing matched
        return None, "ImageTagDoesNotMatchDigest" if index.get(digest) is not None else "ImageNotFound"
    return image, None


def _distinct(image_ids: list[dict[str, str]]) -> list[dict[str, str]]:
    """The request's ids without exact repeats, in order."""
    seen: set[tuple[str | None, str | None]] = set()
    out = []
    for image_id in image_ids:
        key = (image_id.get("imageDigest"), image_id.get("imageTag"))
        if key not in seen:
            seen.add(key)
            out.append(image_id)
    return out


# -- BatchGetImage ------------------------------------------------------------------------


@operation("BatchGetImage")
def batch_get_image(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    repository = get_repository(ctx.store, params["repositoryName"])
    index = images_of(repository)
    accepted = params.get("acceptedMediaTypes")
    images: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for image_id in _distinct(params["imageIds"]):
        image, code = _resolve(index, image_id)
        if image is not None and accepted is not None and image.media_type not in accepted:
            # ECR converts no manifest here; an image in a format the caller does not
            # accept is reported as not found, as the registry answers a pull whose
            # Accept header excludes the stored format
            image, code = None, "ImageNotFound"
        if image is not None and image.storage_class == "ARCHIVE":
            # archived images cannot be pulled: ECR answers a pull of one as not found (404)
            image, code = None, "ImageNotFound"
        if image is None:
            failures.append(_failure(image_id, code or "ImageNotFound"))
            continue
        image.last_pulled_at = ctx.now
        images.append(
            {
                "registryId": repository.registry_id,
                "repositoryName": repository.name,
                "imageId": _image_id(image, image_id.get("imageTag")),
                "imageManifest": image.manifest_text,
                "imageManifestMediaType": image.media_type,
            }
        )
    return {"images": images, "failures": failures}


# -- BatchDeleteImage ---------------------------------------------------------------------


@operation("BatchDeleteImage")
def batch_delete_image(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Each id is handled in request order: by tag, that tag is removed (and the image
    deleted with its last tag); by digest alone, the image and all its tags are deleted."""
    repository = get_repository(ctx.store, params["repositoryName"])
    index = images_of(repository)
    deleted: list[dict[str, str]] = []
    failures: list[dict[str, Any]] = []
    for image_id in _distinct(params["imageIds"]):
        image, code = _resolve(index, image_id)
        if image is None:
            failures.append(_failure(image_id, code or "ImageNotFound"))
            continue
        tag = image_id.get("imageTag")
        if tag is not None and len(image.tags) > 1:
            index.untag(image, tag)
            deleted.append(_image_id(image, tag))
            continue
        referrers = index.referrers(image.digest)
        if referrers:
            failures.append(
                _failure(
                    image_id,
                    "ImageReferencedByManifestList",
                    f"Requested image referenced by manifest list: {_digest_list(sorted(referrers))}",
                )
            )
            continue
        tags = (tag,) if tag is not None else image.tags
        delete_image(repository, image, index)
        if tags:
            for t in tags:
                deleted.append({"imageDigest": image.digest, "imageTag": t})
        else:
            deleted.append({"imageDigest": image.digest})
    return {"imageIds": deleted, "failures": failures}


# -- ListImages / DescribeImages ----------------------------------------------------------


def _tag_status(params: dict[str, Any]) -> str:
    return (params.get("filter") or {}).get("tagStatus", "ANY")


def image_status(image: Image) -> str:
    """ECR's ``imageStatus``: archived images are ARCHIVED, all others ACTIVE."""
    return "ARCHIVED" if image.storage_class == "ARCHIVE" else "ACTIVE"


def _status_filter(params: dict[str, Any]) -> str | None:
    """The ``imageStatus`` a listing keeps, or None for every image."""
    status = (params.get("filter") or {}).get("imageStatus", "ANY")
    return None if status == "ANY" else status


def _page(
    keys: list[Any], kind: str, params: dict[str, Any], keep: Callable[[Any], bool] | None
) -> tuple[list[Any], str | None]:
    """The keys of one page and the next token; with ``keep``, only keys it accepts count."""
    max_results = params.get("maxResults", DEFAULT_PAGE_SIZE)
    if keep is None:
        start, stop, token = pagination.page(keys, kind, params.get("nextToken"), max_results)
        return keys[start:stop], token
    start, _, _ = pagination.page(keys, kind, params.get("nextToken"), 1)
    chosen: list[Any] = []
    position = start
    while position < len(keys) and len(chosen) < max_results:
        if keep(keys[position]):
            chosen.append(keys[position])
        position += 1
    token = pagination.encode_token(kind, keys[position - 1]) if position < len(keys) else None
    return chosen, token


@operation("ListImages")
def list_images(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    repository = get_repository(ctx.store, params["repositoryName"])
    index = images_of(repository)
    status = _status_filter(params)
    keep = None if status is None else (lambda key: image_status(index.entries[key][0]) == status)
    keys, token = _page(index.entry_keys(_tag_status(params)), "ListImages", params, keep)
    image_ids = []
    for key in keys:
        image, tag = index.entries[key]
        image_ids.append(_image_id(image, tag))
    result: dict[str, Any] = {"imageIds": image_ids}
    if token:
        result["nextToken"] = token
    return result


def describe(repository: Repository, image: Image) -> dict[str, Any]:
    """The ``ImageDetail`` shape of ``image``."""
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
    detail.update(scanning.detail_fields(repository, image, utcnow()))  # imageScanStatus, imageScanFindingsSummary
    detail["imageStatus"] = image_status(image)
    if image.last_archived_at is not None:
        detail["lastArchivedAt"] = image.last_archived_at
    if image.last_activated_at is not None:
        detail["lastActivatedAt"] = image.last_activated_at
    return detail


@operation("DescribeImages")
def describe_images(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    repository = get_repository(ctx.store, params["repositoryName"])
    index = images_of(repository)
    image_ids = params.get("imageIds")
    if image_ids is not None:
        pagination.refuse_paging_with("imageIds", params)
        found: dict[str, Image] = {}
        for image_id in image_ids:
            image, _ = _resolve(index, image_id)
            if image is None:
                raise _image_not_found(repository, image_id)
            found.setdefault(image.digest, image)
        return {"imageDetails": [describe(repository, image) for image in found.values()]}
    status = _status_filter(params)
    keep = None if status is None else (lambda key: image_status(index.images_by_seq[key]) == status)
    keys, token = _page(index.image_keys(_tag_status(params)), "DescribeImages", params, keep)
    result: dict[str, Any] = {"imageDetails": [describe(repository, index.images_by_seq[k]) for k in keys]}
    if token:
        result["nextToken"] = token
    return result

