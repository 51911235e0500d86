"""The ``requests`` door: every URL the mock serves to ``requests`` goes through one router.

While started (for the whole activation), the router replaces
``requests.Session.get_adapter``: for a URL the gateway serves it hands ``requests`` the
router's own transport adapter, which answers through the gateway; for every
other URL it calls the ``get_adapter`` that was installed before, so those requests reach
whatever handles them (the network, or the ``responses`` mocks of the code under test).

``responses`` (and moto, which uses it) patch ``HTTPAdapter.send`` instead, a different
attribute, so the router and any number of ``responses`` mocks start and stop in any order:
served URLs always reach the mock, other URLs always reach ``responses``, and once all have
stopped both attributes are exactly what they were. On stop the router puts back the
``get_adapter`` it found; a request already answered streams on until its blob is released,
then fails with a ``requests`` error (``ChunkedEncodingError``); one not answered yet fails
with ``requests.ConnectionError``. Neither reaches the network.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3.response import HTTPResponse

from ..gateway import Headers, HttpRequest, route
from ..gateway.router import serves_to_requests

if TYPE_CHECKING:
    from ..session import Session


class RequestsRouter:
    """Answers ``requests`` calls to the URLs the mock serves while started."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._lock = threading.Lock()
        self.adapter = _GatewayAdapter(session)
        self._previous: Callable[..., Any] | None = None
        self._patch: Callable[..., Any] | None = None

    def start(self) -> None:
        with self._lock:
            if self._patch is not None or self.adapter.closed:
                return
            previous = requests.Session.__dict__["get_adapter"]
            adapter = self.adapter

            def get_adapter(session: requests.Session, url: str) -> Any:
                if not adapter.closed and serves_to_requests(url):
                    return adapter
                return previous(session, url)

            self._previous, self._patch = previous, get_adapter
            requests.Session.get_adapter = get_adapter  # type: ignore[method-assign,assignment]

    def stop(self) -> None:
        with self._lock:
            self.adapter.closed = True
            patch, previous, self._patch, self._previous = self._patch, self._previous, None, None
            if patch is not None and requests.Session.__dict__.get("get_adapter") is patch:
                requests.Session.get_adapter = previous  # type: ignore[method-assign,assignment]
            # else: patched over while started; ours passes everything on now (adapter closed)


class _GatewayAdapter(BaseAdapter):
    """A ``requests`` transport adapter answering from the gateway."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self._session = session
        self.closed = False
        #: builds ``requests``' response objects; made with the first request (the router
        #: starts with every activation, most of which send none)
        self._builder: HTTPAdapter | None = None

    def send(self, request: Any, stream: bool = False, *args: Any, **kwargs: Any) -> requests.Response:
        if self.closed:
            raise requests.ConnectionError("mock_ecr stopped before this request was answered", request=request)
        try:
            answer = route(
                self._session, HttpRequest(request.method or "GET", request.url, Headers(request.headers), request.body)
            )
        except Exception as error:
            if self.closed:  # the mock stopped while answering
                raise requests.ConnectionError(f"mock_ecr stopped while answering: {error}", request=request) from error
            raise
        body = answer.body
        raw_body: Any = io.BytesIO(body) if isinstance(body, bytes) else io.BufferedReader(_ChunkReader(body), 1 << 20)
        raw = HTTPResponse(
            body=raw_body,
            headers=answer.headers,
            status=answer.status,
            preload_content=False,
            decode_content=False,
            request_method=request.method,
            request_url=request.url,
        )
        builder = self._builder
        if builder is None:
            builder = self._builder = HTTPAdapter()
        response = builder.build_response(request, raw)
        if not stream:
            response.content  # noqa: B018 - read now, as requests does for stream=False
        return response

    def close(self) -> None:
        pass


class _ChunkReader(io.RawIOBase):
    """A read-only stream over an iterator of byte chunks; a failing source reads as a lost connection."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                chunk = next(self._chunks, None)
            except Exception as error:  # the blob was released: the mock stopped or was reset
                raise ConnectionResetError(f"mock_ecr released this layer mid-download: {error}") from error
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
