"""Checks a response body against botocore's output shape: no unknown keys, right types."""

from __future__ import annotations

import json
from typing import Any

import botocore.session

_MODEL = botocore.session.get_session().get_service_model("ecr")


def check_output(operation: str, body: bytes) -> None:
    shape = _MODEL.operation_model(operation).output_shape
    value = json.loads(body) if body else {}
    if shape is None:
        assert value == {}, f"{operation}: expected an empty body, got {value!r}"
        return
    _check(shape, value, operation)


def _check(shape: Any, value: Any, path: str) -> None:
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), f"{path}: expected object, got {value!r}"
        for key, item in value.items():
            assert key in shape.members, f"{path}: unknown member {key!r}"
            _check(shape.members[key], item, f"{path}.{key}")
    elif kind == "list":
        assert isinstance(value, list), f"{path}: expected list, got {value!r}"
        for index, item in enumerate(value):
            _check(shape.member, item, f"{path}[{index}]")
    elif kind == "map":
        assert isinstance(value, dict), f"{path}: expected map, got {value!r}"
        for key, item in value.items():
            _check(shape.key, key, f"{path}<key>")
            _check(shape.value, item, f"{path}[{key}]")
    elif kind == "string":
        assert isinstance(value, str), f"{path}: expected string, got {value!r}"
        if shape.enum:
            assert value in shape.enum, f"{path}: {value!r} not in {shape.enum}"
    elif kind in ("integer", "long"):
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: expected integer, got {value!r}"
    elif kind in ("float", "double"):
        assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{path}: expected number"
    elif kind == "boolean":
        assert isinstance(value, bool), f"{path}: expected boolean, got {value!r}"
    elif kind == "timestamp":
        assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{path}: expected epoch seconds"
    elif kind == "blob":
        assert isinstance(value, str), f"{path}: expected base64 string"
    else:  # pragma: no cover
        raise AssertionError(f"{path}: unexpected shape type {kind}")
