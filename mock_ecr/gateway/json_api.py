"""The ECR JSON API (AWS JSON 1.1): one pipeline from an ``HttpRequest`` to an ``HttpResponse``.

Steps, in order: request id; for a door that asks (the HTTP server: botocore in-process
always signs), an unsigned request is refused as AWS refuses it, 403
MissingAuthenticationTokenException; region (the SigV4 scope, else the host, else the session's);
Content-Type and ``X-Amz-Target`` pick the operation; then, recorded in the call log
whatever happens: JSON body, injected faults, validation against the model, the
handler, the output check (strict mode), and the JSON encoding of the result or error.
"""

from __future__ import annotations

import os
import random
import re
from typing import TYPE_CHECKING, Any

from ..api import handle
from ..errors import ECRError, MissingAuthenticationTokenException
from ..wire import codec, output
from .http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from ..session import Session

#: the access key cannot hold "=": each "Credential=" is scanned only up to the next, so a
#: header repeating it is read in linear time
_SCOPE_REGION = re.compile(r"Credential=[^/,=]+/\d{8}/([^/,]+)/")
_HOST_REGION = re.compile(r"^(?:https?://)?(?:api\.ecr(?:-fips)?\.|ecr(?:-fips)?\.)([a-z0-9-]+)\.")
_CONTENT_TYPE = "application/x-amz-json-1.1"


def region_of(request: HttpRequest, default: str, auth: str | None = None) -> str:
    """The region the request was signed for, else the one its endpoint names."""
    if auth is None:
        auth = request.header("Authorization")
    if auth:
        match = _SCOPE_REGION.search(auth)
        if match:
            return match.group(1)
    match = _HOST_REGION.match(request.url)
    return match.group(1) if match else default


#: request ids come from a private generator: a test's ``random.seed()`` stream is left alone
_ids = random.Random()
os.register_at_fork(after_in_child=_ids.seed)  # a forked worker must not repeat its parent's ids
_ID_MASK = (1 << 128) - 1 - (0xF << 76) - (0x3 << 62)  # clear the version and variant bits
_ID_BITS = (0x4 << 76) | (0x2 << 62)  # version 4, RFC 4122 variant


def new_request_id() -> str:
    """A random (version 4) UUID, as ECR's ``x-amzn-RequestId``; cheaper than ``uuid.uuid4()``."""
    h = f"{_ids.getrandbits(128) & _ID_MASK | _ID_BITS:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def answer(session: Session, request: HttpRequest, signed_only: bool = False) -> HttpResponse:
    """Answer one ECR JSON API request; with ``signed_only``, one without ``Authorization`` gets 403."""
    request_id = new_request_id()
    auth = request.header("Authorization")
    if signed_only and not auth:
        error = MissingAuthenticationTokenException(MissingAuthenticationTokenException.default_message)
        return _response(error.status, codec.encode_error(error), request_id)
    try:
        codec.check_content_type(request.header("Content-Type"))
        operation = codec.operation_from_target(request.header("X-Amz-Target"))
    except ECRError as error:
        return _response(error.status, codec.encode_error(error), request_id)
    region = region_of(request, session.region, auth)
    status, body = dispatch(session, operation, region, request.read_body())
    return _response(status, body, request_id)


def dispatch(session: Session, operation: str, region: str, body: bytes) -> tuple[int, bytes]:
    """Run one call of ``operation``; every outcome is recorded. Returns (status, JSON body)."""
    account_id = session.account_id
    raw_params: dict[str, Any] = {}
    try:
        raw_params = codec.parse_body(body, operation)
        if session.fault_rules:
            session.faults.check(operation, region, account_id, raw_params)
        params = codec.decode_params(operation, raw_params)
        result = handle(session.backend, operation, account_id, region, params, session.caller_arn)
    except ECRError as error:
        session.calls.record(operation, raw_params, region, account_id, None, error)
        return error.status, codec.encode_error(error)
    if output.strict:
        output.check(operation, result)
    session.calls.record(operation, raw_params, region, account_id, result, None)
    return 200, codec.encode_result(result)


def _response(status: int, body: bytes, request_id: str) -> HttpResponse:
    return HttpResponse(
        status,
        {"x-amzn-RequestId": request_id, "Content-Type": _CONTENT_TYPE, "Content-Length": str(len(body))},
        body,
    )
