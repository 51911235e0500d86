"""Parse and validate lifecycle policy text the way PutLifecyclePolicy does (pure: no store, no HTTP).

Real ECR validates in three stages, and so do we, so the problem reported is the one ECR
would report:

1. Jackson maps the text; anything that is not a JSON object fails with "Could not map
   policyString into LifecyclePolicy."
2. A JSON schema (the fge json-schema-validator: its wording "object has missing required
   properties", "instance failed to match exactly one schema (matched 0 out of 2)" shows
   in real ECR answers) checks shapes, types, enums and unknown keys, and reports every
   violation, one per line, with no closing quote. The countType/countUnit pair of a
   selection and the action's content are each a ``oneOf`` of two variants, which is why a
   null ``countUnit`` or ``targetStorageClass`` earns only the oneOf message.
3. ECR's own semantic checks, phrased "Must specify tagPrefixList or tagPatternList when
   tagStatus=TAGGED." and so on, each rule in order and then across rules; the first
   failure is reported.

Every message is wrapped as ECR wraps it: "Invalid parameter at 'LifecyclePolicyText' failed
to satisfy constraint: 'Lifecycle policy validation failure: <detail>'". Text length
(100..30720) is the wire layer's job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ... import messages
from ...errors import InvalidParameterException
from ...messages import (  # re-exported: the names tests and callers use
    ANY_RULE_LAST,
    ANY_WITH_LIST,
    ARCHIVE_ONLY,
    DUPLICATE_PRIORITY,
    NO_TRANSITION_FROM_ARCHIVE,
    NOT_MAPPABLE,
    ONE_OF,
    ONE_UNTAGGED_RULE,
    STANDARD_ONLY,
    TAGGED_BOTH_LISTS,
    TAGGED_NEEDS_LIST,
    UNTAGGED_WITH_LIST,
)

TAG_STATUSES = ("tagged", "untagged", "any")
COUNT_TYPES = ("imageCountMoreThan", "sinceImagePushed", "sinceImagePulled", "sinceImageTransitioned")
#: count types measured in days, the ones that take ``countUnit``
AGE_COUNT_TYPES = frozenset(COUNT_TYPES[1:])
STORAGE_CLASSES = ("standard", "archive")
#: "Rules per lifecycle policy" service quota
MAX_RULES = 50
#: "There is a maximum limit of four wildcards (*) per string" (lifecycle policy properties)
MAX_WILDCARDS = 4
#: "You cannot configure lifecycle policies that delete images that have been in archive for
#: less than 90 days" (Archiving an image)
MIN_ARCHIVE_DAYS = 90
#: ECR maps numbers into Java ints; larger values cannot be mapped
_JAVA_INT_MAX = 2**31 - 1

_RULE_KEYS = ("rulePriority", "description", "selection", "action")
_ABSENT = object()
_SELECTION_KEYS = (
    "tagStatus",
    "tagPatternList",
    "tagPrefixList",
    "storageClass",
    "countType",
    "countUnit",
    "countNumber",
)

# -- the details ECR sends (see the module docstring for the stages; texts in ``messages``) ---
ARCHIVE_MIN_DAYS = messages.archive_min_days(MIN_ARCHIVE_DAYS)


def too_many_wildcards(pattern: str) -> str:
    return messages.too_many_wildcards(pattern, MAX_WILDCARDS)


@dataclass(frozen=True)
class Rule:
    """One validated rule; values keep the policy's own spelling (``"tagged"``, ``"expire"``)."""

    priority: int
    description: str | None
    tag_status: str
    tag_prefixes: tuple[str, ...]
    tag_patterns: tuple[str, ...]
    storage_class: str
    count_type: str
    count_unit: str | None
    count_number: int
    action_type: str
    target_storage_class: str | None = None


@dataclass(frozen=True)
class LifecyclePolicy:
    """A validated policy; ``rules`` ascend by priority, the order they are applied in."""

    rules: tuple[Rule, ...]


class _Invalid(Exception):
    """A validation failure, before we know which request member to blame."""

    def __init__(self, detail: str, *, closed: bool = True) -> None:
        super().__init__(detail)
        self.detail = detail
        # Real ECR closes the constraint's quote after its own messages but not after
        # schema-validator output; ``closed`` mirrors that.
        self.closed = closed


