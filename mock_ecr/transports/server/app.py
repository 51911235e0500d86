"""The WSGI adapter: a WSGI request becomes a gateway ``HttpRequest``; the answer goes back streamed.

Only conversion happens here, plus what belongs to a door that faces a network: the body
streams (``bodies.py``), so a blob of gigabytes passes a piece at a time; a body cut short
(the client went away mid-request), unreadable (a broken chunked encoding) or too large is
answered 400 or 413 (a JSON request is read whole before it runs, so no call runs on half a
request); an unsigned
JSON API request gets AWS's 403 MissingAuthenticationTokenException; layer URLs
issued while answering point back at the address the client used; and a failure inside
the gateway answers 500 ``InternalFailure`` instead of dropping the connection.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from ...domain.blobs.layer_urls import download_base
from ...gateway import BodyError, Headers, HttpRequest, HttpResponse, route
from .bodies import KnownLengthBody, StreamedBody, UntilEndBody

if TYPE_CHECKING:
    from ...session import Session

StartResponse = Callable[..., Any]
#: WSGI keys that carry request headers without the HTTP_ prefix
_UNPREFIXED = {"CONTENT_TYPE": "content-type", "CONTENT_LENGTH": "content-length"}
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"})


class App:
    """A WSGI application answering every request from ``session`` through the gateway."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            request = _request(environ)
        except _BadBody as error:
            return _send(start_response, _plain_error(400, str(error)), environ)
        token = download_base.set(_origin(environ))
        try:
            response = route(self.session, request, signed_only=True)
        except BodyError as error:  # cut short, badly chunked or too large: answered as the server does
            response = _plain_error(error.status, str(error))
        except Exception:  # noqa: BLE001 - a bug below must not take the connection down with it
            traceback.print_exc(file=sys.stderr)
            response = _plain_error(500, "The request processing has failed because of an unknown error.")
        finally:
            download_base.reset(token)
        return _send(start_response, response, environ)


class _BadBody(Exception):
    pass


def _request(environ: dict[str, Any]) -> HttpRequest:
    headers = Headers()
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").lower()] = value
        elif key in _UNPREFIXED and value:
            headers[_UNPREFIXED[key]] = value
    url = _origin(environ) + (environ.get("REQUEST_URI") or _path(environ))
    return HttpRequest(environ["REQUEST_METHOD"], url, headers, _body(environ))


def _path(environ: dict[str, Any]) -> str:
    from urllib.parse import quote

    path = quote(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""), safe="/:@!$&'()*+,;=-._~")
    query = environ.get("QUERY_STRING")
    return f"{path}?{query}" if query else path


def _origin(environ: dict[str, Any]) -> str:
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"


def _body(environ: dict[str, Any]) -> StreamedBody:
    """The body as a stream the gateway reads (whole, or a piece at a time for blobs)."""
    stream = environ.get("wsgi.input")
    if isinstance(stream, StreamedBody):  # this package's server: read from the socket as asked
        return stream
    # another WSGI server, which decoded any chunked encoding already
    length = environ.get("CONTENT_LENGTH")
    try:
        size = int(length) if length else None
    except ValueError:
        raise _BadBody(f"the Content-Length {length!r} is not a number") from None
    if stream is None:
        size = 0
    return KnownLengthBody(stream, size) if size is not None else UntilEndBody(stream)


def _plain_error(status: int, message: str) -> HttpResponse:
    code = "InternalFailure" if status >= 500 else "BadRequest"
    body = json.dumps({"__type": code, "message": message}).encode()
    return HttpResponse(status, {"Content-Type": "application/x-amz-json-1.1", "Content-Length": str(len(body))}, body)


def _send(start_response: StartResponse, response: HttpResponse, environ: dict[str, Any]) -> Iterable[bytes]:
    status = f"{response.status} {_phrase(response.status)}"
    start_response(status, [(k, v) for k, v in response.headers.items() if k.lower() not in _HOP_BY_HOP])
    body = response.body
    if environ.get("REQUEST_METHOD") == "HEAD":
        _close(body)
        return []
    if isinstance(body, bytes):
        return [body]
    return _Stream(body)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _close(body: Any) -> None:
    close = getattr(body, "close", None)
    if close is not None:
        close()


class _Stream:
    """A streamed body, closed (releasing what it reads from) when the server is done with it."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks

    def close(self) -> None:
        _close(self._chunks)
