"""Snapshots of every registry of a backend: taken in one call, restored in another.

A snapshot is a copy of the registries' declared state that later changes cannot reach;
restoring one copies it again, so a snapshot can be restored any number of times (class
set-up restores the same snapshot before every test). What never changes is shared, not
copied: blobs (immutable; each copy of a registry is one more holder of the same ``Blob``,
so no byte is copied), parsed manifests, strings, tuples and datetimes. Mutable records
(repositories, images, scans, previews) are copied field by field, with the containers
they own.

Cost: a few dict and object copies per image; restoring a registry of 1,000 images takes
a couple of milliseconds (``benchmarks/bench.py``, phase "snapshot").

Uploads in progress are not part of a snapshot: an upload id started before the snapshot
is unknown after a restore. Every field of ``Repository``, ``Image`` and ``ImageScan`` is
named below (``REPOSITORY_FIELDS``...), so a new field must say how it is copied
(``tests/domain/test_snapshots.py`` checks that each is).
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

from .images.index import Image, ImageIndex, _SortedKeys
from .repositories import Repository
from .store import Backend, RegistryKey, RegistryStore

#: how each Repository field is copied: "share" (immutable value), "copy" (a shallow copy
#: of the container), "deep" (a deep copy: small nested data), "special" (by hand, below)
REPOSITORY_FIELDS = {
    "registry_id": "share",
    "region": "share",
    "name": "share",
    "created_at": "share",
    "tag_mutability": "share",
    "mutability_exclusions": "deep",
    "scan_on_push": "share",
    "encryption": "copy",
    "tags": "copy",
    "policy_text": "share",
    "lifecycle_policy_text": "share",
    "blob_links": "copy",
    "blob_refs": "copy",
    "upload_ids": "special",
    "layer_object_keys": "copy",
    "layer_folder_id": "share",
    "lifecycle_preview": "special",
    "lifecycle_evaluated_at": "share",
    "scans": "special",
    "_images": "special",
}
#: Image: everything is immutable but ``entry_seqs`` (``tags`` is replaced, never mutated)
IMAGE_FIELDS = {
    "digest": "share",
    "manifest_text": "share",
    "manifest": "share",
    "pushed_at": "share",
    "size": "share",
    "seq": "share",
    "tags": "share",
    "last_pulled_at": "share",
    "storage_class": "share",
    "last_archived_at": "share",
    "last_activated_at": "share",
    "activation_due": "share",
    "signing": "share",
    "replications": "share",
    "entry_seqs": "copy",
}
SCAN_FIELDS = {
    "image": "special",
    "kind": "share",
    "started_at": "share",
    "status": "share",
    "description": "share",
    "completed_at": "share",
    "findings": "deep",
    "severity_counts": "copy",
    "failure": "share",
}
_new = object.__new__


class Snapshot:
    """An opaque copy of every registry of a backend (``Backend.snapshot``)."""

    __slots__ = ("_stores", "__weakref__")

    def __init__(self, stores: dict[RegistryKey, RegistryStore]) -> None:
        self._stores = stores

    def __repr__(self) -> str:
        repositories = sum(len(store.repositories) for store in self._stores.values())
        return f"<mock_ecr snapshot: {len(self._stores)} registries, {repositories} repositories>"

    def __del__(self) -> None:
        for store in self._stores.values():
            store.blobs.close()  # this copy lets go of its blobs


def take(backend: Backend) -> Snapshot:
    """A copy of every registry of ``backend`` (each copied under its lock)."""
    copies = {}
    for store in backend.stores():
        with store.lock:
            copies[store.key] = copy_store(store)
    return Snapshot(copies)


def restore(backend: Backend, snapshot: Snapshot) -> None:
    """Make ``backend``'s registries those of ``snapshot`` (copied again: the snapshot stays
    usable). The registries replaced are closed: their uploads discarded, their blobs
    released unless the snapshot holds them too."""
    fresh = {key: copy_store(store) for key, store in snapshot._stores.items()}
    for old in backend.replace_stores(fresh):
        old.close()


def copy_store(store: RegistryStore) -> RegistryStore:
    twin = RegistryStore(store.account_id, store.region)
    twin.repositories = {name: copy_repository(repository) for name, repository in store.repositories.items()}
    twin.sorted_names = list(store.sorted_names) if store.sorted_names is not None else None
    twin.blobs = store.blobs.copy()
    twin.settings = copy.deepcopy(store.settings)
    twin.templates = copy.deepcopy(store.templates)
    twin.backfills = copy.deepcopy(store.backfills)
    twin.follow_ups = []  # queued work belongs to the call that queued it
    return twin


def copy_repository(repository: Repository) -> Repository:
    twin = _new(Repository)
    state = repository.__dict__.copy()
    for name in ("encryption", "tags", "layer_object_keys", "blob_links"):
        state[name] = state[name].copy()
    state["blob_refs"] = Counter(repository.blob_refs)
    state["mutability_exclusions"] = [dict(item) for item in repository.mutability_exclusions]
    state["upload_ids"] = set()
    images = repository._images
    twin_images: dict[int, Image] = {}  # id(original image) -> its copy
    if images is not None:
        state["_images"], twin_images = copy_index(images)
    preview = repository.lifecycle_preview
    if preview is not None:
        state["lifecycle_preview"] = copy.copy(preview)  # only ``status`` ever changes
    if repository.scans:
        state["scans"] = {digest: _copy_scan(scan, twin_images) for digest, scan in repository.scans.items()}
    else:
        state["scans"] = {}
    twin.__dict__ = state
    return twin


def copy_index(index: ImageIndex) -> tuple[ImageIndex, dict[int, Image]]:
    """A copy of ``index``, and the copy of each image by ``id()`` of the original."""
    twin = _new(ImageIndex)
    by_seq: dict[int, Image] = {}
    by_original: dict[int, Image] = {}
    for seq, image in index.images_by_seq.items():
        image_twin = _new(Image)
        image_state = image.__dict__.copy()  # (assigning a copied dict is several times faster than update())
        image_state["entry_seqs"] = image.entry_seqs.copy()
        image_twin.__dict__ = image_state
        by_seq[seq] = by_original[id(image)] = image_twin
    twin._next_seq = index._next_seq
    twin._numbers = index._numbers.copy()
    twin.images_by_seq = by_seq
    twin.by_digest = {digest: by_seq[image.seq] for digest, image in index.by_digest.items()}
    twin.by_tag = {tag: by_seq[image.seq] for tag, image in index.by_tag.items()}
    twin.entries = {key: (by_seq[image.seq], tag) for key, (image, tag) in index.entries.items()}
    twin._image_keys = {status: _copy_keys(keys) for status, keys in index._image_keys.items()}
    twin._entry_keys = {status: _copy_keys(keys) for status, keys in index._entry_keys.items()}
    twin.parents = {child: set(parents) for child, parents in index.parents.items()}
    return twin, by_original


def _copy_keys(keys: _SortedKeys) -> _SortedKeys:
    twin = _new(_SortedKeys)
    twin._keys = keys._keys.copy()
    twin._removed = keys._removed.copy()
    return twin


def _copy_scan(scan: Any, images: dict[int, Image]) -> Any:
    twin = copy.copy(scan)
    # the copy of the image the scan belongs to; a scan of an image since deleted keeps the old one
    twin.image = images.get(id(scan.image), scan.image)
    twin.findings = copy.deepcopy(scan.findings)
    if scan.severity_counts is not None:
        twin.severity_counts = dict(scan.severity_counts)
    return twin
