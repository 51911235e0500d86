"""Lifecycle policy evaluation, case by case against the ECR user guide's evaluation rules."""

from __future__ import annotations

import itertools
import json
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from mock_ecr.domain.lifecycle.engine import Decision, evaluate, tag_pattern_matches
from mock_ecr.domain.lifecycle.rules import LifecyclePolicy, parse_lifecycle_policy

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Image:
    digest: str
    tags: tuple[str, ...] = ()
    pushed_at: datetime = NOW


@dataclass(frozen=True)
class FullImage(Image):
    storage_class: str = "STANDARD"
    last_pulled_at: datetime | None = None
    last_archived_at: datetime | None = None


def image(digest: str, *tags: str, days: float = 0) -> Image:
    return Image(digest, tuple(tags), NOW - timedelta(days=days))


def policy(*selections: dict[str, Any], action: dict[str, Any] | None = None) -> LifecyclePolicy:
    rules = [
        {"rulePriority": i, "selection": s, "action": action or {"type": "expire"}}
        for i, s in enumerate(selections, start=1)
    ]
    return parse_lifecycle_policy(json.dumps({"rules": rules}))


def count(n: int, **selection: Any) -> dict[str, Any]:
    return {"countType": "imageCountMoreThan", "countNumber": n, **selection}


def age(days: int, count_type: str = "sinceImagePushed", **selection: Any) -> dict[str, Any]:
    return {"countType": count_type, "countUnit": "days", "countNumber": days, **selection}


def expired(pol: LifecyclePolicy, images: list[Any], now: datetime = NOW) -> list[str]:
    return [decision.digest for decision in evaluate(pol, images, now)]


# -- single rules --------------------------------------------------------------------------
def test_no_images_no_decisions() -> None:
    assert evaluate(policy(count(1, tagStatus="any")), [], NOW) == []


def test_image_count_keeps_the_newest() -> None:
    images = [image("a", days=5), image("b", days=4), image("c", days=3), image("d", days=1)]
    assert expired(policy(count(2, tagStatus="untagged")), images) == ["a", "b"]


def test_image_count_at_the_limit_expires_nothing() -> None:
    images = [image("a", days=2), image("b", days=1)]
    assert expired(policy(count(2, tagStatus="untagged")), images) == []


def test_since_image_pushed_is_strictly_older_than_the_limit() -> None:
    images = [image("old", days=15), image("edge", days=14), image("new", days=13)]
    assert expired(policy(age(14, tagStatus="untagged")), images) == ["old"]


def test_since_image_pushed_one_second_past_the_limit() -> None:
    pushed = NOW - timedelta(days=14, seconds=1)
    assert expired(policy(age(14, tagStatus="untagged")), [Image("x", (), pushed)]) == ["x"]


def test_untagged_rule_ignores_tagged_images() -> None:
    images = [image("t", "v1", days=9), image("u1", days=8), image("u2", days=7)]
    assert expired(policy(count(1, tagStatus="untagged")), images) == ["u1"]


def test_tagged_rule_ignores_untagged_images() -> None:
    images = [image("u", days=9), image("t1", "prod-1", days=8), image("t2", "prod-2", days=7)]
    assert expired(policy(count(1, tagStatus="tagged", tagPrefixList=["prod"])), images) == ["t1"]


def test_any_rule_matches_every_image() -> None:
    images = [image("u", days=9), image("t1", "prod-1", days=8), image("t2", "x", days=7)]
    assert expired(policy(count(1, tagStatus="any")), images) == ["u", "t1"]


def test_prefix_must_start_a_tag() -> None:
    images = [image("a", "preprod", days=3), image("b", "prod", days=2), image("c", "prod-2", days=1)]
    assert expired(policy(count(1, tagStatus="tagged", tagPrefixList=["prod"])), images) == ["b"]


def test_empty_prefix_matches_any_tagged_image() -> None:
    images = [image("a", "x", days=3), image("b", days=2), image("c", "y", days=1)]
    assert expired(policy(count(1, tagStatus="tagged", tagPrefixList=[""])), images) == ["a"]


# -- several tags in one rule: every entry must match (user guide, "multiple tags") ---------
def test_all_prefixes_must_match_example_a() -> None:
    images = [
        image("A", "alpha-1", days=12),
        image("B", "beta-1", days=11),
        image("C", "alpha-2", "beta-2", days=10),
        image("D", "alpha-3", days=4),
        image("E", "beta-3", days=3),
        image("F", "alpha-4", "beta-4", days=2),
    ]
    assert expired(policy(age(5, tagStatus="tagged", tagPrefixList=["alpha", "beta"])), images) == ["C"]


