"""The public mock object: decorator, context manager and start/stop, plus test tooling.

Every usage form goes through ``MockECR.start``/``stop``, which join or end the shared
``Activation`` (see ``transports/inprocess.py``).
"""

from __future__ import annotations

import functools
import inspect
import os
import unittest
from collections.abc import Callable, Sequence
from types import EllipsisType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from .api import Backend, lifecycle
from .api.lifecycle import ExpiredImage
from .domain.quotas import Quotas
from .tooling import display
from .tooling.faults import Fault
from .tooling.inspection import RegistryState
from .tooling.recording import CallLog
from .tooling.seeding import DEFAULT_LAYER_SIZE, PushedImage

if TYPE_CHECKING:
    from .transports.server import Server
from .transports.inprocess import ACCOUNT_ENV, DEFAULT_ACCOUNT_ID, FAKE_CREDENTIALS, Activation, join, leave

__all__ = ["FAKE_CREDENTIALS", "MockECR", "mock_ecr"]

T = TypeVar("T")


class MockECR:
    """A mock of Amazon ECR; use as decorator, context manager, or with start()/stop().

    ``start()`` is idempotent: starting a mock that ``start()`` already started does
    nothing, and one ``stop()`` ends it, so re-running a notebook cell that calls
    ``m.start()`` cannot leave the mock needing two stops. Each ``with m:`` (and each
    decorated call) is its own entry, ended by its own exit, and may nest.
    """

    def __init__(self, *, account_id: str | None = None, quotas: dict[str, int] | None = None) -> None:
        self._account_id = account_id
        #: quota values this mock sets while active (checked now, so a typo fails here)
        self.quota_overrides = Quotas.checked(quotas)
        self._activation: Activation | None = None
        #: open ``with`` entries, and whether ``start()`` holds the mock started
        self._depth = 0
        self._started = False

    # -- activation -------------------------------------------------------------------
    @property
    def account_id(self) -> str:
        """The account whose registry requests address unless they name ``registryId``."""
        return self._account_id or os.environ.get(ACCOUNT_ENV) or DEFAULT_ACCOUNT_ID

    def start(self) -> "MockECR":
        """Activate the mock until ``stop()``; on a mock ``start()`` already started, do nothing."""
        if not self._started:
            self._activation = join(self)
            self._started = True
        return self

    def stop(self) -> None:
        """End what ``start()`` began (or, without one, the innermost ``with`` entry)."""
        if self._started:
            leave(self)
            self._started = False
        elif self._depth:
            leave(self)
            self._depth -= 1
        else:
            raise RuntimeError("stop() called on a mock_ecr that is not started")

    @property
    def active(self) -> bool:
        return self._started or self._depth > 0

    def __enter__(self) -> "MockECR":
        self._activation = join(self)
        self._depth += 1
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._depth:  # zero when the block stopped the mock itself
            leave(self)
            self._depth -= 1

    def __repr__(self) -> str:
        account = f"account {self.account_id}"
        if not self.active or self._activation is None:
            return f"<MockECR inactive, {account}>"
        activation = self._activation
        held = display.holdings(self.registries())
        calls = display.plural(len(activation.calls), "call")
        return f"<MockECR active, {account}, region {activation.default_region()}: {held}, {calls}>"

    def _repr_html_(self) -> str:
        if not self.active or self._activation is None:
            return f"<p>{display.html.escape(repr(self))}</p>"
        registries = self.registries()
        total = display.counts(registries)["images"]
        repositories = [repository for registry in registries for repository in registry.repositories.values()]
        rows = display.image_rows(repositories)
        return display.table(repr(self), display.IMAGE_COLUMNS, rows, total, "image")

    # -- decoration -------------------------------------------------------------------
    @overload
    def __call__(self, target: type[T]) -> type[T]: ...
    @overload
    def __call__(self, target: Callable[..., T]) -> Callable[..., T]: ...

    def __call__(self, target: Any) -> Any:
        if inspect.isclass(target):
            return self._decorate_class(target)
        return self._decorate_callable(target)

    def _fresh(self) -> "MockECR":
        """A mock with the same settings, so one decorated test's state never leaks into another's."""
        return MockECR(account_id=self._account_id, quotas=self.quota_overrides)

    def _decorate_callable(self, func: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with self._fresh():
                    return await func(*args, **kwargs)

            return async_wrapper

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():
                return func(*args, **kwargs)

        return wrapper

    def _decorate_class(self, cls: type) -> type:
        if issubclass(cls, unittest.TestCase):
            # TestCase.run drives setUp, the test and tearDown: one activation spans all three
            cls.run = self._decorate_callable(cls.run)  # type: ignore[method-assign]
            return cls
        for name, attr in list(vars(cls).items()):
            if name.startswith("test") and callable(attr):
                setattr(cls, name, self._decorate_callable(attr))
        if callable(vars(cls).get("setup_method")):
            self._span_setup_and_teardown(cls)
        return cls

    def _span_setup_and_teardown(self, cls: type) -> None:
        """pytest-style classes: setup_method starts a mock that teardown_method stops."""
        setup = cls.setup_method  # type: ignore[attr-defined]
        teardown = getattr(cls, "teardown_method", None)
        template = self

        def call_hook(hook: Callable[..., Any], instance: Any, method: Any) -> Any:
            # pytest passes the test method only to hooks that accept it
            takes_method = getattr(getattr(hook, "__code__", None), "co_argcount", 2) > 1
            return hook(instance, method) if takes_method else hook(instance)

        def setup_method(instance: Any, method: Any = None) -> Any:
            instance._mock_ecr_span = template._fresh().start()
            return call_hook(setup, instance, method)

        def teardown_method(instance: Any, method: Any = None) -> Any:
            try:
                if teardown is not None:
                    return call_hook(teardown, instance, method)
            finally:
                span = instance.__dict__.pop("_mock_ecr_span", None)
                if span is not None:
                    span.stop()

        cls.setup_method = setup_method  # type: ignore[attr-defined]
        cls.teardown_method = teardown_method  # type: ignore[attr-defined]

    # -- what tests inspect -------------------------------------------------------------
    def _require_activation(self) -> Activation:
        if self._activation is None:
            raise RuntimeError("this mock_ecr has never been started")
        return self._activation

    @property
    def calls(self) -> CallLog:
        """Every ECR call answered during this mock's (latest) activation, in order."""
        return self._require_activation().calls

    @property
    def backend(self) -> Backend:
        return self._require_activation().backend

    def _require_active(self) -> Activation:
        if not self.active or self._activation is None:
            raise RuntimeError("this mock_ecr is not active; start it (or use it as decorator / context manager) first")
        return self._activation

    # -- test-author tooling (faults.py, seeding.py, inspection.py) -----------------------------
    @property
    def quotas(self) -> Quotas:
        """The service quotas in force (shared by nested mocks; see README "Service quotas")."""
        return self._require_active().backend.quotas

    def inject_error(
        self,
        operation: str,
        code: str,
        *,
        count: int | None | EllipsisType = ...,
        message: str | None = None,
        region: str | None = None,
        account_id: str | None = None,
        rate: float | None = None,
        seed: int | None = None,
    ) -> Fault:
        """Make the next ``count`` calls of ``operation`` answer ``code`` instead of running.

        ``count`` defaults to 1, or to None (every call until ``clear_errors``) when ``rate``
        is given; ``rate`` fails each matching call with that probability (reproducibly with
        ``seed``). ``region`` / ``account_id`` restrict the fault to calls signed for that
        region / addressing that account's registry. ``operation`` may be ``"*"``.
        """
        if count is ...:
            count = None if rate is not None else 1
        return self._require_active().faults.inject(
            operation, code, count=count, message=message, region=region,
            account_id=account_id, rate=rate, seed=seed,
        )

    def clear_errors(self) -> None:
        """Remove every injected error."""
        self._require_active().faults.clear()

    def reset(self) -> None:
        """Drop all registries, recorded calls and injected errors; the mock stays active."""
        self._require_active().reset()

    def push_image(
        self,
        repository_name: str,
        tag: str | None = None,
        *,
        layers: int | Sequence[bytes] = 2,
        layer_size: int = DEFAULT_LAYER_SIZE,
        media_type: Literal["docker", "oci"] = "docker",
        region: str | None = None,
        account_id: str | None = None,
        create_repository: bool = True,
    ) -> PushedImage:
        """Push a valid image through the ECR API, as a client would; see ``seeding.push_image``.

        ``layers``: a number of random layers of ``layer_size`` bytes, or the layers' bytes.
        ``region`` / ``account_id`` choose the registry; ``create_repository`` creates the
        repository when it is missing.
        """
        from .tooling.seeding import push_image

        session = self._require_active().session
        return push_image(
            session.backend, self.account_id, session.region, repository_name, tag, layers=layers,
            layer_size=layer_size, media_type=media_type, region=region, account_id=account_id,
            create_repository=create_repository,
        )

    def state(self, *, region: str | None = None, account_id: str | None = None) -> RegistryState:
        """A read-only snapshot of one registry (default: this mock's account, default region)."""
        from .tooling.inspection import registry_state

        activation = self._require_active()
        return registry_state(
            activation.backend, account_id or self.account_id, region or activation.default_region()
        )

    def registries(self) -> tuple[RegistryState, ...]:
        """Read-only snapshots of every registry that holds anything."""
        from .tooling.inspection import all_registries

        return all_registries(self._require_active().backend)

    def apply_lifecycle_policies(
        self, *, region: str | None = None, account_id: str | None = None, repository_name: str | None = None
    ) -> list[ExpiredImage]:
        """Run the stored lifecycle policies now, as ECR does in the background within a day.

        Selects repositories by region, registry account and name (each ``None`` for all),
        deletes the images their policies expire at the current (freezegun) time, and
        returns them as ``ExpiredImage`` records. See ``backend/lifecycle.py``.
        """
        return lifecycle.apply_lifecycle_policies(
            self.backend, region=region, account_id=account_id, repository_name=repository_name
        )

    # -- scan results (tooling/scanning.py) -----------------------------------------------
    def set_scan_findings(
        self,
        repository_name: str,
        tag_or_digest: str,
        findings: list[dict[str, Any]] | None = None,
        severity_counts: dict[str, int] | None = None,
        region: str | None = None,
        account_id: str | None = None,
    ) -> None:
        """Make the image's scans report ``findings`` or ``severity_counts`` (default: none)."""
        from .tooling.scanning import set_scan_findings

        activation = self._require_active()
        set_scan_findings(
            activation.backend, account_id or self.account_id, region or activation.default_region(),
            repository_name, tag_or_digest, findings, severity_counts,
        )

    def fail_scan(
        self,
        repository_name: str,
        tag_or_digest: str,
        description: str = "The scan failed.",
        region: str | None = None,
        account_id: str | None = None,
    ) -> None:
        """Make the image's scan answer FAILED with ``description``."""
        from .tooling.scanning import fail_scan

        activation = self._require_active()
        fail_scan(
            activation.backend, account_id or self.account_id, region or activation.default_region(),
            repository_name, tag_or_digest, description,
        )

    # -- server mode (transports/server) ----------------------------------------------------
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Server:
        """Answer this mock's ECR over HTTP at ``server.url``, sharing its state, until the mock stops.

        For the AWS CLI, other SDKs and other processes (``endpoint_url=server.url``). ``port=0``
        picks a free port; ``server.stop()`` stops it sooner. Needs the ``server`` extra.
        """
        return self._require_active().serve(host, port)


@overload
def mock_ecr(
    target: None = None, /, *, account_id: str | None = None, quotas: dict[str, int] | None = None
) -> MockECR: ...
@overload
def mock_ecr(target: type[T], /) -> type[T]: ...
@overload
def mock_ecr(target: Callable[..., T], /) -> Callable[..., T]: ...


def mock_ecr(target: Any = None, /, *, account_id: str | None = None, quotas: dict[str, int] | None = None) -> Any:
    """Mock Amazon ECR for every botocore client while active.

    ``@mock_ecr`` / ``@mock_ecr(...)`` on a test function, method or class;
    ``with mock_ecr() as m:``; or ``m = mock_ecr(); m.start(); ...; m.stop()``.
    ``quotas`` overrides service quotas by name (``Quotas`` in ``backend/quotas.py``).
    """
    mock = MockECR(account_id=account_id, quotas=quotas)
    if target is None:
        return mock
    return mock(target)
