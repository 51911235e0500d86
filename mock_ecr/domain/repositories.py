"""Repositories: the declared settings and contents of one repository, and their lifetime.

Every piece of per-repository state is a declared field, so a feature adds a field instead
of a key in a shared dict. The image index is built on first use: CreateRepository is hot
and most repositories of a test never hold an image.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import messages
from ..errors import RepositoryAlreadyExistsException, RepositoryNotEmptyException, repository_not_found
from . import naming
from .blobs import uploads
from .blobs.storage import BlobRefs, unlink_all
from .images.index import ImageIndex
from .quotas import Quotas
from .store import RegistryStore

if TYPE_CHECKING:
    from .lifecycle.preview import Preview


@dataclass(eq=False)
class Repository:
    registry_id: str
    region: str
    name: str
    created_at: _dt.datetime
    tag_mutability: str = "MUTABLE"
    mutability_exclusions: list[dict[str, str]] = field(default_factory=list)
    scan_on_push: bool = False
    encryption: dict[str, str] = field(default_factory=lambda: {"encryptionType": "AES256"})
    tags: dict[str, str] = field(default_factory=dict)
    policy_text: str | None = None
    lifecycle_policy_text: str | None = None
    #: digests of the blobs uploaded to (and so pullable from) the repository
    blob_links: set[str] = field(default_factory=set)
    #: how many images of the repository reference each blob digest (config and layers)
    blob_refs: BlobRefs = field(default_factory=BlobRefs)
    #: ids of the uploads in progress into the repository (the uploads live in the registry)
    upload_ids: set[str] = field(default_factory=set)
    #: layer digest -> its key in the fake layer bucket (GetDownloadUrlForLayer)
    layer_object_keys: dict[str, str] = field(default_factory=dict)
    #: the per-repository part of those keys, derived once
    layer_folder_id: str | None = None
    #: the latest lifecycle policy preview
    lifecycle_preview: Preview | None = None
    #: when the current lifecycle policy last ran (None: never)
    lifecycle_evaluated_at: _dt.datetime | None = None
    #: image digest -> ``scanning.ImageScan``
    scans: dict[str, Any] = field(default_factory=dict)
    _images: ImageIndex | None = field(default=None, init=False, repr=False)

    @property
    def images(self) -> ImageIndex:
        """The repository's images (the index is created on first use)."""
        index = self._images
        if index is None:
            index = self._images = ImageIndex()
        return index

    @property
    def arn(self) -> str:
        return naming.repository_arn(self.registry_id, self.region, self.name)

    @property
    def uri(self) -> str:
        return naming.repository_uri(self.registry_id, self.region, self.name)

    def image_count(self) -> int:
        images = self._images
        return len(images) if images is not None else 0


def get_repository(store: RegistryStore, name: str) -> Repository:
    """The named repository, or ECR's RepositoryNotFoundException."""
    repository = store.repositories.get(name)
    if repository is None:
        raise repository_not_found(name, store.account_id)
    return repository


def refuse_existing(store: RegistryStore, name: str) -> None:
    """RepositoryAlreadyExistsException if the registry has a repository ``name``."""
    if name in store.repositories:
        raise RepositoryAlreadyExistsException(messages.repository_exists(name, store.account_id))


def create_repository(store: RegistryStore, quotas: Quotas, repository: Repository) -> Repository:
    """Add ``repository`` (built by the caller from checked settings) to the registry."""
    refuse_existing(store, repository.name)
    quotas.check_repository_count(store)
    store.repositories[repository.name] = repository
    store.sorted_names = None
    return repository


def delete_repository(store: RegistryStore, repository: Repository, *, force: bool) -> None:
    """Remove ``repository``; without ``force`` only if it holds no image. Its uploads in
    progress are discarded; a blob no other repository of the registry holds is released."""
    if repository.image_count() and not force:
        raise RepositoryNotEmptyException(messages.repository_not_empty(repository.name, store.account_id))
    del store.repositories[repository.name]
    store.sorted_names = None
    uploads.discard_repository_uploads(store, repository)
    unlink_all(store, repository)


def sorted_names(store: RegistryStore) -> list[str]:
    """Repository names in DescribeRepositories' (name) order, cached until the next change."""
    names = store.sorted_names
    if names is None:
        names = store.sorted_names = sorted(store.repositories)
    return names
