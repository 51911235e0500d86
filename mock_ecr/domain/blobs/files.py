"""The temporary file a large blob lives in: written in order, then read at any offset.

Bytes normally go through the page cache, which is the fastest path on most machines. On
a virtual machine whose memory the host hands out only when first touched and takes back
once freed (Firecracker, and many CI runners built on it), every fresh page-cache page
costs a trip to the host, and writing a large blob that way runs several times slower than
the disk. So page-cache writes are timed, ``_PROBE_BYTES`` at a time (in CPU time, so a
busy machine does not mislead it; memory just freed is cheap for a second or two, so one
early sample is not enough): once ``_SLOW_WINDOWS`` windows in a row cost more than
``_SLOW_WRITE`` per MiB (one slow window now and then is noise, and the page cache serves
reads far faster than the disk), the rest is written and later read with ``O_DIRECT``, past
the page cache, from a few reused aligned buffers. Where ``O_DIRECT`` is refused (macOS,
some file systems), the file stays as it is.

``O_DIRECT`` wants buffer addresses, file offsets and lengths in whole blocks, so a file in
that mode gathers writes in a page-aligned staging buffer (a page-aligned buffer of whole
blocks goes to disk as it is), writes the tail padded to a block on ``flush`` and cuts the
file back to its size; reads go through reused aligned buffers and are copied out, and
``stream`` reads ahead on threads of its own, so the disk and the socket work together.
"""

from __future__ import annotations

import mmap
import os
import queue
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

#: O_DIRECT's unit for offsets, lengths and buffer addresses (covers 512-byte and 4 KiB disks)
BLOCK = 4096
#: bytes of page-cache writes timed together before each verdict on how to go on
_PROBE_BYTES = 4 * 1024 * 1024
#: CPU seconds per MiB above which page-cache writes count as slow (a warm page cache
#: costs about 0.2 ms per MiB, and 0.3 to 1.2 where fresh pages are cheap; a cold one on
#: such a virtual machine 2 to 3 ms)
_SLOW_WRITE = 0.0015
#: slow windows in a row that send the rest of a file past the page cache
_SLOW_WINDOWS = 2
_MIB = 1024 * 1024
#: bytes gathered before a direct write reaches the disk
_STAGE = 1024 * 1024
#: threads ``stream`` reads a direct file with, the bytes each reads at once, and how many
#: such reads each may hold ahead of the chunk being sent
_READERS = 2
_READ_UNIT = 2 * 1024 * 1024
_AHEAD = 1


