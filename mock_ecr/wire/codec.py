"""The wire layer: botocore's ECR model turned into request checks and response bodies.

Everything here is derived from the service model, so a new botocore release that adds a
member or tightens a constraint changes the mock's behaviour without new code. Per
operation, the input shape is compiled once into a tree of small closures that validates
a decoded JSON body (types, required members, lengths, ranges, patterns, enums) and
decodes blob members from base64. Constraint failures raise ECR's
``InvalidParameterException`` wording; JSON type mismatches raise
``SerializationException`` as the AWS JSON protocol does. Bodies are parsed in
``wire.body`` and answers encoded in ``wire.encoding``.
"""

from __future__ import annotations

import binascii
import datetime as _dt
from collections.abc import Callable
from functools import cache
from typing import Any, cast

from botocore.model import ListShape, MapShape, Shape, StringShape, StructureShape

from .. import messages
from ..errors import (
    SerializationException,
    UnknownOperationException,
    invalid_parameter,
)
from . import body as _body
from . import patterns, specialized
from .body import DecodedBlob, strict_b64decode
from .encoding import encode_error as encode_error  # the gateway's one import of the wire
from .encoding import encode_result as encode_result
from .model import TARGET_PREFIX, operation_model, operation_names

#: a compiled check: (value, path) -> the value decoded. ``path`` None: no path is worked
#: out (the first failure is raised without one, and the check run again with paths)
Checker = Callable[[Any, "str | None"], Any]


#: the media types of the AWS JSON protocols
JSON_MEDIA_TYPES = frozenset({"application/x-amz-json-1.1", "application/x-amz-json-1.0"})


def check_content_type(value: str | None) -> None:
    """AWS JSON services choose the protocol by Content-Type: with any other (or none), no
    operation is found, as AWS answers a request sent as application/octet-stream."""
    if value in JSON_MEDIA_TYPES:  # what botocore sends
        return
    if (value or "").split(";", 1)[0].strip().lower() not in JSON_MEDIA_TYPES:
        raise UnknownOperationException(messages.unknown_content_type(value))


def operation_from_target(target: str | None) -> str:
    name = _operations_by_target().get(target) if target else None
    if name is None:
        raise UnknownOperationException(messages.unknown_operation(target))
    return name


@cache
def _operations_by_target() -> dict[str, str]:
    """``X-Amz-Target`` value -> operation name, for every operation of the model."""
    return {TARGET_PREFIX + name: name for name in operation_names()}


# -- request decoding -------------------------------------------------------------------


def parse_body(body: bytes | str | None, operation: str | None = None) -> dict[str, Any]:
    """The JSON object of a request body; ``operation`` lets a large body's blob members
    take the short way (``wire.body``)."""
    if not body:
        return {}
    try:
        params = _body.parse(body, _blob_members(operation) if operation is not None else ())
    except (ValueError, UnicodeDecodeError, RecursionError):  # nesting past the stack: not a structure
        raise SerializationException(messages.NOT_A_STRUCTURE) from None
    if not isinstance(params, dict):
        raise SerializationException(messages.NOT_A_STRUCTURE)
    return params


@cache
def _blob_members(operation: str) -> tuple[str, ...]:
    """The top-level blob members of ``operation``'s input (UploadLayerPart's ``layerPartBlob``)."""
    shape = operation_model(operation).input_shape
    if shape is None:
        return ()
    return tuple(name for name, member in shape.members.items() if member.type_name == "blob")


