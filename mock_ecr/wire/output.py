"""Output checks: every result fits the operation's output shape in botocore's model.

Off by default (it costs a walk of every result). ``enable()`` turns it on for the whole
process: mock_ecr's own test suite does, so every response of every test is checked. A
result that does not fit raises ``OutputShapeError`` naming the member.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from functools import cache
from typing import Any, cast

from botocore.model import Shape, StructureShape

from .model import operation_model

#: whether every result is checked (see ``enable``)
strict = False


class OutputShapeError(AssertionError):
    """A result the mock built does not fit botocore's output shape (a mock_ecr defect)."""


def enable(on: bool = True) -> None:
    """Check every result against its output shape from now on (or stop, with ``False``)."""
    global strict
    strict = on


def check(operation: str, result: dict[str, Any]) -> None:
    """Raise ``OutputShapeError`` unless ``result`` fits ``operation``'s output shape."""
    _checker(operation)(result, operation)


Checker = Callable[[Any, str], None]


@cache
def _checker(operation: str) -> Checker:
    shape = operation_model(operation).output_shape
    if shape is None:

        def empty(value: Any, path: str) -> None:
            if value:
                raise OutputShapeError(f"{path}: expected an empty result, got {value!r}")

        return empty
    return _compile(shape)


def _fail(path: str, expected: str, value: Any) -> OutputShapeError:
    return OutputShapeError(f"{path}: expected {expected}, got {value!r}"[:500])


def _compile(shape: Shape) -> Checker:
    kind = shape.type_name
    if kind == "structure":
        members: dict[str, Checker] = {}
        declared = cast(StructureShape, shape).members

        def structure(value: Any, path: str) -> None:
            if not isinstance(value, dict):
                raise _fail(path, "an object", value)
            if not members and declared:
                members.update({name: _compile(member) for name, member in declared.items()})
            for key, item in value.items():
                checker = members.get(key)
                if checker is None:
                    raise OutputShapeError(f"{path}: unknown member {key!r}")
                if item is not None:
                    checker(item, f"{path}.{key}")

        return structure  # members compiled on first use: shapes may be recursive
    if kind == "list":
        item_check: list[Checker] = []

        def list_(value: Any, path: str) -> None:
            if not isinstance(value, (list, tuple)):
                raise _fail(path, "a list", value)
            if not item_check:
                item_check.append(_compile(shape.member))  # type: ignore[attr-defined]
            for index, item in enumerate(value):
                item_check[0](item, f"{path}[{index}]")

        return list_
    if kind == "map":
        key_check, value_check = _compile(shape.key), _compile(shape.value)  # type: ignore[attr-defined]

        def map_(value: Any, path: str) -> None:
            if not isinstance(value, dict):
                raise _fail(path, "a map", value)
            for key, item in value.items():
                key_check(key, f"{path}<key>")
                value_check(item, f"{path}[{key}]")

        return map_
    if kind == "string":
        enum = frozenset(getattr(shape, "enum", None) or ())

        def string(value: Any, path: str) -> None:
            if not isinstance(value, str):
                raise _fail(path, "a string", value)
            if enum and value not in enum:
                raise _fail(path, f"one of {sorted(enum)}", value)

        return string
    if kind in ("integer", "long"):
        return _typed("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool))
    if kind in ("float", "double"):
        return _typed("a number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
    if kind == "boolean":
        return _typed("a boolean", lambda v: isinstance(v, bool))
    if kind == "timestamp":
        return _typed(
            "a datetime",
            lambda v: isinstance(v, _dt.datetime) or (isinstance(v, (int, float)) and not isinstance(v, bool)),
        )
    if kind == "blob":
        return _typed("bytes or base64 text", lambda v: isinstance(v, (bytes, str)))
    raise OutputShapeError(f"unexpected shape type {kind}")  # pragma: no cover - the model has none


def _typed(expected: str, ok: Callable[[Any], bool]) -> Checker:
    def typed(value: Any, path: str) -> None:
        if not ok(value):
            raise _fail(path, expected, value)

    return typed
