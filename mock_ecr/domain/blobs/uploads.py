"""Layer uploads: start one, append its parts in order, complete or cancel it.

An upload belongs to one repository of one registry. Its parts are streamed into a
``BlobBuffer``, which hashes them as they come (and spools to disk above 8 MiB), so
completing an upload never re-reads its bytes. On success the blob is stored once per
registry and linked to the repository; the upload is gone. Every refusal leaves the upload
exactly as it was, so a client can still fix what it can (upload parts after
EmptyUploadException, resend the right digest after InvalidLayerException).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ... import messages
from ...errors import (
    EmptyUploadException,
    InvalidLayerException,
    InvalidLayerPartException,
    LayerAlreadyExistsException,
    LayerPartTooSmallException,
    UploadNotFoundException,
)
from ..quotas import MIB, Quotas
from .storage import Blob, BlobBuffer, link_blob

if TYPE_CHECKING:
    from ..repositories import Repository
    from ..store import RegistryStore


@dataclass(eq=False)
class Upload:
    upload_id: str
    repository: Repository
    buffer: BlobBuffer


def start_upload(store: RegistryStore, repository: Repository) -> Upload:
    upload = Upload(str(uuid.uuid4()), repository, BlobBuffer())
    store.uploads[upload.upload_id] = upload
    repository.upload_ids.add(upload.upload_id)
    return upload


def get_upload(store: RegistryStore, repository: Repository, upload_id: str) -> Upload:
    """The upload, if it exists and was started in ``repository``, else UploadNotFoundException."""
    upload = store.uploads.get(upload_id)
    if upload is None or upload.repository is not repository:
        raise UploadNotFoundException(messages.upload_not_found(upload_id, repository.name, store.account_id))
    return upload


def append_part(quotas: Quotas, upload: Upload, data: bytes, first: int, last: int) -> None:
    """Append ``data``, which claims to be bytes ``first``..``last`` of the blob."""
    buffer = upload.buffer

    def invalid(message: str) -> InvalidLayerPartException:
        repository = upload.repository
        return InvalidLayerPartException(
            message,
            registryId=repository.registry_id,
            repositoryName=repository.name,
            uploadId=upload.upload_id,
            # nothing received yet has no last byte; the modeled member cannot be negative
            lastValidByteReceived=max(buffer.size - 1, 0),
        )

    if first != buffer.size:
        raise invalid(messages.part_first_byte(first, buffer.size))
    if not data:
        raise invalid(messages.EMPTY_PART)
    if last != first + len(data) - 1:
        raise invalid(messages.part_last_byte(last, first + len(data) - 1))
    if len(data) > quotas.max_layer_part_size:
        raise invalid(messages.part_too_large(len(data), quotas.max_layer_part_size))
    quotas.check_layer_part_count(len(buffer.part_sizes))
    buffer.append(data)


def complete_upload(store: RegistryStore, quotas: Quotas, upload: Upload, layer_digests: list[str]) -> Blob:
    """Store the upload's blob if its digest is one of ``layer_digests``; the upload ends."""
    repository, buffer = upload.repository, upload.buffer
    if not buffer.part_sizes:
        raise EmptyUploadException(messages.empty_upload(upload.upload_id, repository.name, store.account_id))
    min_size = quotas.min_layer_part_size
    if any(size < min_size for size in buffer.part_sizes[:-1]):
        raise LayerPartTooSmallException(messages.part_too_small(min_size // MIB))
    digest = buffer.digest
    # ECR accepts the upload when any one of the given digests is the calculated one
    if digest not in layer_digests:
        raise InvalidLayerException(messages.LAYER_DIGEST_MISMATCH)
    if digest in repository.blob_links:
        raise LayerAlreadyExistsException(messages.layer_exists(digest, repository.name, store.account_id))
    _forget(store, upload)
    return link_blob(store, repository, buffer.seal())


def cancel_upload(store: RegistryStore, upload: Upload) -> None:
    """Discard an upload in progress and its bytes."""
    _forget(store, upload)
    upload.buffer.discard()


def discard_repository_uploads(store: RegistryStore, repository: Repository) -> None:
    """Discard every upload in progress into ``repository`` (it is being deleted)."""
    for upload_id in repository.upload_ids:
        upload = store.uploads.pop(upload_id, None)
        if upload is not None:
            upload.buffer.discard()
    repository.upload_ids = set()


def _forget(store: RegistryStore, upload: Upload) -> None:
    del store.uploads[upload.upload_id]
    upload.repository.upload_ids.discard(upload.upload_id)
