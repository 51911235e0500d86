"""Registry authentication as ECR does it: HTTP Basic, user ``AWS``, a GetAuthorizationToken password.

* no credentials, another scheme, another user, or a password that is no ECR token: 401 with
  ECR's ``WWW-Authenticate: Basic realm="https://ACCOUNT.dkr.ecr.REGION.amazonaws.com/",
  service="ecr.amazonaws.com"`` and its plain-text body "Not Authorized";
* a token this mock did not issue, one altered, or one issued in another region: 403 DENIED
  "Your Authorization Token is invalid." (a token is sealed with its region's key);
* a token past its 12 hours: 403 DENIED "Your authorization token has expired. Reauthenticate
  and try again.".

A token of one account is good at another account's registry in its region ("an
authentication token is used to access any Amazon ECR registry that your IAM principal has
access to"); the caller recorded is the token's account.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from ..domain import naming
from ..domain.store import utcnow
from ..domain.tokens import TokenRefused
from ..gateway.http import HttpRequest, HttpResponse
from ..messages import registry as texts
from .errors import RegistryError, unauthorized

if TYPE_CHECKING:
    from ..session import Session


def authenticate(session: Session, request: HttpRequest, registry_id: str, region: str) -> str | HttpResponse:
    """The account the request's password belongs to, or the refusal to answer with."""
    head = request.method == "HEAD"
    header = request.header("Authorization") or ""
    scheme, _, value = header.strip().partition(" ")
    password = None
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (ValueError, binascii.Error):
            password = None
        else:
            password = password if user == "AWS" else None
    if not password:
        return unauthorized(texts.challenge(naming.registry_host(registry_id, region)), texts.NOT_AUTHORIZED, head)
    try:
        credential = session.backend.tokens.verify(password, region, utcnow())
    except TokenRefused as refused:
        if refused.reason == "unknown":
            return unauthorized(texts.challenge(naming.registry_host(registry_id, region)), texts.NOT_AUTHORIZED, head)
        message = texts.TOKEN_EXPIRED if refused.reason == "expired" else texts.TOKEN_INVALID
        return RegistryError("DENIED", 403, message).response(head)
    return credential.account_id