def parse_lifecycle_policy(text: str, *, member: str = "LifecyclePolicyText") -> LifecyclePolicy:
    """The policy ``text`` describes, or the InvalidParameterException PutLifecyclePolicy sends."""
    try:
        return _parse(text)
    except _Invalid as problem:
        message = messages.lifecycle_validation_failure(member, problem.detail, closed=problem.closed)
        raise InvalidParameterException(message) from None


def _parse(text: str) -> LifecyclePolicy:
    document = _load(text)
    problems: list[str] = []
    _check_document(document, problems)
    if problems:
        # ECR sends every schema complaint, one per line, and no closing quote after them.
        raise _Invalid("\n".join(problems), closed=False)
    rules = [_build_rule(node) for node in document["rules"]]
    for rule, node in zip(rules, document["rules"], strict=True):
        _check_rule(rule, node["selection"])
    _check_across_rules(rules)
    return LifecyclePolicy(tuple(sorted(rules, key=lambda rule: rule.priority)))


def _load(text: str) -> dict[str, Any]:
    """The JSON object ``text`` holds; Jackson, like us, refuses NaN/Infinity and trailing data."""

    def refuse(constant: str) -> Any:
        raise ValueError(constant)

    try:
        document = json.loads(text, parse_constant=refuse)
    except (ValueError, TypeError, RecursionError):
        raise _Invalid(NOT_MAPPABLE) from None
    if not isinstance(document, dict):
        raise _Invalid(NOT_MAPPABLE)
    return document


