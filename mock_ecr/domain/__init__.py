"""domain: the fake registries' state and semantics.

``replication`` is imported here so that it is in ``pushes.FOLLOWERS`` whichever domain
module a caller imports first.
"""

from . import replication  # noqa: F401  (acts on pushes)
