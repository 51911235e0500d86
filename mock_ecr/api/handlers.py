"""The skeleton: one handler per ECR operation, each run under its registry's lock.

Handlers are registered per operation with ``@operation``. ``handle`` finds the handler,
picks the registry the request addresses (the handler's ``locate``), and runs it while
holding that registry's lock, so concurrent callers never observe half an update. A
handler with long pure work runs it in ``ctx.hold.paused()`` (see ``domain.store``).
Handlers check everything before they change anything, so a failed call changes nothing.

A handler is thin: it reads its params, calls the domain services, and builds the
response shape (``api.shapes``). Handlers of operations on one repository register with
``@repository_operation`` and are handed the repository the request names.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import messages
from ..domain.repositories import Repository, get_repository
from ..domain.store import Backend, Hold, RegistryStore, utcnow
from ..errors import ECRError, InvalidParameterException

Handler = Callable[["RequestContext", dict[str, Any]], dict[str, Any]]
RepositoryHandler = Callable[["RequestContext", Repository, dict[str, Any]], dict[str, Any]]
#: picks the (account, region) of the registry a request addresses
Locator = Callable[["RequestContext", dict[str, Any]], tuple[str, str]]

#: operation name -> (handler, locator); filled by the api modules at import
HANDLERS: dict[str, tuple[Handler, Locator]] = {}


@dataclass
class RequestContext:
    """What a handler knows about the call besides its params."""

    backend: Backend
    account_id: str  # the caller's account
    region: str
    operation: str
    now: _dt.datetime = field(default_factory=utcnow)
    #: the registry the request addresses, locked for the handler's whole run
    store: RegistryStore = field(init=False)
    #: the handler's hold on that lock (``hold.paused()`` lets other calls in meanwhile)
    hold: Hold = field(init=False)


def addressed_registry(ctx: RequestContext, params: dict[str, Any]) -> tuple[str, str]:
    """The registry named by ``registryId``, else the caller's own, in the request's region."""
    return params.get("registryId") or ctx.account_id, ctx.region


def operation(name: str, locate: Locator = addressed_registry) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of the ECR operation ``name``.

    ``locate`` says which registry's lock the handler runs under; the handler reaches
    that registry as ``ctx.store``.
    """

    def register(func: Handler) -> Handler:
        HANDLERS[name] = (func, locate)
        return func

    return register


def repository_operation(name: str) -> Callable[[RepositoryHandler], RepositoryHandler]:
    """Register a handler of an operation on the repository named by ``repositoryName``;
    it is called as ``handler(ctx, repository, params)`` (a missing repository is refused
    with RepositoryNotFoundException before the handler runs)."""

    def register(func: RepositoryHandler) -> RepositoryHandler:
        def run(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
            return func(ctx, get_repository(ctx.store, params["repositoryName"]), params)

        run.__name__ = run.__qualname__ = func.__name__
        run.__doc__ = func.__doc__
        HANDLERS[name] = (run, addressed_registry)
        return func

    return register


def handle(
    backend: Backend, operation_name: str, account_id: str, region: str, params: dict[str, Any]
) -> dict[str, Any]:
    """Run one validated call; returns the result dict or raises an ``ECRError``."""
    entry = HANDLERS.get(operation_name)
    if entry is None:
        raise not_implemented(operation_name)
    handler, locate = entry
    ctx = RequestContext(backend, account_id, region, operation_name)
    store = ctx.store = backend.store(*locate(ctx, params))
    with Hold(store) as ctx.hold:
        return handler(ctx, params)


def not_implemented(operation_name: str) -> ECRError:
    return InvalidParameterException(messages.not_implemented(operation_name, sorted(HANDLERS)))
