"""The router: which part of the gateway answers a request, by host and path.

Layer-bucket hosts are layer downloads; everything else is the ECR JSON API. (The
registry API, ``/v2/``, is routed here too once it exists.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import downloads, json_api
from .http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from ..session import Session


def is_download(request: HttpRequest) -> bool:
    return downloads.DOWNLOAD_HOST.fullmatch(request.host) is not None


def route(session: Session, request: HttpRequest) -> HttpResponse:
    """Answer ``request`` against ``session``."""
    if "starport-layer-bucket" in request.url and is_download(request):
        return downloads.answer(session, request)
    return json_api.answer(session, request)


def serves_to_requests(url: str) -> bool:
    """Whether ``url`` is one the gateway answers for ``requests`` clients (layer downloads)."""
    if "starport-layer-bucket" not in url:
        return False
    scheme, _, rest = url.partition("://")
    if scheme not in ("http", "https"):
        return False
    host = rest.split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
    host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return downloads.DOWNLOAD_HOST.fullmatch(host.lower()) is not None
