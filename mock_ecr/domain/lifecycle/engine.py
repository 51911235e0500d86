"""Apply a parsed lifecycle policy to a repository's images (pure: no store, no HTTP, no clock).

Semantics follow "Lifecycle policy evaluation rules" in the ECR user guide:

* Rules apply in ascending ``rulePriority``; an image is expired (or archived) by exactly one
  or zero rules.
* An image that matches the tagging requirements of a rule cannot be acted on by a rule with
  a lower priority. Lower rules still *see* such images "as if they haven't been expired": an
  ``imageCountMoreThan`` rule counts them among the images it keeps. That is how the guide's
  "Filtering on multiple rules" example A ends with only image A expired.
* ``tagPrefixList``/``tagPatternList`` match an image when *every* entry matches at least one
  of its tags; ``untagged`` selects images without tags; ``any`` selects every image.
* A rule only sees images of its ``storageClass`` (standard unless it says archive).
* ``imageCountMoreThan`` keeps the N most recently pushed images and selects the rest; the
  ``since*`` count types select images whose reference time is more than N days before ``now``.
* Expiration is ordered by push time, oldest first.

The caller supplies ``now`` so this module never reads a clock.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from .rules import LifecyclePolicy, Rule

_MAX_DAYS = timedelta.max.days
_STAR_RUNS = re.compile(r"\*{2,}")


class LifecycleImage(Protocol):
    """What the engine reads from an image; any object with these attributes will do.

    Optional attributes, read with ``getattr`` when present:

    * ``storage_class``: ``"STANDARD"`` (the default) or ``"ARCHIVE"``, any case;
    * ``last_pulled_at``: lastRecordedPullTime; ``sinceImagePulled`` falls back to the push
      time for images never pulled;
    * ``last_archived_at`` (or ``last_transitioned_at``): when the image was archived, the
      clock of ``sinceImageTransitioned``; push time if absent.
    """

    @property
    def digest(self) -> str: ...
    @property
    def tags(self) -> Collection[str]: ...
    @property
    def pushed_at(self) -> datetime: ...


@dataclass(frozen=True)
class Decision:
    """One image one rule acts on, with what a lifecycle policy preview result reports."""

    digest: str
    #: the image's tags, sorted
    tags: tuple[str, ...]
    pushed_at: datetime
    #: ``"EXPIRE"`` or ``"TRANSITION"`` (botocore's ImageActionType)
    action: str
    rule_priority: int
    #: ``"ARCHIVE"`` for a transition, else None
    target_storage_class: str | None
    #: the image's storage class when evaluated: ``"STANDARD"`` or ``"ARCHIVE"``
    storage_class: str = "STANDARD"


@dataclass(frozen=True)
class _Entry:
    image: LifecycleImage
    tags: tuple[str, ...]
    storage_class: str


def evaluate(policy: LifecyclePolicy, images: Iterable[LifecycleImage], now: datetime) -> list[Decision]:
    """What ``policy`` does to ``images`` at ``now``, ordered by rule priority, then push time.

    ``now`` and every image timestamp must be timezone-aware. Cost: one sort of the images,
    then one pass per rule (at most 50 rules).
    """
    entries = [_Entry(image, tuple(sorted(image.tags)), _storage_class(image)) for image in images]
    # Newest first; a push-time tie is broken by digest so results never depend on input order.
    entries.sort(key=lambda entry: (entry.image.pushed_at, entry.image.digest), reverse=True)
    claimed: set[int] = set()
    decisions: list[Decision] = []
    for rule in sorted(policy.rules, key=lambda rule: rule.priority):
        selects = _selector(rule)
        seen = [index for index, entry in enumerate(entries) if selects(entry)]
        for index in _chosen(rule, seen, entries, now):
            if index not in claimed:
                decisions.append(_decision(rule, entries[index]))
        claimed.update(seen)
    decisions.sort(key=lambda decision: (decision.rule_priority, decision.pushed_at, decision.digest))
    return decisions


def tag_pattern_matches(pattern: str, tag: str) -> bool:
    """Whether ``tag`` matches ``pattern`` as a whole, ``*`` standing for any run of characters.

    Linear time, no regular expressions: the text before the first ``*`` must start the tag,
    the text after the last must end it, and the pieces between are found left to right, each
    at its leftmost place after the previous one (taking the leftmost place never loses a match).
    """
    pieces = pattern.split("*")
    if len(pieces) == 1:
        return tag == pattern
    head, *middle, tail = pieces
    end = len(tag) - len(tail)
    if end < len(head) or not tag.startswith(head) or not tag.endswith(tail):
        return False
    position = len(head)
    for piece in middle:
        found = tag.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def _storage_class(image: LifecycleImage) -> str:
    return str(getattr(image, "storage_class", None) or "standard").lower()


def _selector(rule: Rule) -> Callable[[_Entry], bool]:
    """Whether an entry meets the rule's storage class and tagging requirements.

    Built once per rule and evaluation: its pattern tests are looked up once, not once per
    image (a lookup hashes the whole pattern list, thousands long in a hostile policy).
    """
    storage_class, status = rule.storage_class, rule.tag_status
    if status == "any":
        return lambda entry: entry.storage_class == storage_class
    if status == "untagged":
        return lambda entry: entry.storage_class == storage_class and not entry.tags
    if rule.tag_prefixes:
        starts = _prefix_tests(rule.tag_prefixes)

        def tests(tags: tuple[str, ...]) -> bool:
            return all(any(map(start, tags)) for start in starts)

    else:
        patterns = _pattern_tests(rule.tag_patterns)

        def tests(tags: tuple[str, ...]) -> bool:
            return all(test(tags) for test in patterns)

    return lambda entry: entry.storage_class == storage_class and bool(entry.tags) and tests(entry.tags)


@functools.lru_cache(maxsize=128)
def _distinct_patterns(patterns: tuple[str, ...]) -> tuple[str, ...]:
    """The patterns that decide anything, each once: runs of ``*`` collapsed, patterns of
    only ``*`` dropped (they match any tag, and the rule's images are tagged), the most
    specific first, so an image that fails does so early. The cost of a hostile policy
    (thousands of patterns, mostly repeats) is then one pass per distinct pattern."""
    distinct = dict.fromkeys(_STAR_RUNS.sub("*", pattern) for pattern in patterns)
    distinct.pop("*", None)
    return tuple(sorted(distinct, key=lambda pattern: -len(pattern.replace("*", ""))))


@functools.lru_cache(maxsize=128)
def _distinct_prefixes(prefixes: tuple[str, ...]) -> tuple[str, ...]:
    """Each prefix once, the empty one (matching any tag) dropped, longest first."""
    distinct = dict.fromkeys(prefixes)
    distinct.pop("", None)
    return tuple(sorted(distinct, key=len, reverse=True))


@functools.lru_cache(maxsize=128)
def _prefix_tests(prefixes: tuple[str, ...]) -> tuple[Callable[[str], bool], ...]:
    """``str.startswith`` of each distinct prefix, for ``map`` over an image's tags."""
    return tuple(operator.methodcaller("startswith", prefix) for prefix in _distinct_prefixes(prefixes))


@functools.lru_cache(maxsize=128)
def _pattern_tests(patterns: tuple[str, ...]) -> tuple[Callable[[tuple[str, ...]], bool], ...]:
    """For each distinct pattern, whether any of an image's tags matches it.

    The shapes hostile and ordinary policies use most (``exact``, ``head*``, ``*tail``,
    ``*middle*``) are tested by ``str`` methods mapped over the tags, with no Python-level
    loop; the others by ``tag_pattern_matches``.
    """
    return tuple(_pattern_test(pattern) for pattern in _distinct_patterns(patterns))


def _pattern_test(pattern: str) -> Callable[[tuple[str, ...]], bool]:
    pieces = pattern.split("*")
    if len(pieces) == 1:
        return lambda tags: pattern in tags
    test: Callable[[str], Any]
    if len(pieces) == 2 and not pieces[1]:
        test = operator.methodcaller("startswith", pieces[0])
    elif len(pieces) == 2 and not pieces[0]:
        test = operator.methodcaller("endswith", pieces[1])
    elif len(pieces) == 3 and not pieces[0] and not pieces[2]:
        test = operator.methodcaller("__contains__", pieces[1])
    else:
        test = functools.partial(tag_pattern_matches, pattern)
    return lambda tags: any(map(test, tags))


def _chosen(rule: Rule, seen: list[int], entries: list[_Entry], now: datetime) -> list[int]:
    """The images in ``seen`` (newest first) that the rule's count criterion selects."""
    if rule.count_type == "imageCountMoreThan":
        return seen[rule.count_number :]
    if rule.count_number > _MAX_DAYS:
        return []
    limit = timedelta(days=rule.count_number)
    return [index for index in seen if now - _reference_time(rule, entries[index].image) > limit]


def _reference_time(rule: Rule, image: LifecycleImage) -> datetime:
    """The time a ``since*`` rule measures age from."""
    if rule.count_type == "sinceImagePulled":
        return getattr(image, "last_pulled_at", None) or image.pushed_at
    if rule.count_type == "sinceImageTransitioned":
        archived = getattr(image, "last_archived_at", None) or getattr(image, "last_transitioned_at", None)
        return archived or image.pushed_at
    return image.pushed_at


def _decision(rule: Rule, entry: _Entry) -> Decision:
    target = rule.target_storage_class.upper() if rule.target_storage_class else None
    return Decision(
        digest=entry.image.digest,
        tags=entry.tags,
        pushed_at=entry.image.pushed_at,
        action=rule.action_type.upper(),
        rule_priority=rule.priority,
        target_storage_class=target,
        storage_class=entry.storage_class.upper(),
    )
