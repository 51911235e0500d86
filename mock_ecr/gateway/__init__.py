"""The gateway: every door's requests, as ``HttpRequest``, answered as ``HttpResponse``."""

from .http import BodyError, BodyTooLarge, Headers, HttpRequest, HttpResponse
from .router import route

__all__ = ["BodyError", "BodyTooLarge", "Headers", "HttpRequest", "HttpResponse", "route"]
