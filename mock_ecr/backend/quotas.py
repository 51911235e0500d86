"""Service quotas with AWS's documented defaults, overridable per mock."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from ..errors import LimitExceededException


@dataclass
class Quotas:
    """Default values are AWS's documented defaults for Amazon ECR."""

    #: registered repositories per registry (account and region)
    repositories_per_registry: int = 100_000
    #: images per repository
    images_per_repository: int = 100_000
    #: tags per resource
    tags_per_resource: int = 50

    def update(self, overrides: dict[str, Any]) -> None:
        known = {f.name for f in fields(self)}
        for name, value in overrides.items():
            if name not in known:
                raise ValueError(f"unknown quota {name!r}; known quotas: {', '.join(sorted(known))}")
            setattr(self, name, int(value))

    def check_repository_count(self, store: Any) -> None:
        if len(store.repositories) >= self.repositories_per_registry:
            raise LimitExceededException(
                "The operation did not succeed because it would cause a service limit to be exceeded. "
                f"Repositories per registry: {self.repositories_per_registry}"
            )

    def check_image_count(self, repository: Any) -> None:
        """Refuse one more image in a repository that holds ``images_per_repository`` already."""
        if repository.image_count() >= self.images_per_repository:
            raise LimitExceededException(
                f"The repository with name '{repository.name}' in registry with id '{repository.registry_id}' "
                f"already has the maximum allowed number of images which is '{self.images_per_repository}'"
            )
