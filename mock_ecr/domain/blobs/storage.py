"""Content-addressed blob storage per registry, and which repositories hold which blobs.

A blob pushed to two repositories of a registry is stored once (``Blob``, ``blob.py``).
Small blobs stay in memory; large ones live in a temporary file on disk, so a 1 GiB layer
costs disk, not RSS. Every file is closed (and so deleted) when the activation ends:
``Backend.close`` closes each registry's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .blob import Blob, holders_lock

if TYPE_CHECKING:
    from ..repositories import Repository
    from ..store import RegistryStore


class RegistryBlobs:
    """One registry's blobs by digest, shared by every repository of the registry.

    ``links`` counts the repositories each blob is uploaded to; a blob no repository links
    any more is released at once (its file closed, unless a snapshot still holds it).
    """

    __slots__ = ("blobs", "links")

    def __init__(self) -> None:
        self.blobs: dict[str, Blob] = {}
        self.links: dict[str, int] = {}

    def add(self, blob: Blob) -> Blob:
        """Store ``blob`` unless an identical one is stored already; returns the stored one."""
        existing = self.blobs.get(blob.digest)
        if existing is not None:
            if existing is not blob:
                blob.release()
            return existing
        self.blobs[blob.digest] = blob
        blob.retain()
        return blob

    def link(self, digest: str) -> None:
        self.links[digest] = self.links.get(digest, 0) + 1

    def unlink(self, digest: str) -> None:
        """One repository fewer holds ``digest``; the last one releases the blob."""
        count = self.links.get(digest, 0) - 1
        if count > 0:
            self.links[digest] = count
            return
        self.links.pop(digest, None)
        blob = self.blobs.pop(digest, None)
        if blob is not None:
            blob.release()

    def copy(self) -> RegistryBlobs:
        """Another holder of the same blobs (no bytes are copied)."""
        twin = RegistryBlobs()
        twin.blobs = dict(self.blobs)
        twin.links = dict(self.links)
        with holders_lock:
            for blob in twin.blobs.values():
                blob.holders += 1
        return twin

    def close(self) -> None:
        """This holder lets go of every blob; the ones nothing else holds are closed."""
        blobs, self.blobs = self.blobs, {}
        self.links = {}
        unheld = []
        with holders_lock:
            for blob in blobs.values():
                blob.holders -= 1
                if blob.holders <= 0:
                    unheld.append(blob)
        for blob in unheld:
            blob.close()


class BlobRefs(dict[str, int]):
    """Blob digest -> how many images of a repository reference it; a digest no image
    references reads 0 (and is not held). Counter reads the same, but Counter defines
    ``__delitem__`` in Python, which sends every store into it through a slow slot; this
    class adds nothing but the 0."""

    __slots__ = ()

    def __missing__(self, digest: str) -> int:
        return 0

    def copy(self) -> BlobRefs:
        return BlobRefs(self)


# -- a repository's blobs ------------------------------------------------------------------------
# A repository holds the digests uploaded to it (``blob_links``) and how many of its images
# reference each (``blob_refs``); the bytes stay in the registry's ``RegistryBlobs``.


def link_blob(store: RegistryStore, repository: Repository, blob: Blob) -> Blob:
    """Store ``blob`` in the registry (once) and make it part of ``repository``."""
    stored = store.blobs.add(blob)
    if stored.digest not in repository.blob_links:
        repository.blob_links.add(stored.digest)
        store.blobs.link(stored.digest)
    return stored


def unlink_blob(store: RegistryStore, repository: Repository, digest: str) -> None:
    """Make the blob no longer pullable from ``repository``; released when no repository holds it."""
    if digest in repository.blob_links:
        repository.blob_links.discard(digest)
        store.blobs.unlink(digest)


def unlink_all(store: RegistryStore, repository: Repository) -> None:
    """``repository`` is deleted: every blob only it held is released."""
    links, repository.blob_links = repository.blob_links, set()
    for digest in links:
        store.blobs.unlink(digest)


def repository_blob(store: RegistryStore, repository: Repository, digest: str) -> Blob | None:
    """The blob ``digest`` if it was uploaded to ``repository``, else None."""
    if digest not in repository.blob_links:
        return None
    return store.blobs.blobs.get(digest)


def reference_blobs(repository: Repository, digests: tuple[str, ...]) -> None:
    """Count one more image of ``repository`` using each blob of ``digests``."""
    references = repository.blob_refs
    for digest in digests:
        references[digest] += 1


def release_blobs(repository: Repository, digests: Iterable[str]) -> None:
    """Count one image fewer using each blob of ``digests``; unused digests are dropped."""
    references = repository.blob_refs
    for digest in digests:
        count = references[digest] - 1
        if count > 0:
            references[digest] = count
        else:
            references.pop(digest, None)
