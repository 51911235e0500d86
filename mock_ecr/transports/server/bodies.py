"""Request bodies as the server reads them: streamed from the socket, within their limits.

A registry blob arrives as one PATCH or PUT of up to gigabytes, often chunked (docker, skopeo
and every Go client send chunked bodies). cheroot's own readers are replaced (through the
request class its connections use) because its chunked reader holds a whole chunk however
large the client made it and copies what it holds on every read. Here:

* a piece is read from the socket straight into the reader's buffer (``readinto``);
* a body cut short, or badly chunked, raises ``BodyError`` to the gateway (answered 400);
  one beyond its limit ``BodyTooLarge`` (413): ``MAX_BODY_BYTES`` for a body read whole
  (a JSON request), ``MAX_STREAMED_BODY_BYTES`` (ECR's largest layer) for one read a piece
  at a time, so a 1 GiB layer streams while a 1 GiB JSON body is refused unread;
* what the app left unread is drained (up to ``DRAIN_BYTES``) before the answer goes out, so
  the connection stays usable for the next request; beyond that, it closes after the answer,
  reading what the client still sends for a moment first, so the client gets the answer
  rather than a reset connection.
"""

from __future__ import annotations

from typing import Any

from ...gateway import BodyError, BodyTooLarge

#: a body read whole (JSON: an UploadLayerPart of ECR's largest part, base64 in JSON, fits)
MAX_BODY_BYTES = 128 * 1024 * 1024
#: a body read a piece at a time: ECR's largest layer, 52,000 MiB
MAX_STREAMED_BODY_BYTES = 52_000 * 1024 * 1024
#: unread body bytes the server reads and drops after answering, to keep the connection
DRAIN_BYTES = 64 * 1024 * 1024
#: how long, and how many bytes, a connection closing with its request's body unread keeps
#: reading (and dropping) what the client still sends, so the client gets to read the answer
_LINGER_SECONDS = 2.0
_LINGER_READ_SECONDS = 0.5
_LINGER_BYTES = 256 * 1024 * 1024
#: a chunk-size line (with extensions) or a trailer line longer than this is refused
_MAX_LINE = 4096
_PIECE = 1024 * 1024


def _fill(rfile: Any, view: memoryview) -> int:
    """Fill ``view`` from ``rfile``; fewer bytes only at its end.

    ``readinto1`` takes what is buffered, else reads from the socket straight into ``view``
    once: cheroot's reader is ``_pyio``'s, whose ``readinto`` can fail ("lvalue and rvalue
    have different structures") when a read ends just past its buffer."""
    readinto = getattr(rfile, "readinto1", None) or getattr(rfile, "readinto", None)
    count = 0
    while count < len(view):
        if readinto is not None:
            got = readinto(view[count:])
        else:
            data = rfile.read(len(view) - count)
            got = len(data)
            view[count : count + got] = data
        if not got:
            break
        count += got
    return count


def _unreadable(error: BaseException) -> BodyError:
    return BodyError(f"the body could not be read: {error}")


