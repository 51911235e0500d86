"""Opaque ``nextToken`` values and key-ordered pages.

A token records the last key a page returned, so the next page starts right after it
wherever that key now sits: walks stay stable while items are added or removed, and a
page costs a binary search plus its own length, whatever the collection's size.
"""

from __future__ import annotations

import base64
import binascii
import json
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from ..errors import invalid_parameter

_PREFIX = "mock-ecr:"


def encode_token(kind: str, key: Any) -> str:
    raw = _PREFIX + json.dumps([kind, key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_token(kind: str, token: str) -> Any:
    """The key a token resumes after; a token not made by ``encode_token(kind, ...)`` is refused."""
    try:
        raw = base64.urlsafe_b64decode(token.encode()).decode()
        if raw.startswith(_PREFIX):
            token_kind, key = json.loads(raw[len(_PREFIX):])
            if token_kind == kind:
                return key if not isinstance(key, list) else tuple(key)
    except (binascii.Error, ValueError, UnicodeError, TypeError, RecursionError):
        pass
    raise _invalid_token()


def _invalid_token() -> Exception:
    return invalid_parameter("NextToken", "Invalid next token provided")


def page(keys: Sequence[Any], kind: str, token: str | None, max_results: int) -> tuple[int, int, str | None]:
    """``(start, stop, next_token)`` of the page of sorted ``keys`` that ``token`` asks for."""
    if token:
        try:
            start = bisect_right(keys, decode_token(kind, token))
        except TypeError:  # a well-formed token whose key is not of this collection's kind
            raise _invalid_token() from None
    else:
        start = 0
    stop = min(start + max_results, len(keys))
    next_token = encode_token(kind, keys[stop - 1]) if stop < len(keys) else None
    return start, stop, next_token


def refuse_paging_with(member: str, params: dict[str, Any]) -> None:
    """ECR refuses a list of ids (``member``) together with ``maxResults`` or ``nextToken``."""
    if "maxResults" in params or "nextToken" in params:
        raise invalid_parameter(member, "cannot be specified together with maxResults or nextToken")
