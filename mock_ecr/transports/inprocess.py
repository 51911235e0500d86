"""The in-process patch: one start/stop path behind the decorator, context manager and fixtures.

The first (outermost) mock to start creates an ``Activation``: a fresh ``Session``, the
botocore interception, a clean boto3 default session (made on demand, ``boto3_session``), and
an environment in which no real credentials can be found (``environment``: ``FAKE_CREDENTIALS``,
and AWS config files made by the mock that keep the profile names of the real ones but give
every profile the fake keys).
Mocks started inside it join the same activation (and so share its session); the activation
ends, dropping all state and restoring the environment exactly, when the last of them stops.
The session itself never touches the environment: this module owns that.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any, Protocol

from ..session import ACCOUNT_ENV, DEFAULT_ACCOUNT_ID, DEFAULT_REGION, Session
from . import boto3_session, environment
from . import botocore as botocore_door
from .environment import FAKE_CREDENTIALS
from .requests_router import RequestsRouter


class MockECR(Protocol):
    """What the activation reads of each mock that joins it (``mock.MockECR``)."""

    @property
    def account_id(self) -> str: ...

    @property
    def caller_arn(self) -> str | None: ...

    quota_overrides: dict[str, int]


__all__ = ["ACCOUNT_ENV", "DEFAULT_ACCOUNT_ID", "DEFAULT_REGION", "FAKE_CREDENTIALS", "Activation", "join", "leave"]

_lock = threading.RLock()
_activation: Activation | None = None


class Activation:
    """Everything that exists while at least one mock is active: a session, and the patch."""

    def __init__(self) -> None:
        self.session = Session()
        self.mocks: list[MockECR] = []
        #: the thread that started each entry of ``mocks``
        self.starters: list[int] = []
        #: (mock, quota values it replaced) per start of a mock configured with quotas
        self._quota_layers: list[tuple[MockECR, dict[str, int]]] = []
        self._saved_env: environment.Saved = {}
        #: boto3's default session when the mock started (None if there was none)
        self._saved_boto3_session: Any = None
        #: the ``requests`` router, made when the first layer URL is issued
        self._requests: RequestsRouter | None = None
        self._requests_lock = threading.Lock()
        self._closed = False
        #: servers started by ``serve()``; they stop when the activation closes
        self._servers: list[Any] = []

    # -- what tooling reads ------------------------------------------------------------
    @property
    def backend(self) -> Any:
        return self.session.backend

    @property
    def calls(self) -> Any:
        return self.session.calls

    @property
    def faults(self) -> Any:
        return self.session.faults

    def default_region(self) -> str:
        return self.session.region

    def account_id(self) -> str:
        return self.session.account_id

    # -- lifecycle ------------------------------------------------------------------
    def open(self) -> None:
        self._saved_env, self.session.region = environment.enter(DEFAULT_REGION)
        # boto3.client() uses a default session, which caches the credentials and settings it
        # first resolved: each activation starts with none, so boto3 makes a clean one on demand
        boto3 = sys.modules.get("boto3")
        if boto3 is not None:
            self._saved_boto3_session = getattr(boto3, "DEFAULT_SESSION", None)
            setattr(boto3, "DEFAULT_SESSION", None)  # noqa: B010 - boto3 declares no such attribute
            boto3_session.install()
        botocore_door.install(self.session, FAKE_CREDENTIALS)
        # layer URLs and the registry hosts are answered from the first request on (a client's
        # anonymous GET /v2/ comes before any token exists)
        self._start_requests()

    def close(self) -> None:
        for server in self._servers[::-1]:
            server.stop()
        # interception first: from here on nothing new reaches the session, and calls still
        # in flight fail with a botocore or requests error instead of leaving the process
        botocore_door.uninstall()
        with self._requests_lock:
            self._closed = True
            if self._requests is not None:
                self._requests.stop()
        environment.leave(self._saved_env)
        boto3_session.uninstall()
        boto3 = sys.modules.get("boto3")  # perhaps imported only while the mock was active
        if boto3 is not None:
            setattr(boto3, "DEFAULT_SESSION", self._saved_boto3_session)  # noqa: B010 - as above
        self.session.close()

    def serve(self, host: str, port: int) -> Any:
        """Start an HTTP server on this activation's session (see ``transports/server``)."""
        from .server import Server

        server = Server(self.session, host, port).start()
        # clients in this process given its URL talk HTTP to it, not to the in-process door
        hosts = {server.url}
        if server.host in ("127.0.0.1", "localhost"):
            hosts |= {f"http://127.0.0.1:{server.port}", f"http://localhost:{server.port}"}
        prefixes = tuple(sorted(f"{url}/" for url in hosts))
        botocore_door.pass_through(prefixes)
        self._servers.append(server)

        def stopped() -> None:
            botocore_door.pass_through(prefixes, on=False)
            if server in self._servers:
                self._servers.remove(server)

        server.on_stop.append(stopped)
        return server

    def _start_requests(self) -> None:
        """Layer URLs and the registry hosts are answered through ``requests`` while active."""
        with self._requests_lock:
            if self._closed:
                return
            if self._requests is None:
                self._requests = RequestsRouter(self.session)
            self._requests.start()

    # -- mocks, quotas and reset -----------------------------------------------------------
    def mocks_changed(self) -> None:
        """Decide each thread's account and caller; resolved when mocks start and stop, not per call.

        A thread that started mocks still active uses the innermost of its own; any other
        thread (a worker of the code under test) uses the most recently started active mock.
        """
        session = self.session
        by_thread: dict[int, str] = {}
        callers: dict[int, str | None] = {}
        for mock, thread in zip(self.mocks, self.starters, strict=True):
            by_thread[thread] = mock.account_id
            callers[thread] = mock.caller_arn
        session.default_account_id = self.mocks[-1].account_id if self.mocks else DEFAULT_ACCOUNT_ID
        session.thread_accounts = by_thread
        session.default_caller_arn = self.mocks[-1].caller_arn if self.mocks else None
        session.thread_callers = callers

    def apply_quotas(self, mock: MockECR) -> None:
        """A mock configured with quotas starts: its values apply until it stops."""
        quotas = self.session.quotas
        self._quota_layers.append((mock, quotas.values(mock.quota_overrides)))
        quotas.update(mock.quota_overrides)
        self._layered_quotas()

    def restore_quotas(self, mock: MockECR) -> None:
        for index in range(len(self._quota_layers) - 1, -1, -1):
            if self._quota_layers[index][0] is mock:
                self.session.quotas.update(self._quota_layers.pop(index)[1])
                self._layered_quotas()
                return

    def _layered_quotas(self) -> None:
        overrides: dict[str, int] = {}
        for mock, _ in self._quota_layers:
            overrides.update(mock.quota_overrides)
        self.session.quota_overrides = overrides

    def reset(self) -> None:
        """Drop every registry, call and fault; quotas return to what the active mocks configured."""
        self.session.reset()


