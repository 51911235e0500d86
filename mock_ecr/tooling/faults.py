"""Fault injection: chosen ECR calls answer an error instead of running.

``MockECR.inject_error`` adds a ``Fault``; the gateway (``gateway/json_api.py``) asks ``Faults.check``
before it validates or runs a call, but only while some fault is configured: the hot path
tests the truthiness of ``Faults.rules`` and nothing else. A call a fault answers changes
no state; it is recorded in ``m.calls`` with the injected code, like any failed call.

Which codes a fault may answer: every error botocore's ECR model declares for the
operation, plus the errors common to all AWS APIs (the "Common Errors" of the ECR API
reference, and the credential errors AWS JSON services answer). Anything else is refused
when the fault is injected, so a typo fails the test at the line that made it.

Default messages: the wording real ECR (or AWS) uses where it is known and needs only what
the request says (repository not found, throttling, access denied...), else the
documentation text of the error in the model or in the API reference.
"""

from __future__ import annotations

import random
import re
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from botocore import xform_name

from .. import messages
from ..errors import ERRORS_BY_CODE, ECRError
from ..wire import model as protocol

#: inject a fault for every operation
ANY_OPERATION = "*"

#: errors every AWS API may answer: HTTP status and message (see ``messages.COMMON_ERRORS``)
COMMON_ERRORS = messages.COMMON_ERRORS
#: real ECR wording of modeled errors whose text needs only the request's repository
_ECR_TEMPLATES = messages.FAULT_TEMPLATES


class InjectedError(ECRError):
    """An injected error whose code has no class of its own (common AWS errors)."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


# -- what the model allows -------------------------------------------------------------


@cache
def _operations_by_name() -> dict[str, str]:
    names = protocol.service_model().operation_names
    return {**{xform_name(name): name for name in names}, **{name: name for name in names}}


def operation_name(name: str) -> str:
    """The model's name of an ECR operation given as ``PutImage`` or ``put_image``."""
    found = _operations_by_name().get(name)
    if found is None:
        raise ValueError(f"unknown ECR operation {name!r}; give a name such as 'PutImage' or 'put_image'")
    return found


@cache
def declared_errors(operation: str) -> frozenset[str]:
    """Codes the ECR model declares for ``operation`` (for ``*``: those every operation declares)."""
    model = protocol.service_model()
    if operation == ANY_OPERATION:
        sets = [declared_errors(name) for name in model.operation_names]
        return frozenset.intersection(*sets)
    return frozenset(shape.name for shape in model.operation_model(operation).error_shapes)


def _check_code(operation: str, code: str) -> None:
    if code in COMMON_ERRORS or code in declared_errors(operation):
        return
    what = "every operation" if operation == ANY_OPERATION else operation
    raise ValueError(
        f"{what} cannot answer {code!r}. ECR's model declares for it: {', '.join(sorted(declared_errors(operation)))}; "
        f"common AWS errors: {', '.join(sorted(COMMON_ERRORS))}"
    )


@cache
def _documentation(code: str) -> str:
    """The model's documentation of an error shape as plain text."""
    try:
        html = protocol.service_model().shape_for(code).documentation or ""
    except Exception:  # noqa: BLE001 - a code the model does not name has no documentation
        html = ""
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()
    return text or code


@cache
def _modeled_status(code: str) -> int:
    """The HTTP status of a modeled error mock_ecr has no class for (a newer botocore's)."""
    shape = protocol.service_model().shape_for(code)
    declared = shape.metadata.get("error", {}).get("httpStatusCode")
    return declared or (500 if shape.metadata.get("fault") else 400)


# -- faults ------------------------------------------------------------------------------