class StreamedBody:
    """A request body read from ``rfile`` as the app asks for it (``read``, ``readinto``)."""

    def __init__(self, rfile: Any, whole_limit: int | None = None) -> None:
        self._rfile = rfile
        self._whole_limit = MAX_BODY_BYTES if whole_limit is None else whole_limit
        self._buffer: bytearray | None = None
        #: the body has been read to its end
        self.done = False
        #: reading it failed: the connection holds an unknown rest of it
        self.broken = False
        self.received = 0

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` as far as the body goes; 0 at its end."""
        if self.done:
            return 0
        try:
            count = self._readinto(memoryview(buffer).cast("B"))
        except BodyError:
            self.broken = True
            raise
        except (OSError, ValueError) as error:  # a timeout, a reset, a closed connection
            self.broken = True
            raise _unreadable(error) from None
        self.received += count
        return count

    def read(self, size: int | None = -1) -> bytes:
        """``size`` bytes (fewer at the end), or with no ``size`` the whole body, within its limit."""
        if size is None or size < 0:
            return self._read_whole()
        if size == 0:
            return b""
        buffer = self._buffer
        if buffer is None or len(buffer) < size:
            buffer = self._buffer = bytearray(max(size, _PIECE))
        count = self.readinto(memoryview(buffer)[:size])
        return bytes(memoryview(buffer)[:count])

    def _read_whole(self) -> bytes:
        self._check_whole(self.received)
        pieces: list[bytes] = []
        while True:
            piece = self.read(_PIECE)
            if not piece:
                return b"".join(pieces)
            pieces.append(piece)
            self._check_whole(self.received)

    def _check_whole(self, size: int) -> None:
        if size > self._whole_limit:
            self.broken = True
            raise BodyTooLarge(f"the body is larger than the {self._whole_limit} bytes this server reads whole")

    def drain(self, limit: int | None = None) -> bool:
        """Read and drop what is left, up to ``limit`` bytes (``DRAIN_BYTES``); whether the body was read to its end."""
        if self.broken:
            return False
        if limit is None:
            limit = DRAIN_BYTES
        scratch = bytearray(min(_PIECE, max(limit, 1)))
        dropped = 0
        try:
            while not self.done and dropped < limit:
                dropped += self.readinto(scratch)
        except BodyError:
            return False
        return self.done

    def _readinto(self, view: memoryview) -> int:
        raise NotImplementedError


class KnownLengthBody(StreamedBody):
    """A body of ``Content-Length`` bytes; ending sooner is an error."""

    def __init__(self, rfile: Any, length: int, whole_limit: int | None = None) -> None:
        super().__init__(rfile, whole_limit)
        self.length = length
        self.done = length == 0

    def drain(self, limit: int | None = None) -> bool:
        left = self.length - self.received
        if left > (DRAIN_BYTES if limit is None else limit):
            return False  # not worth reading: the connection closes instead
        return super().drain(limit)

    def _read_whole(self) -> bytes:
        self._check_whole(self.length)  # refused before a byte of it is read
        whole = bytearray(self.length - self.received)
        count = self.readinto(whole)
        return bytes(memoryview(whole)[:count])

    def _readinto(self, view: memoryview) -> int:
        wanted = min(len(view), self.length - self.received)
        if wanted <= 0:
            self.done = True
            return 0
        count = _fill(self._rfile, view[:wanted])
        if count < wanted:
            received = self.received + count
            raise BodyError(f"the body ended after {received} of the {self.length} bytes Content-Length announced")
        if self.received + count == self.length:
            self.done = True
        return count


class ChunkedBody(StreamedBody):
    """A body in HTTP/1.1 chunked transfer coding, decoded as it is read, at most ``limit`` bytes."""

    def __init__(self, rfile: Any, limit: int = MAX_STREAMED_BODY_BYTES, whole_limit: int | None = None) -> None:
        super().__init__(rfile, whole_limit)
        self._limit = limit
        self._left = 0  # bytes of the current chunk not yet read
        self._started = False

    def _line(self) -> bytes:
        line = self._rfile.readline(_MAX_LINE + 1)
        if not line.endswith(b"\n"):
            if len(line) > _MAX_LINE:
                raise BodyError("the body could not be read: a chunk-size line is too long")
            raise BodyError("the body could not be read: it ended inside its chunked encoding")
        return line

    def _next_chunk(self) -> None:
        if self._started and self._line() not in (b"\r\n", b"\n"):
            raise BodyError("the body could not be read: a chunk does not end where its size says")
        self._started = True
        line = self._line()
        size_text = line.split(b";", 1)[0].strip()
        try:
            if not size_text or not all(c in b"0123456789abcdefABCDEF" for c in size_text):
                raise ValueError
            size = int(size_text, 16)
        except ValueError:
            raise BodyError(f"the body could not be read: bad chunk size {size_text[:64]!r}") from None
        if size == 0:
            while self._line() not in (b"\r\n", b"\n"):  # trailers, dropped
                pass
            self.done = True
            return
        if self.received + size > self._limit:
            raise BodyTooLarge(f"the body is larger than the {self._limit} bytes this server accepts")
        self._left = size

    def _readinto(self, view: memoryview) -> int:
        count = 0
        while count < len(view):
            if self._left == 0:
                self._next_chunk()
                if self.done:
                    break
            wanted = min(len(view) - count, self._left)
            got = _fill(self._rfile, view[count : count + wanted])
            count += got
            self._left -= got
            if got < wanted:
                raise BodyError("the body could not be read: it ended inside a chunk")
        return count


class UntilEndBody(StreamedBody):
    """A body already decoded by another WSGI server, read until its end, at most ``limit`` bytes."""

    def __init__(self, rfile: Any, limit: int = MAX_STREAMED_BODY_BYTES, whole_limit: int | None = None) -> None:
        super().__init__(rfile, whole_limit)
        self._limit = limit

    def _readinto(self, view: memoryview) -> int:
        data = self._rfile.read(len(view))
        if not data:
            self.done = True
            return 0
        if self.received + len(data) > self._limit:
            raise BodyTooLarge(f"the body is larger than the {self._limit} bytes this server accepts")
        view[: len(data)] = data
        return len(data)


def connection_class() -> type:
    """cheroot's connection class, answering with requests that read bodies as above."""
    global _connection_class
    if _connection_class is None:
        _connection_class = _build_connection_class()
    return _connection_class


_connection_class: type | None = None


def _build_connection_class() -> type:
    from cheroot import server

    class Request(server.HTTPRequest):
        """cheroot's request, with this module's body readers and drain."""

        def respond(self) -> None:
            # cheroot checked Content-Length and answered 413 beyond the server's limit already
            if self.chunked_read:
                self.rfile = ChunkedBody(self.conn.rfile, self.server.max_request_body_size or MAX_STREAMED_BODY_BYTES)
            else:
                self.rfile = KnownLengthBody(self.conn.rfile, int(self.inheaders.get(b"Content-Length", 0)))
            self.server.gateway(self).respond()
            if self.ready:
                self.ensure_headers_sent()
            if self.chunked_write:
                self.conn.wfile.write(b"0\r\n\r\n")

        def send_headers(self) -> None:
            body = self.rfile
            if isinstance(body, StreamedBody) and not self.close_connection and not body.drain():
                self.close_connection = True  # the rest of the body would be read as the next request
                self.conn.body_left_unread = not body.broken
            super().send_headers()

    class Connection(server.HTTPConnection):
        RequestHandlerClass = Request
        #: the last request's body was not read to its end (the client may still be sending it)
        body_left_unread = False

        def close(self) -> None:
            if self.body_left_unread:
                _lingering_close(self.socket)
            super().close()

    return Connection


def _lingering_close(sock: Any) -> None:
    """End the answer (FIN) and read what the client still sends, for a while, before closing.

    Closing a socket with unread bytes makes the kernel reset the connection, and a reset can
    destroy the answer before the client reads it: a client still sending a large body to a
    request answered early would see "connection reset" instead of the answer."""
    import socket
    import time

    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(_LINGER_READ_SECONDS)
        deadline = time.monotonic() + _LINGER_SECONDS
        dropped = 0
        while time.monotonic() < deadline and dropped < _LINGER_BYTES:
            data = sock.recv(_PIECE)
            if not data:
                return
            dropped += len(data)
    except OSError:  # the client went away, or the socket is not one that can do this
        return