def join(mock: MockECR) -> Activation:
    """Start ``mock``: join the current activation, or open one when none is active."""
    global _activation
    with _lock:
        activation = _activation
        if activation is None:
            activation = Activation()
            activation.open()
            _activation = activation
        activation.mocks.append(mock)
        activation.starters.append(threading.get_ident())
        activation.mocks_changed()
        if mock.quota_overrides:
            activation.apply_quotas(mock)
        return activation


def leave(mock: MockECR) -> None:
    """Stop ``mock``; the last mock to leave closes the activation (state, environment)."""
    global _activation
    with _lock:
        activation = _activation
        if activation is None or mock not in activation.mocks:
            raise RuntimeError("this mock_ecr is not active")
        # remove the innermost entry of this mock
        for index in range(len(activation.mocks) - 1, -1, -1):
            if activation.mocks[index] is mock:
                del activation.mocks[index]
                del activation.starters[index]
                break
        activation.mocks_changed()
        if mock.quota_overrides:
            activation.restore_quotas(mock)
        if not activation.mocks:
            _activation = None
            activation.close()


def _after_fork_in_child() -> None:
    """A forked child gets fresh locks: a parent thread that held one does not exist there.

    The child's registries, calls and faults are its own copy of the parent's at the fork;
    neither sees the other's changes afterwards.
    """
    global _lock
    _lock = threading.RLock()
    activation = _activation
    if activation is not None:
        activation._requests_lock = threading.Lock()
        activation.session.after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