@dataclass(eq=False)
class Fault:
    """One injected error, as ``inject_error`` returns it.

    ``remaining`` is how many more calls it will answer (None: no limit); ``fired`` how many
    it has answered so far. ``active`` is False once it is used up or cleared.
    """

    operation: str
    code: str
    remaining: int | None
    message: str | None = None
    region: str | None = None
    account_id: str | None = None
    rate: float | None = None
    fired: int = 0
    active: bool = True
    _random: random.Random | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        where = "".join(
            f", {name} {value}"
            for name, value in (("rate", self.rate), ("region", self.region), ("account", self.account_id))
            if value is not None
        )
        left = "no limit" if self.remaining is None else f"{self.remaining} left"
        state = "active" if self.active else "inactive"
        return f"<Fault {self.operation} -> {self.code}: {left}, fired {self.fired}{where}, {state}>"

    def applies(self, region: str, registry: Callable[[], str]) -> bool:
        if self.region is not None and self.region != region:
            return False
        if self.account_id is not None and self.account_id != registry():
            return False
        return self._random is None or self._random.random() < self.rate  # type: ignore[operator]

    def error(self, operation: str, region: str, account_id: str, params: dict[str, Any]) -> ECRError:
        """The error this fault answers for one call."""
        cls = None if self.code in COMMON_ERRORS else ERRORS_BY_CODE.get(self.code)
        if self.code in COMMON_ERRORS:
            status, template = COMMON_ERRORS[self.code]
        else:
            status = cls.status if cls is not None else _modeled_status(self.code)
            template = _ECR_TEMPLATES.get(self.code) or _documentation(self.code)
        message = self.message
        if message is None:
            message = _render(template, operation, region, account_id, params) or _documentation(self.code)
        if cls is not None:
            return cls(message)
        return InjectedError(self.code, status, message)


def _render(template: str, operation: str, region: str, account_id: str, params: dict[str, Any]) -> str | None:
    """``template`` filled from the call, or None if the call lacks something it names."""
    if "{" not in template:
        return template
    from ..domain import naming

    registry = params.get("registryId") or account_id
    repository = params.get("repositoryName")
    partition = naming.partition_of(region)[0]
    fields = {
        "operation": operation,
        "account": account_id,
        "registry": registry,
        "region": region,
        "partition": partition,
        "resource": naming.repository_arn(registry, region, repository) if repository else "*",
    }
    if repository is not None:
        fields["repository"] = repository
    try:
        return template.format(**fields)
    except KeyError:  # the request does not name what the real text does
        return None


class Faults:
    """The faults of one activation, by operation; thread-safe."""

    def __init__(self) -> None:
        #: operation (or ``*``) -> faults in the order injected; empty when none is configured,
        #: which is all the hot path looks at
        self.rules: dict[str, list[Fault]] = {}
        self._lock = threading.Lock()

    def inject(
        self,
        operation: str,
        code: str,
        *,
        count: int | None,
        message: str | None = None,
        region: str | None = None,
        account_id: str | None = None,
        rate: float | None = None,
        seed: int | None = None,
    ) -> Fault:
        name = ANY_OPERATION if operation == ANY_OPERATION else operation_name(operation)
        _check_code(name, code)
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
            raise ValueError(f"count must be a positive int or None (every call), not {count!r}")
        if rate is not None and not (isinstance(rate, (int, float)) and 0 < rate <= 1):
            raise ValueError(f"rate must be a probability in (0, 1], not {rate!r}")
        if seed is not None and rate is None:
            raise ValueError("seed only applies together with rate")
        fault = Fault(name, code, count, message, region, account_id, rate)
        if rate is not None:
            fault._random = random.Random(seed)
        with self._lock:
            self.rules.setdefault(name, []).append(fault)
        return fault

    def after_fork(self) -> None:
        """In a forked child: a fresh lock."""
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            for faults in self.rules.values():
                for fault in faults:
                    fault.active = False
            self.rules.clear()

    def check(self, operation: str, region: str, account_id: str, params: dict[str, Any]) -> None:
        """Raise the error of the first fault that applies to this call, if any."""
        registry = _registry_of(operation, region, account_id, params)
        with self._lock:
            fault = self._take(operation, region, registry) or self._take(ANY_OPERATION, region, registry)
        if fault is not None:
            raise fault.error(operation, region, account_id, params)

    def _take(self, key: str, region: str, registry: Callable[[], str]) -> Fault | None:
        faults = self.rules.get(key)
        if not faults:
            return None
        for index, fault in enumerate(faults):
            if fault.applies(region, registry):
                fault.fired += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        fault.active = False
                        del faults[index]
                        if not faults:
                            del self.rules[key]
                return fault
        return None


def _registry_of(operation: str, region: str, account_id: str, params: dict[str, Any]) -> Callable[[], str]:
    """The account whose registry the call addresses (computed only if a fault asks)."""

    def registry() -> str:
        from ..api import HANDLERS

        entry = HANDLERS.get(operation)
        if entry is None:
            return params.get("registryId") or account_id
        ctx = types.SimpleNamespace(account_id=account_id, region=region)
        try:
            return entry[1](ctx, params)[0]  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - a malformed request addresses the caller's registry
            return account_id

    return registry
