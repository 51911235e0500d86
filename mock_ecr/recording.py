"""The log of ECR calls a mock answered, for tests to assert on what code under test sent."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

#: request members whose values are layer bytes: the log keeps their size, not a copy
_BLOB_MEMBERS = ("layerPartBlob",)


@dataclass(frozen=True)
class Call:
    """One answered call: what was asked and what was answered."""

    operation: str
    params: dict[str, Any]
    region: str
    account_id: str
    response: dict[str, Any] | None
    error_code: str | None

    @property
    def ok(self) -> bool:
        return self.error_code is None


class CallLog:
    """Calls in the order they were answered; thread-safe to append and read."""

    def __init__(self) -> None:
        self._calls: list[Call] = []
        self._lock = threading.Lock()

    def record(self, operation: str, params: dict[str, Any], region: str, account_id: str,
               response: dict[str, Any] | None, error: Exception | None) -> None:
        for name in _BLOB_MEMBERS:
            if name in params:
                params = {**params, name: f"<{_blob_size(params[name])} bytes>"}
        call = Call(operation, params, region, account_id, response,
                    getattr(error, "code", None) if error is not None else None)
        with self._lock:
            self._calls.append(call)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    def __iter__(self) -> Iterator[Call]:
        return iter(self._snapshot())

    def __len__(self) -> int:
        return len(self._calls)

    def __getitem__(self, index: int) -> Call:
        return self._snapshot()[index]

    def _snapshot(self) -> list[Call]:
        with self._lock:
            return list(self._calls)


def _blob_size(encoded: Any) -> int:
    if not isinstance(encoded, str):
        return 0
    padding = encoded[-2:].count("=")
    return len(encoded) * 3 // 4 - padding
