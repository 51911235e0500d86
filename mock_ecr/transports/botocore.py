"""The botocore door: ECR requests leaving botocore are answered in-process.

``botocore.endpoint.Endpoint._send`` is the last step before a prepared, signed request
goes to urllib3. Replacing it on the class while a mock is active reaches every client
(any session, created before or after activation) and leaves botocore's serializing,
signing, retrying and parsing exactly as they are against AWS. Requests of other services
fall through to the original method untouched, and so do requests a client sends to the
URL of a server this process runs (``m.serve()``): a client given ``endpoint_url=server.url``
really talks HTTP to it. This module only converts botocore's objects to and from the
gateway's.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from botocore.awsrequest import AWSResponse
from botocore.credentials import Credentials
from botocore.endpoint import Endpoint
from botocore.signers import RequestSigner

from ..gateway import HttpRequest, route

if TYPE_CHECKING:
    from ..session import Session

ENDPOINT_PREFIX = "api.ecr"

_original_send: Callable[[Endpoint, Any], AWSResponse] = Endpoint._send  # type: ignore[attr-defined]
_active: Session | None = None
#: URL prefixes of the servers this process runs (``http://127.0.0.1:PORT/`` ...)
_served: tuple[str, ...] = ()


class _Body:
    """The ``raw`` of an ``AWSResponse``: botocore only ever calls ``stream()``."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


def _patched_send(self: Endpoint, request: Any) -> AWSResponse:
    session = _active
    if session is None or self._endpoint_prefix != ENDPOINT_PREFIX:  # type: ignore[attr-defined]
        return _original_send(self, request)
    if _served and request.url.startswith(_served):
        return _original_send(self, request)
    return answer(session, request)


def answer(session: Session, request: Any) -> AWSResponse:
    """Run one prepared botocore request through the gateway; botocore's response object back."""
    response = route(session, HttpRequest(request.method, request.url, request.headers, request.body))
    body = response.read()
    aws_response = AWSResponse(request.url, response.status, response.headers, _Body(body))  # type: ignore[arg-type]
    aws_response._content = body  # type: ignore[attr-defined]
    return aws_response


_original_get_auth_instance = RequestSigner.get_auth_instance
#: botocore releases whose signer takes per-request credentials can be told to sign with ours
_SIGNER_TAKES_CREDENTIALS = "request_credentials" in inspect.signature(_original_get_auth_instance).parameters
_fake_credentials: Credentials | None = None


def _patched_get_auth_instance(self: RequestSigner, *args: Any, **kwargs: Any) -> Any:
    """ECR requests made while the mock is active sign with the mock's fake credentials, also
    those of clients created before it (with real credentials, or none at all)."""
    if _active is not None and self._service_id == "ECR":  # type: ignore[attr-defined]
        kwargs["request_credentials"] = _fake_credentials
    return _original_get_auth_instance(self, *args, **kwargs)


def install(session: Session, credentials: dict[str, str]) -> None:
    global _active, _fake_credentials
    _active = session
    Endpoint._send = _patched_send  # type: ignore[attr-defined]
    if _SIGNER_TAKES_CREDENTIALS:
        _fake_credentials = Credentials(
            credentials["AWS_ACCESS_KEY_ID"], credentials["AWS_SECRET_ACCESS_KEY"], credentials["AWS_SESSION_TOKEN"]
        )
        RequestSigner.get_auth_instance = _patched_get_auth_instance  # type: ignore[method-assign]


def pass_through(prefixes: tuple[str, ...], on: bool = True) -> None:
    """Let requests to these URL prefixes (a server of this process) go out over HTTP, or stop."""
    global _served
    if on:
        _served = (*_served, *prefixes)
    else:
        remaining = list(_served)
        for prefix in prefixes:
            if prefix in remaining:
                remaining.remove(prefix)
        _served = tuple(remaining)


def uninstall() -> None:
    global _active
    _active = None
    Endpoint._send = _original_send  # type: ignore[attr-defined]
    RequestSigner.get_auth_instance = _original_get_auth_instance  # type: ignore[method-assign]
