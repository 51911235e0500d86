"""Seeding: push a valid image in one line, through the same ECR actions a client uses.

``push_image`` runs BatchCheckLayerAvailability, InitiateLayerUpload, UploadLayerPart
(in parts of the ``partSize`` InitiateLayerUpload answers), CompleteLayerUpload and
PutImage, plus CreateRepository when the repository is missing. Each request is validated
against the model and answered by the backend's handlers exactly as a botocore request
would be, so the registry ends up as a real push leaves it: blobs stored and linked,
manifest stored, quotas enforced. It skips only the HTTP round trip: seeding is test set-up,
so its calls are not recorded in ``m.calls`` and injected errors do not apply to them.
A refused step raises the ``ECRError`` ECR would answer (e.g. ``LimitExceededException``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..api import handle
from ..domain.store import utcnow
from ..errors import RepositoryAlreadyExistsException
from ..wire import codec as protocol

if TYPE_CHECKING:
    from ..mock import MockECR
    from ..transports.inprocess import Activation

#: manifest, config and layer media types of each ``media_type`` push_image accepts
FORMATS = {
    "docker": (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.container.image.v1+json",
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
    ),
    "oci": (
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.config.v1+json",
        "application/vnd.oci.image.layer.v1.tar+gzip",
    ),
}
DEFAULT_LAYER_SIZE = 1024


@dataclass(frozen=True)
class PushedImage:
    """What ``push_image`` pushed."""

    registry_id: str
    region: str
    repository_name: str
    tag: str | None
    digest: str
    manifest: str
    media_type: str
    config_digest: str
    layer_digests: tuple[str, ...]
    #: the sum of the layer sizes (``imageSizeInBytes`` of DescribeImages)
    size: int

    def __repr__(self) -> str:
        tag = f":{self.tag}" if self.tag is not None else ""
        return (
            f"<PushedImage {self.repository_name}{tag} {self.digest[:19]} {len(self.layer_digests)} layers, "
            f"{self.size} bytes ({self.registry_id}, {self.region})>"
        )

    @property
    def image_id(self) -> dict[str, str]:
        """The ``imageId`` ECR actions take: digest, and tag if one was pushed."""
        image_id = {"imageDigest": self.digest}
        if self.tag is not None:
            image_id["imageTag"] = self.tag
        return image_id


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class _Caller:
    """Runs ECR actions against one activation's backend, as one account in one region."""

    def __init__(self, activation: Activation, account_id: str, region: str, registry_id: str) -> None:
        self.activation = activation
        self.account_id = account_id
        self.region = region
        self.where = {"registryId": registry_id}

    def __call__(self, operation: str, **params: Any) -> dict[str, Any]:
        decoded = protocol.decode_params(operation, {**self.where, **params})
        return handle(self.activation.backend, operation, self.account_id, self.region, decoded)


def push_image(
    mock: MockECR,
    activation: Activation,
    repository_name: str,
    tag: str | None = None,
    *,
    layers: int | Sequence[bytes] = 2,
    layer_size: int = DEFAULT_LAYER_SIZE,
    media_type: str = "docker",
    region: str | None = None,
    account_id: str | None = None,
    create_repository: bool = True,
) -> PushedImage:
    """Push an image of ``layers`` (a number of random layers of ``layer_size`` bytes each,
    or the layers' bytes) to ``repository_name``, tagged ``tag`` if given.

    ``region`` / ``account_id`` choose the registry (default: the mock's account in the
    default region); ``create_repository`` creates the repository if it does not exist.
    """
    if media_type not in FORMATS:
        raise ValueError(f"media_type must be one of {', '.join(FORMATS)}, not {media_type!r}")
    if isinstance(layers, int):
        if layers < 0 or layer_size < 1:
            raise ValueError("layers must be >= 0 and layer_size >= 1")
        blobs = [os.urandom(layer_size) for _ in range(layers)]
    else:
        blobs = [bytes(layer) for layer in layers]
        if not all(blobs):
            raise ValueError("every layer must have at least one byte")
    manifest_type, config_type, layer_type = FORMATS[media_type]
    registry_id = account_id or mock.account_id
    call = _Caller(activation, mock.account_id, region or activation.default_region(), registry_id)

    if create_repository:
        _ensure_repository(call, repository_name)

    layer_digests = [_digest(blob) for blob in blobs]
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "created": utcnow().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": layer_digests},
        },
        separators=(",", ":"),
    ).encode()
    for blob in (config, *blobs):
        _upload_blob(call, repository_name, blob)

    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": manifest_type,
            "config": {"mediaType": config_type, "size": len(config), "digest": _digest(config)},
            "layers": [
                {"mediaType": layer_type, "size": len(blob), "digest": digest}
                for blob, digest in zip(blobs, layer_digests, strict=True)
            ],
        },
        indent=3,
    )
    put: dict[str, Any] = {"repositoryName": repository_name, "imageManifest": manifest,
                           "imageManifestMediaType": manifest_type}
    if tag is not None:
        put["imageTag"] = tag
    call("PutImage", **put)
    return PushedImage(
        registry_id=registry_id,
        region=call.region,
        repository_name=repository_name,
        tag=tag,
        digest=_digest(manifest.encode()),
        manifest=manifest,
        media_type=manifest_type,
        config_digest=_digest(config),
        layer_digests=tuple(layer_digests),
        size=sum(len(blob) for blob in blobs),
    )


def _ensure_repository(call: _Caller, name: str) -> None:
    try:
        call("CreateRepository", repositoryName=name)
    except RepositoryAlreadyExistsException:
        pass


def _upload_blob(call: _Caller, repository_name: str, blob: bytes) -> None:
    """Upload ``blob`` to the repository unless it holds it already, as docker does."""
    digest = _digest(blob)
    where = {"repositoryName": repository_name}
    check = call("BatchCheckLayerAvailability", layerDigests=[digest], **where)
    if any(layer.get("layerAvailability") == "AVAILABLE" for layer in check.get("layers", ())):
        return
    started = call("InitiateLayerUpload", **where)
    upload_id, part_size = started["uploadId"], started["partSize"]
    for first in range(0, len(blob), part_size):
        part = blob[first:first + part_size]
        call(
            "UploadLayerPart", uploadId=upload_id, partFirstByte=first, partLastByte=first + len(part) - 1,
            layerPartBlob=base64.b64encode(part).decode(), **where,
        )
    call("CompleteLayerUpload", uploadId=upload_id, layerDigests=[digest], **where)
