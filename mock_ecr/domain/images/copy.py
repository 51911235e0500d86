"""Copying an image from one registry to another, the write replication and pull-through
caching will make.

It holds both registries' locks for the whole copy, taken in the global order
``Backend.locked`` defines, so copies running in opposite directions at once neither
deadlock nor interleave (see ``domain.store``).
"""

from __future__ import annotations

import datetime as _dt

from ... import messages
from ...errors import ImageNotFoundException
from ..blobs.buffer import copy_blob
from ..blobs.storage import link_blob, repository_blob
from ..repositories import get_repository
from ..store import Backend, RegistryKey
from . import service
from .index import Image


def copy_image(
    backend: Backend,
    source: RegistryKey,
    source_repository: str,
    digest: str,
    target: RegistryKey,
    target_repository: str,
    *,
    tag: str | None = None,
    now: _dt.datetime,
    replica: bool = False,
) -> Image:
    """Push the image ``digest`` of ``source``'s repository into ``target``'s, tagged ``tag``.

    The blobs the target repository lacks are linked to it: shared if the target registry
    stores them already, else copied (registries share no files). The push itself is
    ``service.put_image``, with every check a PutImage makes; ``replica`` as there.
    """
    with backend.locked(source, target) as stores:
        source_store, target_store = stores[source], stores[target]
        origin = get_repository(source_store, source_repository)
        destination = get_repository(target_store, target_repository)
        image = origin.images.get(digest)
        if image is None:
            raise ImageNotFoundException(messages.image_not_found(digest, "null", origin.name, origin.registry_id))
        for blob_digest in image.manifest.blob_digests():
            if repository_blob(target_store, destination, blob_digest) is not None:
                continue
            blob = target_store.blobs.blobs.get(blob_digest)
            if blob is None:
                original = repository_blob(source_store, origin, blob_digest)
                if original is None:
                    continue  # put_image reports it as a missing layer
                blob = copy_blob(original)
            link_blob(target_store, destination, blob)
        return service.put_image(
            target_store,
            backend.quotas,
            destination,
            image.manifest_text,
            media_type=image.media_type,
            tag=tag,
            now=now,
            replica=replica,
        )
