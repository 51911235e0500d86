"""ECR's registry face: the Docker Registry HTTP API v2 / OCI distribution, on the one store.

``answer(session, request)`` answers a request under ``/v2/``; ``gateway.router`` sends
those here (on a server, any host's ``/v2/``; in-process, ``ACCOUNT.dkr.ecr.REGION`` hosts).
Modules by concern: ``auth`` (Basic with GetAuthorizationToken passwords), ``blobs`` (pulls),
``uploads`` (pushes and mounts), ``manifests``, ``listing`` (tags, referrers), ``errors``
(the registry's error bodies), ``calls`` (a request as an ECR call: lock, faults, call log).
"""

from .manifests import pull_through_hook
from .routes import REGISTRY_HOST, answer

__all__ = ["REGISTRY_HOST", "answer", "pull_through_hook"]
