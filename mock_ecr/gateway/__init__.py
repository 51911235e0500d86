"""The gateway: every door's requests, as ``HttpRequest``, answered as ``HttpResponse``."""

from .http import Headers, HttpRequest, HttpResponse
from .router import route

__all__ = ["Headers", "HttpRequest", "HttpResponse", "route"]
