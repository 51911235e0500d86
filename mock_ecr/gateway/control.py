"""The control API under ``/_mock_ecr/``: the test tooling, for clients that are not in Python.

Every door can serve it; in practice the HTTP server does, so shell scripts, other SDKs and
other processes can reset the mock, read its call log, inject faults, run lifecycle
policies and read its state. Bodies are JSON both ways; member names are those of the
Python API (``inject_error``'s keywords, ``apply_lifecycle_policies``'s, the fields of
``m.state()``). A bad request gets 400 with ``{"error": "<what is wrong>"}``; an unknown path
404 and a method the path does not take 405, in the same form.

    GET    /_mock_ecr/health            200 {"status": "ok"}
    POST   /_mock_ecr/reset             drop every registry, call and fault
    GET    /_mock_ecr/calls             the call log; ?operation=PutImage filters it
    POST   /_mock_ecr/faults            inject_error's fields; answers the fault
    DELETE /_mock_ecr/faults            clear every injected fault
    POST   /_mock_ecr/lifecycle/apply   run lifecycle policies; answers the expired images
    GET    /_mock_ecr/state             every registry; ?account_id=&region= picks one
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..api.lifecycle import apply_lifecycle_policies
from ..tooling.faults import Fault
from ..tooling.inspection import RegistryState, RepositoryState, all_registries, registry_state
from .http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from ..session import Session

PREFIX = "/_mock_ecr/"
_JSON = "application/json"
#: the keywords of ``MockECR.inject_error``
_FAULT_FIELDS = ("operation", "code", "count", "message", "region", "account_id", "rate", "seed")
_LIFECYCLE_FIELDS = ("region", "account_id", "repository_name")


class BadRequest(Exception):
    """A control request that cannot be carried out; its text is the answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def answer(session: Session, request: HttpRequest) -> HttpResponse:
    """Answer one control request."""
    name = request.path[len(PREFIX) :].rstrip("/")
    methods = _ROUTES.get(name)
    if methods is None:
        return _json(404, {"error": f"no control endpoint {request.path!r}; endpoints: {_endpoints()}"})
    handler = methods.get(request.method)
    if handler is None:
        allowed = ", ".join(sorted(methods))
        return _json(405, {"error": f"{request.path} takes {allowed}, not {request.method}"}, {"Allow": allowed})
    try:
        return _json(200, handler(session, request))
    except BadRequest as error:
        return _json(error.status, {"error": str(error)})


# -- endpoints ---------------------------------------------------------------------------


def _health(session: Session, request: HttpRequest) -> dict[str, Any]:
    return {"status": "ok", "account_id": session.account_id, "region": session.region}


def _reset(session: Session, request: HttpRequest) -> dict[str, Any]:
    _body(request, ())
    session.reset()
    return {}


def _calls(session: Session, request: HttpRequest) -> dict[str, Any]:
    query = _query(request, ("operation",))
    calls = session.calls.filter(query["operation"]) if "operation" in query else list(session.calls)
    return {
        "calls": [
            {
                "operation": call.operation,
                "params": call.params,
                "region": call.region,
                "account_id": call.account_id,
                "ok": call.ok,
                "status": call.status,
                "error_code": call.error_code,
                "error_message": call.error_message,
                "response": call.response,
            }
            for call in calls
        ]
    }


def _inject(session: Session, request: HttpRequest) -> dict[str, Any]:
    fields = _body(request, _FAULT_FIELDS)
    for required in ("operation", "code"):
        if not isinstance(fields.get(required), str):
            raise BadRequest(f"{required!r} is required: a string (the body takes {', '.join(_FAULT_FIELDS)})")
    if "count" not in fields:
        fields["count"] = None if fields.get("rate") is not None else 1
    operation, code = fields.pop("operation"), fields.pop("code")
    try:
        fault = session.faults.inject(operation, code, **fields)
    except (TypeError, ValueError) as error:
        raise BadRequest(str(error)) from None
    return {"fault": _fault(fault)}


def _clear_faults(session: Session, request: HttpRequest) -> dict[str, Any]:
    session.faults.clear()
    return {}


