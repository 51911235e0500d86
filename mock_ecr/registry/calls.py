"""One registry request as an ECR call: the registry it addresses, faults, the lock, the call log.

Each registry request stands for the ECR action CloudTrail records it as (a manifest GET is
``BatchGetImage``, a blob PATCH ``UploadLayerPart``...). ``Call.run`` does for it what the
JSON API pipeline does for an action: injected faults for that action first, then the work
under the addressed registry's lock (follow-ups after it), then one entry in ``m.calls``,
whatever the outcome.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from ..domain import naming
from ..domain.repositories import Repository, get_repository
from ..domain.store import RegistryStore, utcnow
from ..errors import ECRError
from ..gateway.http import HttpRequest, HttpResponse
from .errors import RegistryError, from_ecr

if TYPE_CHECKING:
    from ..session import Session

_CHUNK = 1024 * 1024
#: what a piece of work returns: the answer, and the response members the call log keeps
Outcome = tuple[HttpResponse, "dict[str, Any] | None"]


class _Logged(NamedTuple):
    """A refusal as the call log keeps it: the ECR error code where there is one."""

    code: str
    message: str
    status: int


@dataclass
class Call:
    """One authenticated registry request, addressed to ``registry_id`` in ``region``."""

    session: Session
    request: HttpRequest
    registry_id: str
    region: str
    #: the account whose password authenticated the request
    caller: str
    #: the repository the path names ("" for ``/v2/``)
    name: str = ""
    now: _dt.datetime = field(default_factory=utcnow)

    @property
    def head(self) -> bool:
        return self.request.method == "HEAD"

    @property
    def store(self) -> RegistryStore:
        return self.session.backend.store(self.registry_id, self.region)

    @property
    def host(self) -> str:
        return naming.registry_host(self.registry_id, self.region)

    def params(self, **members: Any) -> dict[str, Any]:
        """The request parameters the call log keeps (CloudTrail's ``requestParameters``)."""
        return {"registryId": self.registry_id, "repositoryName": self.name, **members}

    def repository(self, store: RegistryStore) -> Repository:
        return get_repository(store, self.name)

    def run(self, operation: str, params: dict[str, Any], work: Callable[[RegistryStore], Outcome]) -> HttpResponse:
        """Answer the request as ``operation``: faults, ``work`` under the lock, the record."""
        return self.guarded(operation, params, lambda: self.locked(work))

    def locked(self, work: Callable[[RegistryStore], Any]) -> Any:
        """``work(store)`` under the addressed registry's lock (follow-ups after it)."""
        store = self.store
        return self.session.backend.run(store, lambda: work(store))

    def guarded(self, operation: str, params: dict[str, Any], body: Callable[[], Outcome]) -> HttpResponse:
        """Answer the request as ``operation`` with ``body()`` (which takes the lock as it
        needs): injected faults first, a refusal as the registry's error, one record."""
        session = self.session
        try:
            if session.fault_rules:
                session.faults.check(operation, self.region, self.caller, params)
            response, recorded = body()
        except ECRError as error:
            failure = from_ecr(error)
            self.record(operation, params, None, _Logged(error.code, error.message, failure.status))
            return failure.response(self.head)
        except RegistryError as error:
            self.record(operation, params, None, _Logged(error.ecr_code or error.code, error.message, error.status))
            return error.response(self.head)
        self.record(operation, params, recorded, None)
        return response

    def record(self, operation: str, params: dict[str, Any], response: dict[str, Any] | None, error: Any) -> None:
        self.session.calls.record(operation, params, self.region, self.caller, response, error)


def response(status: int, headers: dict[str, str] | None = None, body: Any = b"") -> HttpResponse:
    """A registry answer: the API version header, and ``Content-Length: 0`` for an empty body."""
    out = {"Docker-Distribution-Api-Version": "registry/2.0", **(headers or {})}
    if isinstance(body, bytes) and "Content-Length" not in out:
        out["Content-Length"] = str(len(body))
    return HttpResponse(status, out, body)


def body_chunks(request: HttpRequest) -> Iterator[bytes]:
    """The request body a chunk at a time, whatever form the door handed it in."""
    body = request.body
    if body is None:
        return
    if isinstance(body, (bytes, bytearray, memoryview)):
        if len(body):
            yield bytes(body)
        return
    if isinstance(body, str):
        if body:
            yield body.encode("utf-8")
        return
    if hasattr(body, "read"):
        while True:
            chunk = body.read(_CHUNK)
            if not chunk:
                return
            yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
    for chunk in body:  # an iterable of chunks (requests' generator bodies)
        if chunk:
            yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
