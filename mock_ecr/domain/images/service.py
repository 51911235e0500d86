"""What happens to a repository's images: push, tag, pull, delete, archive, restore.

The api handlers (and seeding, and the lifecycle engine's apply) go through these, so a
push from a test fixture checks exactly what a PutImage checks. Each function checks
everything before it changes anything, so a refused call leaves no trace.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import TYPE_CHECKING

from ... import messages
from ...errors import (
    ImageAlreadyExistsException,
    ImageDigestDoesNotMatchException,
    ImageTagAlreadyExistsException,
    LayersNotFoundException,
    ReferencedImagesNotFoundException,
)
from .. import pushes, scanning
from ..blobs.storage import reference_blobs, release_blobs, repository_blob
from ..lifecycle.engine import tag_pattern_matches  # linear time: filters are user-controlled
from ..quotas import Quotas
from . import manifests
from .archive import archive, restore, settle
from .archive import pullable as _pullable
from .index import Image, ImageIndex

__all__ = ["archive", "restore"]  # re-exported: lifecycle transitions archive through here

if TYPE_CHECKING:
    from ..repositories import Repository
    from ..store import RegistryStore

#: ImageIdentifier.imageDigest as BatchGetImage / BatchDeleteImage check it
_is_image_digest = re.compile(messages.IMAGE_DIGEST_PATTERN).fullmatch


# -- tag mutability ---------------------------------------------------------------------


def tag_is_immutable(repository: Repository, tag: str) -> bool:
    """Whether an existing ``tag`` may not be moved to another image in ``repository``."""
    mode = repository.tag_mutability
    if mode in ("MUTABLE", "IMMUTABLE"):
        return mode == "IMMUTABLE"
    excluded = any(tag_pattern_matches(f.get("filter", ""), tag) for f in repository.mutability_exclusions)
    # IMMUTABLE_WITH_EXCLUSION: matching tags are mutable; MUTABLE_WITH_EXCLUSION: the reverse
    return excluded != (mode == "IMMUTABLE_WITH_EXCLUSION")


# -- pushing ------------------------------------------------------------------------------


def put_image(
    store: RegistryStore,
    quotas: Quotas,
    repository: Repository,
    text: str,
    *,
    media_type: str | None = None,
    digest: str | None = None,
    tag: str | None = None,
    now: _dt.datetime,
    replica: bool = False,
) -> Image:
    """Store the manifest ``text`` (tagged ``tag``) as PutImage does; returns the image.

    ``media_type`` is the declared manifest media type, ``digest`` the digest the caller
    expects. Pushing an archived image again restores it. ``replica``: the push is ECR
    replicating an image here (which is not replicated onward).
    """
    manifest = manifests.parse(text, media_type, store.manifest_parts)
    if digest is not None and digest != manifest.digest:
        raise ImageDigestDoesNotMatchException(messages.DIGEST_DOES_NOT_MATCH)
    index = repository.images
    image = index.get(manifest.digest)
    if image is not None:
        settle(image, now)
    restored = image is not None and image.storage_class == "ARCHIVE"  # archived or being restored
    if image is not None and (tag is None or tag in image.tags):
        if restored:
            restore(image, now)
        elif tag is not None:
            raise ImageAlreadyExistsException(
                messages.image_exists(image.digest, tag, repository.name, repository.registry_id)
            )
        return image  # the same manifest pushed again without a new tag: nothing else changes
    holder = index.tagged(tag) if tag is not None else None
    if holder is not None and tag_is_immutable(repository, tag):  # type: ignore[arg-type]
        raise ImageTagAlreadyExistsException(messages.tag_immutable(tag, repository.name))  # type: ignore[arg-type]
    if image is None:
        size = _check_references(store, repository, index, manifest)
        quotas.check_image_count(repository)
        image = _store_image(store, repository, index, manifest, text, size, now)
        scanning.on_push(store, repository, image, now)  # scan on push (repository or registry setting)
    elif restored:
        restore(image, now)
    if tag is not None:
        index.tag(image, tag)
    pushes.after_push(store, repository, image, now, replica=replica)
    return image


def _check_references(
    store: RegistryStore, repository: Repository, index: ImageIndex, manifest: manifests.Manifest
) -> int:
    """Refuse a manifest whose blobs or child manifests are not in the repository; returns
    the image's size (``imageSizeInBytes``)."""
    missing = [d for d in manifest.blob_digests() if repository_blob(store, repository, d) is None]
    if missing:
        raise LayersNotFoundException(
            messages.layers_missing_for_push(missing, repository.name, repository.registry_id)
        )
    children = {d: index.get(d) for d in manifest.child_digests()}
    absent = [d for d, child in children.items() if child is None]
    if absent:
        raise ReferencedImagesNotFoundException(
            messages.images_missing_for_push(absent, repository.name, repository.registry_id)
        )
    if manifest.is_index:
        # "If the image is a manifest list, this will be the max size of all manifests in the list."
        return max((child.size for child in children.values() if child is not None), default=0)
    if manifest.media_type in manifests.SCHEMA1_TYPES:
        found = (repository_blob(store, repository, d) for d in manifest.blob_digests())
        return sum(blob.size for blob in found if blob is not None)
    return manifest.layers_size()


