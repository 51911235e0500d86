"""Layer uploads: InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload.

An upload belongs to one repository of one registry. Its parts must arrive in order and
are streamed into a ``BlobBuffer``, which hashes them as they come (and spools to disk
above 8 MiB), so completing an upload never re-reads its bytes. On success the blob is
stored once per registry (``link_blob``) and linked to the repository; the upload is
gone. Every failed call leaves the upload exactly as it was, so a client can still fix
what it can (upload parts after EmptyUploadException, resend the right digest after
InvalidLayerException). Uploads in progress are discarded, their buffers closed, when
their repository is deleted or the activation ends.

Wording: ``EmptyUploadException`` and ``LayerPartTooSmallException`` are quoted from
CloudTrail (devcontainers/cli#814, dotnet/sdk-container-builds#424);
``InvalidLayerException`` and the first-byte ``InvalidLayerPartException`` from ECR's
registry endpoint, which relays the API message (dotnet/sdk-container-builds#472,
GoogleContainerTools/kaniko#607). The other texts were not found anywhere and follow
the same phrasing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from ..domain.blobs.storage import BlobBuffer, link_blob, linked_digests
from ..domain.repositories import Repository, get_repository
from ..domain.store import RegistryStore
from ..errors import (
    EmptyUploadException,
    InvalidLayerException,
    InvalidLayerPartException,
    LayerAlreadyExistsException,
    LayerPartTooSmallException,
    UploadNotFoundException,
)
from .handlers import RequestContext, operation
from .repositories import ON_DELETE


@dataclass(eq=False)
class Upload:
    upload_id: str
    repository: Repository
    buffer: BlobBuffer


def _uploads(ctx: RequestContext) -> dict[str, Upload]:
    """The registry's uploads in progress by id, created (and scheduled for cleanup) on first use."""
    uploads = ctx.store.extra.get("uploads")
    if uploads is None:
        uploads = ctx.store.extra["uploads"] = {}
        ctx.backend.cleanups.append(lambda: _discard_all(uploads))
    return uploads


def _discard_all(uploads: dict[str, Upload]) -> None:
    for upload in uploads.values():
        upload.buffer.discard()
    uploads.clear()


def _repository_upload_ids(repository: Repository) -> set[str]:
    return repository.extra.setdefault("upload_ids", set())


def _get_upload(ctx: RequestContext, repository: Repository, upload_id: str) -> Upload:
    """The upload, if it exists and was initiated in ``repository``, else UploadNotFoundException."""
    upload = _uploads(ctx).get(upload_id)
    if upload is None or upload.repository is not repository:
        raise UploadNotFoundException(
            f"The upload with id '{upload_id}' does not exist in the repository with name "
            f"'{repository.name}' in registry with id '{ctx.store.account_id}'"
        )
    return upload


def _on_repository_deleted(store: RegistryStore, repository: Repository) -> None:
    uploads = store.extra.get("uploads")
    if uploads is None:
        return
    for upload_id in repository.extra.pop("upload_ids", ()):
        upload = uploads.pop(upload_id, None)
        if upload is not None:
            upload.buffer.discard()


ON_DELETE.append(_on_repository_deleted)


@operation("InitiateLayerUpload")
def initiate_layer_upload(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    repository = get_repository(ctx.store, params["repositoryName"])
    upload_id = str(uuid.uuid4())
    _uploads(ctx)[upload_id] = Upload(upload_id, repository, BlobBuffer())
    _repository_upload_ids(repository).add(upload_id)
    return {"uploadId": upload_id, "partSize": ctx.backend.quotas.max_layer_part_size}


@operation("UploadLayerPart")
def upload_layer_part(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    store = ctx.store
    repository = get_repository(store, params["repositoryName"])
    upload = _get_upload(ctx, repository, params["uploadId"])
    buffer = upload.buffer
    data: bytes = params["layerPartBlob"]
    first, last = params["partFirstByte"], params["partLastByte"]

    def invalid(message: str) -> InvalidLayerPartException:
        return InvalidLayerPartException(
            message,
            registryId=store.account_id,
            repositoryName=repository.name,
            uploadId=upload.upload_id,
            # nothing received yet has no last byte; the modeled member cannot be negative
            lastValidByteReceived=max(buffer.size - 1, 0),
        )

    if first != buffer.size:
        raise invalid(f"First byte of the layer part is {first} instead of {buffer.size}")
    if not data:
        raise invalid("The layer part must contain at least one byte")
    if last != first + len(data) - 1:
        raise invalid(f"Last byte of the layer part is {last} instead of {first + len(data) - 1}")
    quotas = ctx.backend.quotas
    if len(data) > quotas.max_layer_part_size:
        raise invalid(
            f"The layer part size {len(data)} exceeds the maximum layer part size of "
            f"{quotas.max_layer_part_size} bytes"
        )
    quotas.check_layer_part_count(len(buffer.part_sizes))
    buffer.append(data)
    return {
        "registryId": store.account_id,
        "repositoryName": repository.name,
        "uploadId": upload.upload_id,
        "lastByteReceived": buffer.size - 1,
    }


@operation("CompleteLayerUpload")
def complete_layer_upload(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    store = ctx.store
    repository = get_repository(store, params["repositoryName"])
    upload = _get_upload(ctx, repository, params["uploadId"])
    buffer = upload.buffer
    if not buffer.part_sizes:
        raise EmptyUploadException(
            f"The upload with id '{upload.upload_id}' in the repository with name '{repository.name}' "
            f"in registry with id '{store.account_id}' cannot be completed because it does not have any parts"
        )
    min_size = ctx.backend.quotas.min_layer_part_size
    if any(size < min_size for size in buffer.part_sizes[:-1]):
        raise LayerPartTooSmallException(
            f"All layer parts except the last part should be at least {min_size // (1024 * 1024)}MB"
        )
    digest = buffer.digest
    # ECR accepts the upload when any one of the given digests is the calculated one
    if digest not in params["layerDigests"]:
        raise InvalidLayerException("None of the provided layer digests match the calculated layer digest")
    if digest in linked_digests(repository):
        raise LayerAlreadyExistsException(
            f"The layer with digest '{digest}' already exists in the repository with name "
            f"'{repository.name}' in registry with id '{store.account_id}'"
        )
    del _uploads(ctx)[upload.upload_id]
    _repository_upload_ids(repository).discard(upload.upload_id)
    link_blob(store, ctx.backend, repository, buffer.seal())
    return {
        "registryId": store.account_id,
        "repositoryName": repository.name,
        "uploadId": upload.upload_id,
        "layerDigest": digest,
    }
