"""A stored blob: immutable bytes with a digest, read by any number of threads at once.

A small blob is one ``bytes`` object; a large one lives in a ``BlobFile`` (``files.py``),
read at the offset each reader asks for, so concurrent readers (and a forked child) never
share a file position and take no lock. Registries and their snapshots share a blob, so
each holder (a registry's ``RegistryBlobs``) counts itself and the last to let go closes
the file.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from .files import BlobFile

#: the chunk size a blob is streamed in unless the reader asks for another
READ_CHUNK = 1024 * 1024

#: guards every blob's holder count (registries and snapshots holding it)
holders_lock = threading.Lock()


class Blob:
    """An immutable, stored blob: size, digest, and a way to stream its bytes."""

    __slots__ = ("digest", "size", "media_type", "_data", "_file", "holders")

    def __init__(self, digest: str, size: int, content: bytes | BlobFile, media_type: str | None = None) -> None:
        self.digest = digest
        self.size = size
        self.media_type = media_type
        #: registries (and snapshots of them) holding this blob; changed under ``holders_lock``
        self.holders = 0
        self._data: bytes | None = content if isinstance(content, bytes) else None
        self._file: BlobFile | None = content if isinstance(content, BlobFile) else None

    def chunks(self, chunk_size: int = READ_CHUNK) -> Iterator[bytes]:
        """The blob's bytes in order, ``chunk_size`` at a time (safe across threads)."""
        return self.stream(0, self.size, chunk_size)

    def stream(self, start: int, stop: int, chunk_size: int = READ_CHUNK) -> Iterator[bytes]:
        """Bytes ``start``..``stop`` in order, ``chunk_size`` at a time (safe across threads)."""
        if self._file is not None:
            yield from self._file.stream(start, stop, chunk_size)
            return
        for offset in range(start, min(stop, self.size), chunk_size):
            yield self.read_at(offset, min(chunk_size, stop - offset))  # fails once the blob is released

    def read_at(self, offset: int, size: int) -> bytes:
        """Up to ``size`` bytes from ``offset``, with no shared file position."""
        if self._file is not None:
            return self._file.read_at(offset, size)
        if self._data is None:
            raise ValueError(f"blob {self.digest} was released")
        return self._data[offset : offset + size]

    def read(self) -> bytes:
        if self._data is not None:
            return self._data
        return b"".join(self.chunks())

    @property
    def closed(self) -> bool:
        return self._data is None and (self._file is None or self._file.closed)

    def retain(self) -> None:
        """One more holder (a registry, or a snapshot of one) keeps this blob."""
        with holders_lock:
            self.holders += 1

    def release(self) -> None:
        """A holder lets go; the last one closes the blob's file."""
        with holders_lock:
            self.holders -= 1
            last = self.holders <= 0
        if last:
            self.close()

    def after_fork(self) -> None:
        """In a forked child: the parent's reads under way are not this process's."""
        if self._file is not None:
            self._file.after_fork()

    def close(self) -> None:
        self._data = None
        if self._file is not None:
            self._file.close()