def test_tags_are_not_exclusive_example_b() -> None:
    images = [
        image("A", "alpha-1", "beta-1", "gamma-1", days=10),
        image("B", "alpha-2", "beta-2", days=9),
        image("C", "alpha-3", "beta-3", "gamma-2", days=8),
    ]
    assert expired(policy(count(1, tagStatus="tagged", tagPrefixList=["alpha", "beta"])), images) == ["A", "B"]


def test_one_tag_may_satisfy_several_prefixes() -> None:
    images = [image("a", "release-1.0", days=2), image("b", "release-2.0", days=1)]
    assert expired(policy(count(1, tagStatus="tagged", tagPrefixList=["rel", "release-"])), images) == ["a"]


def test_all_patterns_must_match() -> None:
    images = [image("a", "prod-1", "rc", days=4), image("b", "prod-2", days=3), image("c", "prod-3", "rc2", days=2)]
    assert expired(policy(age(1, tagStatus="tagged", tagPatternList=["prod-*", "rc*"])), images) == ["a", "c"]


@pytest.mark.parametrize(
    ("pattern", "selected"),
    [
        ("prod*", ["prod", "prod1", "prod-eu"]),
        ("*prod", ["prod", "preprod"]),
        ("*-rc*", ["v1-rc1", "v2-rc"]),
        ("prod", ["prod"]),
        ("*", ["prod", "prod1", "prod-eu", "preprod", "v1-rc1", "v2-rc", "latest"]),
        ("v*-rc*", ["v1-rc1", "v2-rc"]),
        ("p*o*d", ["prod", "preprod"]),
    ],
)
def test_tag_patterns_with_wildcards(pattern: str, selected: list[str]) -> None:
    tags = ["prod", "prod1", "prod-eu", "preprod", "v1-rc1", "v2-rc", "latest"]
    images = [image(tag, tag, days=10) for tag in tags]
    chosen = expired(policy(age(1, tagStatus="tagged", tagPatternList=[pattern])), images)
    assert sorted(chosen) == sorted(selected)


# -- several rules (user guide, "Filtering on multiple rules") -------------------------------
REPO = [image("A", "beta-1", "prod-1", days=10), image("B", "beta-2", "prod-2", days=9), image("C", "beta-3", days=8)]


def test_multiple_rules_example_a() -> None:
    pol = policy(
        count(1, tagStatus="tagged", tagPrefixList=["prod"]), count(1, tagStatus="tagged", tagPrefixList=["beta"])
    )
    assert expired(pol, REPO) == ["A"]


def test_multiple_rules_example_b() -> None:
    pol = policy(
        count(1, tagStatus="tagged", tagPrefixList=["beta"]), count(1, tagStatus="tagged", tagPrefixList=["prod"])
    )
    assert [(d.digest, d.rule_priority) for d in evaluate(pol, REPO, NOW)] == [("A", 1), ("B", 1)]


def test_lower_rule_counts_images_a_higher_rule_matched() -> None:
    """'Rules ... can still identify them as if they haven't been expired': X counts toward the beta limit."""
    images = [image("X", "beta-2", "prod-2", days=1), image("Y", "beta-1", days=2)]
    pol = policy(
        count(1, tagStatus="tagged", tagPrefixList=["prod"]), count(1, tagStatus="tagged", tagPrefixList=["beta"])
    )
    assert expired(pol, images) == ["Y"]


def test_image_matched_by_a_higher_rule_is_never_expired_by_a_lower_one() -> None:
    images = [image("u-old", days=40), image("u-new", days=2), image("t", "v1", days=1)]
    pol = policy(age(30, tagStatus="untagged"), count(1, tagStatus="any"))
    decisions = evaluate(pol, images, NOW)
    assert [(d.digest, d.rule_priority) for d in decisions] == [("u-old", 1)]


def test_any_rule_counts_untagged_images_it_may_not_expire() -> None:
    images = [image("t-old", "v1", days=5), image("t-new", "v2", days=3), image("u", days=1)]
    pol = policy(age(30, tagStatus="untagged"), count(1, tagStatus="any"))
    assert expired(pol, images) == ["t-old", "t-new"]


def test_an_image_is_acted_on_by_one_rule_only() -> None:
    images = [image("a", "prod-1", days=50), image("b", "prod-2", days=40), image("c", "prod-3", days=1)]
    pol = policy(age(10, tagStatus="tagged", tagPrefixList=["prod"]), count(1, tagStatus="any"))
    decisions = evaluate(pol, images, NOW)
    assert [(d.digest, d.rule_priority) for d in decisions] == [("a", 1), ("b", 1)]


def test_keep_rule_shields_images_from_a_later_cleanup() -> None:
    images = [image(f"s{i}", f"16.{i}", days=100 + i) for i in range(3)] + [
        image(f"u{i}", f"16_{i}", days=10 + i) for i in range(3)
    ]
    pol = policy(count(9999, tagStatus="tagged", tagPrefixList=["16."]), count(1, tagStatus="any"))
    assert sorted(expired(pol, images)) == ["u1", "u2"]


