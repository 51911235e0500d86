"""One repository's images, indexed for lookups and for stable, O(page) pagination.

Two orders are kept, both by keys that never change while what they name exists:

* **images** (DescribeImages): an image gets a number the first time its digest is pushed
  to the repository, and the same number again if it is deleted and pushed back (the index
  remembers one number per digest it has ever held); re-tagging never moves it.
* **entries** (ListImages): one entry per (digest, tag) pair, plus one per untagged image,
  keyed ``(image number, tag)`` (``""`` for the untagged entry, which sorts first). The key
  depends only on what the entry names: a tag that leaves an image and comes back, or an
  image untagged twice, gets the key it had before, in the same place.

Pages resume after the last key a page returned (``pagination.page``), so a walk never
returns a record twice (keys it passed are behind it for good) and never skips one that
existed for the whole walk, however the repository changes meanwhile. Each order is also
kept per tag status (tagged, untagged), so a filtered page costs a binary search plus its
own length, like an unfiltered one.
"""

from __future__ import annotations

import datetime as _dt
from bisect import bisect_left, insort
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from .manifests import Manifest

TAG_STATUSES = ("ANY", "TAGGED", "UNTAGGED")
_NO_REFERRERS: frozenset[str] = frozenset()
#: a ListImages entry: (image number, tag or "" for the untagged entry)
EntryKey = tuple[int, str]


@dataclass(eq=False, slots=True)
class Image:
    """One image (manifest) stored in a repository.

    ``digest``, ``tags``, ``pushed_at`` and ``last_pulled_at`` are what other modules (the
    lifecycle engine) read; ``tags`` is replaced, never mutated, so a reader holding it
    sees a consistent value. Every field holds an immutable value, so a copy of an image
    (``domain.snapshots``) copies no container; slots keep a repository of many images small
    and quick to copy and free.
    """

    digest: str
    manifest_text: str
    manifest: Manifest
    pushed_at: _dt.datetime
    size: int
    seq: int
    tags: tuple[str, ...] = ()
    last_pulled_at: _dt.datetime | None = None
    #: "STANDARD", or "ARCHIVE" once archived (it cannot be pulled then; see ``archive.py``)
    storage_class: str = "STANDARD"
    last_archived_at: _dt.datetime | None = None
    last_activated_at: _dt.datetime | None = None
    #: when a restore under way completes (the image is ACTIVATING until then)
    activation_due: _dt.datetime | None = None
    #: ``signing.SigningStatus`` per signing profile that signed (or failed to sign) it
    signing: tuple[Any, ...] = ()
    #: its replication to each destination (``domain.replication.Replication``); replaced, never mutated
    replications: tuple[Any, ...] = ()

    @property
    def media_type(self) -> str:
        return self.manifest.media_type


class _SortedKeys:
    """A sorted list of keys: insert by binary search; removals are applied in bulk.

    A removal is only noted; the next read (``keys``) or insert applies every noted removal
    in one pass (a binary search per key, then one copy of the list), so deleting k keys
    costs one O(n) copy, not k of them. BatchDeleteImage deletes up to 100 images per call.
    """

    __slots__ = ("_keys", "_removed")

    def __init__(self) -> None:
        self._keys: list[Any] = []
        self._removed: set[Any] = set()

    @property
    def keys(self) -> list[Any]:
        if self._removed:
            self._apply_removals()
        return self._keys

    @keys.setter
    def keys(self, value: list[Any]) -> None:
        """Replace the whole (sorted) list: every noted removal is applied first."""
        if self._removed:
            self._apply_removals()
        self._keys = value

    def copy(self) -> _SortedKeys:
        twin = _SortedKeys()
        twin._keys = self._keys.copy()
        twin._removed = self._removed.copy()
        return twin

    def add(self, key: Any) -> None:
        if self._removed:
            self._apply_removals()
        keys = self._keys
        if not keys or key > keys[-1]:
            keys.append(key)  # the common case: a new number goes last
        else:
            insort(keys, key)

    def remove(self, key: Any) -> None:
        """Remove ``key`` if present (applied at the next read or insert)."""
        self._removed.add(key)

    def _apply_removals(self) -> None:
        keys, removed = self._keys, self._removed
        self._removed = set()
        found = []
        for key in removed:
            index = bisect_left(keys, key)
            if index < len(keys) and keys[index] == key:
                found.append(index)
        if len(found) == 1:
            del keys[found[0]]
        elif found:
            found.sort()
            kept = keys[: found[0]]
            for index, following in zip(found, found[1:], strict=False):
                kept.extend(keys[index + 1 : following])
            kept.extend(keys[found[-1] + 1 :])
            self._keys = kept


