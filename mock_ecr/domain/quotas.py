"""Service quotas with AWS's documented defaults, overridable per mock.

Sources of the defaults (checked 2026):

* "Amazon ECR service quotas", https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html:
  repositories per registry ("Registered repositories") 100,000; images per repository
  100,000; layer parts 4,200; minimum layer part size 5 MiB; maximum layer part size
  10 MiB; lifecycle policy length 30,720 characters.
* ``TooManyTagsException`` in the ECR API reference: at most 50 tags per repository.
* botocore's ECR model: ``RepositoryPolicyText`` is at most 10,240 characters. (The model
  lets ``layerPartBlob`` be 20 MiB; ECR documents 10 MiB as the part size it accepts and
  answers 10 MiB as ``partSize`` from InitiateLayerUpload, so 10 MiB is the default and a
  test may raise it to 20 MiB.)
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from .. import messages
from ..errors import LimitExceededException, invalid_parameter

MIB = 1024 * 1024


@dataclass
class Quotas:
    """Default values are AWS's documented defaults for Amazon ECR."""

    #: registered repositories per registry (account and region)
    repositories_per_registry: int = 100_000
    #: images per repository
    images_per_repository: int = 100_000
    #: tags per resource
    tags_per_resource: int = 50
    #: parts one layer upload may have ("Layer parts")
    layer_parts_per_upload: int = 4_200
    #: bytes every part of an upload but the last must have ("Minimum layer part size")
    min_layer_part_size: int = 5 * MIB
    #: bytes one layer part may have ("Maximum layer part size")
    max_layer_part_size: int = 10 * MIB
    #: characters of a lifecycle policy ("Lifecycle policy length")
    lifecycle_policy_length: int = 30_720
    #: characters of a repository policy (the model's ``RepositoryPolicyText`` maximum)
    repository_policy_length: int = 10_240
    #: repository creation templates per registry
    repository_creation_templates_per_registry: int = 50
    #: pull through cache rules per registry (50 as ECR's quota page listed it; not in the copy checked)
    pull_through_cache_rules_per_registry: int = 50
    #: pull-time update exclusions per registry (the model lists at most 100)
    pull_time_update_exclusions_per_registry: int = 100

    def __setattr__(self, name: str, value: Any) -> None:
        """Checked when assigned (``m.quotas.images_per_repository = 5``): a known quota, and
        a non-negative int; anything else raises here, naming the quota and the value."""
        if name not in _QUOTA_NAMES:
            raise AttributeError(f"unknown quota {name!r}; known quotas: {', '.join(sorted(_QUOTA_NAMES))}")
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"quota {name!r} must be an int, not {value!r} ({type(value).__name__})")
        if value < 0:
            raise ValueError(f"quota {name!r} must be a non-negative int, not {value!r}")
        object.__setattr__(self, name, value)

    def update(self, overrides: dict[str, Any]) -> None:
        known = {f.name for f in fields(self)}
        for name, value in overrides.items():
            if name not in known:
                raise ValueError(f"unknown quota {name!r}; known quotas: {', '.join(sorted(known))}")
            setattr(self, name, int(value))

    def check_repository_count(self, store: Any) -> None:
        if len(store.repositories) >= self.repositories_per_registry:
            raise LimitExceededException(
                messages.limit_exceeded("Repositories per registry", self.repositories_per_registry)
            )

    def check_image_count(self, repository: Any) -> None:
        """Refuse one more image in a repository that holds ``images_per_repository`` already."""
        if repository.image_count() >= self.images_per_repository:
            raise LimitExceededException(
                messages.images_limit(repository.name, repository.registry_id, self.images_per_repository)
            )

    # -- configuration ----------------------------------------------------------------------
    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def checked(cls, overrides: dict[str, Any] | None) -> dict[str, int]:
        """``overrides`` as quota values, or ValueError naming what is wrong (nothing is applied)."""
        known = cls.names()
        out: dict[str, int] = {}
        for name, value in (overrides or {}).items():
            if name not in known:
                raise ValueError(f"unknown quota {name!r}; known quotas: {', '.join(sorted(known))}")
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"quota {name!r} must be a non-negative int, not {value!r}")
            out[name] = value
        return out

    def values(self, names: Any = None) -> dict[str, int]:
        """The current value of each quota in ``names`` (all by default)."""
        return {name: getattr(self, name) for name in (names if names is not None else self.names())}

    # -- checks feature modules call ------------------------------------------------------------
    def check_layer_part_count(self, parts_received: int) -> None:
        """Refuse one more part for an upload that has ``layer_parts_per_upload`` already."""
        if parts_received >= self.layer_parts_per_upload:
            raise LimitExceededException(messages.limit_exceeded("Layer parts", self.layer_parts_per_upload))

    def check_text_length(self, member: str, text: str, quota: str) -> None:
        """Refuse a policy text longer than the quota ``quota``, in the model constraint's wording."""
        limit = getattr(self, quota)
        if len(text) > limit:
            raise invalid_parameter(member, messages.max_length(limit))


_QUOTA_NAMES = frozenset(Quotas.names())
