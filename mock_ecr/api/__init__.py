"""The fake ECR service's API: one thin handler per operation over the domain services."""

from ..domain.store import Backend, RegistryStore
from . import (  # noqa: F401  (register handlers)
    archive,
    auth,
    images,
    layers,
    lifecycle,
    listing,
    policies,
    pull_exclusions,
    pull_through,
    referrers,
    registry_settings,
    replication,
    repositories,
    scanning,
    signing,
    tag_mutability,
    tagging,
    templates,
    uploads,
)
from .handlers import HANDLERS, RequestContext, handle, operation, repository_operation

__all__ = ["HANDLERS", "Backend", "RegistryStore", "RequestContext", "handle", "operation", "repository_operation"]
