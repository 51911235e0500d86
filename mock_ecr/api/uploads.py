"""Layer uploads: InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload.

The upload itself (parts in order, quotas, digest check, storing the blob once per
registry) is ``domain.blobs.uploads``; these handlers read params and shape answers.
Uploads in progress are discarded when their repository is deleted or the activation ends.

Wording: ``EmptyUploadException`` and ``LayerPartTooSmallException`` are quoted from
CloudTrail (devcontainers/cli#814, dotnet/sdk-container-builds#424);
``InvalidLayerException`` and the first-byte ``InvalidLayerPartException`` from ECR's
registry endpoint, which relays the API message (dotnet/sdk-container-builds#472,
GoogleContainerTools/kaniko#607). The other texts were not found anywhere and follow
the same phrasing.
"""

from __future__ import annotations

from typing import Any

from ..domain.blobs import uploads
from ..domain.repositories import Repository
from .handlers import RequestContext, repository_for_push, repository_operation


@repository_operation("InitiateLayerUpload", find=repository_for_push)
def initiate_layer_upload(ctx: RequestContext, repository: Repository, params: dict[str, Any]) -> dict[str, Any]:
    upload = uploads.start_upload(ctx.store, repository)
    return {"uploadId": upload.upload_id, "partSize": ctx.backend.quotas.max_layer_part_size}


@repository_operation("UploadLayerPart")
def upload_layer_part(ctx: RequestContext, repository: Repository, params: dict[str, Any]) -> dict[str, Any]:
    upload = uploads.get_upload(ctx.store, repository, params["uploadId"])
    uploads.append_part(
        ctx.backend.quotas, upload, params["layerPartBlob"], params["partFirstByte"], params["partLastByte"]
    )
    return {
        "registryId": repository.registry_id,
        "repositoryName": repository.name,
        "uploadId": upload.upload_id,
        "lastByteReceived": upload.buffer.size - 1,
    }


@repository_operation("CompleteLayerUpload")
def complete_layer_upload(ctx: RequestContext, repository: Repository, params: dict[str, Any]) -> dict[str, Any]:
    upload = uploads.get_upload(ctx.store, repository, params["uploadId"])
    blob = uploads.complete_upload(ctx.store, ctx.backend.quotas, upload, params["layerDigests"])
    return {
        "registryId": repository.registry_id,
        "repositoryName": repository.name,
        "uploadId": upload.upload_id,
        "layerDigest": blob.digest,
    }
