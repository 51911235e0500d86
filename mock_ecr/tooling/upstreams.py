"""Seeding the public upstreams of pull through cache rules: what Docker Hub, Quay... hold.

``seed_upstream`` puts an image (described as ``push_image`` describes one) in an upstream
repository under a tag; a pull through a rule for that upstream imports it from there.
``set_upstream_failure`` makes every pull from an upstream fail with one of the failure
codes ECR reports for upstreams (access denied, throttled, unavailable). An ``ecr``
upstream is a registry of the mock itself: push to it with ``push_image``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..domain.blobs.buffer import BlobBuffer
from ..domain.images import manifests
from ..domain.pull_through import UPSTREAM_HOSTS, upstream_kind
from ..domain.store import Backend, utcnow
from ..domain.upstreams import FAILURES, UpstreamImage, UpstreamRepository
from ..wire import codec as protocol
from .seeding import DEFAULT_LAYER_SIZE, FORMATS, build_image, layer_blobs


@dataclass(frozen=True)
class SeededImage:
    """What ``seed_upstream`` put in an upstream."""

    #: the upstream registry's host (a rule's ``upstreamRegistryUrl``)
    upstream: str
    repository_name: str
    tag: str
    digest: str
    manifest: str
    media_type: str
    config_digest: str
    layer_digests: tuple[str, ...]
    size: int

    def __repr__(self) -> str:
        return (
            f"<SeededImage {self.upstream}/{self.repository_name}:{self.tag} {self.digest[:19]} "
            f"{len(self.layer_digests)} layers, {self.size} bytes>"
        )


def upstream_host(upstream: str) -> str:
    """The host of ``upstream``: an upstreamRegistry name (``docker-hub``) or a host."""
    host = UPSTREAM_HOSTS.get(upstream, upstream)
    found = upstream_kind(host)
    if found is None or found[0] == "ecr":
        if found is not None or upstream == "ecr":
            raise ValueError(f"an ecr upstream is a registry of the mock: push_image() to it, not {upstream!r}")
        names = ", ".join(sorted(UPSTREAM_HOSTS))
        raise ValueError(
            f"unknown upstream {upstream!r}: name one of {names}, or a host ECR supports (e.g. NAME.azurecr.io)"
        )
    return host


def seed_upstream(
    backend: Backend,
    upstream: str,
    repository_name: str,
    tag: str,
    *,
    layers: int | Sequence[bytes] = 2,
    layer_size: int = DEFAULT_LAYER_SIZE,
    media_type: str = "docker",
) -> SeededImage:
    """Make ``upstream``'s repository ``repository_name`` hold an image of ``layers`` tagged
    ``tag`` (moving the tag if it named another image)."""
    host = upstream_host(upstream)
    blobs = layer_blobs(layers, layer_size, media_type)
    config, text = build_image(blobs, media_type, utcnow())
    manifest_type, config_type, layer_type = FORMATS[media_type]
    protocol.decode_params("PutImage", {"repositoryName": repository_name, "imageManifest": text, "imageTag": tag})
    manifest = manifests.parse(text, manifest_type)
    sealed = []
    for data, blob_type in ((config, config_type), *((blob, layer_type) for blob in blobs)):
        buffer = BlobBuffer()
        buffer.append(data)
        sealed.append(buffer.seal(blob_type))
    upstreams = backend.upstreams
    with upstreams.lock:
        registry = upstreams.registry(host)
        repository = registry.repositories.setdefault(repository_name, UpstreamRepository())
        for blob in sealed:
            registry.blobs.add(blob)
        repository.images[manifest.digest] = UpstreamImage(manifest.digest, text, manifest)
        repository.tags[tag] = manifest.digest
    return SeededImage(
        upstream=host,
        repository_name=repository_name,
        tag=tag,
        digest=manifest.digest,
        manifest=text,
        media_type=manifest_type,
        config_digest=sealed[0].digest,
        layer_digests=tuple(blob.digest for blob in sealed[1:]),
        size=sum(len(blob) for blob in blobs),
    )


def set_upstream_failure(backend: Backend, upstream: str, code: str | None) -> None:
    """Make every pull from ``upstream`` fail with ``code`` (None: answer again)."""
    if code is not None and code not in FAILURES:
        raise ValueError(f"code must be one of {', '.join(FAILURES)} or None, not {code!r}")
    host = upstream_host(upstream)
    upstreams = backend.upstreams
    with upstreams.lock:
        upstreams.registry(host).failure = code
