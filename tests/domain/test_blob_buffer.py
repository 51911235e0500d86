"""An upload's buffer: streamed parts through reused pieces and the write and hash lanes, in order, bounded."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time

import pytest

from mock_ecr.domain.blobs import lanes
from mock_ecr.domain.blobs.lanes import Lane
from mock_ecr.domain.blobs.storage import SPOOL_THRESHOLD, BlobBuffer
from mock_ecr.gateway import Headers, HttpRequest

MIB = 1024 * 1024


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def reader(data: bytes, sizes: list[int]):
    """A ``readinto`` giving ``data`` in pieces of the given sizes, in turn (as sockets do)."""
    position = 0
    turn = 0

    def readinto(view: memoryview) -> int:
        nonlocal position, turn
        count = min(len(view), sizes[turn % len(sizes)], len(data) - position)
        turn += 1
        view[:count] = data[position : position + count]
        position += count
        return count

    return readinto


@pytest.mark.parametrize("size", [0, 1000, SPOOL_THRESHOLD, SPOOL_THRESHOLD + 1, 3 * SPOOL_THRESHOLD + 12345])
def test_a_streamed_part_is_stored_and_hashed_in_order(size):
    data = os.urandom(size)
    buffer = BlobBuffer()
    assert buffer.receive(reader(data, [MIB, 7, 300_000, 3 * MIB])) == size
    assert buffer.size == size
    assert buffer.part_sizes == ([size] if size else [])
    assert buffer.digest == digest(data)
    assert buffer.seal().read() == data


def test_parts_streamed_and_appended_mix_in_order():
    first, second, third = os.urandom(6 * MIB), os.urandom(5 * MIB), os.urandom(100)
    buffer = BlobBuffer()
    buffer.expect(len(first))
    buffer.receive(reader(first, [MIB]))
    buffer.append(second)
    buffer.receive(reader(third, [MIB]))
    assert buffer.part_sizes == [len(first), len(second), len(third)]
    assert buffer.seal().read() == first + second + third


def test_a_streamed_part_that_fails_half_way_is_rolled_back():
    before = os.urandom(9 * MIB)
    buffer = BlobBuffer()
    buffer.append(before)
    mark = buffer.mark()
    give = reader(os.urandom(4 * MIB), [MIB])
    calls = 0

    def failing(view: memoryview) -> int:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise ConnectionResetError("gone")
        return give(view)

    with pytest.raises(ConnectionResetError):
        buffer.receive(failing)
    buffer.rollback(mark)
    after = os.urandom(MIB)
    buffer.append(after)
    assert buffer.part_sizes == [len(before), len(after)]
    assert buffer.seal().read() == before + after


def test_a_failed_write_is_raised_by_the_digest():
    buffer = BlobBuffer()
    buffer.expect(SPOOL_THRESHOLD)  # on disk: writes go through the write lane
    real = buffer._file._file  # type: ignore[attr-defined]

    class Full(io.RawIOBase):
        def write(self, data):
            raise OSError(28, "No space left on device")

    buffer._file._file = Full()  # type: ignore[attr-defined]
    buffer.receive(reader(os.urandom(3 * MIB), [MIB]))
    with pytest.raises(OSError, match="No space left"):
        _ = buffer.digest
    buffer._file._file = real  # type: ignore[attr-defined]
    buffer.discard()


def test_a_lane_holds_a_bounded_number_of_bytes_and_applies_in_order(monkeypatch):
    monkeypatch.setattr(lanes, "LANE_BYTES", 3)
    release = threading.Event()
    applied: list[bytes] = []

    def slow(chunk: bytes) -> None:
        release.wait(10)
        applied.append(bytes(chunk))

    lane = Lane(slow, "test-lane")
    for chunk in (b"a", b"b", b"c"):
        lane.put(chunk)
    fourth = threading.Thread(target=lane.put, args=(b"d",))
    fourth.start()
    time.sleep(0.2)
    assert fourth.is_alive()  # no room for a fourth byte until one is applied
    release.set()
    fourth.join(10)
    lane.settle()
    assert applied == [b"a", b"b", b"c", b"d"]
    assert not any(t.name == "test-lane" for t in threading.enumerate())  # an empty lane holds no thread


def test_a_lane_keeps_its_first_failure_and_drops_the_rest():
    seen: list[bytes] = []

    def apply(chunk: bytes) -> None:
        if chunk == b"bad":
            raise ValueError("bad chunk")
        seen.append(chunk)

    lane = Lane(apply, "test-lane")
    for chunk in (b"ok", b"bad", b"after"):
        lane.put(chunk)
    with pytest.raises(ValueError, match="bad chunk"):
        lane.settle()
    assert seen == [b"ok"]
    lane.put(b"again")  # a settled lane is usable again
    lane.settle()
    assert seen == [b"ok", b"again"]


# -- HttpRequest.readinto: every form a door hands a body in -----------------------------------


def drain(request: HttpRequest, size: int) -> bytes:
    out = bytearray()
    view = memoryview(bytearray(size))
    while True:
        count = request.readinto(view)
        if not count:
            return bytes(out)
        out += view[:count]


@pytest.mark.parametrize(
    "body",
    [
        b"0123456789" * 1000,
        bytearray(b"0123456789" * 1000),
        io.BytesIO(b"0123456789" * 1000),
        [b"0123", b"", b"456789" * 1000, b"0123456789" * 399],
        "0123456789" * 1000,
    ],
    ids=["bytes", "bytearray", "file", "iterable", "str"],
)
def test_readinto_reads_every_form_of_body(body):
    expected = b"0123456789" * 1000
    if isinstance(body, list):
        expected = b"".join(body)
    request = HttpRequest("PATCH", "https://x/v2/a/blobs/uploads/u", Headers(), body)
    assert drain(request, 777) == expected


def test_readinto_of_no_body():
    assert drain(HttpRequest("PATCH", "https://x/", Headers(), None), 10) == b""
