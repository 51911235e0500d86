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


def _encode_with_json(value: Any) -> bytes:
    return _dumps(value).encode()


def _make_encode() -> Callable[[Any], bytes]:
    """orjson (the ``fast`` extra) where installed: five to seven times the C encoder's rate
    on a page of image details. What it cannot encode as this module does (a lone surrogate,
    an integer past 64 bits, a key that is not a string) goes the ``json`` way instead, so a
    body differs only where JSON allows it: non-ASCII text as UTF-8 rather than ``\\u``
    escapes, and floats in exponent form as ``1e16`` rather than ``1e+16``."""
    try:
        import orjson
    except ImportError:  # pragma: no cover - exercised where the extra is not installed
        return _encode_with_json
    orjson_dumps = orjson.dumps
    # datetimes and dataclasses reach ``_encode_extra`` as they do in the ``json`` way
    options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

    def encode(value: Any) -> bytes:
        try:
            return orjson_dumps(value, default=_encode_extra, option=options)
        except TypeError:  # orjson.JSONEncodeError
            return _encode_with_json(value)

    return encode


_encode = _make_encode()


def encode_result(result: dict[str, Any]) -> bytes:
    """JSON 1.1 body of a successful call; datetimes become epoch seconds."""
    return _encode(result)


def encode_error(error: ECRError) -> bytes:
    return _encode(error.body())
