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
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

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
        seen = [index for index, entry in enumerate(entries) if _selects(rule, entry)]
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


def _selects(rule: Rule, entry: _Entry) -> bool:
    """Whether ``entry`` meets the rule's storage class and tagging requirements."""
    if entry.storage_class != rule.storage_class:
        return False
    if rule.tag_status == "any":
        return True
    if rule.tag_status == "untagged":
        return not entry.tags
    if not entry.tags:
        return False
    tags = entry.tags
    if rule.tag_prefixes:
        return all(any(tag.startswith(prefix) for tag in tags) for prefix in _distinct_prefixes(rule.tag_prefixes))
    for pattern in _distinct_patterns(rule.tag_patterns):
        for tag in tags:
            if tag_pattern_matches(pattern, tag):
                break
        else:
            return False
    return True


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
