"""The botocore door: ECR calls made while a mock is active are answered in-process.

One class attribute is replaced while a mock is active: ``botocore.endpoint.Endpoint.make_request``,
the step every API call of every client takes once (aiobotocore's ``AioEndpoint`` inherits it),
before any signing, sending or retrying. For an ECR endpoint it runs the call on a *bound
copy* of the endpoint that belongs to the activation:

* its emitter passes every event to the client's own emitter, so serializing, signing,
  retries, ``before-send`` and ``before-parse`` hooks, paginators and waiters run exactly as
  against AWS; then it answers ``before-send`` itself, ahead of any other answer, so
  ``Endpoint._send`` is never reached (moto's ``before-send`` stubber, if loaded, is told to
  stand aside for these requests: see ``_guard_moto``);
* the call's signing context carries the mock's fake credentials, which botocore's signer
  prefers to the client's own: a client made before the mock, with real keys or none, signs
  ECR calls with the fake ones, and nothing resolves or refreshes real credentials.

Everything a call needs after ``make_request`` is bound to that call, not to a class, so the
class attribute can be put back the moment the mock stops. A call still in flight then (in a
retry back-off, or in another thread) keeps its bound copy: its next attempt is signed with the
fake credentials and fails with ``MockECRStoppedError`` (a ``BotoCoreError``) instead of being
sent. Calls of other services go to whatever ``make_request`` was installed before the mock.

Requests a client sends to the URL of a server this process runs (``m.serve()``) go out
unanswered by the door, signed with the fake credentials: a client given
``endpoint_url=server.url`` really talks HTTP to it.
"""

from __future__ import annotations

import copy
import functools
import inspect
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from botocore.awsrequest import AWSResponse
from botocore.credentials import Credentials
from botocore.endpoint import Endpoint
from botocore.exceptions import BotoCoreError

from ..gateway import HttpRequest, route

if TYPE_CHECKING:
    from ..session import Session

ENDPOINT_PREFIX = "api.ecr"
_BEFORE_SEND = "before-send."


class MockECRStoppedError(BotoCoreError):
    """An ECR call began under mock_ecr and was still retrying when the mock stopped."""

    fmt = "mock_ecr stopped while this ECR call was in flight; the request was not sent: {reason}"


class Door:
    """One activation's botocore door: its session, its fake credentials, its bound endpoints."""

    def __init__(self, session: Session, credentials: dict[str, str]) -> None:
        self.session = session
        self.credentials = credentials
        self.closed = False
        self.sync_credentials = _sync_credentials(tuple(credentials.items()))
        self._async_credentials: Any = None
        #: id of a client endpoint -> (a weak reference to it, its copy bound to this door,
        #: the credentials its calls sign with); made with the endpoint's first call
        self._bound: dict[int, tuple[weakref.ref[Endpoint], Endpoint, Any]] = {}
        self._lock = _door_lock

    def bound(self, endpoint: Endpoint) -> Endpoint:
        """``endpoint``'s copy bound to this door."""
        return self.binding(endpoint)[0]

    def binding(self, endpoint: Endpoint) -> tuple[Endpoint, Any]:
        """(``endpoint``'s copy bound to this door, the credentials its calls sign with)."""
        entry = self._bound.get(id(endpoint))
        if entry is None or entry[0]() is not endpoint:
            with self._lock:
                entry = self._bound.get(id(endpoint))
                if entry is None or entry[0]() is not endpoint:
                    key = id(endpoint)
                    table = self._bound

                    def forget(_: Any) -> None:
                        if table.get(key, (None,))[0] is reference:
                            del table[key]

                    reference = weakref.ref(endpoint, forget)
                    entry = table[key] = (reference, _bind(endpoint, self), self.credentials_for(endpoint))
        return entry[1], entry[2]

    def credentials_for(self, endpoint: Endpoint) -> Any:
        if not _is_async(type(endpoint)):
            return self.sync_credentials
        if self._async_credentials is None:
            from . import aiobotocore as aio_door

            self._async_credentials = aio_door.credentials(self.credentials)
        return self._async_credentials

    def check_open(self) -> None:
        if self.closed:
            raise MockECRStoppedError(reason="it would have gone to AWS")

    def answer(self, request: Any) -> Any:
        """The gateway's answer to one prepared request, as the raw status, headers and body."""
        if self.closed:
            raise MockECRStoppedError(reason="it would have gone to AWS")
        try:
            response = route(self.session, HttpRequest(request.method, request.url, request.headers, request.body))
            return response.status, response.headers, response.read()
        except Exception as error:
            if self.closed:  # the session was closed under the call
                raise MockECRStoppedError(reason=f"{type(error).__name__}: {error}") from error
            raise


