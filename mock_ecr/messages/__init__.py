"""Every message text the mock answers with, each written once.

Tests compare these byte for byte with what real ECR sends, so wording lives here and
nowhere else: the api and domain modules pick a text and an error class. Where a text is
known from a real ECR answer, the function's docstring says so; the others follow the
phrasing of their real siblings. Nothing here imports from the package.
"""

from __future__ import annotations

from .ecr import *  # noqa: F403  (the catalogue, by name)
from .features import *  # noqa: F403
from .protocol import *  # noqa: F403
