"""The public mock object: decorator, context manager and start/stop, plus test tooling.

Every usage form goes through ``MockECR.start``/``stop``, which join or end the shared
``Activation`` (see ``transports/inprocess.py``).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Sequence
from types import EllipsisType
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar, overload

from . import decoration, messages
from .api import Backend, lifecycle
from .api.lifecycle import ExpiredImage
from .domain import principals, signing
from .domain.quotas import Quotas
from .tooling import display
from .tooling.faults import Fault
from .tooling.inspection import RegistryState
from .tooling.recording import CallLog
from .tooling.seeding import DEFAULT_LAYER_SIZE, PushedImage
from .tooling.upstreams import SeededImage

if TYPE_CHECKING:
    from .transports.server import Server
from .transports.inprocess import ACCOUNT_ENV, DEFAULT_ACCOUNT_ID, FAKE_CREDENTIALS, Activation, join, leave

__all__ = ["FAKE_CREDENTIALS", "MockECR", "mock_ecr"]

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")


def _check_account_id(value: object, source: str) -> None:
    """An AWS account id is 12 digits; anything else would end up in every ARN and URI."""
    if not isinstance(value, str) or len(value) != 12 or not value.isascii() or not value.isdigit():
        raise ValueError(f"{source} must be an AWS account id of 12 digits, not {value!r}")


def _check_caller_arn(caller_arn: str, account_id: str) -> None:
    """A caller ARN names a principal of the mock's own account."""
    account = principals.caller_account(caller_arn)
    if account != account_id:
        raise ValueError(f"caller_arn {caller_arn!r} is in account {account}, not the mock's account {account_id}")


