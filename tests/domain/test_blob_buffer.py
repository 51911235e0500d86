"""An upload's buffer: streamed parts through reused pieces and the write and hash lanes, in order, bounded."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time

import pytest

from mock_ecr.domain.blobs import files, lanes
from mock_ecr.domain.blobs.buffer import SPOOL_THRESHOLD, BlobBuffer
from mock_ecr.domain.blobs.files import BlobFile
from mock_ecr.domain.blobs.lanes import Lane
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


def _direct_io_refused() -> bool:
    probe = BlobFile()
    try:
        probe._go_direct()
        return not probe.direct
    finally:
        probe.close()


@pytest.fixture(params=["direct", "page cache"])
def file_kind(request, monkeypatch):
    """Large blobs written past the page cache (as where fresh pages are slow), or through it."""
    if request.param == "direct":
        if _direct_io_refused():
            pytest.skip("this file system refuses O_DIRECT")
        monkeypatch.setattr(files, "_SLOW_WRITE", 0.0)  # every page-cache write counts as slow
        monkeypatch.setattr(files, "_SLOW_WINDOWS", 1)  # and the first slow window decides
    else:
        monkeypatch.setattr(files, "_SLOW_WRITE", float("inf"))
    return request.param


def test_a_failed_write_is_raised_by_the_digest(file_kind, monkeypatch):
    buffer = BlobBuffer()
    buffer.expect(SPOOL_THRESHOLD)  # on disk: writes go through the write lane

    def full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(BlobFile, "_write_all", full)
    buffer.receive(reader(os.urandom(3 * MIB), [MIB]))
    with pytest.raises(OSError, match="No space left"):
        _ = buffer.digest
    buffer.discard()


def test_a_file_goes_past_the_page_cache_only_when_writing_through_it_is_slow(file_kind):
    file = BlobFile()
    data = os.urandom(6 * MIB + 5)
    file.write(data[: 3 * MIB])
    assert not file.direct  # still being timed
    file.write(data[3 * MIB :])
    assert file.direct == (file_kind == "direct")
    file.flush()
    assert file.read_at(0, len(data) + 10) == data
    assert b"".join(file.stream(1, len(data), MIB)) == data[1:]
    file.close()


class _Clock:
    """A thread CPU clock whose page-cache writes cost what the test says, per MiB."""

    def __init__(self, costs_per_mib: list[float]) -> None:
        self.costs = costs_per_mib
        self.now = 0.0
        self.started = False

    def thread_time(self) -> float:
        if self.started:  # the end of a write: it cost the next price, for a MiB
            self.now += self.costs.pop(0)
        self.started = not self.started
        return self.now


@pytest.mark.parametrize(
    ("costs", "direct"),
    [
        ([0.0005] * 4 + [0.002] * 4 + [0.0005] * 8, False),  # one slow window alone: noise
        ([0.0005] * 4 + [0.002] * 8 + [0.0005] * 4, True),  # two in a row: the page cache is slow here
        ([0.003] * 16, True),
        ([0.0004] * 16, False),
    ],
)
def test_only_slow_windows_in_a_row_send_a_file_past_the_page_cache(costs, direct, monkeypatch):
    if direct and _direct_io_refused():
        pytest.skip("this file system refuses O_DIRECT")
    monkeypatch.setattr(files, "time", _Clock(list(costs)))
    file = BlobFile()
    data = os.urandom(len(costs) * MIB)
    for at in range(0, len(data), MIB):  # a MiB per write, so each write is one price
        file.write(data[at : at + MIB])
    assert file.direct == direct
    file.flush()
    assert file.read_at(0, len(data)) == data
    file.close()


def test_large_parts_and_rollbacks_read_back_exactly(file_kind):
    """Odd sizes across the staging and block boundaries; a rollback into bytes already on disk."""
    buffer = BlobBuffer()
    first = os.urandom(SPOOL_THRESHOLD + 12_345)
    buffer.append(first)
    mark = buffer.mark()
    buffer.receive(reader(os.urandom(3 * MIB + 17), [MIB, 4095, 2 * MIB]))
    buffer.rollback(mark)
    rest = os.urandom(2 * MIB + 1)
    buffer.receive(reader(rest, [MIB // 3, MIB]))
    blob = buffer.seal()
    whole = first + rest
    assert (blob.size, blob.digest) == (len(whole), digest(whole))
    assert blob.read() == whole
    assert blob.read_at(4093, 10) == whole[4093:4103]
    assert blob.read_at(len(whole) - 5, 100) == whole[-5:]
    assert b"".join(blob.stream(7, len(whole) - 3, MIB)) == whole[7:-3]
    assert b"".join(blob.chunks(MIB)) == whole
    stream = blob.stream(0, len(whole), MIB)
    assert next(stream) == whole[:MIB]
    stream.close()  # a pull the client abandons stops reading ahead
    blob.close()
    assert blob.closed


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
    deadline = time.monotonic() + 5
    while any(t.name == "test-lane" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not any(t.name == "test-lane" for t in threading.enumerate())  # an empty lane soon holds no thread
    lane.put(b"e")  # and starts one again for the next chunk
    lane.settle()
    assert applied[-1] == b"e"


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
