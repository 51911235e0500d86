"""Repository creation templates: the settings ECR gives repositories it creates for you.

A template's ``prefix`` is a repository namespace, or ``ROOT`` for every repository no other
template covers. ECR always assumes a ``/`` after a prefix: ``prod`` covers ``prod/app``,
not ``production``. ``matching_template`` picks the template a new repository gets.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from . import naming
from .quotas import Quotas
from .repositories import Repository, create_repository
from .store import RegistryStore

ROOT = "ROOT"


@dataclass
class RepositoryCreationTemplate:
    prefix: str
    applied_for: list[str]
    created_at: _dt.datetime
    updated_at: _dt.datetime
    description: str | None = None
    encryption: dict[str, str] = field(default_factory=lambda: {"encryptionType": "AES256"})
    resource_tags: list[dict[str, str]] = field(default_factory=list)
    tag_mutability: str = "MUTABLE"
    mutability_exclusions: list[dict[str, str]] = field(default_factory=list)
    repository_policy: str | None = None
    lifecycle_policy: str | None = None
    custom_role_arn: str | None = None

    def describe(self) -> dict[str, Any]:
        """The ``RepositoryCreationTemplate`` shape."""
        out: dict[str, Any] = {"prefix": self.prefix}
        if self.description is not None:
            out["description"] = self.description
        out["encryptionConfiguration"] = dict(self.encryption)
        out["resourceTags"] = [dict(tag) for tag in self.resource_tags]
        out["imageTagMutability"] = self.tag_mutability
        if self.mutability_exclusions:
            out["imageTagMutabilityExclusionFilters"] = [dict(f) for f in self.mutability_exclusions]
        if self.repository_policy is not None:
            out["repositoryPolicy"] = self.repository_policy
        if self.lifecycle_policy is not None:
            out["lifecyclePolicy"] = self.lifecycle_policy
        out["appliedFor"] = list(self.applied_for)
        if self.custom_role_arn is not None:
            out["customRoleArn"] = self.custom_role_arn
        out["createdAt"] = self.created_at
        out["updatedAt"] = self.updated_at
        return out


def template_key(prefix: str) -> str:
    """The key a prefix is stored under: ``prod`` and ``prod/`` name the same template."""
    return prefix if prefix == ROOT else prefix.rstrip("/")


def matching_template(
    store: RegistryStore, repository_name: str, applied_for: str
) -> RepositoryCreationTemplate | None:
    """The template ECR applies to a repository it creates for ``applied_for``
    (REPLICATION, PULL_THROUGH_CACHE or CREATE_ON_PUSH): the longest prefix covering the
    name, else ROOT; only templates that list ``applied_for`` count."""
    templates: dict[str, RepositoryCreationTemplate] = store.templates
    parts = repository_name.split("/")
    for length in range(len(parts) - 1, 0, -1):
        template = templates.get("/".join(parts[:length]))
        if template is not None and applied_for in template.applied_for:
            return template
    root = templates.get(ROOT)
    if root is not None and applied_for in root.applied_for:
        return root
    return None


def new_repository(
    store: RegistryStore, name: str, template: RepositoryCreationTemplate | None, now: _dt.datetime
) -> Repository:
    """The repository ECR creates for you (a pull through cache, a create on push, a
    replication), with ``template``'s settings, or the defaults without one. The caller adds
    it with ``repositories.create_repository`` (which checks the repository quota)."""
    repository = Repository(registry_id=store.account_id, region=store.region, name=name, created_at=now)
    if template is None:
        return repository
    repository.tag_mutability = template.tag_mutability
    repository.mutability_exclusions = [dict(f) for f in template.mutability_exclusions]
    encryption = dict(template.encryption)
    if encryption["encryptionType"] != "AES256" and not encryption.get("kmsKey"):
        encryption["kmsKey"] = naming.managed_kms_key(store.account_id, store.region)
    repository.encryption = encryption
    repository.tags = {tag["Key"]: tag["Value"] for tag in template.resource_tags}
    repository.policy_text = template.repository_policy
    repository.lifecycle_policy_text = template.lifecycle_policy
    return repository


def create_repository_for(
    store: RegistryStore, quotas: Quotas, name: str, applied_for: str, now: _dt.datetime
) -> Repository:
    """Create the repository ``name`` that ECR makes on its own for ``applied_for``
    (REPLICATION, PULL_THROUGH_CACHE, CREATE_ON_PUSH), with the matching template's settings."""
    template = matching_template(store, name, applied_for)
    return create_repository(store, quotas, new_repository(store, name, template, now))
