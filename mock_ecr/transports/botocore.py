"""Where ECR requests leave botocore: answered in-process instead of on the wire.

``botocore.endpoint.Endpoint._send`` is the last step before a prepared, signed request
goes to urllib3. Replacing it on the class while a mock is active reaches every client
(any session, created before or after activation) and leaves botocore's serializing,
signing, retrying and parsing exactly as they are against AWS. Requests of other services
fall through to the original method untouched.
"""

from __future__ import annotations

import inspect
import os
import random
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.awsrequest import AWSResponse
from botocore.credentials import Credentials
from botocore.endpoint import Endpoint
from botocore.signers import RequestSigner

from ..wire import codec as protocol
from ..errors import ECRError

if TYPE_CHECKING:
    from .inprocess import Activation

ENDPOINT_PREFIX = "api.ecr"

_original_send: Callable[[Endpoint, Any], AWSResponse] = Endpoint._send
_active: "Activation | None" = None

#: the access key cannot hold "=": each "Credential=" is scanned only up to the next, so a
#: header repeating it is read in linear time
_SCOPE_REGION = re.compile(r"Credential=[^/,=]+/\d{8}/([^/,]+)/")
_HOST_REGION = re.compile(r"^https?://(?:api\.ecr(?:-fips)?\.|ecr(?:-fips)?\.)([a-z0-9-]+)\.")


class _Body:
    """The ``raw`` of an ``AWSResponse``: botocore only ever calls ``stream()``."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any):
        yield self.data


def _patched_send(self: Endpoint, request: Any) -> AWSResponse:
    activation = _active
    if activation is None or self._endpoint_prefix != ENDPOINT_PREFIX:
        return _original_send(self, request)
    return answer(activation, request)


_original_get_auth_instance = RequestSigner.get_auth_instance
#: botocore releases whose signer takes per-request credentials can be told to sign with ours
_SIGNER_TAKES_CREDENTIALS = "request_credentials" in inspect.signature(_original_get_auth_instance).parameters
_fake_credentials: Credentials | None = None


def _patched_get_auth_instance(self: RequestSigner, *args: Any, **kwargs: Any) -> Any:
    """ECR requests made while the mock is active sign with the mock's fake credentials, also
    those of clients created before it (with real credentials, or none at all)."""
    if _active is not None and self._service_id == "ECR":
        kwargs["request_credentials"] = _fake_credentials
    return _original_get_auth_instance(self, *args, **kwargs)


def install(activation: "Activation", credentials: dict[str, str]) -> None:
    global _active, _fake_credentials
    _active = activation
    Endpoint._send = _patched_send  # type: ignore[method-assign]
    if _SIGNER_TAKES_CREDENTIALS:
        _fake_credentials = Credentials(
            credentials["AWS_ACCESS_KEY_ID"], credentials["AWS_SECRET_ACCESS_KEY"], credentials["AWS_SESSION_TOKEN"]
        )
        RequestSigner.get_auth_instance = _patched_get_auth_instance  # type: ignore[method-assign]


def uninstall() -> None:
    global _active
    _active = None
    Endpoint._send = _original_send  # type: ignore[method-assign]
    RequestSigner.get_auth_instance = _original_get_auth_instance  # type: ignore[method-assign]


def region_of(request: Any, default: str) -> str:
    """The region the request was signed for, else the one its endpoint names."""
    auth = request.headers.get("Authorization")
    if auth:
        if isinstance(auth, bytes):
            auth = auth.decode("latin-1")
        match = _SCOPE_REGION.search(auth)
        if match:
            return match.group(1)
    match = _HOST_REGION.match(request.url)
    return match.group(1) if match else default


def _header(request: Any, name: str) -> str | None:
    value = request.headers.get(name)
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return value


#: request ids come from a private generator: a test's ``random.seed()`` stream is left alone
_ids = random.Random()
os.register_at_fork(after_in_child=_ids.seed)  # a forked worker must not repeat its parent's ids
_ID_MASK = (1 << 128) - 1 - (0xF << 76) - (0x3 << 62)  # clear the version and variant bits
_ID_BITS = (0x4 << 76) | (0x2 << 62)  # version 4, RFC 4122 variant


def new_request_id() -> str:
    """A random (version 4) UUID, as ECR's ``x-amzn-RequestId``; cheaper than ``uuid.uuid4()``."""
    h = f"{_ids.getrandbits(128) & _ID_MASK | _ID_BITS:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def answer(activation: "Activation", request: Any) -> AWSResponse:
    """Run one ECR request against the backend and build botocore's response object."""
    request_id = new_request_id()
    region = region_of(request, activation.default_region())
    try:
        protocol.check_content_type(_header(request, "Content-Type"))
        operation = protocol.operation_from_target(_header(request, "X-Amz-Target"))
        status, body = 200, activation.dispatch(operation, region, protocol.parse_body(request.body))
    except ECRError as error:
        status, body = error.status, protocol.encode_error(error)
    headers = {
        "x-amzn-RequestId": request_id,
        "Content-Type": "application/x-amz-json-1.1",
        "Content-Length": str(len(body)),
    }
    response = AWSResponse(request.url, status, headers, _Body(body))
    response._content = body
    return response
