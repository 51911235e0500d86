"""Response bodies: a result or an error as AWS JSON 1.1 (datetimes as epoch seconds)."""

from __future__ import annotations

import datetime as _dt
import json
import operator
from collections.abc import Callable
from typing import Any

from ..errors import ECRError


def _encode_extra(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        return value.timestamp()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


_encoder = json.JSONEncoder(separators=(",", ":"), default=_encode_extra)


def _make_dumps() -> Callable[[Any], str]:
    """``_encoder.encode``, minus building the C encoder again on every call (and its
    cycle check: results are trees), where the C accelerator exists.

    Results hold datetimes and, rarely, sets: a first try turns every object JSON lacks
    into its ``timestamp()`` without a Python call each, and a result it fails on is
    encoded again with ``_encode_extra``."""
    from json import encoder

    c_make_encoder = getattr(encoder, "c_make_encoder", None)
    encode_basestring_ascii = encoder.encode_basestring_ascii

    if c_make_encoder is None:  # pragma: no cover - no C accelerator
        return _encoder.encode
    fast = c_make_encoder(
        None, operator.methodcaller("timestamp"), encode_basestring_ascii, None, ":", ",", False, False, True
    )
    iterencode = c_make_encoder(None, _encode_extra, encode_basestring_ascii, None, ":", ",", False, False, True)

    def dumps(value: Any) -> str:
        try:
            return "".join(fast(value, 0))
        except (AttributeError, TypeError):
            return "".join(iterencode(value, 0))

    return dumps


_dumps = _make_dumps()


def encode_result(result: dict[str, Any]) -> bytes:
    """JSON 1.1 body of a successful call; datetimes become epoch seconds."""
    return _dumps(result).encode()


def encode_error(error: ECRError) -> bytes:
    return _dumps(error.body()).encode()
