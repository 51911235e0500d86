"""Activation: one start/stop path behind the decorator, context manager and fixtures.

The first (outermost) mock to start creates an ``Activation``: a fresh backend, the
botocore interception, and fake credentials in the environment. Mocks started inside it
join the same activation (and so share its state); the activation ends, dropping all
state and restoring the environment exactly, when the last of them stops.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TYPE_CHECKING, Any

from ..wire import codec as protocol
from . import botocore as intercept
from ..api import Backend, handle
from ..errors import ECRError
from ..tooling.faults import Faults
from ..tooling.recording import CallLog

if TYPE_CHECKING:
    from ..mock import MockECR

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
ACCOUNT_ENV = "MOCK_ECR_ACCOUNT_ID"

#: environment the mock sets while active so no real credentials are read or used
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIAMOCKECRTESTING00",
    "AWS_SECRET_ACCESS_KEY": "mock-ecr-secret-access-key",
    "AWS_SESSION_TOKEN": "mock-ecr-session-token",
    "AWS_SECURITY_TOKEN": "mock-ecr-session-token",
}
_REGION_VARS = ("AWS_DEFAULT_REGION", "AWS_REGION")
#: environment the mock removes while active: an expiry exported with real credentials
#: (aws-vault, SSO helpers) would make botocore treat the fake ones as expired
_CLEARED_VARS = ("AWS_CREDENTIAL_EXPIRATION",)
#: boto3's default session while a mock is active, kept between activations: it resolved
#: the fake credentials, and reusing it keeps ``boto3.client()`` cheap
_mock_boto3_session: Any = None


def _keep_mock_boto3_session(session: Any) -> None:
    global _mock_boto3_session
    _mock_boto3_session = session


_lock = threading.RLock()
_activation: "Activation | None" = None


class Activation:
    """Everything that exists while at least one mock is active."""

    def __init__(self) -> None:
        self.backend = Backend()
        self.calls = CallLog()
        self.faults = Faults()
        #: the faults by operation; empty (falsy) unless a test injected one
        self.fault_rules = self.faults.rules
        self.mocks: list[MockECR] = []
        self._caller_account = DEFAULT_ACCOUNT_ID
        #: (mock, quota values it replaced) per start of a mock configured with quotas
        self._quota_layers: list[tuple[MockECR, dict[str, int]]] = []
        self._saved_env: dict[str, str | None] = {}
        #: boto3's default session when the mock started (None if there was none)
        self._saved_boto3_session: Any = None
        self._region = DEFAULT_REGION

    # -- lifecycle ------------------------------------------------------------------
    def open(self) -> None:
        env = os.environ
        changes = dict(FAKE_CREDENTIALS)
        if not any(env.get(name) for name in _REGION_VARS):
            changes["AWS_DEFAULT_REGION"] = DEFAULT_REGION
        self._saved_env = {name: env.get(name) for name in (*changes, *_CLEARED_VARS)}
        env.update(changes)
        for name in _CLEARED_VARS:
            env.pop(name, None)
        self._region = env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION") or DEFAULT_REGION
        # boto3.client() reuses a default session, which caches the credentials it first
        # resolved: one made before the mock holds real ones, one made under it fake ones
        boto3 = sys.modules.get("boto3")
        if boto3 is not None:
            self._saved_boto3_session, boto3.DEFAULT_SESSION = boto3.DEFAULT_SESSION, _mock_boto3_session
        intercept.install(self, FAKE_CREDENTIALS)

    def close(self) -> None:
        intercept.uninstall()
        env = os.environ
        for name, value in self._saved_env.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        boto3 = sys.modules.get("boto3")  # perhaps imported only while the mock was active
        if boto3 is not None:
            _keep_mock_boto3_session(boto3.DEFAULT_SESSION)
            boto3.DEFAULT_SESSION = self._saved_boto3_session
        self.backend.close()

    # -- requests -------------------------------------------------------------------
    def default_region(self) -> str:
        return self._region

    def account_id(self) -> str:
        return self._caller_account

    def mocks_changed(self) -> None:
        """The innermost active mock decides the caller's account; resolved once, not per call."""
        self._caller_account = self.mocks[-1].account_id if self.mocks else DEFAULT_ACCOUNT_ID

    def dispatch(self, operation: str, region: str, raw_params: dict[str, Any]) -> bytes:
        """Answer one call: validate, run, record; returns the JSON body or raises."""
        account_id = self.account_id()
        try:
            if self.fault_rules:
                self.faults.check(operation, region, account_id, raw_params)
            params = protocol.decode_params(operation, raw_params)
            result = handle(self.backend, operation, account_id, region, params)
        except ECRError as error:
            self.calls.record(operation, raw_params, region, account_id, None, error)
            raise
        self.calls.record(operation, raw_params, region, account_id, result, None)
        return protocol.encode_result(result)

    # -- quotas and reset -----------------------------------------------------------------
    def apply_quotas(self, mock: "MockECR") -> None:
        """A mock configured with quotas starts: its values apply until it stops."""
        quotas = self.backend.quotas
        self._quota_layers.append((mock, quotas.values(mock.quota_overrides)))
        quotas.update(mock.quota_overrides)

    def restore_quotas(self, mock: "MockECR") -> None:
        for index in range(len(self._quota_layers) - 1, -1, -1):
            if self._quota_layers[index][0] is mock:
                self.backend.quotas.update(self._quota_layers.pop(index)[1])
                return

    def reset(self) -> None:
        """Drop every registry, call and fault; quotas return to what the active mocks configured."""
        old, self.backend = self.backend, Backend()
        old.close()
        for mock, _ in self._quota_layers:
            self.backend.quotas.update(mock.quota_overrides)
        self.faults.clear()
        self.calls.clear()


def join(mock: "MockECR") -> Activation:
    """Start ``mock``: join the current activation, or open one when none is active."""
    global _activation
    with _lock:
        activation = _activation
        if activation is None:
            activation = Activation()
            activation.open()
            _activation = activation
        activation.mocks.append(mock)
        activation.mocks_changed()
        if mock.quota_overrides:
            activation.apply_quotas(mock)
        return activation


def leave(mock: "MockECR") -> None:
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
                break
        activation.mocks_changed()
        if mock.quota_overrides:
            activation.restore_quotas(mock)
        if not activation.mocks:
            _activation = None
            activation.close()
