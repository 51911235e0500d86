"""A read-only view of the mock's state, for assertions.

``m.state()`` snapshots one registry under its lock: repositories with their settings,
images (tags, push and pull times, manifest, layers), the layers uploaded to each
repository, and uploads in progress. Every object in a snapshot is immutable (frozen
dataclasses, tuples, frozensets, read-only mappings) and is a copy, so a test can neither
change the store through it nor see it change under its feet: take a new snapshot to see
later state.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ..domain.images.index import Image
from ..domain.repositories import Repository
from ..domain.store import Backend, RegistryStore


@dataclass(frozen=True)
class ImageState:
    digest: str
    #: in the order they were put on the image
    tags: tuple[str, ...]
    pushed_at: _dt.datetime
    last_pulled_at: _dt.datetime | None
    #: ``imageSizeInBytes`` as DescribeImages answers it
    size: int
    media_type: str
    manifest: str
    config_digest: str | None
    layer_digests: tuple[str, ...]
    #: digests of the child manifests of a manifest list / index
    child_digests: tuple[str, ...]


@dataclass(frozen=True)
class UploadState:
    upload_id: str
    repository_name: str
    bytes_received: int
    parts: int


@dataclass(frozen=True)
class RepositoryState:
    name: str
    registry_id: str
    region: str
    arn: str
    uri: str
    created_at: _dt.datetime
    tag_mutability: str
    scan_on_push: bool
    encryption: Mapping[str, str]
    #: the repository's resource tags (TagResource), not image tags
    resource_tags: Mapping[str, str]
    policy_text: str | None
    lifecycle_policy_text: str | None
    #: in push order
    images: tuple[ImageState, ...]
    #: digests of the blobs (layers and configs) uploaded to the repository
    layer_digests: frozenset[str]
    uploads: tuple[UploadState, ...]

    @property
    def image_tags(self) -> Mapping[str, str]:
        """Image tag -> digest of the image it is on."""
        return MappingProxyType({tag: image.digest for image in self.images for tag in image.tags})

    def image(self, reference: str) -> ImageState:
        """The image with this tag or digest; KeyError if there is none."""
        for image in self.images:
            if image.digest == reference or reference in image.tags:
                return image
        raise KeyError(f"no image tagged or with digest {reference!r} in repository {self.name!r}")


@dataclass(frozen=True)
class RegistryState:
    account_id: str
    region: str
    #: by name, in creation order
    repositories: Mapping[str, RepositoryState]

    @property
    def uploads(self) -> tuple[UploadState, ...]:
        """Uploads in progress in every repository."""
        return tuple(upload for repository in self.repositories.values() for upload in repository.uploads)

    def repository(self, name: str) -> RepositoryState:
        try:
            return self.repositories[name]
        except KeyError:
            raise KeyError(
                f"no repository {name!r} in registry {self.account_id} ({self.region}); "
                f"repositories: {list(self.repositories)}"
            ) from None


def registry_state(backend: Backend, account_id: str, region: str) -> RegistryState:
    for store in backend.stores():
        if store.account_id == account_id and store.region == region:
            return _snapshot(store)
    return RegistryState(account_id, region, MappingProxyType({}))


def all_registries(backend: Backend) -> tuple[RegistryState, ...]:
    return tuple(_snapshot(store) for store in backend.stores() if store.repositories)


def _snapshot(store: RegistryStore) -> RegistryState:
    with store.lock:
        uploads: dict[int, list[UploadState]] = {}
        for upload in store.uploads.values():
            buffer = upload.buffer
            uploads.setdefault(id(upload.repository), []).append(
                UploadState(upload.upload_id, upload.repository.name, buffer.size, len(buffer.part_sizes))
            )
        repositories = {
            name: _repository(repository, tuple(uploads.get(id(repository), ())))
            for name, repository in store.repositories.items()
        }
    return RegistryState(store.account_id, store.region, MappingProxyType(repositories))


def _repository(repository: Repository, uploads: tuple[UploadState, ...]) -> RepositoryState:
    return RepositoryState(
        name=repository.name,
        registry_id=repository.registry_id,
        region=repository.region,
        arn=repository.arn,
        uri=repository.uri,
        created_at=repository.created_at,
        tag_mutability=repository.tag_mutability,
        scan_on_push=repository.scan_on_push,
        encryption=MappingProxyType(dict(repository.encryption)),
        resource_tags=MappingProxyType(dict(repository.tags)),
        policy_text=repository.policy_text,
        lifecycle_policy_text=repository.lifecycle_policy_text,
        images=tuple(_image(image) for image in repository.images) if repository.image_count() else (),
        layer_digests=frozenset(repository.blob_links),
        uploads=uploads,
    )


def _image(image: Image) -> ImageState:
    manifest = image.manifest
    return ImageState(
        digest=image.digest,
        tags=tuple(image.tags),
        pushed_at=image.pushed_at,
        last_pulled_at=image.last_pulled_at,
        size=image.size,
        media_type=image.media_type,
        manifest=image.manifest_text,
        config_digest=manifest.config.digest if manifest.config is not None else None,
        layer_digests=tuple(layer.digest for layer in manifest.layers),
        child_digests=tuple(manifest.child_digests()),
    )
