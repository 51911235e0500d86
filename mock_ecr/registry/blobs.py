"""Blob pulls: HEAD and GET ``/v2/<name>/blobs/<digest>``, with ``Range``.

A blob is pullable from a repository once an upload to it (through either face) completed,
or it was mounted into it. A GET streams the bytes a chunk at a time from the stored blob
(``Blob.stream``: no shared file position, no lock held while the body is sent), so a blob
of any size costs one chunk of memory. Call log: HEAD as BatchCheckLayerAvailability, GET
as GetDownloadUrlForLayer, as CloudTrail records a registry pull's layer requests.
"""

from __future__ import annotations

import re

from ..domain.blobs.storage import repository_blob
from ..domain.store import RegistryStore
from ..gateway.http import HttpResponse
from ..messages import layer_not_found
from ..messages import registry as texts
from .calls import Call, Outcome, response
from .errors import RegistryError

#: what ECR stores blobs under: sha256 digests
DIGEST = re.compile(r"sha256:[a-f0-9]{64}")
_RANGE = re.compile(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*")


def check_digest(digest: str) -> None:
    if DIGEST.fullmatch(digest) is None:
        raise RegistryError("DIGEST_INVALID", 400, texts.digest_unparsable(digest))


def pull(call: Call, digest: str) -> HttpResponse:
    """HEAD or GET of one blob."""
    if call.head:
        params = call.params(layerDigests=[digest])
        return call.run("BatchCheckLayerAvailability", params, lambda store: _answer(call, store, digest))
    params = call.params(layerDigest=digest)
    return call.run("GetDownloadUrlForLayer", params, lambda store: _answer(call, store, digest))


def _answer(call: Call, store: RegistryStore, digest: str) -> Outcome:
    check_digest(digest)
    repository = call.repository(store)
    blob = repository_blob(store, repository, digest)
    if blob is None:
        raise RegistryError(
            "BLOB_UNKNOWN",
            404,
            layer_not_found(digest, repository.name, repository.registry_id),
            {"digest": digest},
            ecr_code="LayersNotFoundException",
        )
    headers = {
        "Content-Type": blob.media_type or "application/octet-stream",
        "Docker-Content-Digest": digest,
        "Accept-Ranges": "bytes",
        "ETag": f'"{digest}"',
    }
    recorded = {"layerDigest": digest, "layerSize": blob.size}
    span = _range(call.request.header("Range"), blob.size)
    if span is None:
        headers["Content-Length"] = str(blob.size)
        return response(200, headers, b"" if call.head else blob.stream(0, blob.size)), recorded
    first, last = span
    headers["Content-Range"] = f"bytes {first}-{last}/{blob.size}"
    headers["Content-Length"] = str(last - first + 1)
    return response(206, headers, b"" if call.head else blob.stream(first, last + 1)), recorded


def _range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte span a ``Range`` header asks for; None for the whole blob.

    Only single ranges are honoured (a list of ranges gets the whole blob, which RFC 9110
    allows); one past the end is refused with 416."""
    if not header or "," in header:
        return None
    match = _RANGE.fullmatch(header)
    if match is None:
        return None
    start, end = match.groups()
    if not start and not end:
        return None
    if not start:  # the last ``end`` bytes
        length = int(end)
        if length == 0 or size == 0:
            raise _unsatisfiable(size)
        return max(size - length, 0), size - 1
    first = int(start)
    last = min(int(end), size - 1) if end else size - 1
    if first >= size or (end and int(end) < first):
        raise _unsatisfiable(size)
    return first, last


def _unsatisfiable(size: int) -> RegistryError:
    error = RegistryError("BLOB_UNKNOWN", 416, texts.RANGE_UNSATISFIABLE)
    error.headers["Content-Range"] = f"bytes */{size}"
    return error
