"""Layer downloads: the S3-style answers to the URLs GetDownloadUrlForLayer issued.

A request is answered as S3 would: 403 ``AccessDenied`` "Request has expired" once
``X-Amz-Date`` + ``X-Amz-Expires`` has passed on the freezegun-controlled clock, 403
``SignatureDoesNotMatch`` for an edited URL, 404 ``NoSuchKey`` when the layer is gone (its
repository deleted), else 200 with exactly the blob's bytes, streamed a chunk at a time.
A ``Range`` header is not honoured: the whole object is answered. The same URLs issued by a
server (``/_mock_ecr/layers/REGION/KEY`` on the server's own address) are answered alike.
"""

from __future__ import annotations

import base64
import datetime as _dt
import re
import secrets
import string
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from ..domain.blobs.layer_urls import SERVED_PREFIX, STAMP, served_location
from .http import HttpRequest, HttpResponse

__all__ = ["DOWNLOAD_HOST", "SERVED_PREFIX", "answer"]

if TYPE_CHECKING:
    from ..session import Session

#: the layer-bucket hosts of every partition, e.g. prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com
DOWNLOAD_HOST = re.compile(r"prod-[a-z0-9-]+-starport-layer-bucket\.s3\.[a-z0-9-]+\.[a-z0-9.-]+")
_CHUNK = 1024 * 1024
_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your key and signing method."
)


def answer(session: Session, request: HttpRequest) -> HttpResponse:
    """Answer a GET or HEAD of a layer download URL."""
    head = request.method == "HEAD"
    if request.method not in ("GET", "HEAD"):
        return _s3_error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.", head)
    urls = session.backend.layer_urls
    path, host = request.path, request.host
    if path.startswith(SERVED_PREFIX):
        location = served_location(path)
        if location is None:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.", head, [("Key", path[1:])])
        host, path = location
    params = request.query
    query = dict(params)
    signature = query.get("X-Amz-Signature")
    if signature is None:
        return _s3_error(403, "AccessDenied", "Access Denied", head)
    if not urls.verify(host, path, params, signature):
        return _s3_error(403, "SignatureDoesNotMatch", _SIGNATURE_MISMATCH, head)

    now = _dt.datetime.now(_dt.timezone.utc)
    issued = _dt.datetime.strptime(query["X-Amz-Date"], STAMP).replace(tzinfo=_dt.timezone.utc)
    lifetime = _dt.timedelta(seconds=int(query["X-Amz-Expires"]))
    if now - issued > lifetime:  # (issued + lifetime could pass year 9999)
        expires = issued + lifetime
        return _s3_error(
            403,
            "AccessDenied",
            "Request has expired",
            head,
            [
                ("X-Amz-Expires", query["X-Amz-Expires"]),
                ("Expires", expires.isoformat(timespec="seconds").replace("+00:00", "Z")),
                ("ServerTime", now.isoformat(timespec="seconds").replace("+00:00", "Z")),
            ],
        )

    blob = urls.blob(path)
    if blob is None:
        return _s3_error(404, "NoSuchKey", "The specified key does not exist.", head, [("Key", path[1:])])
    headers = {
        **_request_ids(),
        "Content-Type": "application/octet-stream",
        "Content-Length": str(blob.size),
        "Accept-Ranges": "bytes",
        "Server": "AmazonS3",
    }
    return HttpResponse(200, headers, b"" if head else blob.chunks(_CHUNK))


def _request_ids() -> dict[str, str]:
    alphabet = string.ascii_uppercase + string.digits
    return {
        "x-amz-request-id": "".join(secrets.choice(alphabet) for _ in range(16)),
        "x-amz-id-2": base64.b64encode(secrets.token_bytes(57)).decode(),
    }


def _s3_error(
    status: int, code: str, message: str, head: bool, extra: list[tuple[str, str]] | None = None
) -> HttpResponse:
    """S3's XML error document (a HEAD answer carries no body)."""
    ids = _request_ids()
    members = [
        ("Code", code),
        ("Message", message),
        *(extra or ()),
        ("RequestId", ids["x-amz-request-id"]),
        ("HostId", ids["x-amz-id-2"]),
    ]
    body = (
        b""
        if head
        else (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error>'
            + "".join(f"<{name}>{escape(value)}</{name}>" for name, value in members)
            + "</Error>"
        ).encode()
    )
    return HttpResponse(status, {**ids, "Content-Type": "application/xml", "Server": "AmazonS3"}, body)
