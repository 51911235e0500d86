"""The registry's errors: ``{"errors": [{"code", "message", "detail"}]}`` with their HTTP status.

The domain refuses with ECR API errors (``RepositoryNotFoundException``...); ``from_ecr``
turns each into the code and status ECR's registry face answers, keeping the API's text,
which ECR relays (NAME_UNKNOWN "The repository with name 'X' does not exist...", TAG_INVALID
"The image tag ... cannot be overwritten...", MANIFEST_BLOB_UNKNOWN "Layers with digests ...
required for pushing image...", DENIED for quotas).
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import ECRError
from ..gateway.http import HttpResponse

API_VERSION_HEADER = {"Docker-Distribution-Api-Version": "registry/2.0"}

#: ECR API error code -> (registry code, HTTP status)
_FROM_ECR: dict[str, tuple[str, int]] = {
    "RepositoryNotFoundException": ("NAME_UNKNOWN", 404),
    "ImageNotFoundException": ("MANIFEST_UNKNOWN", 404),
    "ImageTagAlreadyExistsException": ("TAG_INVALID", 400),
    "LayersNotFoundException": ("MANIFEST_BLOB_UNKNOWN", 400),
    "ReferencedImagesNotFoundException": ("MANIFEST_BLOB_UNKNOWN", 400),
    "InvalidParameterException": ("MANIFEST_INVALID", 400),
    "ImageDigestDoesNotMatchException": ("DIGEST_INVALID", 400),
    "InvalidLayerException": ("DIGEST_INVALID", 400),
    "UploadNotFoundException": ("BLOB_UPLOAD_UNKNOWN", 404),
    "EmptyUploadException": ("BLOB_UPLOAD_INVALID", 400),
    "LayerPartTooSmallException": ("BLOB_UPLOAD_INVALID", 400),
    "InvalidLayerPartException": ("BLOB_UPLOAD_INVALID", 416),
    "LimitExceededException": ("DENIED", 403),
    "ThrottlingException": ("TOOMANYREQUESTS", 429),
    "TooManyRequestsException": ("TOOMANYREQUESTS", 429),
    "AccessDeniedException": ("DENIED", 403),
    "ServerException": ("UNKNOWN", 500),
    "InternalFailure": ("UNKNOWN", 500),
    "ServiceUnavailable": ("UNAVAILABLE", 503),
}


class RegistryError(Exception):
    """One registry refusal. ``ecr_code`` names the ECR error it stands for, if any (what the
    call log records, as CloudTrail does)."""

    def __init__(
        self, code: str, status: int, message: str, detail: Any = None, *, ecr_code: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.detail = detail
        self.ecr_code = ecr_code
        #: extra response headers (e.g. ``Range`` on a 416)
        self.headers: dict[str, str] = {}

    def response(self, head: bool = False) -> HttpResponse:
        entry: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.detail is not None:
            entry["detail"] = self.detail
        body = json.dumps({"errors": [entry]}).encode()
        headers = {
            **API_VERSION_HEADER,
            "Content-Type": "application/json; charset=utf-8",
            "Content-Length": str(len(body)),
            **self.headers,
        }
        return HttpResponse(self.status, headers, b"" if head else body)


def from_ecr(error: ECRError) -> RegistryError:
    """The registry's answer to a refusal the domain (or an injected fault) raised."""
    found = _FROM_ECR.get(error.code)
    if found is None:
        found = ("UNKNOWN", error.status) if error.status >= 500 else ("DENIED", 403)
    code, status = found
    return RegistryError(code, status, error.message, ecr_code=error.code)


def unauthorized(challenge: str, message: str, head: bool = False) -> HttpResponse:
    """ECR's 401: a plain-text body and the Basic challenge."""
    body = message.encode()
    headers = {
        **API_VERSION_HEADER,
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Length": str(len(body)),
        "WWW-Authenticate": challenge,
    }
    return HttpResponse(401, headers, b"" if head else body)
