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
from typing import TYPE_CHECKING, Any

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
from ..registry_settings import blob_mounting_enabled
from .blob import Blob
from .buffer import BlobBuffer
from .storage import link_blob

if TYPE_CHECKING:
    from ..repositories import Repository
    from ..store import RegistryStore


@dataclass(eq=False)
class Upload:
    upload_id: str
    repository: Repository
    buffer: BlobBuffer
    #: a streamed part (a registry PATCH) is being received outside the registry lock
    receiving: bool = False


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
        return _invalid_part(upload, message)

    if upload.receiving:
        raise invalid(messages.part_first_byte(first, buffer.size))
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


def begin_streamed_part(
    quotas: Quotas, upload: Upload, first: int | None, expected: int | None = None
) -> tuple[int, int, Any]:
    """Under the lock: accept a part whose bytes will stream in (a registry PATCH, of any
    size) starting at byte ``first`` (None: wherever the upload is). Returns the mark
    ``end_streamed_part`` rolls back to if receiving fails. Until then the upload takes no
    other part and cannot complete. ``expected``: the part's size, when the client said it."""
    buffer = upload.buffer
    if upload.receiving:
        raise _invalid_part(upload, messages.part_first_byte(buffer.size if first is None else first, buffer.size))
    if first is not None and first != buffer.size:
        raise _invalid_part(upload, messages.part_first_byte(first, buffer.size))
    quotas.check_layer_part_count(len(buffer.part_sizes))
    upload.receiving = True
    mark = buffer.mark()
    if expected is not None:
        buffer.expect(expected)
    return mark


def end_streamed_part(upload: Upload, mark: tuple[int, int, Any], *, failed: bool) -> None:
    """Under the lock: the streamed part is in (or, ``failed``, undone)."""
    upload.receiving = False
    if failed:
        upload.buffer.rollback(mark)


def _invalid_part(upload: Upload, message: str) -> InvalidLayerPartException:
    repository = upload.repository
    return InvalidLayerPartException(
        message,
        registryId=repository.registry_id,
        repositoryName=repository.name,
        uploadId=upload.upload_id,
        # nothing received yet has no last byte; the modeled member cannot be negative
        lastValidByteReceived=max(upload.buffer.size - 1, 0),
    )


def complete_upload(store: RegistryStore, quotas: Quotas, upload: Upload, layer_digests: list[str]) -> Blob:
    """Store the upload's blob if its digest is one of ``layer_digests``; the upload ends."""
    repository, buffer = upload.repository, upload.buffer
    if upload.receiving:
        raise _invalid_part(upload, messages.part_first_byte(buffer.size, buffer.size))
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


def mount(store: RegistryStore, repository: Repository, source: Repository | None, digest: str) -> Blob | None:
    """Cross-repository blob mounting: make ``digest`` of ``source`` part of ``repository``.

    ECR mounts only with the registry's BLOB_MOUNTING setting ENABLED, between repositories
    of one registry with the same encryption, and only a layer an image of ``source``
    references (one merely uploaded there is not mountable). Returns the blob mounted, or
    None when nothing is (the client then uploads it)."""
    if source is None or not blob_mounting_enabled(store.settings):
        return None
    if source.encryption != repository.encryption or not source.blob_refs[digest]:
        return None
    blob = store.blobs.blobs.get(digest)
    if blob is None or digest not in source.blob_links:
        return None
    return link_blob(store, repository, blob)