@functools.lru_cache(maxsize=8)
def _sync_credentials(values: tuple[tuple[str, str], ...]) -> Credentials:
    """botocore's ``Credentials`` for the fake keys, made once: nothing changes them."""
    keys = dict(values)
    return Credentials(keys["AWS_ACCESS_KEY_ID"], keys["AWS_SECRET_ACCESS_KEY"], keys["AWS_SESSION_TOKEN"])


#: binding endpoints is rare (once per client and activation): one lock serves every door
_door_lock = threading.Lock()


class _Body:
    """The ``raw`` of an ``AWSResponse``: botocore only ever calls ``stream()``."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


def answer(door: Door, request: Any) -> AWSResponse:
    """One prepared botocore request answered through the gateway, as botocore's response."""
    status, headers, body = door.answer(request)
    response = AWSResponse(request.url, status, headers, _Body(body))
    response._content = body  # type: ignore[attr-defined]
    return response


class _Emitter:
    """A client's emitter, except that ``before-send`` is answered by the door."""

    __slots__ = ("_emitter", "_answer", "_door")

    def __init__(self, emitter: Any, answer: Callable[[Any], Any], door: Door) -> None:
        self._emitter = emitter
        self._answer = answer
        self._door = door

    def emit(self, event_name: str, **kwargs: Any) -> Any:
        if not event_name.startswith(_BEFORE_SEND):
            return self._emitter.emit(event_name, **kwargs)
        self._door.check_open()  # a request of a stopped mock is not sent, nor shown as sent
        token = answering.set(True)
        try:
            others = self._emitter.emit(event_name, **kwargs)
        finally:
            answering.reset(token)
        return [(self._answer, self._answer(kwargs["request"])), *others]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._emitter, name)


#: set while the client's own ``before-send`` handlers run for a request the mock answers
answering: ContextVar[bool] = ContextVar("mock_ecr_answering", default=False)

_ASYNC: dict[type, bool] = {}


def _is_async(cls: type) -> bool:
    """aiobotocore's endpoints (told apart without importing aiobotocore)."""
    known = _ASYNC.get(cls)
    if known is None:
        known = _ASYNC[cls] = inspect.iscoroutinefunction(getattr(cls, "_send_request", None))
    return known


def _bind(endpoint: Endpoint, door: Door) -> Endpoint:
    bound = copy.copy(endpoint)
    emitter = endpoint._event_emitter  # type: ignore[attr-defined]
    if _is_async(type(endpoint)):
        from . import aiobotocore as aio_door

        respond: Callable[[Any], Any] = aio_door.responder(door)
        bound._event_emitter = aio_door.Emitter(emitter, respond, door)  # type: ignore[attr-defined]
    else:

        def respond(request: Any) -> AWSResponse:
            return answer(door, request)

        bound._event_emitter = _Emitter(emitter, respond, door)  # type: ignore[attr-defined]
    bound._send = respond  # type: ignore[attr-defined] # never reached: before-send answers first
    return bound


