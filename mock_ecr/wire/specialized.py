"""Straight-line checks for structures of scalar members, generated from the model.

Most request structures hold only strings, numbers and booleans (an ``ImageIdentifier``,
a ``Tag``, a filter), and some come a hundred to a list: BatchDeleteImage's ``imageIds``.
The generic checker (``codec._compile_structure``) loops over the members and calls one
closure per member; for these structures a function is generated instead (as
``dataclasses`` builds ``__init__``), one ``if`` per member, with the member's own
constraints inlined. It only ever says yes: a value it cannot vouch for (a wrong type, a
constraint broken, a missing required member, a member that is null or unknown to the
model) goes to the generic checker, which words the error exactly as before. A structure
it accepts decodes to a copy of itself (scalars decode to themselves), so the result is
the generic checker's, key for key and in the same order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from botocore.model import ListShape, Shape, StructureShape

Checker = Callable[[Any, "str | None"], Any]

#: member types whose decoded value is the JSON value itself
_SCALARS = frozenset({"string", "integer", "long", "boolean", "float", "double"})


def structure_checker(
    shape: StructureShape, generic: Checker, matcher: Callable[[str], Callable[[str], bool]]
) -> Checker | None:
    """A fast checker for ``shape`` falling back on ``generic``, or None when some member
    is not a scalar (its decoded value differs from the JSON one). ``matcher(pattern)`` is
    the codec's full-match test of a pattern."""
    if not _scalars_only(shape):
        return None
    namespace: dict[str, Any] = {"generic": generic, "dict": dict}
    lines = ["def check(value, path):"]
    lines.extend("    " + line for line in _record_lines(shape, "value", namespace, matcher))
    lines.append("    return dict(value)")
    return _define(lines, namespace, f"check_{shape.name}")


def list_checker(shape: ListShape, generic: Checker, matcher: Callable[[str], Callable[[str], bool]]) -> Checker | None:
    """A fast checker for a list of structures of scalars (BatchDeleteImage's ``imageIds``):
    the list's length and each item checked in one loop, with no call per item; anything
    it cannot vouch for goes to the list's ``generic`` checker."""
    item_shape = shape.member
    if item_shape.type_name != "structure" or not _scalars_only(cast(StructureShape, item_shape)):
        return None
    namespace: dict[str, Any] = {"generic": generic, "dict": dict}
    lines = ["def check(value, path):", "    if type(value) is not list:", f"        {_FAIL}"]
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None:
        lines.append(f"    if len(value) < {int(low)}: {_FAIL}")
    if high is not None:
        lines.append(f"    if len(value) > {int(high)}: {_FAIL}")
    lines += ["    out = []", "    append = out.append", "    for item in value:"]
    lines.extend(
        "        " + line for line in _record_lines(cast(StructureShape, item_shape), "item", namespace, matcher)
    )
    lines += ["        append(dict(item))", "    return out"]
    return _define(lines, namespace, f"check_list_of_{item_shape.name}")


#: what generated code does with a value it cannot vouch for
_FAIL = "return generic(value, path)"


def _scalars_only(shape: StructureShape) -> bool:
    members = shape.members
    return bool(members) and all(member.type_name in _SCALARS for member in members.values())


def _record_lines(
    shape: StructureShape, record: str, namespace: dict[str, Any], matcher: Callable[[str], Callable[[str], bool]]
) -> list[str]:
    """Lines checking the dict named ``record`` against ``shape`` (every failure: ``_FAIL``)."""
    required = set(shape.required_members)
    lines = [f"if type({record}) is not dict:", f"    {_FAIL}", "present = 0"]
    for number, (name, member) in enumerate(shape.members.items()):
        v = f"v{number}"
        lines.append(f"{v} = {record}.get({name!r})")
        if name in required:
            lines += [f"if {v} is None:", f"    {_FAIL}"]
            indent = ""
        else:
            lines.append(f"if {v} is not None:")
            indent = "    "
        tests = _member_tests(member, v, number, namespace, matcher)
        lines.extend(indent + test for test in [*tests, "present += 1"])
    # fewer members present than the record holds: one is null or unknown (dropped by the generic)
    lines += [f"if present != len({record}):", f"    {_FAIL}"]
    return lines


def _define(lines: list[str], namespace: dict[str, Any], name: str) -> Checker:
    exec("\n".join(lines), namespace)  # noqa: S102 - generated from the service model only
    check: Checker = namespace["check"]
    check.__qualname__ = check.__name__ = name
    return check


def _member_tests(
    member: Shape, v: str, number: int, namespace: dict[str, Any], matcher: Callable[[str], Callable[[str], bool]]
) -> list[str]:
    """Lines that hand the whole value to the generic checker if member value ``v`` fails."""
    kind = member.type_name
    fail = _FAIL
    if kind == "boolean":
        return [f"if type({v}) is not bool: {fail}"]
    if kind in ("float", "double"):
        return [f"if type({v}) is not int and type({v}) is not float: {fail}"]
    tests = [f"if type({v}) is not {'str' if kind == 'string' else 'int'}: {fail}"]
    low, high = member.metadata.get("min"), member.metadata.get("max")
    size = f"len({v})" if kind == "string" else v
    if low is not None:
        tests.append(f"if {size} < {int(low)}: {fail}")
    if high is not None:
        tests.append(f"if {size} > {int(high)}: {fail}")
    if kind == "string":
        pattern = member.metadata.get("pattern")
        if pattern:
            namespace[f"match{number}"] = matcher(pattern)
            tests.append(f"if not match{number}({v}): {fail}")
        if member.enum:  # type: ignore[attr-defined]
            namespace[f"enum{number}"] = frozenset(member.enum)  # type: ignore[attr-defined]
            tests.append(f"if {v} not in enum{number}: {fail}")
    return tests
