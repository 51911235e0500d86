"""Pushing images through the ECR API the way docker does, for tests.

``upload_blob`` asks BatchCheckLayerAvailability first and uploads only what the
repository lacks (InitiateLayerUpload, UploadLayerPart per part, CompleteLayerUpload);
``push_image`` uploads a config and layers, then PutImage's a manifest naming them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json"
DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"

#: config and layer media types of each image manifest format
BLOB_TYPES = {
    DOCKER_MANIFEST: (
        "application/vnd.docker.container.image.v1+json",
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
    ),
    OCI_MANIFEST: ("application/vnd.oci.image.config.v1+json", "application/vnd.oci.image.layer.v1.tar+gzip"),
}
MIB = 1024 * 1024


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _registry(registry_id: str | None) -> dict[str, str]:
    return {"registryId": registry_id} if registry_id else {}


def upload_blob(
    client: Any, repository: str, data: bytes, *, part_size: int = 10 * MIB, registry_id: str | None = None
) -> str:
    """Make ``data`` a blob of ``repository`` unless it is one already; returns its digest."""
    digest = digest_of(data)
    where = {"repositoryName": repository, **_registry(registry_id)}
    check = client.batch_check_layer_availability(layerDigests=[digest], **where)
    if any(layer.get("layerAvailability") == "AVAILABLE" for layer in check["layers"]):
        return digest
    upload_id = client.initiate_layer_upload(**where)["uploadId"]
    for first in range(0, len(data), part_size):
        part = data[first : first + part_size]
        client.upload_layer_part(
            uploadId=upload_id, partFirstByte=first, partLastByte=first + len(part) - 1, layerPartBlob=part, **where
        )
    client.complete_layer_upload(uploadId=upload_id, layerDigests=[digest], **where)
    return digest


def descriptor(media_type: str, data: bytes) -> dict[str, Any]:
    return {"mediaType": media_type, "size": len(data), "digest": digest_of(data)}


def image_manifest(config: bytes, layers: list[bytes], media_type: str = DOCKER_MANIFEST, **extra: Any) -> str:
    """A schema 2 / OCI image manifest for ``config`` and ``layers`` (plus ``extra`` members)."""
    config_type, layer_type = BLOB_TYPES[media_type]
    document = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": descriptor(config_type, config),
        "layers": [descriptor(layer_type, layer) for layer in layers],
        **extra,
    }
    return json.dumps(document, indent=3)


def index_manifest(children: list[tuple[str, str]], media_type: str = OCI_INDEX, **extra: Any) -> str:
    """A manifest list / OCI index of ``children``, each ``(manifest text, media type)``."""
    platforms = [("amd64", "linux"), ("arm64", "linux"), ("s390x", "linux"), ("ppc64le", "linux")]
    manifests = []
    for number, (text, child_type) in enumerate(children):
        arch, os_name = platforms[number % len(platforms)]
        entry = descriptor(child_type, text.encode())
        entry["platform"] = {"architecture": arch, "os": os_name}
        manifests.append(entry)
    return json.dumps({"schemaVersion": 2, "mediaType": media_type, "manifests": manifests, **extra}, indent=3)


@dataclass
class Pushed:
    digest: str
    manifest: str
    media_type: str
    response: dict[str, Any]
    layers: list[bytes]
    config: bytes


def push_image(
    client: Any,
    repository: str,
    *,
    tag: str | None = None,
    layers: list[bytes] | None = None,
    config: bytes | None = None,
    media_type: str = DOCKER_MANIFEST,
    registry_id: str | None = None,
    **extra: Any,
) -> Pushed:
    """Upload a config and layers to ``repository`` and put an image manifest naming them."""
    layers = [b"layer one", b"layer two!"] if layers is None else layers
    config = config if config is not None else json.dumps({"architecture": "amd64", "os": "linux"}).encode()
    for blob in (config, *layers):
        upload_blob(client, repository, blob, registry_id=registry_id)
    text = image_manifest(config, layers, media_type, **extra)
    response = put_manifest(client, repository, text, tag=tag, registry_id=registry_id)
    return Pushed(digest_of(text.encode()), text, media_type, response, layers, config)


def put_manifest(
    client: Any, repository: str, text: str, *, tag: str | None = None, registry_id: str | None = None, **params: Any
) -> dict[str, Any]:
    if tag is not None:
        params["imageTag"] = tag
    return client.put_image(repositoryName=repository, imageManifest=text, **_registry(registry_id), **params)


def send_raw(client: Any, request: Any) -> Any:
    """Send a prepared request as botocore's endpoint would, answered by the active mock's botocore door."""
    from mock_ecr.transports import botocore as door

    assert door._active is not None, "no mock_ecr is active"
    return door._active.bound(client._endpoint)._send(request)