# -- the one class attribute ------------------------------------------------------------------
_active: Door | None = None
_previous: Callable[..., Any] | None = None
#: URL prefixes of the servers this process runs (``http://127.0.0.1:PORT/`` ...)
_served: tuple[str, ...] = ()
_lock = threading.Lock()


def _make_request(self: Endpoint, operation_model: Any, request_dict: dict[str, Any]) -> Any:
    door = _active
    previous = _previous
    if previous is None:  # a stale reference to this function, called after the mock stopped
        previous = _ORIGINAL_MAKE_REQUEST
    if door is None or self._endpoint_prefix != ENDPOINT_PREFIX:  # type: ignore[attr-defined]
        return previous(self, operation_model, request_dict)
    if _moto_previous is None and _MOTO in sys.modules:
        _guard_moto()
    bound, credentials = door.binding(self)
    context = request_dict["context"]
    signing = dict(context.get("signing") or ())
    signing["request_credentials"] = credentials
    context["signing"] = signing
    if _served and request_dict["url"].startswith(_served):
        return previous(self, operation_model, request_dict)  # over HTTP to our own server
    return previous(bound, operation_model, request_dict)


def pass_through(prefixes: tuple[str, ...], on: bool = True) -> None:
    """Let requests to these URL prefixes (a server of this process) go out over HTTP, or stop."""
    global _served
    if on:
        _served = (*_served, *prefixes)
    else:
        remaining = list(_served)
        for prefix in prefixes:
            if prefix in remaining:
                remaining.remove(prefix)
        _served = tuple(remaining)


_ORIGINAL_MAKE_REQUEST: Callable[..., Any] = Endpoint.make_request


# -- moto side by side ---------------------------------------------------------------------------
_MOTO = "moto.core.botocore_stubber"
_moto_previous: Callable[..., Any] | None = None
_moto_guard: Callable[..., Any] | None = None


def _moto_stands_aside(previous: Callable[..., Any]) -> Callable[..., Any]:
    def __call__(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        if answering.get():
            return None  # an ECR request mock_ecr answers: not moto's to answer (or to store)
        return previous(self, event_name, request, **kwargs)

    return __call__


def _guard_moto() -> None:
    """moto answers at ``before-send`` too: while a mock is active, it leaves ECR to mock_ecr."""
    global _moto_previous, _moto_guard
    stubber = getattr(sys.modules.get(_MOTO), "BotocoreStubber", None)
    with _lock:
        if stubber is None or _moto_previous is not None or _active is None:
            return
        _moto_previous = stubber.__dict__["__call__"]
        stubber.__call__ = _moto_guard = _moto_stands_aside(_moto_previous)


def _unguard_moto() -> None:
    global _moto_previous, _moto_guard
    if _moto_previous is None:
        return
    stubber = sys.modules[_MOTO].BotocoreStubber
    if stubber.__dict__["__call__"] is _moto_guard:
        stubber.__call__ = _moto_previous
    _moto_previous = _moto_guard = None


def install(session: Session, credentials: dict[str, str]) -> Door:
    """Answer ECR calls from ``session`` until ``uninstall``; chains to the installed ``make_request``."""
    global _active, _previous
    door = Door(session, credentials)
    with _lock:
        if _previous is None:
            _previous = Endpoint.__dict__["make_request"]
            Endpoint.make_request = _make_request  # type: ignore[method-assign,assignment]
        # else: ours is still in the chain, under a patch made while the last mock was active
        _active = door
    _guard_moto()
    return door


def uninstall() -> None:
    """Put back exactly the ``make_request`` found at ``install``; calls in flight fail cleanly."""
    global _active, _previous
    with _lock:
        door, _active = _active, None
        if door is not None:
            door.closed = True
        _unguard_moto()
        if Endpoint.__dict__["make_request"] is _make_request:
            Endpoint.make_request = _previous  # type: ignore[method-assign,assignment]
            _previous = None
        # else: something patched make_request over ours while the mock was active, and puts
        # ours back when it stops; from then on ours only passes calls on (``_active`` is None)