class MockECR:
    """A mock of Amazon ECR; use as decorator, context manager, or with start()/stop().

    ``start()`` is idempotent: starting a mock that ``start()`` already started does
    nothing, and one ``stop()`` ends it, so re-running a notebook cell that calls
    ``m.start()`` cannot leave the mock needing two stops. Each ``with m:`` (and each
    decorated call) is its own entry, ended by its own exit, and may nest.
    """

    def __init__(
        self, *, account_id: str | None = None, quotas: dict[str, int] | None = None, caller_arn: str | None = None
    ) -> None:
        if account_id is not None:
            _check_account_id(account_id, "account_id")
        self._account_id = account_id
        if caller_arn is not None:
            _check_caller_arn(caller_arn, self.account_id)
        #: the principal the mock's calls come from (None: the account's ``user/mock-ecr``)
        self.caller_arn = caller_arn
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
            if self._account_id is None and os.environ.get(ACCOUNT_ENV):
                _check_account_id(os.environ[ACCOUNT_ENV], ACCOUNT_ENV)
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
        if self._account_id is None and os.environ.get(ACCOUNT_ENV):
            _check_account_id(os.environ[ACCOUNT_ENV], ACCOUNT_ENV)
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
    def __call__(self, target: Callable[P, R]) -> Callable[P, R]: ...

    def __call__(self, target: Any) -> Any:
        if inspect.isclass(target):
            return self._decorate_class(target)
        return self._decorate_callable(target)

    def _fresh(self) -> "MockECR":
        """A mock with the same settings, so one decorated test's state never leaks into another's."""
        return MockECR(account_id=self._account_id, quotas=self.quota_overrides, caller_arn=self.caller_arn)

    def _decorate_callable(self, func: Any) -> Any:
        """Wrap ``func`` so that it runs mocked, whatever its shape (see ``decoration.py``)."""
        return decoration.decorate_callable(self._fresh, func)

    def _decorate_class(self, cls: type) -> type:
        """Mock every test ``cls`` runs (inherited ones too), its per-test hooks and its class set-up."""
        return decoration.decorate_class(self._fresh, cls)

    def _span_setup_and_teardown(self, cls: type) -> None:
        """pytest-style classes: setup_method starts a mock that teardown_method stops."""
        decoration.span_setup_and_teardown(self._fresh, cls)

    # -- snapshots of state ----------------------------------------------------------------
    def snapshot(self) -> Any:
        """An opaque copy of every registry; ``restore`` puts it back (see ``domain/snapshots.py``)."""
        return self._require_active().session.snapshot()

    def restore(self, snapshot: Any) -> None:
        """Make every registry what it was at ``snapshot``; calls and faults are untouched."""
        self._require_active().session.restore(snapshot)

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
            operation,
            code,
            count=count,
            message=message,
            region=region,
            account_id=account_id,
            rate=rate,
            seed=seed,
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
            session.backend,
            self.account_id,
            session.region,
            repository_name,
            tag,
            layers=layers,
            layer_size=layer_size,
            media_type=media_type,
            region=region,
            account_id=account_id,
            create_repository=create_repository,
        )

    def state(self, *, region: str | None = None, account_id: str | None = None) -> RegistryState:
        """A read-only snapshot of one registry (default: this mock's account, default region)."""
        from .tooling.inspection import registry_state

        activation = self._require_active()
        return registry_state(activation.backend, account_id or self.account_id, region or activation.default_region())

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

    # -- pull through cache upstreams (tooling/upstreams.py) -------------------------------
    def seed_upstream(
        self,
        upstream: str,
        repository_name: str,
        tag: str,
        *,
        layers: int | Sequence[bytes] = 2,
        layer_size: int = DEFAULT_LAYER_SIZE,
        media_type: Literal["docker", "oci"] = "docker",
    ) -> SeededImage:
        """Make a public upstream registry hold an image, for pull through cache rules to import.

        ``upstream``: an ``upstreamRegistry`` name (``"docker-hub"``, ``"quay"``...) or the
        host a rule names (``"registry-1.docker.io"``, ``"NAME.azurecr.io"``). The image is
        described as ``push_image`` describes one.
        """
        from .tooling.upstreams import seed_upstream

        return seed_upstream(
            self._require_active().backend,
            upstream,
            repository_name,
            tag,
            layers=layers,
            layer_size=layer_size,
            media_type=media_type,
        )

    def set_upstream_failure(self, upstream: str, code: str | None) -> None:
        """Make every pull from ``upstream`` fail with ``code`` (``"UpstreamAccessDenied"``,
        ``"UpstreamTooManyRequests"``, ``"UpstreamUnavailable"``), or answer again (None)."""
        from .tooling.upstreams import set_upstream_failure

        set_upstream_failure(self._require_active().backend, upstream, code)

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
            activation.backend,
            account_id or self.account_id,
            region or activation.default_region(),
            repository_name,
            tag_or_digest,
            findings,
            severity_counts,
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
            activation.backend,
            account_id or self.account_id,
            region or activation.default_region(),
            repository_name,
            tag_or_digest,
            description,
        )

    def fail_signing(
        self,
        signing_profile_arn: str,
        code: str = messages.SIGNING_FAILURE[0],
        reason: str = messages.SIGNING_FAILURE[1],
        *,
        region: str | None = None,
        account_id: str | None = None,
    ) -> None:
        """Make managed signing with ``signing_profile_arn`` fail from now on: pushes it would
        sign answer FAILED with ``code`` / ``reason`` in DescribeImageSigningStatus."""
        activation = self._require_active()
        store = activation.backend.store(account_id or self.account_id, region or activation.default_region())
        with store.lock:
            signing.fail_signing(store.settings, signing_profile_arn, code, reason)

    # -- server mode (transports/server) ----------------------------------------------------
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Server:
        """Answer this mock's ECR over HTTP at ``server.url``, sharing its state, until the mock stops.

        For the AWS CLI, other SDKs and other processes (``endpoint_url=server.url``). ``port=0``
        picks a free port; ``server.stop()`` stops it sooner. Needs the ``server`` extra.
        """
        return self._require_active().serve(host, port)


@overload
def mock_ecr(
    target: None = None,
    /,
    *,
    account_id: str | None = None,
    quotas: dict[str, int] | None = None,
    caller_arn: str | None = None,
) -> MockECR: ...
@overload
def mock_ecr(target: type[T], /) -> type[T]: ...
@overload
def mock_ecr(target: Callable[P, R], /) -> Callable[P, R]: ...


def mock_ecr(
    target: Any = None,
    /,
    *,
    account_id: str | None = None,
    quotas: dict[str, int] | None = None,
    caller_arn: str | None = None,
) -> Any:
    """Mock Amazon ECR for every botocore client while active.

    ``@mock_ecr`` / ``@mock_ecr(...)`` on a test function, method or class;
    ``with mock_ecr() as m:``; or ``m = mock_ecr(); m.start(); ...; m.stop()``.
    ``quotas`` overrides service quotas by name (``Quotas`` in ``backend/quotas.py``).
    ``caller_arn`` is the principal calls come from (pull-time update exclusions match it);
    its account must be the mock's.
    """
    if target is not None and not callable(target) and not isinstance(target, (staticmethod, classmethod)):
        raise TypeError(
            "mock_ecr takes only keyword arguments (account_id=..., quotas=...) or the function or class"
            f" it decorates; got {target!r} ({type(target).__name__})"
        )
    mock = MockECR(account_id=account_id, quotas=quotas, caller_arn=caller_arn)
    if target is None:
        return mock
    return mock(target)
