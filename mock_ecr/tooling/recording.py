"""The log of ECR calls a mock answered, for tests to assert on what code under test sent.

Recording is always on, so it is kept cheap: one small record appended under a lock per
call. The request members are kept as botocore sent them (the decoded JSON body), except
layer bytes, which are replaced by their size. Every attempt botocore makes is a call: a
request botocore retried shows up once per attempt.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from ..wire.body import DecodedBlob
from . import display

#: request members whose values are layer bytes: the log keeps their size, not a copy
_BLOB_MEMBERS = ("layerPartBlob",)


class Call(NamedTuple):
    """One answered call: what was asked and what was answered (immutable, and cheap to make).

    ``account_id`` is the caller's account (a request may address another registry with
    ``registryId``, which is in ``params``); ``response`` is the result as the mock built it
    (None for an error); ``status`` is the HTTP status botocore saw.
    """

    operation: str
    params: dict[str, Any]
    region: str
    account_id: str
    response: dict[str, Any] | None
    error_code: str | None
    error_message: str | None = None
    status: int = 200

    @property
    def ok(self) -> bool:
        return self.error_code is None

    def __repr__(self) -> str:
        return f"<Call {display.call_summary(self)}>"


class CallLog:
    """Calls in the order they were answered; thread-safe to append and read (each list
    operation used here is atomic in CPython, with or without the GIL, so no lock is taken).

    Iterate it, index it, or ask it: ``filter("PutImage")``, ``filter("BatchDeleteImage",
    repositoryName="app")``, ``filter(error_code="ThrottlingException")``, ``last("PutImage")``,
    ``count("PutImage")``, ``operations()``, ``"PutImage" in calls``. Operation names may be
    given as ECR names (``PutImage``) or boto3 method names (``put_image``).
    """

    def __init__(self) -> None:
        self._calls: list[Call] = []

    def record(
        self,
        operation: str,
        params: dict[str, Any],
        region: str,
        account_id: str,
        response: dict[str, Any] | None,
        error: Exception | None,
    ) -> None:
        for name in _BLOB_MEMBERS:
            if name in params:
                params = {**params, name: f"<{_blob_size(params[name])} bytes>"}
        if error is None:
            call = Call(operation, params, region, account_id, response, None)
        else:
            call = Call(
                operation,
                params,
                region,
                account_id,
                None,
                getattr(error, "code", None),
                getattr(error, "message", None),
                getattr(error, "status", 400),
            )
        self._calls.append(call)

    def clear(self) -> None:
        self._calls.clear()

    # -- sequence -------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Call]:
        return iter(self._snapshot())

    def __len__(self) -> int:
        return len(self._calls)

    def __getitem__(self, index: int) -> Call:
        return self._calls[index]

    def __contains__(self, operation: object) -> bool:
        if not isinstance(operation, str):
            return False
        name = _operation(operation)
        return any(call.operation == name for call in self._snapshot())

    def __repr__(self) -> str:
        calls = self._snapshot()
        head = f"CallLog: {display.plural(len(calls), 'call')}"
        if display.failed(calls):
            head += f", {display.failed(calls)} failed"
        rows = list(display.first(display.call_rows(calls)))
        return "\n".join([head, *display.lines(display.columns(rows), len(calls), "call")])

    def _repr_html_(self) -> str:
        calls = self._snapshot()
        caption = f"{display.plural(len(calls), 'call')}, {display.failed(calls)} failed"
        return display.table(caption, display.CALL_COLUMNS, display.call_rows(calls), len(calls), "call")

    def _snapshot(self) -> list[Call]:
        return self._calls.copy()

    # -- queries --------------------------------------------------------------------------
    def filter(
        self,
        operation: str | None = None,
        *,
        ok: bool | None = None,
        error_code: str | None = None,
        region: str | None = None,
        account_id: str | None = None,
        **params: Any,
    ) -> list[Call]:
        """The calls that match every criterion given, in order.

        ``params`` match request members by equality (``repositoryName="app"``,
        ``imageIds=[{"imageTag": "v1"}]``); a call without the member does not match.
        """
        name = _operation(operation) if operation is not None else None
        missing = object()
        out = []
        for call in self._snapshot():
            if name is not None and call.operation != name:
                continue
            if ok is not None and call.ok is not ok:
                continue
            if error_code is not None and call.error_code != error_code:
                continue
            if region is not None and call.region != region:
                continue
            if account_id is not None and call.account_id != account_id:
                continue
            if params and any(call.params.get(k, missing) != v for k, v in params.items()):
                continue
            out.append(call)
        return out

    def count(self, operation: str | None = None, **criteria: Any) -> int:
        return len(self.filter(operation, **criteria))

    def last(self, operation: str | None = None, **criteria: Any) -> Call:
        """The latest call matching the criteria; LookupError (listing what was called) if none."""
        found = self.filter(operation, **criteria)
        if not found:
            named = [repr(operation)] if operation is not None else []
            wanted = ", ".join(named + [f"{k}={v!r}" for k, v in criteria.items()])
            raise LookupError(f"no recorded ECR call matches {wanted or 'anything'}; calls: {self.operations()}")
        return found[-1]

    def operations(self) -> list[str]:
        """Operation names in call order."""
        return [call.operation for call in self._snapshot()]


def _operation(name: str) -> str:
    """``put_image`` -> ``PutImage``; ECR names pass unchanged."""
    if name[:1].isupper():
        return name
    from .faults import operation_name

    try:
        return operation_name(name)
    except ValueError:
        return name


def _blob_size(encoded: Any) -> int:
    if isinstance(encoded, DecodedBlob):
        return len(encoded.data)
    if not isinstance(encoded, str):
        return 0
    padding = encoded[-2:].count("=")
    return len(encoded) * 3 // 4 - padding