def decode_params(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """Validate ``params`` against the operation's input shape; returns them with blobs decoded.

    Nearly every request is valid: the members' paths (``imageIds.3.member.imageTag``),
    which only an error names, are worked out only when a first run finds one."""
    checker = _input_checker(operation)
    try:
        return checker(params, None)
    except (_Violation, SerializationException):
        pass
    try:
        return checker(params, "")
    except _Violation as violation:
        raise invalid_parameter(violation.path or "", violation.constraint) from None


class _Violation(Exception):
    """A constraint failure at ``path``; becomes InvalidParameterException at the top."""

    def __init__(self, path: str | None, kind: str, limit: Any = None) -> None:
        super().__init__(path)
        self.path = path
        self.constraint = _constraint_text(path, kind, limit)


#: ECR checks these members with its own validators, which word constraints without "Member"
_ECR_WORDED = {"repositoryName", "registryId"}


def _constraint_text(path: str | None, kind: str, limit: Any) -> str:
    if path in _ECR_WORDED:
        if kind == "pattern":
            shown = limit.replace("\\/", "/")
            return (
                f"must satisfy regular expression '{shown}'"
                if path == "repositoryName"
                else (f"must satisfy regular expression {shown}")
            )
        return messages.CONSTRAINTS[kind].format(limit)[len("Member ") :]
    return messages.CONSTRAINTS[kind].format(limit)


@cache
def _input_checker(operation: str) -> Checker:
    shape = operation_model(operation).input_shape
    if shape is None:
        return lambda value, path: {}
    return _compile(shape)


def _join(path: str | None, member: str) -> str | None:
    """The path of ``member`` (None while paths are not worked out)."""
    if path is None:
        return None
    return f"{path}.{member}" if path else member


def _type_error(path: str | None, expected: str) -> SerializationException:
    return SerializationException(messages.wrong_json_type(expected, path or "body"))


def _compile(shape: Shape) -> Checker:
    kind = shape.type_name
    if kind == "structure":
        return _compile_structure(cast(StructureShape, shape))
    if kind == "list":
        return _compile_list(cast(ListShape, shape))
    if kind == "map":
        return _compile_map(cast(MapShape, shape))
    if kind == "string":
        return _compile_string(cast(StringShape, shape))
    if kind in ("integer", "long"):
        return _compile_integer(shape)
    if kind == "boolean":
        return _compile_boolean()
    if kind == "blob":
        return _compile_blob(shape)
    if kind == "timestamp":
        return _compile_timestamp()
    if kind in ("float", "double"):
        return _compile_number()
    raise NotImplementedError(f"shape type {kind}")  # pragma: no cover - model has none


def _compile_structure(shape: StructureShape) -> Checker:
    members = {name: _compile(member) for name, member in shape.members.items()}
    required = tuple(shape.required_members)

    def check(value: Any, path: str | None) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _type_error(path, "an object")
        out = {}
        for name, item in value.items():
            checker = members.get(name)
            if checker is None or item is None:
                continue  # unknown members are ignored, as AWS JSON services do
            out[name] = checker(item, _join(path, name))
        for name in required:
            if name not in out:
                raise _Violation(_join(path, name), "null")
        return out

    # a structure of scalars (an ImageIdentifier, a Tag) gets straight-line checks
    return specialized.structure_checker(shape, check, _pattern_matcher) or check


def _check_length(size: int, path: str | None, low: int | None, high: int | None) -> None:
    if low is not None and size < low:
        raise _Violation(path, "min_length", low)
    if high is not None and size > high:
        raise _Violation(path, "max_length", high)


def _compile_list(shape: ListShape) -> Checker:
    item_check = _compile(shape.member)
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    scalar_items = shape.member.type_name not in ("structure", "list", "map")

    def check(value: Any, path: str | None) -> list[Any]:
        if not isinstance(value, list):
            raise _type_error(path, "a list")
        _check_length(len(value), path, low, high)
        if path is None:
            return [item_check(item, None) for item in value]
        try:
            return [item_check(item, f"{path}.{i}.member") for i, item in enumerate(value, 1)]
        except _Violation as violation:
            if scalar_items and (violation.path or "").startswith(path + "."):
                # a scalar item's failure is reported on the list, wrapped
                violation.path = path
                violation.constraint = f"Member must satisfy constraint: [{violation.constraint}]"
            raise

    # a list of structures of scalars (imageIds) is checked in one generated loop
    return specialized.list_checker(shape, check, _pattern_matcher) or check


def _compile_map(shape: MapShape) -> Checker:
    key_check = _compile(shape.key)
    value_check = _compile(shape.value)
    low, high = shape.metadata.get("min"), shape.metadata.get("max")

    def check(value: Any, path: str | None) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _type_error(path, "a map")
        _check_length(len(value), path, low, high)
        return {key_check(k, path): value_check(v, None if path is None else f"{path}.{k}") for k, v in value.items()}

    return check


@cache
def _pattern_matcher(pattern: str) -> Callable[[str], bool]:
    """Full matching of ``pattern``, remembering the strings that matched.

    The same few values (a repository name, the registry id) are checked on nearly every
    call: a set lookup answers them. At most 4,096 strings of up to 256 characters are
    remembered per pattern; the set starts over when full.
    """
    # linear time whatever the pattern: some of the model's backtrack exponentially in ``re``
    matches = patterns.compile_fullmatch(pattern)
    remembered: set[str] = set()

    def matcher(value: str) -> bool:
        if value in remembered:
            return True
        if not matches(value):
            return False
        if len(value) <= 256:
            if len(remembered) >= 4096:
                remembered.clear()
            remembered.add(value)
        return True

    return matcher


def _compile_string(shape: StringShape) -> Checker:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    pattern = shape.metadata.get("pattern")
    matcher = _pattern_matcher(pattern) if pattern else None
    enum = frozenset(shape.enum) if shape.enum else None
    enum_text = ", ".join(shape.enum) if shape.enum else ""

    def check(value: Any, path: str | None) -> str:
        if type(value) is not str:
            raise _type_error(path, "a string")
        if low is not None or high is not None:
            _check_length(len(value), path, low, high)
        if matcher is not None and not matcher(value):
            raise _Violation(path, "pattern", pattern)
        if enum is not None and value not in enum:
            raise _Violation(path, "enum", enum_text)
        return value

    return check


def _compile_integer(shape: Shape) -> Checker:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")

    def check(value: Any, path: str | None) -> int:
        if type(value) is not int:
            raise _type_error(path, "an integer")
        if low is not None and value < low:
            raise _Violation(path, "min_value", low)
        if high is not None and value > high:
            raise _Violation(path, "max_value", high)
        return value

    return check


def _compile_boolean() -> Checker:
    def check(value: Any, path: str | None) -> bool:
        if type(value) is not bool:
            raise _type_error(path, "a boolean")
        return value

    return check


def _compile_number() -> Checker:
    def check(value: Any, path: str | None) -> float:
        if type(value) not in (int, float):
            raise _type_error(path, "a number")
        return value

    return check


def _compile_timestamp() -> Checker:
    def check(value: Any, path: str | None) -> _dt.datetime:
        if type(value) not in (int, float):
            raise _type_error(path, "a timestamp")
        return _dt.datetime.fromtimestamp(value, _dt.timezone.utc)

    return check


def _compile_blob(shape: Shape) -> Checker:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")

    def check(value: Any, path: str | None) -> bytes:
        if type(value) is DecodedBlob:  # decoded with the body (``wire.body``)
            data = value.data
        elif type(value) is not str:
            raise _type_error(path, "a base64 string")
        else:
            try:
                data = strict_b64decode(value)
            except (binascii.Error, ValueError):
                raise SerializationException(messages.invalid_base64(path or "")) from None
        _check_length(len(data), path, low, high)
        return data

    return check