# -- stage 2: schema, in fge json-schema-validator's words ----------------------------------
# Each checker appends what is wrong with one node, then checks the node's members in name
# order; a node of the wrong type is not looked into.
def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _render(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _typed(value: Any, expected: str, problems: list[str]) -> bool:
    actual = _json_type(value)
    if actual != expected:
        problems.append(messages.wrong_type(actual, _render([expected])))
    return actual == expected


def _members(node: dict[str, Any], required: tuple[str, ...], allowed: tuple[str, ...], problems: list[str]) -> None:
    missing = sorted(set(required) - node.keys())
    if missing:
        problems.append(messages.missing_properties(_render(missing)))
    unwanted = sorted(node.keys() - set(allowed))
    if unwanted:
        problems.append(messages.unwanted_properties(_render(unwanted)))


def _enum(value: Any, choices: tuple[str, ...], problems: list[str]) -> None:
    if not isinstance(value, str) or value not in choices:
        problems.append(messages.not_in_enum(_render(value), _render(list(choices))))


def _count(value: Any, problems: list[str]) -> None:
    """rulePriority and countNumber: positive integers that fit the Java int ECR maps them to."""
    if not _typed(value, "integer", problems):
        return
    if value > _JAVA_INT_MAX:
        raise _Invalid(NOT_MAPPABLE)
    if value < 1:
        problems.append(messages.below_minimum(value))


def _strings(value: Any, problems: list[str]) -> None:
    if _typed(value, "array", problems):
        for item in value:
            _typed(item, "string", problems)


def _check_document(document: dict[str, Any], problems: list[str]) -> None:
    _members(document, ("rules",), ("rules",), problems)
    if "rules" not in document or not _typed(document["rules"], "array", problems):
        return
    rules = document["rules"]
    if not rules:
        problems.append(messages.EMPTY_RULES)
    if len(rules) > MAX_RULES:
        problems.append(messages.too_many_rules(MAX_RULES, len(rules)))
    for node in rules:
        if _typed(node, "object", problems):
            _check_rule_node(node, problems)


def _check_rule_node(node: dict[str, Any], problems: list[str]) -> None:
    _members(node, ("action", "rulePriority", "selection"), _RULE_KEYS, problems)
    for key in sorted(node.keys() & set(_RULE_KEYS)):
        value = node[key]
        if key == "action":
            if _typed(value, "object", problems):
                _check_action(value, problems)
        elif key == "description":
            _typed(value, "string", problems)
        elif key == "rulePriority":
            _count(value, problems)
        elif _typed(value, "object", problems):
            _check_selection(value, problems)


def _check_selection(selection: dict[str, Any], problems: list[str]) -> None:
    _members(selection, ("countNumber", "countType", "tagStatus"), _SELECTION_KEYS, problems)
    # oneOf: {countType imageCountMoreThan, no countUnit} | {countType since*, countUnit "days"}
    count_type = selection.get("countType", _ABSENT)
    by_count = count_type in (_ABSENT, "imageCountMoreThan") and "countUnit" not in selection
    by_age = (count_type is _ABSENT or (isinstance(count_type, str) and count_type in AGE_COUNT_TYPES)) and (
        selection.get("countUnit") == "days"
    )
    if by_count == by_age:
        problems.append(ONE_OF)
    for key in sorted(selection.keys() & set(_SELECTION_KEYS)):
        value = selection[key]
        if key == "countNumber":
            _count(value, problems)
        elif key == "storageClass":
            _enum(value, STORAGE_CLASSES, problems)
        elif key == "tagStatus":
            _enum(value, TAG_STATUSES, problems)
        elif key in ("tagPatternList", "tagPrefixList"):
            _strings(value, problems)


def _check_action(action: dict[str, Any], problems: list[str]) -> None:
    if "type" not in action:
        problems.append(messages.MISSING_ACTION_TYPE)
        return
    # oneOf: {type expire} | {type transition, targetStorageClass archive}; nothing else allowed
    expire = action == {"type": "expire"}
    transition = action == {"type": "transition", "targetStorageClass": "archive"}
    if not (expire or transition):
        problems.append(ONE_OF)


def _build_rule(node: dict[str, Any]) -> Rule:
    """The rule a schema-valid ``node`` describes."""
    selection, action = node["selection"], node["action"]
    return Rule(
        priority=node["rulePriority"],
        description=node.get("description"),
        tag_status=selection["tagStatus"],
        tag_prefixes=tuple(selection.get("tagPrefixList", ())),
        tag_patterns=tuple(selection.get("tagPatternList", ())),
        storage_class=selection.get("storageClass", "standard"),
        count_type=selection["countType"],
        count_unit=selection.get("countUnit"),
        count_number=selection["countNumber"],
        action_type=action["type"],
        target_storage_class=action.get("targetStorageClass"),
    )


# -- stage 3: ECR's semantic checks -----------------------------------------------------------
def _check_rule(rule: Rule, selection: dict[str, Any]) -> None:
    has_prefixes, has_patterns = "tagPrefixList" in selection, "tagPatternList" in selection
    if rule.tag_status == "tagged":
        if not rule.tag_prefixes and not rule.tag_patterns:
            raise _Invalid(TAGGED_NEEDS_LIST)
        if has_prefixes and has_patterns:
            raise _Invalid(TAGGED_BOTH_LISTS)
    elif has_prefixes or has_patterns:
        raise _Invalid(UNTAGGED_WITH_LIST if rule.tag_status == "untagged" else ANY_WITH_LIST)
    for pattern in rule.tag_patterns:
        if pattern.count("*") > MAX_WILDCARDS:
            raise _Invalid(too_many_wildcards(pattern))
    if rule.count_type == "sinceImageTransitioned":
        if rule.storage_class != "archive":
            raise _Invalid(ARCHIVE_ONLY)
        if rule.action_type == "transition":
            raise _Invalid(NO_TRANSITION_FROM_ARCHIVE)
        if rule.count_number < MIN_ARCHIVE_DAYS:
            raise _Invalid(ARCHIVE_MIN_DAYS)
    elif rule.storage_class != "standard":
        raise _Invalid(STANDARD_ONLY)


def _check_across_rules(rules: list[Rule]) -> None:
    priorities = [rule.priority for rule in rules]
    if len(set(priorities)) != len(priorities):
        raise _Invalid(DUPLICATE_PRIORITY)
    for storage_class in STORAGE_CLASSES:
        same_class = [rule for rule in rules if rule.storage_class == storage_class]
        if sum(rule.tag_status == "untagged" for rule in same_class) > 1:
            raise _Invalid(ONE_UNTAGGED_RULE)
        if not same_class:
            continue
        last = max(rule.priority for rule in same_class)
        if any(rule.tag_status == "any" and rule.priority != last for rule in same_class):
            raise _Invalid(ANY_RULE_LAST)
