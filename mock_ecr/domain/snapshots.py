"""Snapshots of every registry of a backend: taken in one call, restored in another.

A snapshot is a copy of the registries' declared state that later changes cannot reach;
restoring one copies it again, so a snapshot can be restored any number of times (class
set-up restores the same snapshot before every test). What never changes is shared, not
copied: blobs (immutable; each copy of a registry is one more holder of the same ``Blob``,
so no byte is copied), manifest text, parsed manifests, tags, datetimes, preview results.

**One table per record says how each of its fields is copied** (``IMAGE_FIELDS``,
``REPOSITORY_FIELDS``...; the kinds are below). The copier of each record is compiled
from its table, so a field's row is all a new field needs, and
``tests/test_snapshots.py`` fails for a field no table names.

Cost: an image is a record of immutable values (no container of its own), so copying a
repository costs one small object per image plus two dict entries, and C-level copies of
the rest of its index; restoring a registry of 1,000 images takes about a millisecond
(``benchmarks/bench.py --state``).

Uploads in progress are not part of a snapshot: an upload id started before the snapshot
is unknown after a restore.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from .images.index import Image, ImageIndex
from .repositories import Repository
from .scanning import ImageScan
from .store import Backend, RegistryKey, RegistryStore
from .upstreams import Upstreams

#: The kinds of copy a table names:
#:
#: * ``share``: the same object in both (an immutable value: str, int, tuple, datetime, a
#:   frozen record, a parsed manifest);
#: * ``copy``: the value's own ``copy()`` (a dict, set, list or Counter of immutable values;
#:   ``RegistryBlobs``, which counts one more holder of each blob), None stays None;
#: * ``copy values``: a new dict whose values are each ``copy()``'d (a dict of sets or lists);
#: * ``deep``: ``copy.deepcopy`` (small nested data);
#: * ``fresh``: not copied, the copy starts with the field's default (uploads, locks);
#: * ``special``: set by this module's copier of the record, after the others.
KINDS = ("share", "copy", "copy values", "deep", "fresh", "special")

IMAGE_FIELDS = {
    "digest": "share",
    "manifest_text": "share",
    "manifest": "share",
    "pushed_at": "share",
    "size": "share",
    "seq": "share",
    "tags": "share",  # replaced, never mutated
    "last_pulled_at": "share",
    "storage_class": "share",
    "last_archived_at": "share",
    "last_activated_at": "share",
    "activation_due": "share",
    "signing": "share",  # a tuple of frozen statuses
    "replications": "share",  # replaced, never mutated
}
INDEX_FIELDS = {
    "_next_seq": "share",
    "_numbers": "copy",
    "by_digest": "special",  # to the copies of the images
    "seqs_by_tag": "copy",
    "images_by_seq": "special",
    "_image_keys": "copy values",
    "_entry_keys": "copy values",
    "parents": "copy values",
    "_removals": "copy",  # (number, tags) tuples
}
SCAN_FIELDS = {
    "image": "special",  # the copy of the image the scan belongs to
    "kind": "share",
    "started_at": "share",
    "status": "share",
    "description": "share",
    "completed_at": "share",
    "findings": "deep",
    "severity_counts": "copy",
    "failure": "share",
}
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
    "upload_ids": "fresh",
    "layer_object_keys": "copy",
    "layer_folder_id": "share",
    "lifecycle_preview": "copy",  # its results are shared; only its status moves
    "lifecycle_evaluated_at": "share",
    "scans": "special",
    "_images": "special",
}
STORE_FIELDS = {
    "account_id": "share",
    "region": "share",
    "lock": "fresh",
    "repositories": "special",
    "sorted_names": "copy",
    "blobs": "copy",
    "manifest_parts": "copy",  # of immutable descriptors
    "uploads": "fresh",
    "settings": "deep",
    "templates": "deep",
    "pull_through_rules": "special",  # each rule copied
    "backfills": "deep",  # small records
    "follow_ups": "fresh",  # queued work belongs to the call that queued it
}

T = TypeVar("T")


def compile_copier(cls: type[T], table: dict[str, str], make: Callable[[T], T] | None = None) -> Callable[[T], T]:
    """A function copying a ``cls`` the way ``table`` says (its ``special`` fields left unset).

    Generated code, one assignment per field (as ``dataclasses`` builds ``__init__``): a
    slotted image copies in a quarter of a microsecond, several times faster than
    ``copy.copy``. The twin comes from ``make(source)`` when given, which then also provides
    the ``fresh`` fields; otherwise from ``object.__new__`` with the dataclass defaults.
    """
    unknown = {kind for kind in table.values() if kind not in KINDS}
    if unknown:
        raise ValueError(f"unknown copy kinds for {cls.__name__}: {sorted(unknown)}")
    defaults = {f.name: f for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else {}
    namespace: dict[str, Any] = {"cls": cls, "make": make, "new": object.__new__, "deepcopy": copy.deepcopy}
    lines = ["def copier(source):", "    twin = make(source)" if make else "    twin = new(cls)"]
    for name, kind in table.items():
        value = f"source.{name}"
        if kind == "share":
            lines.append(f"    twin.{name} = {value}")
        elif kind == "copy":
            lines.append(f"    value = {value}")
            lines.append(f"    twin.{name} = None if value is None else value.copy()")
        elif kind == "copy values":
            lines.append(f"    twin.{name} = {{key: item.copy() for key, item in {value}.items()}}")
        elif kind == "deep":
            lines.append(f"    twin.{name} = deepcopy({value})")
        elif kind == "fresh" and make is None:
            spec = defaults[name]
            factory = spec.default_factory
            if factory is dataclasses.MISSING:
                if spec.default is dataclasses.MISSING:
                    raise ValueError(f"{cls.__name__}.{name} has no default to start a copy with")
                factory = lambda value=spec.default: value  # noqa: E731
            namespace[f"default_{name}"] = factory
            lines.append(f"    twin.{name} = default_{name}()")
    lines.append("    return twin")
    source = "\n".join(lines)
    exec(compile(source, f"<copier of {cls.__name__}>", "exec"), namespace)  # text generated from the table
    copier: Callable[[T], T] = namespace["copier"]
    copier.__qualname__ = copier.__name__ = f"copy_{cls.__name__}"
    copier.__doc__ = source
    return copier


_copy_image = compile_copier(Image, IMAGE_FIELDS)
_copy_index_fields = compile_copier(ImageIndex, INDEX_FIELDS)
_copy_scan_fields = compile_copier(ImageScan, SCAN_FIELDS)
_copy_repository_fields = compile_copier(Repository, REPOSITORY_FIELDS)
_copy_store_fields = compile_copier(
    RegistryStore, STORE_FIELDS, lambda store: RegistryStore(store.account_id, store.region)
)


class Snapshot:
    """An opaque copy of every registry of a backend (``Backend.snapshot``)."""

    __slots__ = ("_stores", "_upstreams", "__weakref__")

    def __init__(self, stores: dict[RegistryKey, RegistryStore], upstreams: Upstreams) -> None:
        self._stores = stores
        self._upstreams = upstreams

    def __repr__(self) -> str:
        repositories = sum(len(store.repositories) for store in self._stores.values())
        return f"<mock_ecr snapshot: {len(self._stores)} registries, {repositories} repositories>"

    def __del__(self) -> None:
        for store in self._stores.values():
            store.blobs.close()  # this copy lets go of its blobs
        self._upstreams.close()


def take(backend: Backend) -> Snapshot:
    """A copy of every registry of ``backend`` (each copied under its lock)."""
    copies = {}
    for store in backend.stores():
        with store.lock:
            copies[store.key] = copy_store(store)
    return Snapshot(copies, backend.upstreams.copy())


def restore(backend: Backend, snapshot: Snapshot) -> None:
    """Make ``backend``'s registries those of ``snapshot`` (copied again: the snapshot stays
    usable). The registries replaced are closed: their uploads discarded, their blobs
    released unless the snapshot holds them too."""
    fresh = {key: copy_store(store) for key, store in snapshot._stores.items()}
    old_upstreams, backend.upstreams = backend.upstreams, snapshot._upstreams.copy()
    old_upstreams.close()
    for old in backend.replace_stores(fresh):
        old.close()


def copy_store(store: RegistryStore) -> RegistryStore:
    twin = _copy_store_fields(store)
    twin.repositories = {name: copy_repository(repository) for name, repository in store.repositories.items()}
    twin.pull_through_rules = {key: copy.copy(rule) for key, rule in store.pull_through_rules.items()}
    return twin


def copy_repository(repository: Repository) -> Repository:
    twin = _copy_repository_fields(repository)
    index = repository._images
    twin._images = copy_index(index) if index is not None else None
    twin.scans = {digest: _copy_scan(scan, index, twin._images) for digest, scan in repository.scans.items()}
    return twin


def copy_index(index: ImageIndex) -> ImageIndex:
    twin = _copy_index_fields(index)
    by_seq: dict[int, Image] = {}
    by_digest: dict[str, Image] = {}
    copy_image = _copy_image
    # ``images_by_seq`` and ``by_digest`` hold the same images in the same order: one pass
    for seq, image in index.images_by_seq.items():
        by_seq[seq] = by_digest[image.digest] = copy_image(image)
    twin.images_by_seq = by_seq
    twin.by_digest = by_digest
    return twin


def _copy_scan(scan: ImageScan, index: ImageIndex | None, twin: ImageIndex | None) -> ImageScan:
    copied = _copy_scan_fields(scan)
    # the copy of the image the scan belongs to; a scan of an image since deleted (its digest
    # maybe pushed again: a new image) keeps the old one
    digest = scan.image.digest
    if index is not None and twin is not None and index.by_digest.get(digest) is scan.image:
        copied.image = twin.by_digest[digest]
    else:
        copied.image = scan.image
    return copied
