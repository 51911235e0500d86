"""Transport-neutral HTTP messages: what every door hands the gateway and gets back.

Each way in (botocore's ``Endpoint``, ``requests`` routes, the HTTP server) converts its own
objects to an ``HttpRequest`` and an ``HttpResponse`` back; nothing below the gateway
knows which door a request came through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit


class HeaderLookup(Protocol):
    """A case-insensitive header mapping: ``get(name)`` finds ``name`` in any case."""

    def get(self, name: str, default: Any = None, /) -> Any: ...


class Headers(dict[str, str]):
    """A plain case-insensitive header mapping, for doors whose own headers are not."""

    def __init__(self, items: Iterable[tuple[str, str]] | Mapping[str, str] = ()) -> None:
        super().__init__()
        pairs = items.items() if isinstance(items, Mapping) else items
        for name, value in pairs:
            self[name.lower()] = value

    def get(self, name: str, default: Any = None, /) -> Any:
        return super().get(name.lower(), default)


#: how much of a streamed body ``HttpRequest.body_chunks`` reads at a time
BODY_CHUNK = 1024 * 1024


class BodyError(Exception):
    """A request body that cannot be read as sent: cut short, or badly chunked (answered 400).

    Raised by a door's streamed body while the gateway reads it; the door answers it."""

    status = 400


class BodyTooLarge(BodyError):
    """A request body beyond what its door accepts (answered 413)."""

    status = 413


class HttpRequest:
    """One request: method, full URL, headers (case-insensitive ``get``) and body.

    ``body`` is bytes, or a binary file-like object (``read(n)``, ``read()`` for all of it) for
    a body that streams: ``read_body()`` returns it whole (for JSON, where the door's limit on
    a whole body applies), ``body_chunks()`` a piece at a time (for blobs, never held whole).
    Either may raise ``BodyError``. ``host``, ``path`` and ``query`` are parsed from the URL
    only when asked for.
    """

    __slots__ = ("method", "url", "headers", "body", "_parts", "_reader")

    def __init__(self, method: str, url: str, headers: HeaderLookup, body: Any = b"") -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self._parts: Any = None
        self._reader: Callable[[memoryview], int] | None = None

    def header(self, name: str) -> str | None:
        value = self.headers.get(name)
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        return value

    def _split(self) -> Any:
        if self._parts is None:
            self._parts = urlsplit(self.url)
        return self._parts

    @property
    def host(self) -> str:
        """The host the request was sent to: the ``Host`` header, else the URL's."""
        return (self.header("Host") or self._split().netloc).lower()

    @property
    def path(self) -> str:
        return self._split().path or "/"

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(self._split().query, keep_blank_values=True)

    def read_body(self) -> bytes:
        body = self.body
        if body is None:
            return b""
        if isinstance(body, (bytes, bytearray, memoryview)):
            return bytes(body)
        if isinstance(body, str):
            return body.encode("utf-8")
        if hasattr(body, "read"):
            data = body.read()
            return data.encode("utf-8") if isinstance(data, str) else bytes(data)
        return b"".join(bytes(chunk) for chunk in body)  # an iterable of chunks

    def readinto(self, buffer: memoryview) -> int:
        """Fill ``buffer`` with the body from where the last call left off (fewer bytes only at
        its end; 0 once it is over): a streamed body goes from the socket straight into it."""
        if self._reader is None:
            self._reader = _reader(self.body)
        count = 0
        while count < len(buffer):
            got = self._reader(buffer[count:])
            if not got:
                break
            count += got
        return count

    def body_chunks(self, size: int = BODY_CHUNK) -> Iterator[bytes]:
        """The body in order, at most ``size`` bytes at a time, each read when it is asked for.

        Only one piece of a streamed body is in memory at once; a body given whole is sliced.
        The pieces are never empty."""
        body = self.body
        if body is None:
            return
        if isinstance(body, str):
            body = body.encode("utf-8")
        if isinstance(body, bytes) and len(body) <= size:
            if body:
                yield body
            return
        if isinstance(body, (bytes, bytearray, memoryview)):
            view = memoryview(body)
            for start in range(0, len(view), size):
                yield bytes(view[start : start + size])
            return
        read = getattr(body, "read", None)
        if read is None:  # an iterable of chunks, as a requests body may be
            for chunk in body:
                chunk = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
                for start in range(0, len(chunk), size):
                    yield bytes(chunk[start : start + size])
            return
        while True:
            data = read(size)
            if not data:
                return
            yield data.encode("utf-8") if isinstance(data, str) else bytes(data)


def _reader(body: Any) -> Callable[[memoryview], int]:
    """A ``readinto`` for a body in any of the forms a door hands over."""
    if body is None:
        body = b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    if hasattr(body, "readinto"):
        return body.readinto
    if hasattr(body, "read"):
        read = body.read

        def from_read(buffer: memoryview) -> int:
            data = read(len(buffer))
            data = data.encode("utf-8") if isinstance(data, str) else data
            buffer[: len(data)] = data
            return len(data)

        return from_read
    pieces = iter([body]) if isinstance(body, (bytes, bytearray, memoryview)) else iter(body)
    held = memoryview(b"")

    def from_pieces(buffer: memoryview) -> int:
        nonlocal held
        while not held:
            piece = next(pieces, None)
            if piece is None:
                return 0
            held = memoryview(piece.encode("utf-8") if isinstance(piece, str) else piece).cast("B")
        count = min(len(buffer), len(held))
        buffer[:count] = held[:count]
        held = held[count:]
        return count

    return from_pieces


class HttpResponse:
    """One answer: status, headers, and a body of bytes or an iterator of byte chunks."""

    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: dict[str, str], body: bytes | Iterator[bytes] = b"") -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def read(self) -> bytes:
        """The whole body (consumes a streamed one)."""
        body = self.body
        if isinstance(body, bytes):
            return body
        self.body = data = b"".join(body)
        return data
