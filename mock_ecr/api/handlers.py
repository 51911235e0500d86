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
from ..domain import principals, pushes
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
    #: the caller's principal ARN ("" until ``handle`` fills in the mock's default)
    caller_arn: str = ""
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


def existing_repository(ctx: RequestContext, name: str) -> Repository:
    return get_repository(ctx.store, name)


def repository_for_push(ctx: RequestContext, name: str) -> Repository:
    return pushes.repository_for_push(ctx.store, name, ctx.now, ctx.backend.quotas)


def repository_operation(
    name: str, find: Callable[[RequestContext, str], Repository] = existing_repository
) -> Callable[[RepositoryHandler], RepositoryHandler]:
    """Register a handler of an operation on the repository named by ``repositoryName``;
    it is called as ``handler(ctx, repository, params)``. ``find`` gets the repository: by
    default a missing one is refused with RepositoryNotFoundException before the handler
    runs; operations that start a push pass ``repository_for_push``."""

    def register(func: RepositoryHandler) -> RepositoryHandler:
        def run(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
            name = params["repositoryName"]
            if find is existing_repository or name in ctx.store.repositories:
                return func(ctx, find(ctx, name), params)
            repository = find(ctx, name)  # a push may create it (create on push)
            try:
                return func(ctx, repository, params)
            except BaseException:
                pushes.forget_created(ctx.store, repository)  # a refused call leaves nothing
                raise

        run.__name__ = run.__qualname__ = func.__name__
        run.__doc__ = func.__doc__
        HANDLERS[name] = (run, addressed_registry)
        return func

    return register


def handle(
    backend: Backend,
    operation_name: str,
    account_id: str,
    region: str,
    params: dict[str, Any],
    caller_arn: str | None = None,
) -> dict[str, Any]:
    """Run one validated call; returns the result dict or raises an ``ECRError``."""
    entry = HANDLERS.get(operation_name)
    if entry is None:
        raise not_implemented(operation_name)
    handler, locate = entry
    caller = caller_arn or principals.default_caller_arn(account_id, region)
    ctx = RequestContext(backend, account_id, region, operation_name, caller_arn=caller)
    store = ctx.store = backend.store(*locate(ctx, params))

    def run(hold: Hold) -> dict[str, Any]:
        ctx.hold = hold
        return handler(ctx, params)

    return backend.run(store, run)


def not_implemented(operation_name: str) -> ECRError:
    return InvalidParameterException(messages.not_implemented(operation_name, sorted(HANDLERS)))