def _store_image(
    store: RegistryStore,
    repository: Repository,
    index: ImageIndex,
    manifest: manifests.Manifest,
    text: str,
    size: int,
    now: _dt.datetime,
) -> Image:
    image = index.add(manifest.digest, text, manifest, now, size)
    manifests.remember(store.manifest_parts, manifest)
    digests = manifest.blob_digests()
    reference_blobs(repository, digests)
    described = {d.digest: d.media_type for d in (manifest.config, *manifest.layers) if d is not None}
    for digest in digests:
        blob = repository_blob(store, repository, digest)
        if blob is not None and blob.media_type is None and described.get(digest):
            blob.media_type = described[digest]
    return image


# -- naming an image ------------------------------------------------------------------------


def resolve(index: ImageIndex, digest: str | None, tag: str | None) -> tuple[Image | None, str | None]:
    """The image a digest and/or tag name, or the failure code BatchGet/BatchDelete report."""
    if tag is None:
        if digest is None:
            return None, "MissingDigestAndTag"
        image = index.by_digest.get(digest)
        if image is not None:
            return image, None
        return None, "InvalidImageDigest" if _is_image_digest(digest) is None else "ImageNotFound"
    if digest is not None and _is_image_digest(digest) is None:
        return None, "InvalidImageDigest"
    image = index.tagged(tag)
    if image is None:
        return None, "ImageNotFound"
    if digest is not None and image.digest != digest:
        # the tag exists but names another image; if the digest exists neither, nothing matched
        return None, "ImageTagDoesNotMatchDigest" if digest in index.by_digest else "ImageNotFound"
    return image, None


def pull(image: Image, now: _dt.datetime, *, record: bool = True) -> bool:
    """A pull of ``image``: False if it cannot be pulled (archived and activating images
    cannot); else its ``lastRecordedPullTime`` becomes ``now`` unless ``record`` is False
    (the caller is excluded from pull-time updates)."""
    if not _pullable(image, now):
        return False
    if record:
        image.last_pulled_at = now
    return True


# -- deleting -------------------------------------------------------------------------------


def delete_image(repository: Repository, image: Image) -> None:
    """Delete ``image`` and its tags from ``repository``, releasing its blob references."""
    repository.images.remove(image)
    release_blobs(repository, image.manifest.blob_digests())


def delete_ids(
    repository: Repository, ids: list[tuple[str | None, str | None]]
) -> tuple[list[tuple[str, str | None]], list[tuple[int, str, str | None]]]:
    """What BatchDeleteImage does with ``ids``, (digest, tag) pairs, in order: by tag, that
    tag goes (and the image with its last tag); by digest alone, the image and all its tags.
    An image a manifest list or index still references is not deleted. An id asked for
    twice is answered once.

    Returns the ids deleted, as (image digest, tag or None for an untagged image), and the
    failures, as (position in ``ids``, failure code, reason or None for the code's text).
    One loop for every id, with the blob references released once at the end: a call
    deletes up to 100 images, and a function call per image step costs more than the step.
    """
    index = repository.images
    by_digest, parents, remove = index.by_digest, index.parents, index.remove
    deleted: list[tuple[str, str | None]] = []
    failures: list[tuple[int, str, str | None]] = []
    released: list[str] = []
    seen_digests: set[str | None] = set()  # ids by digest alone (or by nothing)
    seen: set[tuple[str | None, str]] = set()  # ids by tag
    for position, (digest, tag) in enumerate(ids):
        if tag is None:
            if digest in seen_digests:
                continue
            seen_digests.add(digest)
            # (ids by digest alone are what clients send most: a digest held is looked up directly)
            image = by_digest.get(digest) if digest is not None else None
            if image is None:
                failures.append((position, resolve(index, digest, None)[1] or "ImageNotFound", None))
                continue
        else:
            key = (digest, tag)
            if key in seen:
                continue
            seen.add(key)
            image, code = resolve(index, digest, tag)
            if image is None:
                failures.append((position, code or "ImageNotFound", None))
                continue
            if len(image.tags) > 1:
                index.untag(image, tag)
                deleted.append((image.digest, tag))
                continue
        image_digest = image.digest
        if image_digest in parents:
            reason = messages.referenced_by_manifest_list(sorted(index.referrers(image_digest)))
            failures.append((position, "ImageReferencedByManifestList", reason))
            continue
        tags = image.tags
        remove(image)
        released.extend(image.manifest._blob_digests)  # (the method's value, without the call)
        if tag is not None or len(tags) == 1:
            deleted.append((image_digest, tags[0] if tag is None else tag))
        elif tags:
            deleted.extend([(image_digest, t) for t in tags])
        else:
            deleted.append((image_digest, None))
    release_blobs(repository, released)
    return deleted, failures
