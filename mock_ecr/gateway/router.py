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
