"""Request bodies: the JSON document, and strict base64 for blob members.

Every body is parsed as ``json.loads`` parses it; a body that is a JSON object in UTF-8
(what every SDK sends) goes straight to the C scanner ``json.loads`` ends in.

A layer part arrives as one JSON member holding up to ~14 MB of base64 (10 MiB of bytes).
Parsed as JSON, that member is decoded from UTF-8, scanned character by character and
copied into a string, which is then copied to bytes again for base64. A body this large
takes a shorter way to exactly the same result: the blob member's text is located in the
bytes, decoded from base64 there (strictly: a character outside the alphabet, bad padding,
anything), and the rest of the body, with that member's value emptied, is parsed as JSON.
Whatever the shorter way cannot vouch for (an escape anywhere in the body, the member
name twice, base64 it refuses) sends the body down the ordinary way, which then answers
with the same error it always did.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from collections.abc import Callable
from typing import Any

#: bodies at least this long try the way for large blob members
LARGE_BODY = 64 * 1024
_WHITESPACE = b" \t\n\r"


class DecodedBlob:
    """A blob member of a large body, already decoded from its base64 (``text_length``
    characters) to ``data``."""

    __slots__ = ("data", "text_length")

    def __init__(self, data: bytes, text_length: int) -> None:
        self.data = data
        self.text_length = text_length


def _find_fast_decoder() -> Callable[..., bytes] | None:
    """The ``fast`` extra's SIMD base64 (pybase64): some twenty times binascii's rate on a layer part."""
    try:
        from pybase64 import b64decode
    except ImportError:  # pragma: no cover - exercised where the extra is not installed
        return None
    return b64decode


_fast_b64decode = _find_fast_decoder()

if _fast_b64decode is not None:
    _decode = _fast_b64decode

    def strict_b64decode(text: str | bytes | memoryview) -> bytes:
        """Base64 to bytes, refusing anything outside the alphabet or misplaced padding
        (``binascii.Error`` or ``ValueError``), as ``binascii``'s strict mode does."""
        return _decode(text, validate=True)

elif sys.version_info >= (3, 11):

    def strict_b64decode(text: str | bytes | memoryview) -> bytes:
        """Base64 to bytes, refusing anything outside the alphabet or misplaced padding
        (``binascii.Error`` or ``ValueError``)."""
        return binascii.a2b_base64(text, strict_mode=True)

else:  # pragma: no cover - no strict_mode before 3.11

    def strict_b64decode(text: str | bytes | memoryview) -> bytes:
        """Base64 to bytes, refusing anything outside the alphabet or misplaced padding."""
        return base64.b64decode(text.tobytes() if isinstance(text, memoryview) else text, validate=True)


def parse(body: bytes | str, blob_members: tuple[str, ...] = ()) -> Any:
    """The JSON document of ``body`` (``json.loads`` raises what it raises), where each
    top-level member of ``blob_members`` found the short way holds a ``DecodedBlob``."""
    if type(body) is not bytes:
        return json.loads(body)
    if blob_members and len(body) >= LARGE_BODY:
        for name in blob_members:
            found = _with_blob(body, name)
            if found is not None:
                return found
    if body[:1] == b"{" and body[1:2] != b"\x00":
        # what json.loads does with an object in UTF-8, minus its Python-level steps
        # (encoding detection, whitespace around the document, which this has none of)
        text = body.decode("utf-8", "surrogatepass")
        try:
            document, end = _scan_once(text, 0)
        except StopIteration:
            pass  # json.loads words the error
        else:
            if end == len(text):
                return document
    return json.loads(body)


_scan_once = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # the C scanner json.loads runs


def _with_blob(body: bytes, name: str) -> dict[str, Any] | None:
    """The document with member ``name`` decoded, if the body can be read the short way."""
    key = b'"' + name.encode() + b'"'
    at = body.find(key)
    if at < 0:
        return None
    position = _skip_whitespace(body, at + len(key))
    if body[position : position + 1] != b":":
        return None
    start = _skip_whitespace(body, position + 1)
    if body[start : start + 1] != b'"':
        return None
    end = body.find(b'"', start + 1)
    if end < 0 or body.find(key, end) >= 0:  # the member name once (the value holds no quote)
        return None
    # without a backslash anywhere, no string holds an escaped quote or spells a member
    # name in escapes: the one literal occurrence of the name is the member, and its value
    # ends at the next quote
    rest = body[: start + 1] + body[end:]
    if b"\\" in rest or body.find(b"\\", start + 1, end) >= 0:
        return None
    try:
        # a copy of the text, not a view: with glibc, an 11 MB buffer freed here keeps the
        # heap reusing warm pages for the client's next part (about a fifth fewer page faults
        # per upload, worth far more than the copy)
        data = strict_b64decode(body[start + 1 : end])
    except (binascii.Error, ValueError):
        return None  # the ordinary way words the error
    try:
        document = json.loads(rest)
    except (ValueError, RecursionError):
        return None
    if type(document) is not dict or document.get(name) != "":
        return None
    document[name] = DecodedBlob(data, end - start - 1)
    return document


def _skip_whitespace(body: bytes, position: int) -> int:
    while body[position : position + 1] and body[position] in _WHITESPACE:
        position += 1
    return position