class ImageIndex:
    """A repository's images by digest, tags, and the two paging orders.

    Lives in ``Repository.images``; ``len()`` is the number of images, which is
    what ``Repository.image_count()`` reads. Callers hold the registry lock.

    Only ``by_digest`` and ``images_by_seq`` hold images; everything else holds image
    numbers, tags and keys (immutable values), so a copy of the index (a snapshot) rebuilds
    two dicts and copies the rest wholesale. An entry's key names its image and tag, so the
    entry itself is never stored: ``entry(key)`` reads it back.
    """

    def __init__(self) -> None:
        self._next_seq = 0
        #: digest -> its image number, kept after deletion so a re-pushed image keeps its place
        self._numbers: dict[str, int] = {}
        self.by_digest: dict[str, Image] = {}
        #: tag -> number of the image that has it
        self.seqs_by_tag: dict[str, int] = {}
        #: image seq -> image (the same images as ``by_digest``, in the same order)
        self.images_by_seq: dict[int, Image] = {}
        self._image_keys = {status: _SortedKeys() for status in TAG_STATUSES}
        self._entry_keys = {status: _SortedKeys() for status in TAG_STATUSES}
        #: child digest -> digests of the manifest lists / indexes that reference it
        self.parents: dict[str, set[str]] = {}
        #: (number, tags) of each image removed since the sorted orders last heard of removals
        self._removals: list[tuple[int, tuple[str, ...]]] = []

    def __len__(self) -> int:
        return len(self.by_digest)

    def __iter__(self) -> Iterator[Image]:
        """Images in push order (a snapshot: safe to consume after the lock is released)."""
        if self._removals:
            self._settle()
        return iter([self.images_by_seq[key] for key in self._image_keys["ANY"].keys])

    def _seq(self) -> int:
        self._next_seq += 1
        return self._next_seq

    # -- lookups ---------------------------------------------------------------------------
    def get(self, digest: str) -> Image | None:
        return self.by_digest.get(digest)

    def tagged(self, tag: str) -> Image | None:
        seq = self.seqs_by_tag.get(tag)
        return None if seq is None else self.images_by_seq[seq]

    def entry(self, key: EntryKey) -> tuple[Image, str | None]:
        """The (image, tag or None) of the ListImages entry ``key`` (one of ``entry_keys``)."""
        seq, tag = key
        return self.images_by_seq[seq], tag or None

    def image_keys(self, tag_status: str = "ANY") -> list[int]:
        """Image numbers in push order (read-only view for ``pagination.page``)."""
        if self._removals:
            self._settle()
        return self._image_keys[tag_status].keys

    def entry_keys(self, tag_status: str = "ANY") -> list[EntryKey]:
        if self._removals:
            self._settle()
        return self._entry_keys[tag_status].keys

    # -- changes ---------------------------------------------------------------------------
    def add(self, digest: str, text: str, manifest: Manifest, pushed_at: _dt.datetime, size: int) -> Image:
        """Store a new, untagged image."""
        if self._removals:
            self._settle()  # a digest pushed back gets its old number: its removal goes first
        number = self._numbers.get(digest)
        if number is None:
            number = self._numbers[digest] = self._seq()
        image = Image(digest, text, manifest, pushed_at, size, number)
        self.by_digest[digest] = image
        self.images_by_seq[image.seq] = image
        for key in ("ANY", "UNTAGGED"):
            self._image_keys[key].add(image.seq)
        self._start_entry(image, None)
        for child in manifest.child_digests():
            self.parents.setdefault(child, set()).add(digest)
        return image

    def tag(self, image: Image, tag: str) -> Image | None:
        """Put ``tag`` on ``image``, taking it off the image that had it; returns that image."""
        if self._removals:
            self._settle()
        previous_seq = self.seqs_by_tag.get(tag)
        if previous_seq == image.seq:
            return None
        previous = None
        if previous_seq is not None:
            previous = self.images_by_seq[previous_seq]
            self._untag(previous, tag)
        if not image.tags:
            self._end_entry(image, None)
            self._move_image(image, "UNTAGGED", "TAGGED")
        image.tags = (*image.tags, tag)
        self.seqs_by_tag[tag] = image.seq
        self._start_entry(image, tag)
        return previous

    def untag(self, image: Image, tag: str) -> None:
        if self._removals:
            self._settle()
        self._untag(image, tag)

    def remove(self, image: Image) -> None:
        """Delete ``image`` and all its tags.

        BatchDeleteImage deletes up to 100 images a call: the six sorted orders are told of
        a removal only at their next read or change (``_settle``), all removals since the
        last at once, so deleting an image costs its dict entries and one note.
        """
        tags = image.tags
        seq = image.seq
        seqs_by_tag = self.seqs_by_tag
        for tag in tags:
            del seqs_by_tag[tag]
        image.tags = ()
        del self.by_digest[image.digest]
        del self.images_by_seq[seq]
        self._removals.append((seq, tags))
        children = image.manifest._child_digests  # (a method call per image is dearer than the read)
        if children:
            parents = self.parents
            for child in children:
                referrers = parents.get(child)
                if referrers is not None:
                    referrers.discard(image.digest)
                    if not referrers:
                        del parents[child]

    def referrers(self, digest: str) -> AbstractSet[str]:
        """Digests of the manifest lists / indexes in the repository that list ``digest``."""
        return self.parents.get(digest) or _NO_REFERRERS

    # -- internals -------------------------------------------------------------------------
    def _settle(self) -> None:
        """Note every removal since the last settle in the sorted orders: an image leaves the
        image orders ANY and its tag status, and each of its entries (one per tag, or the
        untagged one) the entry orders ANY and its status."""
        removals, self._removals = self._removals, []
        tagged = [(seq, tags) for seq, tags in removals if tags]
        untagged = [seq for seq, tags in removals if not tags]
        images, entries = self._image_keys, self._entry_keys
        images["ANY"]._removed.update([seq for seq, _ in removals])
        images["TAGGED"]._removed.update([seq for seq, _ in tagged])
        images["UNTAGGED"]._removed.update(untagged)
        tagged_entries = [(seq, tag) for seq, tags in tagged for tag in tags]
        untagged_entries = [(seq, "") for seq in untagged]
        entries["ANY"]._removed.update(tagged_entries, untagged_entries)
        entries["TAGGED"]._removed.update(tagged_entries)
        entries["UNTAGGED"]._removed.update(untagged_entries)

    def _untag(self, image: Image, tag: str) -> None:
        self._end_entry(image, tag)
        del self.seqs_by_tag[tag]
        image.tags = tuple(t for t in image.tags if t != tag)
        if not image.tags:
            self._move_image(image, "TAGGED", "UNTAGGED")
            self._start_entry(image, None)

    def _move_image(self, image: Image, old: str, new: str) -> None:
        self._image_keys[old].remove(image.seq)
        self._image_keys[new].add(image.seq)

    def _start_entry(self, image: Image, tag: str | None) -> None:
        entry = (image.seq, tag or "")
        for key in ("ANY", "TAGGED" if tag is not None else "UNTAGGED"):
            self._entry_keys[key].add(entry)

    def _end_entry(self, image: Image, tag: str | None) -> None:
        entry = (image.seq, tag or "")
        for key in ("ANY", "TAGGED" if tag is not None else "UNTAGGED"):
            self._entry_keys[key].remove(entry)
