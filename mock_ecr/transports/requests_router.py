"""The ``requests`` door: URLs the mock serves to ``requests`` clients, through ``responses``.

One ``RequestsRouter`` per activation, started when the first URL it serves is issued
(so activating the mock costs nothing here). It starts a ``responses.RequestsMock`` with
one callback for the hosts the gateway serves (layer downloads) and converts each
``requests`` call into an ``HttpRequest`` for the gateway; every other URL passes through.

``requests`` sent through a ``responses`` mock the code under test started *before* the
router keep reaching that mock (it is where unmatched URLs go). One started *after* it
replaces ours until it stops, as stacked ``responses`` mocks always do.
"""

from __future__ import annotations

import inspect
import io
import re
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import responses
from requests.adapters import HTTPAdapter

from ..gateway import Headers, HttpRequest, route

if TYPE_CHECKING:
    from ..session import Session

#: the layer-bucket hosts of every partition, e.g. prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com
_SERVED = re.compile(r"https?://prod-[a-z0-9-]+-starport-layer-bucket\.s3\.[a-z0-9-]+\.[a-z0-9.-]+/")
#: everything else goes to the network (or to whatever patched ``requests`` before us)
_NOT_SERVED = re.compile(r"(?!https?://prod-[a-z0-9-]+-starport-layer-bucket\.s3\.)")


class RequestsRouter:
    """Answers ``requests`` calls to the URLs the mock serves while started."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._lock = threading.Lock()
        self._mock: responses.RequestsMock | None = None

    def start(self) -> None:
        with self._lock:
            if self._mock is None:
                self._mock = _start_mock(self._answer)

    def stop(self) -> None:
        with self._lock:
            mock, self._mock = self._mock, None
        if mock is not None:
            mock.stop(allow_assert=False)

    def _answer(self, prepared: Any) -> tuple[int, dict[str, str], Any]:
        request = HttpRequest(prepared.method or "GET", prepared.url, Headers(prepared.headers), prepared.body)
        response = route(self._session, request)
        body = response.body
        if not isinstance(body, bytes):
            body = io.BufferedReader(_ChunkReader(body), 1024 * 1024)
        return response.status, response.headers, body


def _start_mock(callback: Any) -> responses.RequestsMock:
    options: dict[str, Any] = {"assert_all_requests_are_fired": False}
    if "real_adapter_send" in inspect.signature(responses.RequestsMock).parameters:
        # requests unmatched here go to whatever ``requests`` sent through before we started
        # (the network, or a ``responses`` mock of the code under test)
        options["real_adapter_send"] = HTTPAdapter.send
    mock = responses.RequestsMock(**options)
    for method in ("GET", "HEAD", "PUT", "POST", "DELETE", "PATCH"):
        mock.add_callback(method, _SERVED, callback=callback, content_type=None)
    mock.add_passthru(_NOT_SERVED)
    mock.start()
    return mock


class _ChunkReader(io.RawIOBase):
    """A read-only stream over an iterator of byte chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
