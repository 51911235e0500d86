"""The HTTP server door: the ECR JSON API, layer downloads and the control API over HTTP.

``app.py`` is the WSGI adapter onto the gateway, ``serving.py`` runs it on cheroot (the
``server`` extra) in a thread, ``cli.py`` is ``python -m mock_ecr serve`` / ``mock-ecr serve``.
"""

from .app import App
from .serving import Server

__all__ = ["App", "Server"]
