"""Seeding: push a valid image in one line, through the domain services a push uses.

``push_image`` does what a docker push does, with the services behind the ECR actions:
creates the repository when missing, skips a blob the repository holds already (as
BatchCheckLayerAvailability would report), uploads the others in parts of the size
InitiateLayerUpload answers (part quotas apply), completes each upload and puts the
manifest. The registry ends up as a real push leaves it: blobs stored and linked, manifest
stored, quotas enforced. No request is encoded or decoded: seeding is test set-up, so its
work is not recorded in ``m.calls`` and injected errors do not apply to it. A refused
step raises the ``ECRError`` ECR would answer (e.g. ``LimitExceededException``), which is
also a ``botocore.exceptions.ClientError`` naming the refused action as
``operation_name``. A layer another push completed first is accepted, as docker accepts
it; a refused upload is cancelled, so no upload is ever left in progress.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..domain.blobs import uploads
from ..domain.blobs.storage import repository_blob
from ..domain.images import service as images
from ..domain.quotas import Quotas
from ..domain.repositories import Repository, create_repository, get_repository
from ..domain.store import RegistryStore, utcnow
from ..errors import ECRError, LayerAlreadyExistsException
from ..wire import codec as protocol

if TYPE_CHECKING:
    from ..domain.store import Backend

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


def push_image(
    backend: Backend,
    caller_account: str,
    default_region: str,
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
    blobs = layer_blobs(layers, layer_size, media_type)
    registry_id = account_id or caller_account
    store = backend.store(registry_id, region or default_region)
    # under the lock; what the push sets off in other registries (replication) runs after it
    return backend.run(
        store, lambda hold: _push(store, backend.quotas, repository_name, tag, blobs, media_type, create_repository)
    )


def layer_blobs(layers: int | Sequence[bytes], layer_size: int, media_type: str) -> list[bytes]:
    """The layers an image description asks for (``push_image``'s ``layers``), checked."""
    if media_type not in FORMATS:
        raise ValueError(f"media_type must be one of {', '.join(FORMATS)}, not {media_type!r}")
    if isinstance(layers, int):
        if layers < 0 or layer_size < 1:
            raise ValueError("layers must be >= 0 and layer_size >= 1")
        return [os.urandom(layer_size) for _ in range(layers)]
    blobs = [bytes(layer) for layer in layers]
    if not all(blobs):
        raise ValueError("every layer must have at least one byte")
    return blobs


def build_image(blobs: list[bytes], media_type: str, now: _dt.datetime) -> tuple[bytes, str]:
    """The config blob and manifest text of an image of ``blobs`` in format ``media_type``."""
    manifest_type, config_type, layer_type = FORMATS[media_type]
    layer_digests = [_digest(blob) for blob in blobs]
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "created": now.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": layer_digests},
        },
        separators=(",", ":"),
    ).encode()
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
    return config, manifest


@contextmanager
def _step(operation: str) -> Iterator[None]:
    """Name the ECR action a refusal of this step answers, as a boto3 ClientError would."""
    try:
        yield
    except ECRError as error:
        if not error.operation_name:
            error.operation_name = operation
        raise


def _push(
    store: RegistryStore,
    quotas: Quotas,
    repository_name: str,
    tag: str | None,
    blobs: list[bytes],
    media_type: str,
    create: bool,
) -> PushedImage:
    manifest_type = FORMATS[media_type][0]
    now = utcnow()
    layer_digests = [_digest(blob) for blob in blobs]
    config, manifest = build_image(blobs, media_type, now)
    with _step("PutImage"):
        _check_arguments(store, repository_name, tag, manifest, manifest_type)

    repository = store.repositories.get(repository_name)
    if repository is None:
        if not create:
            with _step("DescribeRepositories"):
                get_repository(store, repository_name)  # RepositoryNotFoundException
        with _step("CreateRepository"):
            repository = create_repository(
                store, quotas, Repository(store.account_id, store.region, repository_name, now)
            )
    for blob in (config, *blobs):
        _upload_blob(store, quotas, repository, blob)
    with _step("PutImage"):
        images.put_image(store, quotas, repository, manifest, media_type=manifest_type, tag=tag, now=now)
    return PushedImage(
        registry_id=store.account_id,
        region=store.region,
        repository_name=repository_name,
        tag=tag,
        digest=_digest(manifest.encode()),
        manifest=manifest,
        media_type=manifest_type,
        config_digest=_digest(config),
        layer_digests=tuple(layer_digests),
        size=sum(len(blob) for blob in blobs),
    )


def _upload_blob(store: RegistryStore, quotas: Quotas, repository: Repository, blob: bytes) -> None:
    """Upload ``blob`` to the repository unless it holds it already, as docker does."""
    digest = _digest(blob)
    if repository_blob(store, repository, digest) is not None:
        return
    upload = uploads.start_upload(store, repository)
    try:
        part_size = quotas.max_layer_part_size  # InitiateLayerUpload's partSize
        with _step("UploadLayerPart"):
            for first in range(0, len(blob), part_size):
                part = blob[first : first + part_size]
                uploads.append_part(quotas, upload, part, first, first + len(part) - 1)
        with _step("CompleteLayerUpload"):
            uploads.complete_upload(store, quotas, upload, [digest])
    except LayerAlreadyExistsException:
        uploads.cancel_upload(store, upload)  # completed by another push meanwhile: docker accepts it
    except BaseException:
        uploads.cancel_upload(store, upload)
        raise


def _check_arguments(
    store: RegistryStore, repository_name: str, tag: str | None, manifest: str, media_type: str
) -> None:
    """Refuse what the model refuses in the push's PutImage (a repository name off the
    pattern, a tag over 300 characters...) with the InvalidParameterException ECR sends,
    before anything changes."""
    members = {
        "registryId": store.account_id,
        "repositoryName": repository_name,
        "imageManifest": manifest,
        "imageManifestMediaType": media_type,
    }
    if tag is not None:
        members["imageTag"] = tag
    protocol.decode_params("PutImage", members)
