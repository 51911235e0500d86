"""The router: which part of the gateway answers a request, by host and path.

* layer-bucket hosts, and ``/_mock_ecr/layers/`` on a server: layer downloads;
* ``/_mock_ecr/``: the control API, for tests that drive a server from outside Python;
* everything else: the ECR JSON API (which ECR answers at any path).

The registry API (``/v2/``) gets its branch here once it exists. The checks are plain
substring tests on the URL so a JSON API call, the hot path, pays next to nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import control, downloads, json_api
from .http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from ..session import Session

CONTROL_PREFIX = control.PREFIX


def is_download(request: HttpRequest) -> bool:
    return downloads.DOWNLOAD_HOST.fullmatch(request.host) is not None


def route(session: Session, request: HttpRequest, *, signed_only: bool = False) -> HttpResponse:
    """Answer ``request`` against ``session``.

    ``signed_only``: a JSON API request without ``Authorization`` gets AWS's 403 (for doors
    that face other clients than botocore, which always signs)."""
    url = request.url
    if "starport-layer-bucket" in url and is_download(request):
        return downloads.answer(session, request)
    if CONTROL_PREFIX in url:
        path = request.path
        if path.startswith(downloads.SERVED_PREFIX):
            return downloads.answer(session, request)
        if path.startswith(CONTROL_PREFIX):
            return control.answer(session, request)
    return json_api.answer(session, request, signed_only)


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
