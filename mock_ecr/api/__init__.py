"""The fake ECR service's API: one thin handler per operation over the domain services."""

from ..domain.store import Backend, RegistryStore
from . import auth, images, layers, lifecycle, listing, policies, repositories, tagging, uploads  # noqa: F401  (register handlers)
from .handlers import HANDLERS, RequestContext, handle, operation, repository_operation

__all__ = ["HANDLERS", "Backend", "RegistryStore", "RequestContext", "handle", "operation", "repository_operation"]
