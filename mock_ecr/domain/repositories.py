"""Repositories: the declared settings and contents of one repository (no wire shapes)."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from ..errors import repository_not_found
from . import naming
from .store import RegistryStore


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
    #: image digest -> ``scanning.ImageScan``
    scans: dict[str, Any] = field(default_factory=dict)
    #: feature modules keep their per-repository state here (images, uploads...)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return naming.repository_arn(self.registry_id, self.region, self.name)

    @property
    def uri(self) -> str:
        return naming.repository_uri(self.registry_id, self.region, self.name)

    def image_count(self) -> int:
        images = self.extra.get("images")
        return len(images) if images is not None else 0

    def describe(self) -> dict[str, Any]:
        """The ``Repository`` shape as ECR returns it."""
        out: dict[str, Any] = {
            "repositoryArn": self.arn,
            "registryId": self.registry_id,
            "repositoryName": self.name,
            "repositoryUri": self.uri,
            "createdAt": self.created_at,
            "imageTagMutability": self.tag_mutability,
            "imageScanningConfiguration": {"scanOnPush": self.scan_on_push},
            "encryptionConfiguration": dict(self.encryption),
        }
        if self.mutability_exclusions:
            out["imageTagMutabilityExclusionFilters"] = [dict(f) for f in self.mutability_exclusions]
        return out


def get_repository(store: RegistryStore, name: str) -> Repository:
    """The named repository, or ECR's RepositoryNotFoundException."""
    repository = store.repositories.get(name)
    if repository is None:
        raise repository_not_found(name, store.account_id)
    return repository


