"""The fake ECR service: state and the semantics of each action, free of HTTP."""

from . import auth, images, layers, lifecycle, policies, repositories, tagging, uploads  # noqa: F401  (register handlers)
from . import registry_settings, scanning, tag_mutability, templates  # noqa: F401  (register handlers)
from ..domain.store import Backend, RegistryStore
from .handlers import HANDLERS, RequestContext, handle, operation

__all__ = ["HANDLERS", "Backend", "RegistryStore", "RequestContext", "handle", "operation"]