class BlobFile:
    """An unlinked temporary file of blob bytes: ``write`` in order (``truncate`` back for a
    rollback), ``flush``, then ``read_at`` and ``stream`` from any thread."""

    def __init__(self) -> None:
        # deleted from the directory already (or, where that cannot be, when closed)
        self._handle = tempfile.TemporaryFile(prefix="mock-ecr-blob-", buffering=0)
        self._fd = self._handle.fileno()
        self.size = 0
        self.closed = False
        self.direct = False
        self._readers_lock = threading.Lock()
        self._reading = 0  # reads under way, which keep the descriptor open
        #: page-cache writes being timed: their CPU seconds and bytes since the last verdict
        self._window_cpu = 0.0
        self._window_bytes = 0
        self._slow_windows = 0  # in a row, up to the last verdict
        self._stage: mmap.mmap | None = None  # direct mode: bytes not yet on disk
        self._base = 0  # file offset of the staging buffer's first byte (block-aligned)
        self._staged = 0

    # -- writing --------------------------------------------------------------------------

    def write(self, data: bytes | bytearray | memoryview | mmap.mmap) -> int:
        view = memoryview(data).cast("B")
        if self.direct:
            self._write_direct(view)
            self.size += len(view)
            return len(view)
        started = time.thread_time()
        self._write_all(view, self.size)
        self._window_cpu += time.thread_time() - started
        self._window_bytes += len(view)
        self.size += len(view)
        if self._window_bytes >= _PROBE_BYTES:
            slow = self._window_cpu / (self._window_bytes / _MIB) > _SLOW_WRITE
            self._slow_windows = self._slow_windows + 1 if slow else 0
            if self._slow_windows >= _SLOW_WINDOWS:
                self._go_direct()
            self._window_cpu, self._window_bytes = 0.0, 0
        return len(view)

    def _write_direct(self, view: memoryview) -> None:
        stage = self._stage
        assert stage is not None, "written after close"
        done, total = 0, len(view)
        if not self._staged and total >= BLOCK and _aligned(view):  # whole blocks go as they are
            done = total - total % BLOCK
            self._write_all(view[:done], self._base)
            self._base += done
        while done < total:
            count = min(total - done, _STAGE - self._staged)
            stage[self._staged : self._staged + count] = view[done : done + count]
            self._staged += count
            done += count
            if self._staged == _STAGE:
                self._write_all(stage, self._base)
                self._base += _STAGE
                self._staged = 0

    def _go_direct(self) -> None:
        """From here on, past the page cache (if the platform and the file system allow it)."""
        flag = getattr(os, "O_DIRECT", 0)
        if not flag:
            return
        try:
            import fcntl

            flags = fcntl.fcntl(self._fd, fcntl.F_GETFL)
            fcntl.fcntl(self._fd, fcntl.F_SETFL, flags | flag)
        except (OSError, ImportError, ValueError):
            return
        self._stage = mmap.mmap(-1, _STAGE)
        self._base = self.size - self.size % BLOCK
        self._staged = self.size - self._base
        try:  # the partial last block is staged again; some file systems refuse here
            if self._staged:
                os.preadv(self._fd, [memoryview(self._stage)[:BLOCK]], self._base)
            os.pwrite(self._fd, memoryview(self._stage)[:BLOCK], self._base)
            os.ftruncate(self._fd, self.size)
        except OSError:
            fcntl.fcntl(self._fd, fcntl.F_SETFL, flags)
            self._stage.close()
            self._stage = None
            return
        self.direct = True

    def flush(self) -> None:
        """Put every byte written on disk (a direct file's tail padded to a block, then cut off)."""
        if self.direct and self._staged and self._stage is not None:
            padded = -(-self._staged // BLOCK) * BLOCK
            self._write_all(memoryview(self._stage)[:padded], self._base)
            os.ftruncate(self._fd, self.size)

    def truncate(self, size: int) -> None:
        """Cut the file back to ``size`` bytes; later writes go on from there."""
        if size > self.size:
            raise ValueError("a blob file is only ever cut shorter")
        if self.direct:
            stage = self._stage
            assert stage is not None, "truncated after close"
            if size < self._base:  # the cut is in bytes already on disk: stage its last block again
                self.flush()
                base = size - size % BLOCK
                if size > base:
                    os.preadv(self._fd, [memoryview(stage)[:BLOCK]], base)
                self._base = base
            self._staged = size - self._base
        self.size = size
        os.ftruncate(self._fd, size)

    def _write_all(self, data: mmap.mmap | memoryview, offset: int) -> None:
        view = memoryview(data)
        done = 0
        while done < len(view):  # a short O_DIRECT write still ends on a block boundary
            done += os.pwrite(self._fd, view[done:], offset + done)

    # -- reading --------------------------------------------------------------------------

    def read_at(self, offset: int, size: int) -> bytes:
        """Up to ``size`` bytes from ``offset`` (of what ``flush`` put on disk)."""
        if not self.direct:
            self._use()
            try:
                return os.pread(self._fd, max(0, min(size, self.size - offset)), offset)
            finally:
                self._done()
        pieces = self._read_direct(offset, size, size)
        return pieces[0] if pieces else b""

    def _use(self) -> None:
        """A read starts: the descriptor stays open until it ends (another file could take
        the number of one closed meanwhile, and the read would return its bytes)."""
        with self._readers_lock:
            if self.closed:
                raise ValueError("the blob's file was closed")
            self._reading += 1

    def _done(self) -> None:
        with self._readers_lock:
            self._reading -= 1
            last = self.closed and not self._reading
        if last:
            self._handle.close()

    def _read_direct(self, offset: int, size: int, piece: int) -> list[bytes]:
        """Up to ``size`` bytes from ``offset``, read in one request, as pieces of ``piece`` bytes."""
        size = min(size, self.size - offset)
        if size <= 0:
            return []
        start = offset - offset % BLOCK
        length = -(-(offset + size - start) // BLOCK) * BLOCK
        buffer = _take_buffer(length)
        self._use()
        try:
            with memoryview(buffer) as view:
                got = min(os.preadv(self._fd, [view[:length]], start), offset - start + size)
                return [bytes(view[at : min(at + piece, got)]) for at in range(offset - start, got, piece)]
        finally:
            self._done()
            _give_back(buffer)

    def stream(self, start: int, stop: int, chunk_size: int) -> Iterator[bytes]:
        """Bytes ``start``..``stop`` in chunks of ``chunk_size``.

        A direct file is read by ``_READERS`` threads taking turns, ``_READ_UNIT`` at a time
        (one disk request at a time, or a small one, is slower than the socket), each at
        most ``_AHEAD`` reads ahead; they stop when the consumer does."""
        if not self.direct:
            for offset in range(start, stop, chunk_size):
                chunk = self.read_at(offset, min(chunk_size, stop - offset))
                if not chunk:
                    return
                yield chunk
            return
        unit = max(chunk_size, _READ_UNIT // chunk_size * chunk_size)
        offsets = range(start, stop, unit)
        if len(offsets) <= 1:
            yield from self._read_direct(start, stop - start, chunk_size)
            return
        lanes: list[queue.Queue[list[bytes] | BaseException]] = [queue.Queue(_AHEAD) for _ in range(_READERS)]
        stopped = threading.Event()

        def read(turn: int) -> None:
            lane = lanes[turn]
            try:
                for offset in offsets[turn::_READERS]:
                    if not _offer(lane, self._read_direct(offset, min(unit, stop - offset), chunk_size), stopped):
                        return
            except BaseException as failure:  # noqa: BLE001 - raised to the consumer below
                _offer(lane, failure, stopped)

        for turn in range(_READERS):
            threading.Thread(target=read, args=(turn,), name="mock-ecr-blob-reader", daemon=True).start()
        try:
            for index in range(len(offsets)):
                pieces = lanes[index % _READERS].get()
                if isinstance(pieces, BaseException):
                    raise pieces
                yield from pieces
        finally:
            stopped.set()

    def after_fork(self) -> None:
        self._readers_lock = threading.Lock()
        self._reading = 0

    def close(self) -> None:
        """Close (and so delete) the file, once the reads under way are over."""
        with self._readers_lock:
            if self.closed:
                return
            self.closed = True
            idle = not self._reading
        if self._stage is not None:
            self._stage.close()
            self._stage = None
        if idle:
            self._handle.close()


def _offer(lane: queue.Queue[Any], item: object, stopped: threading.Event) -> bool:
    """Put ``item`` in ``lane`` once it has room; False if the consumer stopped meanwhile."""
    while not stopped.is_set():
        try:
            lane.put(item, timeout=0.2)
            return True
        except queue.Full:
            continue
    return False


def _aligned(view: memoryview) -> bool:
    """Whether ``view`` starts on a block boundary (a page-aligned buffer, as ``mmap`` gives)."""
    import ctypes

    try:
        return ctypes.addressof(ctypes.c_char.from_buffer(view)) % BLOCK == 0
    except (TypeError, ValueError):  # a read-only buffer: copied through the staging buffer
        return False


#: aligned read buffers not in use, kept (up to ``_SPARE``) so reads reuse memory already touched
_spare: list[mmap.mmap] = []
_spare_lock = threading.Lock()
_SPARE = _READERS


def _forget_locks_in_child() -> None:
    global _spare_lock
    _spare_lock = threading.Lock()  # a parent's thread may have held it at the fork
    _spare.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_locks_in_child)


def _take_buffer(length: int) -> mmap.mmap:
    with _spare_lock:
        for index, buffer in enumerate(_spare):
            if len(buffer) >= length:
                return _spare.pop(index)
    return mmap.mmap(-1, max(length, _READ_UNIT + BLOCK))


def _give_back(buffer: mmap.mmap) -> None:
    with _spare_lock:
        if len(_spare) < _SPARE:
            _spare.append(buffer)
            return
    buffer.close()
