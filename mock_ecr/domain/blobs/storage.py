"""Content-addressed blob storage per registry, and which repositories hold which blobs.

A blob pushed to two repositories of a registry is stored once. Blob bytes live in a
``SpooledTemporaryFile``: small blobs stay in memory, large ones roll over to a
temporary file on disk, so a 1 GiB layer costs disk, not RSS. Every file is closed
(and so deleted) when the activation ends: ``Backend.close`` closes each registry's.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from .lanes import Chunk, Lane

if TYPE_CHECKING:
    from ..repositories import Repository
    from ..store import RegistryStore

#: blobs (and uploads in progress) larger than this are spooled to a temporary file
SPOOL_THRESHOLD = 8 * 1024 * 1024
_READ_CHUNK = 1024 * 1024
#: reused buffers a streamed part passes through: one being filled, the others in the lanes
_PIECES = 3
#: parts at least this big, once on disk, are written and hashed on worker threads (lanes.py)
_BACKGROUND_WRITE = 1024 * 1024


class BlobBuffer:
    """Bytes being received in order (an upload), hashed as they arrive.

    Held in memory up to ``SPOOL_THRESHOLD``; beyond it, on disk, every chunk is written in
    one lane and hashed in another (``lanes.py``) while the caller goes on: a registry
    PATCH reads its next piece from the socket meanwhile, an API client serializes its next
    part. A lane holds a bounded number of bytes not yet applied, and a part larger than
    that waits for the one before it, so the buffer holds at most about one part (or 2 MiB
    of a streamed one) beyond what is written. ``digest``, ``mark``, ``seal`` and
    ``discard`` wait for the lanes; a failed write is raised by the first of them.
    """

    def __init__(self) -> None:
        self._file: BinaryIO = tempfile.SpooledTemporaryFile(max_size=SPOOL_THRESHOLD)  # type: ignore[assignment]
        self._sha256 = hashlib.sha256()
        self.size = 0
        self.part_sizes: list[int] = []
        self._lanes: tuple[Lane, Lane] | None = None
        #: ``receive``'s reused buffers, and each one's numbers in the lanes when last put
        self._pieces: list[bytearray] | None = None
        self._piece_uses: list[tuple[int, int] | None] = []

    def expect(self, size: int) -> None:
        """``size`` more bytes are on their way (a streamed part that says how big it is):
        from the threshold on, go to disk now rather than hold the first of them in memory."""
        if self._lanes is None and self.size + size >= SPOOL_THRESHOLD:
            self._to_disk()

    def append(self, data: Chunk, *, continues: bool = False) -> None:
        """Append ``data`` as a new part, or (``continues``) as more of the last part: a
        part streamed in pieces (a registry PATCH) still counts as one part."""
        self._add(data, continues)

    def receive(self, readinto: Callable[[memoryview], int]) -> int:
        """Append, as one part, what ``readinto`` fills until it returns 0 (a streamed body);
        the part's size. Its bytes pass through a few reused buffers, so a part of any size
        allocates nothing after the first pieces."""
        if self._pieces is None:
            self._pieces = [bytearray(_READ_CHUNK) for _ in range(_PIECES)]
            self._piece_uses = [None] * _PIECES
        received = 0
        index = 0
        while True:
            use = self._piece_uses[index]
            if use is not None and self._lanes is not None:  # wait until both lanes are done with it
                for lane, number in zip(self._lanes, use, strict=True):
                    lane.wait(number)
            view = memoryview(self._pieces[index])
            count = readinto(view)
            if not count:
                return received
            self._piece_uses[index] = self._add(view[:count], received > 0)
            received += count
            index = (index + 1) % _PIECES

    def _add(self, data: Chunk, continues: bool) -> tuple[int, int] | None:
        """Append ``data``; the numbers it has in the lanes, if it went to them."""
        self.size += len(data)
        if continues and self.part_sizes:
            self.part_sizes[-1] += len(data)
        else:
            self.part_sizes.append(len(data))
        if self._lanes is None:
            if len(data) < _BACKGROUND_WRITE or self.size <= SPOOL_THRESHOLD:
                self._file.write(data)  # small, or still held in memory: a copy, done at once
                self._sha256.update(data)
                return None
            self._to_disk()
        assert self._lanes is not None
        write, digest = self._lanes
        return write.put(data), digest.put(data)

    def _to_disk(self) -> None:
        # moved to disk by this thread, so the lanes only hand bytes to the kernel and to
        # OpenSSL: memory a worker allocated would stay in its own malloc arena afterwards
        self._file.rollover()  # type: ignore[attr-defined]
        self._lanes = (
            Lane(self._file.write, "mock-ecr-blob-writer"),
            Lane(lambda chunk: self._sha256.update(chunk), "mock-ecr-blob-hasher"),  # rollback replaces it
        )

    def _settle(self) -> None:
        """Wait until every byte appended is written and hashed; raise what writing raised."""
        if self._lanes is None:
            return
        failure: BaseException | None = None
        for lane in self._lanes:
            try:
                lane.settle()
            except BaseException as error:  # noqa: BLE001 - the other lane is settled too, then raised
                failure = failure or error
        if failure is not None:
            raise failure

    def mark(self) -> tuple[int, int, Any]:
        """Where the buffer is now, for ``rollback``: a part that fails half-way is undone."""
        self._settle()
        return self.size, len(self.part_sizes), self._sha256.copy()

    def rollback(self, mark: tuple[int, int, Any]) -> None:
        """Forget everything appended since ``mark``."""
        try:
            self._settle()
        except Exception:  # noqa: BLE001, S110 - the failed write is what is being undone
            pass
        size, parts, sha256 = mark
        self._file.truncate(size)
        self._file.seek(size)
        self.size, self._sha256 = size, sha256
        del self.part_sizes[parts:]

    @property
    def digest(self) -> str:
        self._settle()
        return "sha256:" + self._sha256.hexdigest()

    def seal(self, media_type: str | None = None) -> Blob:
        """The finished blob; the buffer must not be used afterwards."""
        digest = self.digest
        self._pieces = None
        self._file.flush()  # a blob on disk is read with os.pread: a tail still buffered would be missed
        blob = Blob(digest, self.size, self._file, media_type)
        if self.size > SPOOL_THRESHOLD:
            _return_freed_memory()
        return blob

    def discard(self) -> None:
        self._pieces = None
        try:
            self._settle()
        finally:
            self._file.close()
        if self.size > SPOOL_THRESHOLD:
            _return_freed_memory()


def _return_freed_memory() -> None:
    """Hand the heap pages freed by a large upload back to the OS (glibc only; else nothing).

    The parts of a large upload pass through many short-lived buffers of several MiB, which
    glibc keeps in the heap once freed; without this, RSS stays some tens of MiB above where
    it was before the upload, however large the blob.
    """
    global _malloc_trim
    if _malloc_trim is None:
        _malloc_trim = _find_malloc_trim()
    _malloc_trim(0)


def _find_malloc_trim() -> Callable[[int], Any]:
    try:
        import ctypes

        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, ImportError):
        return lambda pad: 0


_malloc_trim: Callable[[int], Any] | None = None


#: guards every blob's holder count (registries and snapshots holding it)
_holders_lock = threading.Lock()


class Blob:
    """An immutable, stored blob: size, digest, and a way to stream its bytes.

    Bytes held in memory (a blob of at most ``SPOOL_THRESHOLD``) are kept as one ``bytes``
    object; a blob spooled to disk is read with ``os.pread`` at the offset each reader
    asks for, so concurrent readers (and a forked child) never share a file position and
    take no lock. A blob is immutable, so registries' copies in snapshots share it: each
    holder (a registry's ``RegistryBlobs``) counts itself, and the last to let go closes
    the file.
    """

    __slots__ = ("digest", "size", "media_type", "_file", "_data", "_fd", "_holders", "_lock")

    def __init__(self, digest: str, size: int, file: BinaryIO, media_type: str | None = None) -> None:
        self.digest = digest
        self.size = size
        self.media_type = media_type
        self._holders = 0
        self._data: bytes | None = None
        self._fd = -1
        self._lock: threading.Lock | None = None
        if isinstance(file, tempfile.SpooledTemporaryFile) and not file._rolled:  # type: ignore[attr-defined]
            self._data = file._file.getvalue()  # type: ignore[attr-defined]
            file.close()
        elif isinstance(file, io.BytesIO):
            self._data = file.getvalue()
            file.close()
        else:
            try:
                self._fd = file.fileno()
            except (AttributeError, OSError, io.UnsupportedOperation):
                self._lock = threading.Lock()  # a file-like without a descriptor: seek + read
        self._file = file

    def chunks(self, chunk_size: int = _READ_CHUNK) -> Iterator[bytes]:
        """The blob's bytes in order, ``chunk_size`` at a time (safe across threads)."""
        offset = 0
        while offset < self.size:
            chunk = self.read_at(offset, min(chunk_size, self.size - offset))
            if not chunk:
                return
            offset += len(chunk)
            yield chunk

    def read_at(self, offset: int, size: int) -> bytes:
        """Up to ``size`` bytes from ``offset``, with no shared file position."""
        data = self._data
        if data is not None:
            return data[offset : offset + size]
        if self._fd >= 0:
            return os.pread(self._fd, size, offset)
        assert self._lock is not None
        with self._lock:
            self._file.seek(offset)
            return self._file.read(size)

    def read(self) -> bytes:
        if self._data is not None:
            return self._data
        return b"".join(self.chunks())

    @property
    def closed(self) -> bool:
        return self._data is None and self._file.closed

    def retain(self) -> None:
        """One more holder (a registry, or a snapshot of one) keeps this blob."""
        with _holders_lock:
            self._holders += 1

    def release(self) -> None:
        """A holder lets go; the last one closes the blob's file."""
        with _holders_lock:
            self._holders -= 1
            last = self._holders <= 0
        if last:
            self.close()

    def close(self) -> None:
        self._data = None
        self._fd = -1
        self._file.close()

    def _after_fork(self) -> None:
        if self._lock is not None:
            self._lock = threading.Lock()


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
        with _holders_lock:
            for blob in twin.blobs.values():
                blob._holders += 1
        return twin

    def close(self) -> None:
        """This holder lets go of every blob; the ones nothing else holds are closed."""
        blobs, self.blobs = self.blobs, {}
        self.links = {}
        unheld = []
        with _holders_lock:
            for blob in blobs.values():
                blob._holders -= 1
                if blob._holders <= 0:
                    unheld.append(blob)
        for blob in unheld:
            blob.close()


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


def release_blobs(repository: Repository, digests: tuple[str, ...]) -> None:
    """Count one image fewer using each blob of ``digests``; unused digests are dropped."""
    references = repository.blob_refs
    for digest in digests:
        count = references[digest] - 1
        if count > 0:
            references[digest] = count
        else:
            del references[digest]


def copy_blob(blob: Blob) -> Blob:
    """A copy of ``blob`` with its own file, for another registry (registries share no files)."""
    buffer = BlobBuffer()
    for chunk in blob.chunks():
        buffer.append(chunk)
    return buffer.seal(blob.media_type)
