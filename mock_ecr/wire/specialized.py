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
from typing import Any

from botocore.model import Shape, StructureShape

Checker = Callable[[Any, "str | None"], Any]

#: member types whose decoded value is the JSON value itself
_SCALARS = frozenset({"string", "integer", "long", "boolean", "float", "double"})


def structure_checker(
    shape: StructureShape, generic: Checker, matcher: Callable[[str], Callable[[str], bool]]
) -> Checker | None:
    """A fast checker for ``shape`` falling back on ``generic``, or None when some member
    is not a scalar (its decoded value differs from the JSON one). ``matcher(pattern)`` is
    the codec's full-match test of a pattern."""
    members = shape.members
    if not members or any(member.type_name not in _SCALARS for member in members.values()):
        return None
    required = set(shape.required_members)
    namespace: dict[str, Any] = {"generic": generic, "dict": dict, "str": str, "int": int, "float": float}
    lines = ["def check(value, path):", "    if type(value) is not dict:", "        return generic(value, path)"]
    lines.append("    present = 0")
    for number, (name, member) in enumerate(members.items()):
        v = f"v{number}"
        lines.append(f"    {v} = value.get({name!r})")
        if name in required:
            lines.append(f"    if {v} is None:")
            lines.append("        return generic(value, path)")
            indent = "    "
        else:
            lines.append(f"    if {v} is not None:")
            indent = "        "
        tests = _member_tests(member, v, number, namespace, matcher)
        lines.extend(indent + test for test in [*tests, "present += 1"])
    # fewer members present than the value holds: one is null or unknown (dropped by the generic)
    lines.append("    if present != len(value):")
    lines.append("        return generic(value, path)")
    lines.append("    return dict(value)")
    exec("\n".join(lines), namespace)  # noqa: S102 - generated from the service model only
    check: Checker = namespace["check"]
    check.__qualname__ = f"check_{shape.name}"
    return check


def _member_tests(
    member: Shape, v: str, number: int, namespace: dict[str, Any], matcher: Callable[[str], Callable[[str], bool]]
) -> list[str]:
    """Lines that hand the whole value to the generic checker if member value ``v`` fails."""
    kind = member.type_name
    fail = "return generic(value, path)"
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
