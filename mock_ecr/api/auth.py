"""GetAuthorizationToken: docker login credentials for one or more registries."""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
from typing import Any

from ..domain import naming
from ..domain.store import later
from .handlers import RequestContext, operation

TOKEN_LIFETIME = _dt.timedelta(hours=12)


def _password(registry_id: str, region: str, issued_at: _dt.datetime) -> str:
    """An opaque password, long like ECR's, different for each registry and issue time."""
    seed = f"{registry_id}:{region}:{issued_at.isoformat()}".encode()
    return base64.b64encode(hashlib.sha512(seed).digest() * 8).decode()


@operation("GetAuthorizationToken")
def get_authorization_token(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    registry_ids = list(dict.fromkeys(params.get("registryIds") or [ctx.account_id]))
    expires_at = later(ctx.now, TOKEN_LIFETIME)
    return {
        "authorizationData": [
            {
                "authorizationToken": base64.b64encode(
                    f"AWS:{_password(registry_id, ctx.region, ctx.now)}".encode()
                ).decode(),
                "expiresAt": expires_at,
                "proxyEndpoint": f"https://{naming.registry_host(registry_id, ctx.region)}",
            }
            for registry_id in registry_ids
        ]
    }
