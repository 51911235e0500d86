"""State of the fake registries, one ``RegistryStore`` per (account, region), each guarded.

The backend knows nothing of HTTP: the wire layer hands it ``(operation, params)`` with
params already validated against the model, and receives a result dict or an
``ECRError``. Handlers are registered per operation with ``@operation``; each runs while
holding its registry's lock, so concurrent callers never observe half an update, and
handlers check everything before they change anything, so a failed call changes nothing.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import ECRError
from .quotas import Quotas

Handler = Callable[["RequestContext", dict[str, Any]], dict[str, Any]]
#: picks the (account, region) of the registry a request addresses
Locator = Callable[["RequestContext", dict[str, Any]], tuple[str, str]]

#: operation name -> (handler, locator); filled by the backend modules at import
HANDLERS: dict[str, tuple[Handler, Locator]] = {}


def addressed_registry(ctx: "RequestContext", params: dict[str, Any]) -> tuple[str, str]:
    """The registry named by ``registryId``, else the caller's own, in the request's region."""
    return params.get("registryId") or ctx.account_id, ctx.region


def operation(name: str, locate: Locator = addressed_registry) -> Callable[[Handler], Handler]:
    """Register ``func`` as the handler of the ECR operation ``name``.

    ``locate`` says which registry's lock the handler runs under; the handler reaches
    that registry as ``ctx.store``.
    """

    def register(func: Handler) -> Handler:
        HANDLERS[name] = (func, locate)
        return func

    return register


def utcnow() -> _dt.datetime:
    """The current time, read at call time so freezegun controls it."""
    return _dt.datetime.now(_dt.timezone.utc)


class RegistryStore:
    """All mutable state of one registry (an account in one region)."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region
        self.lock = threading.RLock()
        #: repository name -> Repository (insertion order = creation order)
        self.repositories: dict[str, Any] = {}
        #: free-form slots that feature modules own (blobs, uploads, previews...)
        self.extra: dict[str, Any] = {}


@dataclass
class RequestContext:
    """What a handler knows about the call besides its params."""

    backend: "Backend"
    account_id: str  # the caller's account
    region: str
    operation: str
    now: _dt.datetime = field(default_factory=utcnow)
    #: the registry the request addresses, locked for the handler's whole run
    store: RegistryStore = field(init=False)


class Backend:
    """Every registry of one outermost activation."""

    def __init__(self) -> None:
        self._stores: dict[tuple[str, str], RegistryStore] = {}
        self._lock = threading.Lock()
        #: callbacks run when the activation ends (temporary files, URL routes...)
        self.cleanups: list[Callable[[], None]] = []
        self.quotas = Quotas()

    def store(self, account_id: str, region: str) -> RegistryStore:
        key = (account_id, region)
        store = self._stores.get(key)
        if store is None:
            with self._lock:
                store = self._stores.setdefault(key, RegistryStore(account_id, region))
        return store

    def stores(self) -> list[RegistryStore]:
        with self._lock:
            return list(self._stores.values())

    def close(self) -> None:
        while self.cleanups:
            self.cleanups.pop()()

    def handle(self, operation_name: str, account_id: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
        entry = HANDLERS.get(operation_name)
        if entry is None:
            raise not_implemented(operation_name)
        handler, locate = entry
        ctx = RequestContext(self, account_id, region, operation_name)
        store = ctx.store = self.store(*locate(ctx, params))
        with store.lock:
            return handler(ctx, params)


def not_implemented(operation_name: str) -> ECRError:
    from ..errors import InvalidParameterException

    return InvalidParameterException(
        f"mock_ecr does not implement the ECR action {operation_name}; "
        f"supported actions: {', '.join(sorted(HANDLERS))}"
    )