def _apply_lifecycle(session: Session, request: HttpRequest) -> dict[str, Any]:
    fields = _body(request, _LIFECYCLE_FIELDS)
    for name, value in fields.items():
        if value is not None and not isinstance(value, str):
            raise BadRequest(f"{name!r} must be a string or null, not {value!r}")
    try:
        expired = apply_lifecycle_policies(session.backend, **fields)
    except LookupError as error:
        raise BadRequest(str(error.args[0]), 404) from None
    return {
        "expired": [
            {
                "registry_id": image.registry_id,
                "region": image.region,
                "repository_name": image.repository_name,
                "digest": image.digest,
                "tags": list(image.tags),
                "rule_priority": image.rule_priority,
                "action": image.action,
            }
            for image in expired
        ]
    }


def _state(session: Session, request: HttpRequest) -> dict[str, Any]:
    query = _query(request, ("account_id", "region"))
    if query:
        account_id = query.get("account_id", session.account_id)
        region = query.get("region", session.region)
        return _registry(registry_state(session.backend, account_id, region))
    return {"registries": [_registry(state) for state in all_registries(session.backend)]}


_Handler = Callable[["Session", HttpRequest], dict[str, Any]]
_ROUTES: dict[str, dict[str, _Handler]] = {
    "health": {"GET": _health},
    "reset": {"POST": _reset},
    "calls": {"GET": _calls},
    "faults": {"POST": _inject, "DELETE": _clear_faults},
    "lifecycle/apply": {"POST": _apply_lifecycle},
    "state": {"GET": _state},
}


def _endpoints() -> str:
    return ", ".join(f"{method} {PREFIX}{name}" for name, methods in _ROUTES.items() for method in methods)


# -- request and answer ------------------------------------------------------------------


def _body(request: HttpRequest, allowed: tuple[str, ...]) -> dict[str, Any]:
    """The JSON object of the body (an empty body is ``{}``), holding only ``allowed`` members."""
    data = request.read_body()
    if not data.strip():
        return {}
    try:
        fields = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest(f"the body is not JSON: {error}") from None
    if not isinstance(fields, dict):
        raise BadRequest(f"the body must be a JSON object, not {type(fields).__name__}")
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        takes = ", ".join(allowed) if allowed else "no members"
        raise BadRequest(f"unknown member(s) {', '.join(unknown)}; {request.path} takes {takes}")
    return fields


def _query(request: HttpRequest, allowed: tuple[str, ...]) -> dict[str, str]:
    query = dict(request.query)
    unknown = sorted(set(query) - set(allowed))
    if unknown:
        raise BadRequest(f"unknown query parameter(s) {', '.join(unknown)}; {request.path} takes {', '.join(allowed)}")
    return query


def _fault(fault: Fault) -> dict[str, Any]:
    return {
        "operation": fault.operation,
        "code": fault.code,
        "remaining": fault.remaining,
        "message": fault.message,
        "region": fault.region,
        "account_id": fault.account_id,
        "rate": fault.rate,
    }


def _registry(state: RegistryState) -> dict[str, Any]:
    return {
        "account_id": state.account_id,
        "region": state.region,
        "repositories": [_repository(repository) for repository in state.repositories.values()],
    }


def _repository(repository: RepositoryState) -> dict[str, Any]:
    return {
        "name": repository.name,
        "registry_id": repository.registry_id,
        "region": repository.region,
        "arn": repository.arn,
        "uri": repository.uri,
        "created_at": repository.created_at,
        "tag_mutability": repository.tag_mutability,
        "scan_on_push": repository.scan_on_push,
        "resource_tags": dict(repository.resource_tags),
        "policy_text": repository.policy_text,
        "lifecycle_policy_text": repository.lifecycle_policy_text,
        "image_tags": dict(repository.image_tags),
        "images": [
            {
                "digest": image.digest,
                "tags": list(image.tags),
                "pushed_at": image.pushed_at,
                "last_pulled_at": image.last_pulled_at,
                "size": image.size,
                "media_type": image.media_type,
                "config_digest": image.config_digest,
                "layer_digests": list(image.layer_digests),
            }
            for image in repository.images
        ],
        "layer_digests": sorted(repository.layer_digests),
    }


def _default(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    if hasattr(value, "items"):
        return dict(value.items())
    return str(value)


def _json(status: int, document: dict[str, Any], headers: dict[str, str] | None = None) -> HttpResponse:
    body = json.dumps(document, default=_default).encode()
    return HttpResponse(status, {"Content-Type": _JSON, "Content-Length": str(len(body)), **(headers or {})}, body)
