"""The registry's routes: which registry a request addresses, its authentication, its endpoint.

The registry addressed is the one the ``Host`` names when it has ECR's form
``ACCOUNT.dkr.ecr[-fips].REGION.<anything>``; else (a server reached as ``localhost:PORT``)
the session's own account and region. Every request is authenticated first (``auth``), as
ECR answers 401 before it looks at the path. An unknown path gets ECR's plain-text
"404 page not found"; a known path with another method, 405 UNSUPPORTED.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import unquote

from ..gateway.http import HttpRequest, HttpResponse
from ..messages import registry as texts
from . import blobs, listing, manifests, uploads
from .auth import authenticate
from .calls import Call, response
from .errors import RegistryError

if TYPE_CHECKING:
    from ..session import Session

#: ``ACCOUNT.dkr.ecr.REGION.`` at the start of a host (the rest, and a port, may be anything)
REGISTRY_HOST = re.compile(r"(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.")
_PATH = re.compile(
    r"/v2/(?P<name>.+?)/(?:"
    r"manifests/(?P<reference>[^/]+)"
    r"|blobs/uploads/(?P<upload>[^/]*)"
    r"|blobs/(?P<digest>[^/]+)"
    r"|(?P<tags>tags/list)"
    r"|referrers/(?P<subject>[^/]+)"
    r")"
)
Endpoint = Callable[[Call], HttpResponse]


def addressed(session: Session, request: HttpRequest) -> tuple[str, str]:
    """(account, region) of the registry the request's host names, else the session's."""
    match = REGISTRY_HOST.match(request.host)
    if match is not None:
        return match.group(1), match.group(2)
    return session.account_id, session.region


def answer(session: Session, request: HttpRequest) -> HttpResponse:
    """Answer one request under ``/v2/``."""
    registry_id, region = addressed(session, request)
    caller = authenticate(session, request, registry_id, region)
    if isinstance(caller, HttpResponse):
        return caller
    path = request.path
    if path in ("/v2", "/v2/"):
        if request.method not in ("GET", "HEAD"):
            return _unsupported(request)
        return response(200, {"Content-Type": "application/json; charset=utf-8"}, b"" if _head(request) else b"{}")
    match = _PATH.fullmatch(path)
    if match is None:
        return _not_found()
    call = Call(session, request, registry_id, region, caller, unquote(match.group("name")))
    endpoint = _endpoint(request.method, match)
    if endpoint is None:
        return _unsupported(request)
    try:
        return endpoint(call)
    except RegistryError as error:  # refused before any ECR action ran
        return error.response(call.head)


def _endpoint(method: str, match: re.Match[str]) -> Endpoint | None:
    reference, upload, digest, subject = (
        match.group("reference"),
        match.group("upload"),
        match.group("digest"),
        match.group("subject"),
    )
    if reference is not None:
        reference = unquote(reference)
        return {
            "GET": lambda call: manifests.pull(call, reference),
            "HEAD": lambda call: manifests.pull(call, reference),
            "PUT": lambda call: manifests.push(call, reference),
            "DELETE": lambda call: manifests.delete(call, reference),
        }.get(method)
    if upload is not None:
        upload_id = unquote(upload)
        if not upload_id:
            return uploads.start if method == "POST" else None
        return {
            "PATCH": lambda call: uploads.patch(call, upload_id),
            "PUT": lambda call: uploads.finish(call, upload_id),
            "GET": lambda call: uploads.status(call, upload_id),
            "DELETE": lambda call: uploads.cancel(call, upload_id),
        }.get(method)
    if digest is not None:
        blob = unquote(digest)
        return (lambda call: blobs.pull(call, blob)) if method in ("GET", "HEAD") else None
    if match.group("tags") is not None:
        return listing.tags if method == "GET" else None
    if subject is not None:
        referred = unquote(subject)
        return (lambda call: listing.list_referrers(call, referred)) if method == "GET" else None
    return None


def _head(request: HttpRequest) -> bool:
    return request.method == "HEAD"


def _unsupported(request: HttpRequest) -> HttpResponse:
    return RegistryError("UNSUPPORTED", 405, texts.UNSUPPORTED).response(_head(request))


def _not_found() -> HttpResponse:
    body = b"404 page not found\n"
    return response(404, {"Content-Type": "text/plain; charset=utf-8"}, body)
