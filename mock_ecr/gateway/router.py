"""The router: which part of the gateway answers a request, by host and path.

* layer-bucket hosts, and ``/_mock_ecr/layers/`` on a server: layer downloads;
* ``/_mock_ecr/``: the control API, for tests that drive a server from outside Python;
* ``/v2/``: the registry API (on a server at any host; ``requests`` clients in-process reach
  it at ``ACCOUNT.dkr.ecr.REGION.amazonaws.com`` and the other partitions' hosts);
* everything else: the ECR JSON API (which ECR answers at any path).

The checks are plain substring tests on the URL so a JSON API call, the hot path, pays next
to nothing.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from .. import registry
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
    if "/v2" in url and is_registry_path(request.path):
        return registry.answer(session, request)
    if ".dkr.ecr" in url and _registry_host().fullmatch(request.host) and not request.header("X-Amz-Target"):
        return registry.answer(session, request)  # ECR's registry host answers other paths 404
    return json_api.answer(session, request, signed_only)


def is_registry_path(path: str) -> bool:
    return path == "/v2" or path.startswith("/v2/")


def serves_to_requests(url: str) -> bool:
    """Whether ``url`` is one the gateway answers for ``requests`` clients: layer downloads,
    and ECR's registry hosts (``ACCOUNT.dkr.ecr[-fips].REGION.SUFFIX``), every path of them."""
    download = "starport-layer-bucket" in url
    if not download and ".dkr.ecr" not in url:
        return False
    scheme, _, rest = url.partition("://")
    if scheme not in ("http", "https"):
        return False
    host = rest.split("/", 1)[0]
    host = host.split("?", 1)[0].rsplit("@", 1)[-1]
    host = (host.rsplit(":", 1)[0] if host.count(":") == 1 else host).lower()
    if download:
        return downloads.DOWNLOAD_HOST.fullmatch(host) is not None
    return _registry_host().fullmatch(host) is not None


@lru_cache(maxsize=1)
def _registry_host() -> re.Pattern[str]:
    """ECR's registry hosts in every partition botocore knows (amazonaws.com, .com.cn, ...)."""
    from ..domain.naming import dns_suffixes

    suffixes = "|".join(re.escape(suffix) for suffix in dns_suffixes())
    return re.compile(rf"\d{{12}}\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.(?:{suffixes})")
