"""Registry passwords: what GetAuthorizationToken issues and the registry face checks.

A real ECR password is base64 of a small JSON document, ``{"payload", "datakey", "version",
"type", "expiration"}``, whose payload only ECR can read. Ours has the same shape; its payload
carries the caller's account, the region and the expiry, sealed with an HMAC under a secret
made for this backend (and kept across resets), so the registry can tell a password it
issued from a made-up one, and a current one from an expired one, without storing any.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import hashlib
import hmac
import json
import secrets
import struct
from dataclasses import dataclass

#: how long a password is valid (ECR: 12 hours)
LIFETIME = _dt.timedelta(hours=12)
_MAGIC = b"mecr1"
_MAC_SIZE = 32
#: payload filler, so a password is about as long as ECR's (some 2,000 characters)
_FILLER = 900


class TokenRefused(Exception):
    """A registry password refused: ``reason`` is ``"unknown"`` (not a password ECR issues),
    ``"invalid"`` (issued elsewhere, or altered) or ``"expired"``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Credential:
    """Who a verified password belongs to."""

    account_id: str
    region: str
    expires_at: _dt.datetime


class Tokens:
    """Issues and verifies registry passwords for one backend; thread-safe."""

    def __init__(self) -> None:
        self._secret = secrets.token_bytes(32)

    def issue(self, account_id: str, region: str, expires_at: _dt.datetime) -> str:
        """A password for ``account_id`` in ``region``, valid until ``expires_at``."""
        expiration = int(expires_at.timestamp())
        body = b"".join(
            [
                _MAGIC,
                _field(account_id.encode()),
                _field(region.encode()),
                struct.pack(">q", expiration),
                secrets.token_bytes(_FILLER),
            ]
        )
        sealed = body + hmac.new(self._secret, body, hashlib.sha256).digest()
        document = {
            "payload": base64.b64encode(sealed).decode(),
            "datakey": base64.b64encode(secrets.token_bytes(184)).decode(),
            "version": "2",
            "type": "DATA_KEY",
            "expiration": expiration,
        }
        password = base64.b64encode(json.dumps(document, separators=(",", ":")).encode()).decode()
        return password

    def verify(self, password: str, region: str, now: _dt.datetime) -> Credential:
        """The credential ``password`` stands for at a registry in ``region``, else TokenRefused."""
        try:
            document = json.loads(base64.b64decode(password, validate=True))
            sealed = base64.b64decode(document["payload"], validate=True)
        except (ValueError, TypeError, KeyError, binascii.Error, RecursionError):
            raise TokenRefused("unknown") from None
        if not isinstance(document, dict) or not sealed.startswith(_MAGIC) or len(sealed) <= _MAC_SIZE:
            raise TokenRefused("invalid")
        body, mac = sealed[:-_MAC_SIZE], sealed[-_MAC_SIZE:]
        if not hmac.compare_digest(mac, hmac.new(self._secret, body, hashlib.sha256).digest()):
            raise TokenRefused("invalid")  # another mock's, or altered
        account, rest = _read_field(body[len(_MAGIC) :])
        token_region, rest = _read_field(rest)
        (expiration,) = struct.unpack(">q", rest[:8])
        if token_region.decode() != region:
            raise TokenRefused("invalid")  # a password is only good in the region that issued it
        expires_at = _dt.datetime.fromtimestamp(expiration, _dt.timezone.utc)
        if now >= expires_at:
            raise TokenRefused("expired")
        return Credential(account.decode(), token_region.decode(), expires_at)


def _field(data: bytes) -> bytes:
    return bytes([len(data)]) + data


def _read_field(data: bytes) -> tuple[bytes, bytes]:
    size = data[0]
    return data[1 : 1 + size], data[1 + size :]
