"""What the public upstream registries of pull through cache rules hold (Docker Hub, Quay...).

Nothing in the mock reaches a real registry: a test seeds what an upstream holds
(``m.seed_upstream``), and a pull through a rule naming that upstream imports from here.
Upstreams are keyed by registry host (``registry-1.docker.io``, ``myregistry.azurecr.io``)
and shared by every registry of the backend, as the real ones are. An ``ecr`` upstream is
another registry of the same backend and is not kept here.

``lock`` is a leaf: held only for short reads and writes, and no registry lock is taken
while holding it (a registry lock may be held when it is taken).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from .blobs.storage import RegistryBlobs
from .images.manifests import Manifest

#: the failures a test can make an upstream answer (BatchGetImage's ImageFailureCode values)
FAILURES = ("UpstreamAccessDenied", "UpstreamTooManyRequests", "UpstreamUnavailable")


@dataclass(frozen=True)
class UpstreamImage:
    digest: str
    manifest_text: str
    manifest: Manifest


@dataclass
class UpstreamRepository:
    #: digest -> image (an index's child manifests are images of the repository too)
    images: dict[str, UpstreamImage] = field(default_factory=dict)
    #: tag -> digest
    tags: dict[str, str] = field(default_factory=dict)

    def copy(self) -> UpstreamRepository:
        return UpstreamRepository(dict(self.images), dict(self.tags))


@dataclass
class UpstreamRegistry:
    host: str
    repositories: dict[str, UpstreamRepository] = field(default_factory=dict)
    #: the blobs of every image seeded, stored once (shared with registries that import them)
    blobs: RegistryBlobs = field(default_factory=RegistryBlobs)
    #: the ImageFailureCode every pull from this upstream answers, or None (it answers)
    failure: str | None = None

    def copy(self) -> UpstreamRegistry:
        repositories = {name: repository.copy() for name, repository in self.repositories.items()}
        return UpstreamRegistry(self.host, repositories, self.blobs.copy(), self.failure)


class Upstreams:
    """Every public upstream registry a test seeded, by host."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.registries: dict[str, UpstreamRegistry] = {}

    def registry(self, host: str) -> UpstreamRegistry:
        """The upstream at ``host``, added empty if unseeded (call holding ``lock``)."""
        registry = self.registries.get(host)
        if registry is None:
            registry = self.registries[host] = UpstreamRegistry(host)
        return registry

    def copy(self) -> Upstreams:
        """Another holder of the same contents (blobs shared, not copied), for snapshots."""
        twin = Upstreams()
        with self.lock:
            twin.registries = {host: registry.copy() for host, registry in self.registries.items()}
        return twin

    def after_fork(self) -> None:
        self.lock = threading.Lock()

    def close(self) -> None:
        with self.lock:
            registries, self.registries = self.registries, {}
        for registry in registries.values():
            registry.blobs.close()
