"""GetAuthorizationToken: docker login credentials for one or more registries.

The password (``domain.tokens``) is verifiable: the registry face accepts the ones issued
here, in their region, for 12 hours.
"""

from __future__ import annotations

import base64
from typing import Any

from ..domain import naming
from ..domain.store import later
from ..domain.tokens import LIFETIME
from .handlers import RequestContext, operation

TOKEN_LIFETIME = LIFETIME


@operation("GetAuthorizationToken")
def get_authorization_token(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    registry_ids = list(dict.fromkeys(params.get("registryIds") or [ctx.account_id]))
    expires_at = later(ctx.now, TOKEN_LIFETIME)
    tokens = ctx.backend.tokens
    return {
        "authorizationData": [
            {
                "authorizationToken": base64.b64encode(
                    f"AWS:{tokens.issue(ctx.account_id, ctx.region, expires_at)}".encode()
                ).decode(),
                "expiresAt": expires_at,
                "proxyEndpoint": f"https://{naming.registry_host(registry_id, ctx.region)}",
            }
            for registry_id in registry_ids
        ]
    }
