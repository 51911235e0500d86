"""Blob pushes: ``/v2/<name>/blobs/uploads/`` (POST, monolithic POST, mount) and an upload's
PATCH, PUT, GET and DELETE.

An upload here is the domain's upload (``domain.blobs.uploads``), the same an
InitiateLayerUpload starts, so its checks are the API's: the ECR minimum part size between
PATCHes, the part count quota, and the digest check at the end. A PATCH of any size is
one part (docker sends a whole layer in one PATCH) and streams into the upload's buffer a
chunk at a time, outside the registry lock; if it fails half-way it is undone.

Call log: POST as InitiateLayerUpload, PATCH as UploadLayerPart, PUT as CompleteLayerUpload,
as CloudTrail records them; a status GET and a DELETE have no ECR action and are not recorded.
"""

from __future__ import annotations

import re
from typing import Any

from ..domain import pushes
from ..domain.blobs import uploads
from ..domain.blobs.storage import repository_blob
from ..domain.blobs.uploads import Upload
from ..domain.repositories import Repository
from ..domain.store import RegistryStore
from ..errors import ECRError, LayerAlreadyExistsException
from ..gateway.http import HttpRequest, HttpResponse
from ..messages import registry as texts
from .blobs import check_digest
from .calls import Call, Outcome, response
from .errors import RegistryError, from_ecr

_CONTENT_RANGE = re.compile(r"\s*(?:bytes[ =])?\s*(\d+)\s*-\s*(\d+)\s*(?:/\s*(?:\d+|\*))?\s*")


# -- starting ---------------------------------------------------------------------------------


def start(call: Call) -> HttpResponse:
    """POST ``/v2/<name>/blobs/uploads/``: a new upload, a monolithic push (``?digest=``), or a
    mount (``?mount=&from=``; when ECR does not mount, a fresh upload, as ECR answers)."""
    query = dict(call.request.query)
    digest, mounted, source = query.get("digest"), query.get("mount"), query.get("from")
    params = call.params()
    if mounted is not None:
        params.update(mount=mounted, **({"from": source} if source is not None else {}))

    def work(store: RegistryStore) -> Any:
        with pushes.pushing_to(store, call.name, call.now, call.session.quotas) as repository:
            return begin_in(store, repository)

    def begin_in(store: RegistryStore, repository: Repository) -> Any:
        if mounted is not None and source is not None:
            check_digest(mounted)
            other = store.repositories.get(source) if source != call.name else None
            blob = repository_blob(store, repository, mounted)
            if blob is None:
                blob = uploads.mount(store, repository, other, mounted)
            if blob is not None:
                return _created(call, blob.digest), {"layerDigest": blob.digest}
        if digest is not None:
            check_digest(digest)
            if repository_blob(store, repository, digest) is not None:
                return _created(call, digest), {"layerDigest": digest}
        upload = uploads.start_upload(store, repository)
        if digest is not None:
            return upload, uploads.begin_streamed_part(call.session.quotas, upload, None)
        part_size = call.session.quotas.max_layer_part_size
        return _progress(call, upload, 202), {"uploadId": upload.upload_id, "partSize": part_size}

    def body() -> Outcome:
        first, second = call.locked(work)
        if isinstance(first, HttpResponse):
            return first, second
        assert digest is not None
        upload: Upload = first
        failure = _receive(call, upload, None)  # a monolithic push: the body is the blob

        def complete(store: RegistryStore) -> Outcome:
            try:
                return _complete(call, store, upload, second, failure, digest)
            except BaseException:
                if store.uploads.get(upload.upload_id) is upload:
                    uploads.cancel_upload(store, upload)  # nothing of a failed monolithic push stays
                raise

        return call.locked(complete)

    return call.guarded("InitiateLayerUpload", params, body)


# -- one upload --------------------------------------------------------------------------------


def patch(call: Call, upload_id: str) -> HttpResponse:
    """PATCH: one part, streamed in; with ``Content-Range`` it must start where the upload is."""
    span = _content_range(call.request)
    params = call.params(uploadId=upload_id)
    if span is not None:
        params.update(partFirstByte=span[0], partLastByte=span[1])

    def body() -> Outcome:
        upload, mark = call.locked(lambda store: _begin(call, store, upload_id, span))
        failure = _receive(call, upload, span)
        return call.locked(lambda store: _end(call, store, upload, mark, failure))

    return call.guarded("UploadLayerPart", params, body)


def _begin(call: Call, store: RegistryStore, upload_id: str, span: tuple[int, int] | None) -> tuple[Any, Any]:
    upload = _upload(call, store, upload_id)
    declared = call.request.header("Content-Length")
    if span is not None and declared is not None and declared.isdigit() and int(declared) != span[1] - span[0] + 1:
        raise RegistryError("SIZE_INVALID", 400, texts.size_mismatch(span[1] - span[0] + 1, int(declared)))
    try:
        expected = int(declared) if declared is not None and declared.isdigit() else None
        mark = uploads.begin_streamed_part(call.session.quotas, upload, span[0] if span is not None else None, expected)
    except ECRError as error:
        failure = from_ecr(error)
        if failure.status == 416:
            failure.headers.update(_range_headers(call, upload))
        raise failure from None
    return upload, mark


def _receive(call: Call, upload: Any, span: tuple[int, int] | None) -> Exception | None:
    """Stream the body into ``upload`` as one part (no lock held); what went wrong, if anything."""
    try:
        received = upload.buffer.receive(call.request.readinto)
    except Exception as error:  # noqa: BLE001 - the client went away, or the upload was cancelled meanwhile
        return error
    if span is not None and received != span[1] - span[0] + 1:
        return RegistryError("SIZE_INVALID", 400, texts.size_mismatch(span[1] - span[0] + 1, received))
    return None


