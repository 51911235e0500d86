"""A lane: one function applied to chunks in order, on a thread of its own, a bounded way behind.

An upload's bytes are written to its file and hashed while its receiver reads the next
piece from the socket (or, in-process, while the client serializes its next part): writing,
hashing and socket reads all release the GIL, so on two cores they overlap. Each runs in a
lane of its own, so the slower of the two (hashing) sets the pace, not their sum.

A lane holds at most ``LANE_BYTES`` not yet applied (or one chunk, if larger): ``put`` waits
for room, so memory stays bounded however fast the chunks come. Its thread ends when the
lane has been empty for ``LINGER_SECONDS`` (an upload left half-way holds no thread) and
starts again with the next chunk: waiting a moment spares a thread start per chunk when
the chunks come a little slower than they are applied. A failure is kept and raised by
``settle``; chunks after it are dropped.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sized
from typing import Any, TypeAlias

#: bytes a lane may hold not yet applied
LANE_BYTES = 4 * 1024 * 1024
#: how long an empty lane's thread waits for another chunk before it ends
LINGER_SECONDS = 0.05
Chunk: TypeAlias = "bytes | memoryview"


class Lane:
    def __init__(self, apply: Callable[[Any], object], name: str) -> None:
        self._apply = apply
        self._name = name
        self._chunks: deque[Sized] = deque()
        self._pending = 0
        self._put = 0  # chunks put so far
        self._applied = 0  # chunks applied (or dropped after a failure) so far
        self._running = False
        self._idle = False  # the thread waits for more, with nothing left to apply
        self._failure: BaseException | None = None
        self._changed = threading.Condition(threading.Lock())

    def put(self, chunk: Sized) -> int:
        """Queue ``chunk`` after the ones before it, once the lane has room for it; its number."""
        with self._changed:
            while self._pending and self._pending + len(chunk) > LANE_BYTES:
                self._changed.wait()
            self._chunks.append(chunk)
            self._pending += len(chunk)
            number = self._put
            self._put += 1
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name=self._name, daemon=True).start()
            elif self._idle:
                self._changed.notify_all()
            return number

    def wait(self, number: int) -> None:
        """Wait until chunk ``number`` is applied (its memory may then be reused)."""
        with self._changed:
            while self._applied <= number:
                self._changed.wait()

    def _run(self) -> None:
        while True:
            with self._changed:
                if not self._chunks:
                    self._idle = True
                    self._changed.notify_all()  # settle() may be waiting for an empty lane
                    self._changed.wait(LINGER_SECONDS)  # the next chunk usually comes soon
                    self._idle = False
                    if not self._chunks:
                        self._running = False
                        self._changed.notify_all()
                        return
                chunk = self._chunks[0]
                failed = self._failure is not None
            if not failed:
                try:
                    self._apply(chunk)
                except BaseException as failure:  # noqa: BLE001 - raised to the owner by settle()
                    self._failure = failure
            with self._changed:
                self._chunks.popleft()
                self._pending -= len(chunk)
                self._applied += 1
                self._changed.notify_all()

    def settle(self) -> None:
        """Wait until every chunk put is applied; raise what applying one raised."""
        with self._changed:
            while self._running and not (self._idle and not self._chunks):
                self._changed.wait()
            failure, self._failure = self._failure, None
        if failure is not None:
            raise failure