def test_rule_priorities_are_applied_in_ascending_order_whatever_the_text_order() -> None:
    text = json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 9,
                    "selection": count(1, tagStatus="tagged", tagPrefixList=["beta"]),
                    "action": {"type": "expire"},
                },
                {
                    "rulePriority": 4,
                    "selection": count(1, tagStatus="tagged", tagPrefixList=["prod"]),
                    "action": {"type": "expire"},
                },
            ]
        }
    )
    assert [(d.digest, d.rule_priority) for d in evaluate(parse_lifecycle_policy(text), REPO, NOW)] == [("A", 4)]


# -- ordering and ties -----------------------------------------------------------------------
def test_decisions_ordered_by_rule_then_push_time() -> None:
    images = [image("t2", "v2", days=20), image("u2", days=31), image("t1", "v1", days=30), image("u1", days=40)]
    pol = policy(age(30, tagStatus="untagged"), age(10, tagStatus="tagged", tagPrefixList=["v"]))
    assert [(d.rule_priority, d.digest) for d in evaluate(pol, images, NOW)] == [
        (1, "u1"),
        (1, "u2"),
        (2, "t1"),
        (2, "t2"),
    ]


def test_push_time_ties_are_broken_by_digest_whatever_the_input_order() -> None:
    images = [image(digest, days=1) for digest in ("sha256:b", "sha256:c", "sha256:a")]
    pol = policy(count(1, tagStatus="untagged"))
    assert expired(pol, images) == ["sha256:a", "sha256:b"]
    assert expired(pol, list(reversed(images))) == ["sha256:a", "sha256:b"]


# -- decision contents -------------------------------------------------------------------------
def test_expire_decision_fields() -> None:
    img = Image("sha256:1", frozenset({"b", "a"}), NOW - timedelta(days=3))  # type: ignore[arg-type]
    [decision] = evaluate(policy(age(1, tagStatus="any")), [img], NOW)
    assert decision == Decision(
        digest="sha256:1",
        tags=("a", "b"),
        pushed_at=img.pushed_at,
        action="EXPIRE",
        rule_priority=1,
        target_storage_class=None,
        storage_class="STANDARD",
    )


def test_transition_decision_fields() -> None:
    pol = policy(count(1, tagStatus="any"), action={"type": "transition", "targetStorageClass": "archive"})
    decisions = evaluate(pol, [image("old", days=2), image("new", days=1)], NOW)
    assert [(d.digest, d.action, d.target_storage_class, d.storage_class) for d in decisions] == [
        ("old", "TRANSITION", "ARCHIVE", "STANDARD")
    ]


# -- storage classes, pulls and transitions ----------------------------------------------------
def test_standard_rules_do_not_see_archived_images() -> None:
    images = [FullImage("arch", (), NOW - timedelta(days=50), storage_class="ARCHIVE"), image("std", days=40)]
    assert expired(policy(age(10, tagStatus="untagged")), images) == ["std"]


def test_archive_rule_measures_time_since_archiving() -> None:
    images = [
        FullImage("long-ago", (), NOW - timedelta(days=400), "ARCHIVE", last_archived_at=NOW - timedelta(days=91)),
        FullImage("recent", (), NOW - timedelta(days=400), "ARCHIVE", last_archived_at=NOW - timedelta(days=10)),
        FullImage("standard", (), NOW - timedelta(days=400)),
    ]
    pol = policy(age(90, "sinceImageTransitioned", tagStatus="any", storageClass="archive"))
    decisions = evaluate(pol, images, NOW)
    assert [(d.digest, d.action, d.storage_class) for d in decisions] == [("long-ago", "EXPIRE", "ARCHIVE")]


def test_archive_time_may_be_named_last_transitioned_at() -> None:
    @dataclass(frozen=True)
    class Transitioned(Image):
        storage_class: str = "archive"
        last_transitioned_at: datetime | None = None

    images = [Transitioned("x", (), NOW - timedelta(days=500), last_transitioned_at=NOW - timedelta(days=5))]
    assert expired(policy(age(90, "sinceImageTransitioned", tagStatus="any", storageClass="archive")), images) == []


def test_since_image_pulled_uses_the_last_pull() -> None:
    images = [
        FullImage("pulled-recently", (), NOW - timedelta(days=100), last_pulled_at=NOW - timedelta(days=1)),
        FullImage("pulled-long-ago", (), NOW - timedelta(days=100), last_pulled_at=NOW - timedelta(days=60)),
        FullImage("never-pulled-old", (), NOW - timedelta(days=45)),
        FullImage("never-pulled-new", (), NOW - timedelta(days=5)),
    ]
    pol = policy(
        age(30, "sinceImagePulled", tagStatus="any"), action={"type": "transition", "targetStorageClass": "archive"}
    )
    assert sorted(expired(pol, images)) == ["never-pulled-old", "pulled-long-ago"]