def _settle(call: Call, store: RegistryStore, upload: Upload, mark: Any, failure: Exception | None) -> None:
    """Under the lock, after ``_receive``: the part is in, or undone and the failure raised."""
    if store.uploads.get(upload.upload_id) is not upload:  # cancelled, or its repository deleted
        raise _unknown_upload(call, store, upload.upload_id)
    uploads.end_streamed_part(upload, mark, failed=failure is not None)
    if failure is not None:
        if isinstance(failure, (RegistryError, ECRError)):
            raise failure
        raise RegistryError("BLOB_UPLOAD_INVALID", 400, f"the chunk could not be read: {failure}") from failure


def _complete(
    call: Call, store: RegistryStore, upload: Any, mark: Any, failure: Exception | None, digest: str
) -> Outcome:
    """Under the lock: the last part in (``_settle``), then the upload completes as ``digest``."""
    _settle(call, store, upload, mark, failure)
    try:
        blob = uploads.complete_upload(store, call.session.quotas, upload, [digest])
    except LayerAlreadyExistsException:
        uploads.cancel_upload(store, upload)  # pushed before: nothing more to store
        return _created(call, digest), {"layerDigest": digest, "uploadId": upload.upload_id}
    recorded = {
        "registryId": call.registry_id,
        "repositoryName": call.name,
        "uploadId": upload.upload_id,
        "layerDigest": blob.digest,
    }
    return _created(call, blob.digest), recorded


def _end(call: Call, store: RegistryStore, upload: Any, mark: Any, failure: Exception | None) -> Outcome:
    _settle(call, store, upload, mark, failure)
    recorded = {
        "registryId": call.registry_id,
        "repositoryName": call.name,
        "uploadId": upload.upload_id,
        "lastByteReceived": upload.buffer.size - 1,
    }
    return _progress(call, upload, 202), recorded


def finish(call: Call, upload_id: str) -> HttpResponse:
    """PUT ``?digest=``: the last part (if the body has one, streamed in), then the digest
    check; 201. A refused PUT leaves the upload as it was, for a retry."""
    digest = dict(call.request.query).get("digest")
    params = call.params(uploadId=upload_id, layerDigests=[digest] if digest is not None else [])
    span = _content_range(call.request)

    def begin(store: RegistryStore) -> tuple[Any, Any]:
        _upload(call, store, upload_id)
        if digest is None:
            raise RegistryError("DIGEST_INVALID", 400, texts.DIGEST_MISSING)
        check_digest(digest)
        return _begin(call, store, upload_id, span)

    def body() -> Outcome:
        upload, mark = call.locked(begin)
        failure = _receive(call, upload, span)
        assert digest is not None
        return call.locked(lambda store: _complete(call, store, upload, mark, failure, digest))

    return call.guarded("CompleteLayerUpload", params, body)


def status(call: Call, upload_id: str) -> HttpResponse:
    """GET: where the upload is (204, ``Range``)."""
    try:
        return call.locked(lambda store: _progress(call, _upload(call, store, upload_id), 204))
    except (RegistryError, ECRError) as error:
        return _refusal(call, error)


def cancel(call: Call, upload_id: str) -> HttpResponse:
    """DELETE: the upload and its bytes are discarded (204)."""

    def work(store: RegistryStore) -> HttpResponse:
        uploads.cancel_upload(store, _upload(call, store, upload_id))
        return response(204)

    try:
        return call.locked(work)
    except (RegistryError, ECRError) as error:
        return _refusal(call, error)


# -- shared -------------------------------------------------------------------------------------


def _upload(call: Call, store: RegistryStore, upload_id: str) -> Any:
    repository = call.repository(store)
    upload = store.uploads.get(upload_id)
    if upload is None or upload.repository is not repository:
        raise _unknown_upload(call, store, upload_id)
    return upload


def _unknown_upload(call: Call, store: RegistryStore, upload_id: str) -> RegistryError:
    try:
        uploads.get_upload(store, call.repository(store), upload_id)
    except ECRError as error:
        return from_ecr(error)
    return RegistryError("BLOB_UPLOAD_UNKNOWN", 404, "blob upload unknown to registry")


def _content_range(request: HttpRequest) -> tuple[int, int] | None:
    value = request.header("Content-Range")
    if value is None:
        return None
    match = _CONTENT_RANGE.fullmatch(value)
    if match is None or int(match.group(2)) < int(match.group(1)):
        raise RegistryError("BLOB_UPLOAD_INVALID", 400, texts.content_range_invalid(value))
    return int(match.group(1)), int(match.group(2))


def _location(call: Call, upload_id: str) -> str:
    return f"/v2/{call.name}/blobs/uploads/{upload_id}"


def _range_headers(call: Call, upload: Any) -> dict[str, str]:
    size = upload.buffer.size
    return {
        "Location": _location(call, upload.upload_id),
        "Range": f"0-{size - 1 if size else 0}",
        "Docker-Upload-UUID": upload.upload_id,
    }


def _progress(call: Call, upload: Any, status: int) -> HttpResponse:
    return response(status, _range_headers(call, upload))


def _created(call: Call, digest: str) -> HttpResponse:
    return response(201, {"Location": f"/v2/{call.name}/blobs/{digest}", "Docker-Content-Digest": digest})


def _refusal(call: Call, error: RegistryError | ECRError) -> HttpResponse:
    failure = from_ecr(error) if isinstance(error, ECRError) else error
    return failure.response(call.head)
