"""A session: everything one mocked ECR holds, independent of how requests reach it.

A session owns the backend (every registry), the call log, the injected faults and the
caller's account. It never touches the process environment or installs anything: the
in-process patch (``transports.inprocess``) and the HTTP server each own a session and
feed requests to it through the gateway.
"""

from __future__ import annotations

from .domain.quotas import Quotas
from .domain.store import Backend
from .tooling.faults import Faults
from .tooling.recording import CallLog

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
ACCOUNT_ENV = "MOCK_ECR_ACCOUNT_ID"


class Session:
    """State and test tooling of one mocked ECR; ``reset`` empties it in place."""

    def __init__(self, *, account_id: str = DEFAULT_ACCOUNT_ID, region: str = DEFAULT_REGION) -> None:
        self.backend = Backend()
        self.calls = CallLog()
        self.faults = Faults()
        #: the faults by operation; empty (falsy) unless a test injected one
        self.fault_rules = self.faults.rules
        #: the account calls come from (and address unless they name ``registryId``)
        self.account_id = account_id
        #: the region of calls whose request names none
        self.region = region
        #: quota values the backend starts from after a reset
        self.quota_overrides: dict[str, int] = {}

    @property
    def quotas(self) -> Quotas:
        return self.backend.quotas

    def reset(self) -> None:
        """Drop every registry, call and fault; quotas return to ``quota_overrides``.

        Whoever serves the layer URLs keeps serving those the new backend issues."""
        old, self.backend = self.backend, Backend()
        self.backend.layer_urls.on_first_issue = old.layer_urls.on_first_issue
        old.close()
        self.backend.quotas.update(self.quota_overrides)
        self.faults.clear()
        self.calls.clear()

    def close(self) -> None:
        """Release what the registries hold (temporary files, served URLs)."""
        self.backend.close()
