"""Opaque ``nextToken`` values and key-ordered pages.

A token records the last key a page returned, so the next page starts right after it
wherever that key now sits: walks stay stable while items are added or removed, and a
page costs a binary search plus its own length, whatever the collection's size.

Which members carry the page size and the tokens, and the page size when none is asked
for, come from botocore's ECR paginator configuration and model documentation
(``paging``), so the mock pages exactly as the clients that walk it expect.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from .. import messages
from ..errors import invalid_parameter
from ..wire.model import paginator, service_model

_PREFIX = "mock-ecr:"
#: the page size when the model does not document one
FALLBACK_PAGE_SIZE = 100
#: "If this parameter is not used, then DescribeImages returns up to 100 results"
_DEFAULT_SIZE = re.compile(r"returns up to\s*(\d+)\s*results")


@dataclass(frozen=True)
class Paging:
    """How one operation pages: its members, and its page size when none is asked for."""

    limit_key: str
    input_token: str
    output_token: str
    default_size: int

    def requested(self, params: dict[str, Any]) -> tuple[str | None, int]:
        """``(token, page size)`` a request asks for."""
        return params.get(self.input_token), params.get(self.limit_key, self.default_size)

    def answer(self, result: dict[str, Any], token: str | None) -> dict[str, Any]:
        """``result`` with the next token, if there is a next page."""
        if token:
            result[self.output_token] = token
        return result


@cache
def paging(operation: str) -> Paging:
    """The paging of ``operation``, from botocore's paginator configuration (read once);
    an operation botocore has no paginator for pages with ``maxResults`` and ``nextToken``."""
    config = paginator(operation)
    if config is None:
        config = {"limit_key": "maxResults", "input_token": "nextToken", "output_token": "nextToken"}
    limit_key = config["limit_key"]
    shape = service_model().operation_model(operation).input_shape
    documentation = shape.members[limit_key].documentation if shape is not None else ""
    found = _DEFAULT_SIZE.search(re.sub(r"<[^>]+>", "", html.unescape(documentation or "")).replace("\u2028", " "))
    default = int(found.group(1)) if found else FALLBACK_PAGE_SIZE
    return Paging(limit_key, config["input_token"], config["output_token"], default)


def encode_token(kind: str, key: Any) -> str:
    raw = _PREFIX + json.dumps([kind, key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_token(kind: str, token: str) -> Any:
    """The key a token resumes after; a token not made by ``encode_token(kind, ...)`` is refused."""
    try:
        raw = base64.urlsafe_b64decode(token.encode()).decode()
        if raw.startswith(_PREFIX):
            token_kind, key = json.loads(raw[len(_PREFIX) :])
            if token_kind == kind:
                return key if not isinstance(key, list) else tuple(key)
    except (binascii.Error, ValueError, UnicodeError, TypeError, RecursionError):
        pass
    raise _invalid_token()


def _invalid_token() -> Exception:
    return invalid_parameter("NextToken", messages.INVALID_NEXT_TOKEN)


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


def refuse_paging_with(member: str, params: dict[str, Any], how: Paging | None = None) -> None:
    """ECR refuses a list of ids (``member``) together with ``maxResults`` or ``nextToken``."""
    limit_key, token = (how.limit_key, how.input_token) if how is not None else ("maxResults", "nextToken")
    if limit_key in params or token in params:
        raise invalid_parameter(member, messages.NO_PAGING_WITH_IDS)
