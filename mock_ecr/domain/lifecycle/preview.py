"""A lifecycle policy preview: what a policy would do, fixed when the preview starts.

Everything a GetLifecyclePolicyPreview needs is indexed when the preview starts, so a
page, a filter or a list of named images costs what it returns, not the preview's size.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass

from .engine import Decision


@dataclass
class Preview:
    """One repository's latest preview: results fixed when it started, status moving once."""

    policy_text: str
    #: what the policy would do, in rule-priority then push-time order
    decisions: tuple[Decision, ...]
    #: positions in ``decisions`` per tag status ("ANY", "TAGGED", "UNTAGGED")
    positions: dict[str, list[int]]
    #: position of each digest and each tag (an image is acted on by one rule at most)
    by_digest: dict[str, int]
    by_tag: dict[str, int]
    expiring: int
    #: target storage class -> number of images transitioning to it
    transitioning: dict[str, int]
    status: str = "IN_PROGRESS"

    @classmethod
    def snapshot(cls, text: str, decisions: list[Decision]) -> Preview:
        positions: dict[str, list[int]] = {"ANY": [], "TAGGED": [], "UNTAGGED": []}
        by_digest: dict[str, int] = {}
        by_tag: dict[str, int] = {}
        expiring = 0
        transitioning: dict[str, int] = {}
        for position, decision in enumerate(decisions):
            positions["ANY"].append(position)
            positions["TAGGED" if decision.tags else "UNTAGGED"].append(position)
            by_digest[decision.digest] = position
            by_tag.update(dict.fromkeys(decision.tags, position))
            if decision.action == "EXPIRE":
                expiring += 1
            elif decision.target_storage_class:
                target = decision.target_storage_class
                transitioning[target] = transitioning.get(target, 0) + 1
        return cls(text, tuple(decisions), positions, by_digest, by_tag, expiring, transitioning)

    def copy(self) -> Preview:
        """Another record of the same results (immutable, shared) whose status moves on its own."""
        return copy.copy(self)

    @property
    def in_progress(self) -> bool:
        return self.status == "IN_PROGRESS"

    def complete(self) -> None:
        """The first successful read completes a preview (see ``api.lifecycle``)."""
        self.status = "COMPLETE"

    def named(self, references: Iterable[tuple[str | None, str | None]], tag_status: str) -> list[int]:
        """Positions of the results of the images that (digest, tag) ``references`` name,
        in preview order."""
        found: set[int] = set()
        for digest, tag in references:
            if digest is not None:
                position = self.by_digest.get(digest)
                if position is not None and tag is not None and tag not in self.decisions[position].tags:
                    position = None  # digest and tag name different images
            else:
                position = self.by_tag.get(tag) if tag is not None else None
            if position is not None and _has_status(self.decisions[position], tag_status):
                found.add(position)
        return sorted(found)


def _has_status(decision: Decision, tag_status: str) -> bool:
    return tag_status == "ANY" or bool(decision.tags) == (tag_status == "TAGGED")
