"""Uploaded layers: BatchCheckLayerAvailability and GetDownloadUrlForLayer.

A layer is available in a repository once an upload to that repository completed with
its digest. Downloading it needs more: GetDownloadUrlForLayer refuses a layer no image
of the repository references (LayerInaccessibleException), as ECR does. Download URLs
are S3-style presigned URLs that ``mock_ecr.downloads`` serves through ``responses``
while the mock is active; it is imported (and ``responses`` started) only on the first
GetDownloadUrlForLayer of an activation, so activating the mock stays cheap.

Wording: the LayersNotFoundException text is real (monken/aws-ecr-public#11, cleaned of
the reporter's redaction); the failure reasons and LayerInaccessibleException text were
not found anywhere and follow the wording of their real siblings ("Requested image not
found", "image digest should satisfy the regex ...").
"""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any

from .. import messages
from ..domain.blobs.storage import repository_blob
from ..domain.repositories import Repository, get_repository
from ..errors import LayerInaccessibleException, LayersNotFoundException
from . import pulling
from .handlers import RequestContext, operation, repository_for_push, repository_operation

#: what ECR reports for a layer pushed through the API (API reference example)
DEFAULT_LAYER_MEDIA_TYPE = "application/vnd.docker.image.rootfs.diff.tar.gzip"
_is_digest = re.compile(messages.IMAGE_DIGEST_PATTERN).fullmatch


@repository_operation("BatchCheckLayerAvailability", find=repository_for_push)
def batch_check_layer_availability(
    ctx: RequestContext, repository: Repository, params: dict[str, Any]
) -> dict[str, Any]:
    store = ctx.store
    layers: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for digest in dict.fromkeys(params["layerDigests"]):  # a digest asked for twice is answered once
        if not _is_digest(digest):
            failures.append(
                {
                    "layerDigest": digest,
                    "failureCode": "InvalidLayerDigest",
                    "failureReason": messages.INVALID_LAYER_DIGEST_REASON,
                }
            )
            continue
        blob = repository_blob(store, repository, digest)
        if blob is None:
            failures.append(
                {
                    "layerDigest": digest,
                    "failureCode": "MissingLayerDigest",
                    "failureReason": messages.LAYER_NOT_FOUND_REASON,
                }
            )
            continue
        layers.append(
            {
                "layerDigest": digest,
                "layerAvailability": "AVAILABLE",
                "layerSize": blob.size,
                "mediaType": blob.media_type or DEFAULT_LAYER_MEDIA_TYPE,
            }
        )
    return {"layers": layers, "failures": failures}


def object_key(repository: Repository, digest: str) -> str:
    """Where the layer lives in the (fake) layer bucket: stable per repository and digest.

    Real keys look like ``dc26-653711331788-58b3a0a8-1806-5777-1315-c2d788e36c12/f1bebb74-...``:
    a short hash, the registry, a per-repository id, then a per-object id.
    """
    keys = repository.layer_object_keys
    key = keys.get(digest)
    if key is None:
        folder = repository.layer_folder_id
        if folder is None:
            seed = f"{repository.arn}@{repository.created_at.isoformat()}"
            folder = repository.layer_folder_id = str(uuid.uuid5(uuid.NAMESPACE_URL, seed))
        object_id = str(uuid.uuid4())
        shard = hashlib.sha256(object_id.encode()).hexdigest()[:4]
        key = keys[digest] = f"{shard}-{repository.registry_id}-{folder}/{object_id}"
    return key


@operation("GetDownloadUrlForLayer")
def get_download_url_for_layer(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    store = ctx.store
    digest = params["layerDigest"]
    pulling.import_layer(ctx, params["repositoryName"], digest)
    repository = get_repository(store, params["repositoryName"])
    if repository_blob(store, repository, digest) is None:
        raise LayersNotFoundException(messages.layer_not_found(digest, repository.name, store.account_id))
    if not repository.blob_refs[digest]:
        raise LayerInaccessibleException(messages.layer_inaccessible(digest, repository.name, store.account_id))
    url = ctx.backend.layer_urls.presign(store, repository, digest, object_key(repository, digest), ctx.now)
    return {"downloadUrl": url, "layerDigest": digest}
