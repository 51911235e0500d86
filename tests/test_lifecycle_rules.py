"""Lifecycle policy validation: each accepted form, and each rejection in ECR's exact words."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mock_ecr.domain.lifecycle import rules as lr
from mock_ecr.domain.lifecycle.rules import LifecyclePolicy, Rule, parse_lifecycle_policy
from mock_ecr.errors import InvalidParameterException

PREFIX = (
    "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: "
)
UNTAGGED_COUNT = {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1}
EXPIRE = {"type": "expire"}
TRANSITION = {"type": "transition", "targetStorageClass": "archive"}


def rule(priority: int = 1, action: Any = None, **selection: Any) -> dict[str, Any]:
    return {
        "rulePriority": priority,
        "selection": selection or dict(UNTAGGED_COUNT),
        "action": EXPIRE if action is None else action,
    }


def text(*rules: Any, **extra: Any) -> str:
    return json.dumps({"rules": list(rules), **extra})


def rejection(policy_text: str) -> str:
    with pytest.raises(InvalidParameterException) as caught:
        parse_lifecycle_policy(policy_text)
    assert caught.value.code == "InvalidParameterException"
    assert caught.value.status == 400
    return caught.value.message


def closed(detail: str) -> str:
    return PREFIX + detail + "'"


def schema(detail: str) -> str:
    """Schema-validator output: real ECR sends it without the closing quote."""
    return PREFIX + detail


# -- accepted forms ------------------------------------------------------------------------
def test_user_guide_age_example() -> None:
    policy = parse_lifecycle_policy(
        text(
            rule(
                tagStatus="tagged",
                tagPatternList=["prod*"],
                countType="sinceImagePushed",
                countUnit="days",
                countNumber=14,
            )
        )
    )
    assert policy == LifecyclePolicy(
        rules=(
            Rule(
                priority=1,
                description=None,
                tag_status="tagged",
                tag_prefixes=(),
                tag_patterns=("prod*",),
                storage_class="standard",
                count_type="sinceImagePushed",
                count_unit="days",
                count_number=14,
                action_type="expire",
                target_storage_class=None,
            ),
        )
    )


def test_description_is_kept() -> None:
    node = rule()
    node["description"] = "keep one untagged image"
    assert parse_lifecycle_policy(text(node)).rules[0].description == "keep one untagged image"


def test_rules_come_back_in_priority_order_and_need_not_be_sequential() -> None:
    policy = parse_lifecycle_policy(
        text(
            rule(20, tagStatus="any", countType="imageCountMoreThan", countNumber=100),
            rule(3, tagStatus="tagged", tagPrefixList=["v", "release"], countType="imageCountMoreThan", countNumber=5),
            rule(7, **UNTAGGED_COUNT),
        )
    )
    assert [r.priority for r in policy.rules] == [3, 7, 20]
    assert policy.rules[0].tag_prefixes == ("v", "release")


def test_untagged_rule_and_any_rule_together() -> None:
    parse_lifecycle_policy(
        text(
            rule(1, tagStatus="untagged", countType="sinceImagePushed", countUnit="days", countNumber=14),
            rule(2, tagStatus="any", countType="imageCountMoreThan", countNumber=10),
        )
    )


@pytest.mark.parametrize("count_type", ["sinceImagePushed", "sinceImagePulled"])
def test_transition_to_archive(count_type: str) -> None:
    policy = parse_lifecycle_policy(
        text(rule(action=TRANSITION, tagStatus="any", countType=count_type, countUnit="days", countNumber=30))
    )
    assert (policy.rules[0].action_type, policy.rules[0].target_storage_class) == ("transition", "archive")


def test_transition_by_count() -> None:
    policy = parse_lifecycle_policy(
        text(rule(action=TRANSITION, tagStatus="any", countType="imageCountMoreThan", countNumber=5))
    )
    assert policy.rules[0].count_unit is None


def test_expire_archived_images_after_ninety_days() -> None:
    policy = parse_lifecycle_policy(
        text(
            rule(
                tagStatus="any",
                storageClass="archive",
                countType="sinceImageTransitioned",
                countUnit="days",
                countNumber=90,
            )
        )
    )
    assert policy.rules[0].storage_class == "archive"


def test_explicit_standard_storage_class() -> None:
    parse_lifecycle_policy(text(rule(storageClass="standard", **UNTAGGED_COUNT)))


def test_one_untagged_rule_per_storage_class() -> None:
    parse_lifecycle_policy(
        text(
            rule(1, **UNTAGGED_COUNT),
            rule(
                2,
                tagStatus="untagged",
                storageClass="archive",
                countType="sinceImageTransitioned",
                countUnit="days",
                countNumber=100,
            ),
        )
    )


def test_any_rule_is_last_within_its_own_storage_class() -> None:
    parse_lifecycle_policy(
        text(
            rule(
                1,
                tagStatus="any",
                storageClass="archive",
                countType="sinceImageTransitioned",
                countUnit="days",
                countNumber=120,
            ),
            rule(2, tagStatus="tagged", tagPrefixList=["prod"], countType="imageCountMoreThan", countNumber=3),
            rule(3, tagStatus="any", countType="imageCountMoreThan", countNumber=30),
        )
    )


def test_four_wildcards_are_allowed() -> None:
    parse_lifecycle_policy(
        text(
            rule(
                tagStatus="tagged",
                tagPatternList=["*test*1*2*3", "test*1*2*3*"],
                countType="imageCountMoreThan",
                countNumber=1,
            )
        )
    )


def test_fifty_rules_are_allowed() -> None:
    rules = [
        rule(i, tagStatus="tagged", tagPrefixList=[f"p{i}"], countType="imageCountMoreThan", countNumber=1)
        for i in range(1, 51)
    ]
    assert len(parse_lifecycle_policy(text(*rules)).rules) == 50


def test_member_name_is_the_callers() -> None:
    with pytest.raises(InvalidParameterException) as caught:
        parse_lifecycle_policy("{}", member="lifecyclePolicyText")
    assert caught.value.message.startswith("Invalid parameter at 'lifecyclePolicyText' failed")


# -- stage 1: the text must map onto a policy object ---------------------------------------
@pytest.mark.parametrize(
    "policy_text",
    [
        "not json",
        "[]",
        '"rules"',
        "42",
        "null",
        '{"rules": [1] } trailing',
        '{"rules": NaN}',
        "",
    ],
)
def test_text_that_is_not_a_json_object(policy_text: str) -> None:
    assert rejection(policy_text) == closed("Could not map policyString into LifecyclePolicy.")


@pytest.mark.parametrize("field", ["rulePriority", "countNumber"])
def test_numbers_beyond_a_java_int_cannot_be_mapped(field: str) -> None:
    node = rule()
    (node if field == "rulePriority" else node["selection"])[field] = 2**31
    assert rejection(text(node)) == closed("Could not map policyString into LifecyclePolicy.")


# -- stage 2: schema -------------------------------------------------------------------------
def test_missing_rules() -> None:
    assert rejection("{}") == schema('object has missing required properties (["rules"])')


def test_unknown_top_level_key() -> None:
    assert rejection(text(rule(), zeta=1, alpha=2)) == schema(
        'object instance has properties which are not allowed by the schema: ["alpha","zeta"]'
    )


def test_rules_not_an_array() -> None:
    assert rejection(json.dumps({"rules": rule()})) == schema(
        'instance type (object) does not match any allowed primitive type (allowed: ["array"])'
    )


def test_empty_rules() -> None:
    assert rejection(text()) == schema("array is too short: must have at least 1 elements but instance has 0 elements")


def test_more_than_fifty_rules() -> None:
    rules = [
        rule(i, tagStatus="tagged", tagPrefixList=[f"p{i}"], countType="imageCountMoreThan", countNumber=1)
        for i in range(1, 52)
    ]
    assert rejection(text(*rules)) == schema(
        "array is too long: must have at most 50 elements but instance has 51 elements"
    )


def test_rule_not_an_object() -> None:
    assert rejection(text("rule")) == schema(
        'instance type (string) does not match any allowed primitive type (allowed: ["object"])'
    )


@pytest.mark.parametrize(
    ("missing", "listed"),
    [
        (["rulePriority"], '["rulePriority"]'),
        (["selection"], '["selection"]'),
        (["action"], '["action"]'),
        (["rulePriority", "action"], '["action","rulePriority"]'),
    ],
)
def test_rule_missing_required_properties(missing: list[str], listed: str) -> None:
    node = rule()
    for key in missing:
        del node[key]
    assert rejection(text(node)) == schema(f"object has missing required properties ({listed})")


def test_unknown_rule_key() -> None:
    node = rule()
    node["priority"] = 1
    assert rejection(text(node)) == schema(
        'object instance has properties which are not allowed by the schema: ["priority"]'
    )


@pytest.mark.parametrize("value", [0, -3])
def test_rule_priority_below_one(value: int) -> None:
    assert rejection(text(rule(value))) == schema(
        f"numeric instance is lower than the required minimum (minimum: 1, found: {value})"
    )


@pytest.mark.parametrize(
    ("value", "kind"), [("1", "string"), (1.5, "number"), (1.0, "number"), (True, "boolean"), (None, "null")]
)
def test_rule_priority_not_an_integer(value: Any, kind: str) -> None:
    assert rejection(text(rule(value))) == schema(
        f'instance type ({kind}) does not match any allowed primitive type (allowed: ["integer"])'
    )


def test_description_not_a_string() -> None:
    node = rule()
    node["description"] = 7
    assert rejection(text(node)) == schema(
        'instance type (integer) does not match any allowed primitive type (allowed: ["string"])'
    )


def test_selection_not_an_object() -> None:
    node = rule()
    node["selection"] = ["untagged"]
    assert rejection(text(node)) == schema(
        'instance type (array) does not match any allowed primitive type (allowed: ["object"])'
    )


@pytest.mark.parametrize("key", ["tagStatus", "countType", "countNumber"])
def test_selection_missing_required_property(key: str) -> None:
    node = rule()
    del node["selection"][key]
    assert rejection(text(node)) == schema(f'object has missing required properties (["{key}"])')


def test_unknown_selection_key() -> None:
    assert rejection(text(rule(tagSuffixList=["x"], **UNTAGGED_COUNT))) == schema(
        'object instance has properties which are not allowed by the schema: ["tagSuffixList"]'
    )


def test_unknown_tag_status() -> None:
    assert rejection(text(rule(tagStatus="TAGGED", countType="imageCountMoreThan", countNumber=1))) == schema(
        'instance value ("TAGGED") not found in enum (possible values: ["tagged","untagged","any"])'
    )


def test_tag_status_not_a_string() -> None:
    assert rejection(text(rule(tagStatus=1, countType="imageCountMoreThan", countNumber=1))) == schema(
        'instance value (1) not found in enum (possible values: ["tagged","untagged","any"])'
    )


def test_tag_prefix_list_not_an_array() -> None:
    assert rejection(
        text(rule(tagStatus="tagged", tagPrefixList="prod", countType="imageCountMoreThan", countNumber=1))
    ) == schema('instance type (string) does not match any allowed primitive type (allowed: ["array"])')


def test_tag_pattern_entry_not_a_string() -> None:
    assert rejection(
        text(rule(tagStatus="tagged", tagPatternList=["prod*", 3], countType="imageCountMoreThan", countNumber=1))
    ) == schema('instance type (integer) does not match any allowed primitive type (allowed: ["string"])')


def test_unknown_storage_class() -> None:
    assert rejection(text(rule(storageClass="glacier", **UNTAGGED_COUNT))) == schema(
        'instance value ("glacier") not found in enum (possible values: ["standard","archive"])'
    )


ONE_OF = schema("instance failed to match exactly one schema (matched 0 out of 2)")


@pytest.mark.parametrize(
    "selection",
    [
        {"countType": "imageCountLessThan", "countNumber": 1},
        {"countType": "sinceImageCreated", "countUnit": "days", "countNumber": 1},
        {"countType": "imageCountMoreThan", "countUnit": "days", "countNumber": 1},
        {"countType": "imageCountMoreThan", "countUnit": None, "countNumber": 1},
        {"countType": "sinceImagePushed", "countNumber": 14},
        {"countType": "sinceImagePulled", "countNumber": 14},
        {"countType": "sinceImagePushed", "countUnit": "hours", "countNumber": 14},
        {"countType": "sinceImagePushed", "countUnit": None, "countNumber": 14},
    ],
    ids=[
        "unknown-count",
        "unknown-age",
        "count-with-unit",
        "count-with-null-unit",
        "pushed-without-unit",
        "pulled-without-unit",
        "unit-hours",
        "null-unit",
    ],
)
def test_count_type_and_unit_mismatch(selection: dict[str, Any]) -> None:
    assert rejection(text(rule(tagStatus="untagged", **selection))) == ONE_OF


@pytest.mark.parametrize("value", [0, -1])
def test_count_number_below_one(value: int) -> None:
    assert rejection(text(rule(tagStatus="untagged", countType="imageCountMoreThan", countNumber=value))) == schema(
        f"numeric instance is lower than the required minimum (minimum: 1, found: {value})"
    )


def test_count_number_not_an_integer() -> None:
    assert rejection(text(rule(tagStatus="untagged", countType="imageCountMoreThan", countNumber="5"))) == schema(
        'instance type (string) does not match any allowed primitive type (allowed: ["integer"])'
    )


def test_action_without_type() -> None:
    assert rejection(text(rule(action={"targetStorageClass": "archive"}, **UNTAGGED_COUNT))) == schema(
        'object has missing required properties (["type"])'
    )


@pytest.mark.parametrize(
    "action",
    [
        {"type": "delete"},
        {"type": "expire", "targetStorageClass": None},
        {"type": "expire", "targetStorageClass": "archive"},
        {"type": "transition"},
        {"type": "transition", "targetStorageClass": "standard"},
        {"type": "expire", "when": "now"},
        {"type": "transition", "targetStorageClass": "archive", "when": "now"},
    ],
    ids=[
        "unknown-type",
        "expire-null-target",
        "expire-with-target",
        "transition-without-target",
        "transition-to-standard",
        "expire-extra-key",
        "transition-extra-key",
    ],
)
def test_action_of_neither_shape(action: dict[str, Any]) -> None:
    assert rejection(text(rule(action=action, **UNTAGGED_COUNT))) == ONE_OF


def test_action_not_an_object() -> None:
    node = rule()
    node["action"] = "expire"
    assert rejection(text(node)) == schema(
        'instance type (string) does not match any allowed primitive type (allowed: ["object"])'
    )


def test_every_schema_problem_is_reported_one_per_line() -> None:
    """As for a Go client that sent null lists (simple-container-com/api#34)."""
    assert rejection(
        text(
            rule(
                tagStatus="tagged",
                tagPrefixList=None,
                tagPatternList=None,
                countType="imageCountMoreThan",
                countNumber=1,
            )
        )
    ) == schema(
        'instance type (null) does not match any allowed primitive type (allowed: ["array"])\n'
        'instance type (null) does not match any allowed primitive type (allowed: ["array"])'
    )


def test_problems_across_rules_are_all_reported() -> None:
    first = rule(0)
    first["extra"] = True
    second = rule(2, tagStatus="untagged", countType="sinceImagePushed", countNumber=3)
    assert rejection(text(first, second)) == schema(
        'object instance has properties which are not allowed by the schema: ["extra"]\n'
        "numeric instance is lower than the required minimum (minimum: 1, found: 0)\n"
        "instance failed to match exactly one schema (matched 0 out of 2)"
    )


def test_missing_and_unknown_members_of_one_object() -> None:
    node = rule()
    del node["selection"]
    node["Selection"] = dict(UNTAGGED_COUNT)
    assert rejection(text(node)) == schema(
        'object has missing required properties (["selection"])\n'
        'object instance has properties which are not allowed by the schema: ["Selection"]'
    )


# -- stage 3: ECR's semantic checks ------------------------------------------------------------
@pytest.mark.parametrize(
    "lists", [{}, {"tagPrefixList": []}, {"tagPatternList": []}, {"tagPrefixList": [], "tagPatternList": []}]
)
def test_tagged_without_tags_to_match(lists: dict[str, Any]) -> None:
    assert rejection(text(rule(tagStatus="tagged", countType="imageCountMoreThan", countNumber=1, **lists))) == closed(
        "Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED."
    )


def test_tagged_with_both_lists() -> None:
    assert rejection(
        text(
            rule(
                tagStatus="tagged",
                tagPrefixList=["prod"],
                tagPatternList=["prod*"],
                countType="imageCountMoreThan",
                countNumber=1,
            )
        )
    ) == closed("If policy has a tagged rule, it must specify only one of tagPrefixList or tagPatternList.")


@pytest.mark.parametrize("lists", [{"tagPrefixList": ["prod"]}, {"tagPatternList": ["*"]}, {"tagPrefixList": []}])
def test_untagged_with_a_tag_list(lists: dict[str, Any]) -> None:
    assert rejection(text(rule(**UNTAGGED_COUNT, **lists))) == closed(
        "Cannot specify tagPrefixList or tagPatternList when tagStatus=UNTAGGED."
    )


@pytest.mark.parametrize("lists", [{"tagPrefixList": ["prod"]}, {"tagPatternList": []}])
def test_any_with_a_tag_list(lists: dict[str, Any]) -> None:
    assert rejection(text(rule(tagStatus="any", countType="imageCountMoreThan", countNumber=1, **lists))) == closed(
        "Cannot specify tagPrefixList or tagPatternList when tagStatus=ANY."
    )


def test_more_than_four_wildcards() -> None:
    assert rejection(
        text(
            rule(
                tagStatus="tagged",
                tagPatternList=["ok*", "test*1*2*3*4*5*6"],
                countType="imageCountMoreThan",
                countNumber=1,
            )
        )
    ) == closed("Tag pattern 'test*1*2*3*4*5*6' has more than 4 wildcards (*).")


@pytest.mark.parametrize(
    "selection",
    [
        {"countType": "imageCountMoreThan", "countNumber": 1},
        {"countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1},
        {"countType": "sinceImagePulled", "countUnit": "days", "countNumber": 1},
    ],
)
def test_archive_selection_needs_since_image_transitioned(selection: dict[str, Any]) -> None:
    assert rejection(text(rule(tagStatus="any", storageClass="archive", **selection))) == closed(
        "SINCE_IMAGE_PUSHED, SINCE_IMAGE_PULLED and IMAGE_COUNT_MORE_THAN support the STANDARD storage class only."
    )


@pytest.mark.parametrize("storage", [{}, {"storageClass": "standard"}])
def test_since_image_transitioned_needs_archive(storage: dict[str, Any]) -> None:
    assert rejection(
        text(rule(tagStatus="any", countType="sinceImageTransitioned", countUnit="days", countNumber=90, **storage))
    ) == closed("SINCE_IMAGE_TRANSITIONED supports the ARCHIVE storage class only.")


def test_archived_images_cannot_be_transitioned_again() -> None:
    assert rejection(
        text(
            rule(
                action=TRANSITION,
                tagStatus="any",
                storageClass="archive",
                countType="sinceImageTransitioned",
                countUnit="days",
                countNumber=90,
            )
        )
    ) == closed("Images in the ARCHIVE storage class cannot be transitioned.")


def test_archived_images_stay_ninety_days() -> None:
    assert rejection(
        text(
            rule(
                tagStatus="any",
                storageClass="archive",
                countType="sinceImageTransitioned",
                countUnit="days",
                countNumber=89,
            )
        )
    ) == closed("Images in the ARCHIVE storage class cannot be expired before 90 days since transition.")


def test_duplicate_rule_priority() -> None:
    assert rejection(
        text(
            rule(1, tagStatus="tagged", tagPrefixList=["a"], countType="imageCountMoreThan", countNumber=1),
            rule(1, tagStatus="tagged", tagPrefixList=["b"], countType="imageCountMoreThan", countNumber=1),
        )
    ) == closed("Duplicate priority in multiple rules.")


def test_two_rules_selecting_untagged_images() -> None:
    assert rejection(
        text(
            rule(1, tagStatus="untagged", countType="sinceImagePushed", countUnit="days", countNumber=7),
            rule(2, tagStatus="untagged", countType="imageCountMoreThan", countNumber=5),
        )
    ) == closed("Only one rule can select Untagged images per storage class.")


@pytest.mark.parametrize("any_priority", [1, 2])
def test_any_rule_not_last(any_priority: int) -> None:
    rules = [
        rule(any_priority, tagStatus="any", countType="imageCountMoreThan", countNumber=10),
        rule(3, tagStatus="tagged", tagPrefixList=["prod"], countType="imageCountMoreThan", countNumber=3),
    ]
    assert rejection(text(*rules)) == closed("Rule for tagStatus=ANY must have the lowest priority per storage class.")


def test_two_any_rules_in_one_storage_class() -> None:
    assert rejection(
        text(
            rule(1, tagStatus="any", countType="sinceImagePushed", countUnit="days", countNumber=300),
            rule(2, tagStatus="any", countType="imageCountMoreThan", countNumber=10),
        )
    ) == closed("Rule for tagStatus=ANY must have the lowest priority per storage class.")


def test_schema_problems_are_reported_before_semantic_ones() -> None:
    """ECR validates the whole document's shape before judging its rules."""
    assert rejection(
        text(
            rule(1, tagStatus="tagged", countType="imageCountMoreThan", countNumber=1),
            rule(2, tagStatus="untagged", countType="imageCountMoreThan", countNumber=0),
        )
    ) == schema("numeric instance is lower than the required minimum (minimum: 1, found: 0)")


def test_message_constants_match_the_module() -> None:
    assert lr.TAGGED_NEEDS_LIST == "Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED."
    assert lr.ONE_UNTAGGED_RULE == "Only one rule can select Untagged images per storage class."
