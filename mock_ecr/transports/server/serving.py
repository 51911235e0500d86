"""Running the WSGI app: a cheroot server on a thread of its own.

Why cheroot (CherryPy's server, maintained by the CherryPy and Jaraco projects): it is a
pure-Python, threaded HTTP/1.1 server that does what a shared test registry needs with no
code of ours: keep-alive connections parked in a selector (so idle clients hold no worker
thread), streamed responses, limits on header and body size answered with 4xx, a 400 for a
malformed request line, and a ``stop()`` that stops accepting, lets the workers finish the
requests in flight, and then returns. Request bodies are read by ``bodies.py`` (streamed,
chunked or not), through the request class cheroot's connections use. waitress is as robust
but writes responses from its own event loop, so a stop cannot wait for answers still being
written; werkzeug's development server says itself
that it is not made to face load or hostile input.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .app import App
from .bodies import MAX_BODY_BYTES, MAX_STREAMED_BODY_BYTES, connection_class

__all__ = ["MAX_BODY_BYTES", "MAX_STREAMED_BODY_BYTES", "Server", "is_loopback", "missing_server_library"]

if TYPE_CHECKING:
    from ...session import Session

#: worker threads: every client is answered by one while its request runs (the GIL makes
#: more of them no faster; keep-alive connections between requests hold none)
THREADS = 16
#: a request's headers beyond this get 413 (Docker's and the SDKs' are far smaller)
MAX_HEADER_BYTES = 64 * 1024
#: seconds a connection may stay silent in the middle of a request
SOCKET_TIMEOUT = 10


def missing_server_library() -> str:
    return "mock_ecr's server mode needs cheroot: pip install 'mock-ecr[server]'"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Server:
    """``session`` answered over HTTP at ``url`` until ``stop()``.

    ``start()`` returns once the socket listens; ``port=0`` picks a free port (``port`` then
    tells which). ``stop()`` stops accepting, finishes the requests in flight and returns.
    """

    def __init__(self, session: Session, host: str = "127.0.0.1", port: int = 0, *, threads: int = THREADS) -> None:
        try:
            from cheroot import wsgi
        except ImportError:  # pragma: no cover - the extra is installed wherever tests run
            raise RuntimeError(missing_server_library()) from None
        self.session = session
        self.app = App(session)
        self._server: Any = wsgi.Server(
            (host, port),
            self.app,
            numthreads=threads,
            timeout=SOCKET_TIMEOUT,
            shutdown_timeout=10,
            request_queue_size=64,
            server_name="mock_ecr",
        )
        self._server.max_request_header_size = MAX_HEADER_BYTES
        # a body is refused beyond ECR's largest layer before it is read; one read whole (JSON)
        # beyond MAX_BODY_BYTES by the body reader (bodies.py), whose connections these are
        self._server.max_request_body_size = MAX_STREAMED_BODY_BYTES
        self._server.ConnectionClass = connection_class()
        #: how often the connection loop wakes up, so stop() returns within it
        self._server.expiration_interval = 0.05
        self._host = host
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        #: called (in order) once the server has stopped
        self.on_stop: list[Callable[[], None]] = []

    # -- where it listens -----------------------------------------------------------------
    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        return int(self._server.bind_addr[1])

    @property
    def url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None

    # -- start and stop ----------------------------------------------------------------------
    def start(self) -> Server:
        with self._lock:
            if self._thread is not None:
                return self
            ready = threading.Event()
            failure: list[BaseException] = []
            # cheroot's threads inherit this one's daemon flag: a test process that never
            # stops its server still exits
            thread = threading.Thread(target=self._run, args=(ready, failure), name="mock_ecr server", daemon=True)
            thread.start()
            ready.wait()
            if failure:
                thread.join()
                raise failure[0]
            self._thread = thread
        return self

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        try:
            self._server.prepare()  # binds and listens: from here on, connections queue
        except BaseException as error:  # noqa: BLE001 - handed to start(), which raises it
            failure.append(error)
            return
        finally:
            ready.set()
        self._server.serve()

    def stop(self) -> None:
        """Stop accepting, let the requests in flight finish, then return; idempotent."""
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self._server.stop()
        thread.join(timeout=15)
        for callback in self.on_stop:
            callback()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<mock_ecr Server {self.url} {'running' if self.running else 'stopped'}>"
