"""An upload's bytes as they arrive: in order, hashed on the way, sealed into a ``Blob``.

Held in memory up to ``SPOOL_THRESHOLD``; beyond it, in a ``BlobFile`` on disk, every
chunk is written in one lane and hashed in another (``lanes.py``) while the caller goes on:
a registry PATCH reads its next piece from the socket meanwhile, an API client serializes
its next part. A lane holds a bounded number of bytes not yet applied, and a part larger
than that waits for the one before it, so the buffer holds at most about one part (or its
few reused pieces, for a streamed one) beyond what is written. ``digest``, ``seal`` and
``discard`` wait for the lanes; a failed write is raised by the first of them.
"""

from __future__ import annotations

import hashlib
import io
import mmap
from collections.abc import Callable
from typing import Any

from .blob import Blob
from .files import BlobFile
from .lanes import Chunk, Lane

#: blobs (and uploads in progress) larger than this are spooled to a temporary file
SPOOL_THRESHOLD = 8 * 1024 * 1024
#: reused buffers a streamed part passes through: one being filled, the others in the lanes
_PIECES = 3
_PIECE_SIZE = 2 * 1024 * 1024


class BlobBuffer:
    """Bytes being received in order (an upload), hashed as they arrive."""

    def __init__(self) -> None:
        self._memory: io.BytesIO | None = io.BytesIO()
        self._file: BlobFile | None = None
        self._sha256 = hashlib.sha256()
        self.size = 0
        self.part_sizes: list[int] = []
        self._lanes: tuple[Lane, Lane] | None = None
        #: ``receive``'s reused buffers, and each one's numbers in the lanes when last put
        self._pieces: list[mmap.mmap] | None = None
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
        if self._pieces is None:  # page-aligned, so a file past the page cache takes them as they are
            self._pieces = [mmap.mmap(-1, _PIECE_SIZE) for _ in range(_PIECES)]
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
            if self.size <= SPOOL_THRESHOLD:
                assert self._memory is not None
                self._memory.write(data)  # still held in memory: a copy, done at once
                self._sha256.update(data)
                return None
            self._to_disk()
        assert self._lanes is not None
        write, digest = self._lanes
        return write.put(data), digest.put(data)

    def _to_disk(self) -> None:
        # moved to disk by this thread, so the lanes only hand bytes to the kernel and to
        # OpenSSL: memory a worker allocated would stay in its own malloc arena afterwards
        file = self._file = BlobFile()
        memory, self._memory = self._memory, None
        assert memory is not None
        with memory.getbuffer() as held:
            file.write(held)  # the bytes held so far, not copied first
        memory.close()
        self._lanes = (Lane(file.write, "mock-ecr-blob-writer"), Lane(self._hash, "mock-ecr-blob-hasher"))

    def _hash(self, chunk: Chunk | _HashPoint) -> None:
        if isinstance(chunk, _HashPoint):
            chunk.copy = self._sha256.copy()
        else:
            self._sha256.update(chunk)  # rollback may have replaced the hash object: looked up each time

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
        """Where the buffer is now, for ``rollback``: a part that fails half-way is undone.

        With the lanes running, the hash lane takes the copy of the hash when it gets there,
        so a part's first bytes need not wait for the last part's to be hashed and written."""
        if self._lanes is None:
            return self.size, len(self.part_sizes), self._sha256.copy()
        point = _HashPoint()
        self._lanes[1].put(point)
        return self.size, len(self.part_sizes), point

    def rollback(self, mark: tuple[int, int, Any]) -> None:
        """Forget everything appended since ``mark``."""
        try:
            self._settle()
        except Exception:  # noqa: BLE001, S110 - the failed write is what is being undone
            pass
        size, parts, sha256 = mark
        if isinstance(sha256, _HashPoint):
            sha256 = sha256.copy
        if self._file is not None:
            self._file.truncate(size)
        elif self._memory is not None:
            self._memory.truncate(size)
            self._memory.seek(size)
        self.size, self._sha256 = size, sha256
        del self.part_sizes[parts:]

    @property
    def discarded(self) -> bool:
        """Whether ``discard`` let the bytes go (their file, if any, closed and deleted)."""
        if self._file is not None:
            return self._file.closed
        return self._memory is None or self._memory.closed

    @property
    def digest(self) -> str:
        self._settle()
        return "sha256:" + self._sha256.hexdigest()

    def seal(self, media_type: str | None = None) -> Blob:
        """The finished blob; the buffer must not be used afterwards."""
        digest = self.digest
        self._pieces = None
        if self._file is not None:
            self._file.flush()
            blob = Blob(digest, self.size, self._file, media_type)
            _return_freed_memory()
            return blob
        assert self._memory is not None
        data = self._memory.getvalue()
        self._memory.close()
        return Blob(digest, self.size, data, media_type)

    def discard(self) -> None:
        self._pieces = None
        try:
            self._settle()
        finally:
            if self._file is not None:
                self._file.close()
                _return_freed_memory()
            if self._memory is not None:
                self._memory.close()


def copy_blob(blob: Blob) -> Blob:
    """A copy of ``blob`` with its own file, for another registry (registries share no files)."""
    buffer = BlobBuffer()
    for chunk in blob.chunks():
        buffer.append(chunk)
    return buffer.seal(blob.media_type)


class _HashPoint:
    """A place in the hash lane: the hash as it stood there (``mark``), taken when the lane gets to it."""

    __slots__ = ("copy",)

    def __init__(self) -> None:
        self.copy: Any = None

    def __len__(self) -> int:  # holds no bytes of the lane's
        return 0


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
