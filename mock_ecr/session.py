"""A session: everything one mocked ECR holds, independent of how requests reach it.

A session owns the backend (every registry), the call log, the injected faults and the
caller's account. It never touches the process environment or installs anything: the
in-process patch (``transports.inprocess``) and the HTTP server each own a session and
feed requests to it through the gateway.
"""

from __future__ import annotations

import threading
from typing import Any

from .domain import snapshots
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
        #: the account of calls from threads that ``thread_accounts`` does not name
        self.default_account_id = account_id
        #: thread ident -> the account its calls come from (see ``account_id``)
        self.thread_accounts: dict[int, str] = {}
        #: the region of calls whose request names none
        self.region = region
        #: quota values the backend starts from after a reset
        self.quota_overrides: dict[str, int] = {}
        #: the caller's principal ARN for threads ``thread_callers`` does not name (None: the
        #: account's default user, ``domain.principals.default_caller_arn``)
        self.default_caller_arn: str | None = None
        #: thread ident -> the principal its calls come from
        self.thread_callers: dict[int, str | None] = {}

    @property
    def account_id(self) -> str:
        """The account the calling thread's calls come from (and address unless they name
        ``registryId``): its own entry in ``thread_accounts``, else ``default_account_id``."""
        return self.thread_accounts.get(threading.get_ident(), self.default_account_id)

    @account_id.setter
    def account_id(self, account_id: str) -> None:
        """Every thread's account from now on."""
        self.default_account_id = account_id
        self.thread_accounts = {}

    @property
    def caller_arn(self) -> str | None:
        """The principal ARN the calling thread's calls come from (None: the default)."""
        return self.thread_callers.get(threading.get_ident(), self.default_caller_arn)

    @property
    def quotas(self) -> Quotas:
        return self.backend.quotas

    def snapshot(self) -> snapshots.Snapshot:
        """An opaque copy of every registry (calls, faults and quotas are not part of it)."""
        return snapshots.take(self.backend)

    def restore(self, snapshot: Any) -> None:
        """Put the registries of ``snapshot`` back; calls, faults and quotas are untouched."""
        if not isinstance(snapshot, snapshots.Snapshot):
            raise TypeError(f"restore() takes what snapshot() returned, not {type(snapshot).__name__}")
        snapshots.restore(self.backend, snapshot)

    def after_fork(self) -> None:
        """In a forked child: every lock fresh; the state is the child's own copy."""
        self.backend.after_fork()
        self.faults.after_fork()
        me = threading.get_ident()  # the only thread a child has
        self.thread_accounts = {me: self.thread_accounts[me]} if me in self.thread_accounts else {}
        self.thread_callers = {me: self.thread_callers[me]} if me in self.thread_callers else {}

    def reset(self) -> None:
        """Drop every registry, call and fault; quotas return to ``quota_overrides``.

        The registry passwords issued so far stay valid."""
        old, self.backend = self.backend, Backend()
        self.backend.tokens = old.tokens  # passwords issued before a reset stay valid
        old.close()
        self.backend.quotas.update(self.quota_overrides)
        self.faults.clear()
        self.calls.clear()

    def close(self) -> None:
        """Release what the registries hold (temporary files, served URLs)."""
        self.backend.close()
