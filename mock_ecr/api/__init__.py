"""The fake ECR service: state and the semantics of each action, free of HTTP."""

from ..domain.store import Backend, RegistryStore
from . import (  # noqa: F401  (register handlers)
    auth,
    images,
    layers,
    lifecycle,
    policies,
    registry_settings,
    repositories,
    scanning,
    tag_mutability,
    tagging,
    templates,
    uploads,
)
from .handlers import HANDLERS, RequestContext, handle, operation

__all__ = ["HANDLERS", "Backend", "RegistryStore", "RequestContext", "handle", "operation"]