def test_huge_day_counts_select_nothing() -> None:
    assert expired(policy(age(2**31 - 1, tagStatus="any")), [image("a", days=10_000)]) == []


# -- the wildcard matcher ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("pattern", "tag", "matches"),
    [
        ("prod", "prod", True),
        ("prod", "prod1", False),
        ("prod*", "prod", True),
        ("*prod", "xprod", True),
        ("a*a", "a", False),
        ("a*a", "aa", True),
        ("a*b*c", "abc", True),
        ("a*b*c", "acb", False),
        ("**", "", True),
        ("*x*", "", False),
        ("a.b*", "axb", False),
        ("[a]*", "[a]z", True),
        ("test*1*2*3*", "test123", True),
    ],
)
def test_tag_pattern_matches(pattern: str, tag: str, matches: bool) -> None:
    assert tag_pattern_matches(pattern, tag) is matches


def _strings(alphabet: str, longest: int) -> list[str]:
    return ["".join(chars) for size in range(longest + 1) for chars in itertools.product(alphabet, repeat=size)]


def test_tag_pattern_agrees_with_a_regular_expression_exhaustively() -> None:
    """Every pattern over a*. up to 5 characters against every tag over a. up to 6."""
    tags = _strings("a.", 6)
    for pattern in _strings("a*.", 5):
        regex = re.compile(".*".join(re.escape(piece) for piece in pattern.split("*")), re.DOTALL)
        for tag in tags:
            assert tag_pattern_matches(pattern, tag) == (regex.fullmatch(tag) is not None), (pattern, tag)


def test_rules_select_what_tag_pattern_matches_says_for_every_pattern_shape() -> None:
    """Exact, ``head*``, ``*tail``, ``*middle*`` and the other shapes each take their own
    path in the engine; all agree with ``tag_pattern_matches`` on every image's tags."""
    tags = [tag for tag in _strings("a.", 4) if tag]
    images = [image(f"{first}|{second}", first, second, days=10) for first in tags for second in tags[:5]]
    for pattern in _strings("a*.", 4):
        if not pattern:
            continue
        chosen = expired(policy(age(1, tagStatus="tagged", tagPatternList=[pattern])), images)
        wanted = [i.digest for i in images if any(tag_pattern_matches(pattern, tag) for tag in i.tags)]
        assert sorted(chosen) == sorted(wanted), pattern


def test_tag_pattern_matching_is_not_catastrophic() -> None:
    started = time.perf_counter()
    assert not tag_pattern_matches("*a*a*a*a*b", "a" * 200_000)
    assert time.perf_counter() - started < 0.5


def test_evaluation_scales_to_many_images() -> None:
    images = [image(f"sha256:{i:06d}", f"v{i}", days=i / 100) for i in range(20_000)]
    pol = policy(
        count(100, tagStatus="tagged", tagPatternList=["v1*"]),
        age(30, tagStatus="tagged", tagPrefixList=["v"]),
        count(5000, tagStatus="any"),
    )
    started = time.perf_counter()
    decisions = evaluate(pol, images, NOW)
    assert time.perf_counter() - started < 5
    assert len({d.digest for d in decisions}) == len(decisions)


def test_repeated_and_star_only_patterns_decide_nothing_new():
    """A hostile policy's repeats and ``**`` runs collapse without changing what is selected."""

    def policy(patterns):
        return parse_lifecycle_policy(
            json.dumps(
                {
                    "rules": [
                        {
                            "rulePriority": 1,
                            "selection": {
                                "tagStatus": "tagged",
                                "tagPatternList": patterns,
                                "countType": "imageCountMoreThan",
                                "countNumber": 1,
                            },
                            "action": {"type": "expire"},
                        }
                    ]
                }
            )
        )

    now = datetime(2024, 1, 10, tzinfo=timezone.utc)
    images = [Image(f"sha256:{i:064x}", (f"prod-{i}", f"v{i}"), now - timedelta(days=i)) for i in range(1, 6)] + [
        Image(f"sha256:{9:064x}", ("dev-9",), now - timedelta(days=9))
    ]
    plain = evaluate(policy(["prod-*", "v*"]), images, now)
    hostile = evaluate(policy(["prod-*"] * 500 + ["prod-**", "v***", "*", "**"] + ["v*"] * 500), images, now)
    assert [d.digest for d in hostile] == [d.digest for d in plain]
    assert len(plain) == 4
    only_stars = evaluate(policy(["*", "**"]), images, now)
    assert len(only_stars) == 5  # every tagged image matches; the newest is kept
