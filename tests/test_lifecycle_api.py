"""Lifecycle policy actions through boto3: Put/Get/Delete, previews, and applying policies."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from freezegun import freeze_time

from mock_ecr.api.lifecycle import ExpiredImage
from mock_ecr.domain.lifecycle.engine import Decision
from mock_ecr.domain.lifecycle.preview import Preview

from .ecr_helpers import OCI_MANIFEST, digest_of, index_manifest, push_image, put_manifest
from .shape_check import check_output

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
REPO = "team/app"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
START = datetime(2024, 1, 1, 12, 0, tzinfo=timezone.utc)


# -- helpers -----------------------------------------------------------------------------------
def rule(priority: int, action: str = "expire", **selection: Any) -> dict[str, Any]:
    out = {
        "rulePriority": priority,
        "description": f"rule {priority}",
        "selection": selection,
        "action": {"type": action},
    }
    if action == "transition":
        out["action"]["targetStorageClass"] = "archive"
    return out


def by_count(n: int, tag_status: str = "any", **selection: Any) -> dict[str, Any]:
    return {"tagStatus": tag_status, **selection, "countType": "imageCountMoreThan", "countNumber": n}


def by_age(days: int, tag_status: str = "any", **selection: Any) -> dict[str, Any]:
    return {
        "tagStatus": tag_status,
        **selection,
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": days,
    }


def policy(*rules: dict[str, Any], indent: int | None = None) -> str:
    return json.dumps({"rules": list(rules)}, indent=indent)


KEEP_ONE = policy(rule(1, **by_count(1)))
UNTAGGED_AFTER_14_DAYS = policy(rule(1, **by_age(14, "untagged")), indent=4)


def push(client: Any, n: int, *tags: str, repo: str = REPO) -> str:
    """Push a distinct image (``n`` makes its config unique) with ``tags``; returns its digest."""
    pushed = push_image(client, repo, tag=tags[0] if tags else None, config=json.dumps({"n": n}).encode())
    for tag in tags[1:]:
        put_manifest(client, repo, pushed.manifest, tag=tag)
    return pushed.digest


def error(info: pytest.ExceptionInfo) -> tuple[str, str]:
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def digests(client: Any, repo: str = REPO) -> set[str]:
    return {image["imageDigest"] for image in client.describe_images(repositoryName=repo)["imageDetails"]}


def strip(response: dict[str, Any]) -> dict[str, Any]:
    response.pop("ResponseMetadata", None)
    return response


@pytest.fixture
def repo(ecr_client):
    ecr_client.create_repository(repositoryName=REPO)
    return REPO


@pytest.fixture
def clock():
    with freeze_time(START) as frozen:
        yield frozen


def policy_not_found(name: str = REPO, registry: str = ACCOUNT) -> tuple[str, str]:
    return (
        "LifecyclePolicyNotFoundException",
        f"Lifecycle policy does not exist for the repository with name '{name}' in the registry with id '{registry}'",
    )


def repository_not_found(name: str, registry: str = ACCOUNT) -> tuple[str, str]:
    return (
        "RepositoryNotFoundException",
        f"The repository with name '{name}' does not exist in the registry with id '{registry}'",
    )


def invalid_policy(detail: str) -> tuple[str, str]:
    return (
        "InvalidParameterException",
        "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: "
        f"'Lifecycle policy validation failure: {detail}'",
    )


# -- PutLifecyclePolicy / GetLifecyclePolicy / DeleteLifecyclePolicy -------------------------------
def test_put_get_delete_round_trip(ecr_client, repo):
    text = UNTAGGED_AFTER_14_DAYS  # pretty-printed: stored and answered exactly as sent
    put = strip(ecr_client.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=text))
    assert put == {"registryId": ACCOUNT, "repositoryName": repo, "lifecyclePolicyText": text}
    got = strip(ecr_client.get_lifecycle_policy(repositoryName=repo))
    assert got == {"registryId": ACCOUNT, "repositoryName": repo, "lifecyclePolicyText": text, "lastEvaluatedAt": EPOCH}
    deleted = strip(ecr_client.delete_lifecycle_policy(repositoryName=repo))
    assert deleted == got
    with pytest.raises(ClientError) as info:
        ecr_client.get_lifecycle_policy(repositoryName=repo)
    assert error(info) == policy_not_found()


def test_never_evaluated_policy_reports_the_epoch_on_the_wire(ecr_client, repo, raw_bodies):
    ecr_client.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)
    ecr_client.get_lifecycle_policy(repositoryName=repo)
    assert json.loads(raw_bodies[-1][1])["lastEvaluatedAt"] == 0


def test_put_replaces_the_policy(ecr_client, repo):
    ecr_client.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)
    ecr_client.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=UNTAGGED_AFTER_14_DAYS)
    assert ecr_client.get_lifecycle_policy(repositoryName=repo)["lifecyclePolicyText"] == UNTAGGED_AFTER_14_DAYS


def test_get_and_delete_without_a_policy(ecr_client, repo):
    for call in (ecr_client.get_lifecycle_policy, ecr_client.delete_lifecycle_policy):
        with pytest.raises(ClientError) as info:
            call(repositoryName=repo)
        assert error(info) == policy_not_found()


def test_invalid_policy_is_refused_and_nothing_is_stored(ecr_client, repo):
    text = policy(rule(1, **by_count(1, "tagged")))
    with pytest.raises(ClientError) as info:
        ecr_client.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=text)
    assert error(info) == invalid_policy("Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED.")
    with pytest.raises(ClientError) as info:
        ecr_client.get_lifecycle_policy(repositoryName=repo)
    assert error(info) == policy_not_found()


def test_invalid_policy_keeps_the_previous_one(ecr_client, repo):
    ecr_client.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)
    with pytest.raises(ClientError) as info:
        ecr_client.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText="x" * 100)
    assert error(info) == invalid_policy("Could not map policyString into LifecyclePolicy.")
    assert ecr_client.get_lifecycle_policy(repositoryName=repo)["lifecyclePolicyText"] == KEEP_ONE


@pytest.mark.parametrize(
    ("length", "constraint"),
    [
        (99, "Member must have length greater than or equal to 100"),
        (30721, "Member must have length less than or equal to 30720"),
    ],
)
def test_policy_text_length_is_checked_on_the_server(unvalidated, repo, length, constraint):
    for call in (unvalidated.put_lifecycle_policy, unvalidated.start_lifecycle_policy_preview):
        with pytest.raises(ClientError) as info:
            call(repositoryName=repo, lifecyclePolicyText=" " * length)
        assert error(info) == (
            "InvalidParameterException",
            f"Invalid parameter at 'lifecyclePolicyText' failed to satisfy constraint: '{constraint}'",
        )


def test_repository_name_pattern_is_checked(unvalidated):
    with pytest.raises(ClientError) as info:
        unvalidated.get_lifecycle_policy(repositoryName="Bad_Name!")
    code, message = error(info)
    assert code == "InvalidParameterException"
    assert message.startswith("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy")


CALLS = {
    "PutLifecyclePolicy": lambda c, **kw: c.put_lifecycle_policy(lifecyclePolicyText=KEEP_ONE, **kw),
    "GetLifecyclePolicy": lambda c, **kw: c.get_lifecycle_policy(**kw),
    "DeleteLifecyclePolicy": lambda c, **kw: c.delete_lifecycle_policy(**kw),
    "StartLifecyclePolicyPreview": lambda c, **kw: c.start_lifecycle_policy_preview(lifecyclePolicyText=KEEP_ONE, **kw),
    "GetLifecyclePolicyPreview": lambda c, **kw: c.get_lifecycle_policy_preview(**kw),
}


@pytest.mark.parametrize("operation", sorted(CALLS))
def test_every_action_needs_an_existing_repository(ecr_client, operation):
    with pytest.raises(ClientError) as info:
        CALLS[operation](ecr_client, repositoryName="missing")
    assert error(info) == repository_not_found("missing")


@pytest.mark.parametrize("operation", sorted(CALLS))
def test_registry_id_addresses_another_registry(ecr_client, repo, operation):
    with pytest.raises(ClientError) as info:
        CALLS[operation](ecr_client, repositoryName=repo, registryId=OTHER_ACCOUNT)
    assert error(info) == repository_not_found(repo, OTHER_ACCOUNT)


def test_policy_belongs_to_the_repository_not_its_name(ecr_client, repo):
    ecr_client.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)
    ecr_client.start_lifecycle_policy_preview(repositoryName=repo)
    ecr_client.delete_repository(repositoryName=repo)
    ecr_client.create_repository(repositoryName=repo)
    with pytest.raises(ClientError) as info:
        ecr_client.get_lifecycle_policy(repositoryName=repo)
    assert error(info) == policy_not_found()
    with pytest.raises(ClientError) as info:
        ecr_client.get_lifecycle_policy_preview(repositoryName=repo)
    assert error(info)[0] == "LifecyclePolicyPreviewNotFoundException"


# -- previews: status, errors, waiter -----------------------------------------------------------
PREVIEW_NOT_FOUND = (
    "LifecyclePolicyPreviewNotFoundException",
    f"Lifecycle policy preview does not exist for the repository with name '{REPO}' in the registry with id "
    f"'{ACCOUNT}'",
)
PREVIEW_IN_PROGRESS = (
    "LifecyclePolicyPreviewInProgressException",
    f"Lifecycle policy preview is already in progress for the repository with name '{REPO}' in the registry with "
    f"id '{ACCOUNT}'",
)


def test_get_preview_before_any_preview(ecr_client, repo):
    with pytest.raises(ClientError) as info:
        ecr_client.get_lifecycle_policy_preview(repositoryName=repo)
    assert error(info) == PREVIEW_NOT_FOUND


def test_start_without_text_or_stored_policy(ecr_client, repo):
    with pytest.raises(ClientError) as info:
        ecr_client.start_lifecycle_policy_preview(repositoryName=repo)
    assert error(info) == policy_not_found()


def test_start_with_invalid_text(ecr_client, repo):
    text = policy(rule(1, **by_count(1, "untagged")), rule(2, **by_age(3, "untagged")))
    with pytest.raises(ClientError) as info:
        ecr_client.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=text)
    assert error(info) == invalid_policy("Only one rule can select Untagged images per storage class.")
    with pytest.raises(ClientError) as info:
        ecr_client.get_lifecycle_policy_preview(repositoryName=repo)
    assert error(info) == PREVIEW_NOT_FOUND


def test_preview_is_in_progress_until_first_read_then_complete(ecr_client, repo):
    started = strip(ecr_client.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=KEEP_ONE))
    assert started == {
        "registryId": ACCOUNT,
        "repositoryName": repo,
        "lifecyclePolicyText": KEEP_ONE,
        "status": "IN_PROGRESS",
    }
    with pytest.raises(ClientError) as info:
        ecr_client.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)
    assert error(info) == PREVIEW_IN_PROGRESS
    first = strip(ecr_client.get_lifecycle_policy_preview(repositoryName=repo))
    assert first == {
        "registryId": ACCOUNT,
        "repositoryName": repo,
        "lifecyclePolicyText": KEEP_ONE,
        "status": "COMPLETE",
        "previewResults": [],
        "summary": {"expiringImageTotalCount": 0},
    }
    assert ecr_client.get_lifecycle_policy_preview(repositoryName=repo)["status"] == "COMPLETE"
    # once read, a new preview may start; it replaces the old one
    again = ecr_client.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=UNTAGGED_AFTER_14_DAYS)
    assert again["status"] == "IN_PROGRESS"
    latest = ecr_client.get_lifecycle_policy_preview(repositoryName=repo)
    assert (latest["status"], latest["lifecyclePolicyText"]) == ("COMPLETE", UNTAGGED_AFTER_14_DAYS)


def test_start_uses_the_stored_policy(ecr_client, repo):
    ecr_client.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=UNTAGGED_AFTER_14_DAYS)
    started = ecr_client.start_lifecycle_policy_preview(repositoryName=repo)
    assert started["lifecyclePolicyText"] == UNTAGGED_AFTER_14_DAYS
    assert ecr_client.get_lifecycle_policy_preview(repositoryName=repo)["lifecyclePolicyText"] == UNTAGGED_AFTER_14_DAYS


def test_given_text_wins_over_the_stored_policy_and_is_not_stored(ecr_client, repo):
    ecr_client.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=UNTAGGED_AFTER_14_DAYS)
    ecr_client.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)
    assert ecr_client.get_lifecycle_policy_preview(repositoryName=repo)["lifecyclePolicyText"] == KEEP_ONE
    assert ecr_client.get_lifecycle_policy(repositoryName=repo)["lifecyclePolicyText"] == UNTAGGED_AFTER_14_DAYS


def test_a_refused_get_leaves_the_preview_in_progress(ecr_client, repo):
    ecr_client.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)
    with pytest.raises(ClientError) as info:
        ecr_client.get_lifecycle_policy_preview(repositoryName=repo, nextToken="not-a-token")
    assert error(info) == (
        "InvalidParameterException",
        "Invalid parameter at 'NextToken' failed to satisfy constraint: 'Invalid next token provided'",
    )
    with pytest.raises(ClientError) as info:
        ecr_client.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)
    assert error(info) == PREVIEW_IN_PROGRESS


def test_previews_are_per_repository(ecr_client, repo):
    ecr_client.create_repository(repositoryName="team/other")
    ecr_client.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)
    assert ecr_client.start_lifecycle_policy_preview(repositoryName="team/other", lifecyclePolicyText=KEEP_ONE)
    with pytest.raises(ClientError):
        ecr_client.start_lifecycle_policy_preview(repositoryName="team/other", lifecyclePolicyText=KEEP_ONE)


def test_waiter_succeeds_without_waiting(ecr_client, repo):
    push(ecr_client, 1, "a")
    push(ecr_client, 2, "b")
    ecr_client.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)
    began = time.monotonic()
    ecr_client.get_waiter("lifecycle_policy_preview_complete").wait(repositoryName=repo)
    assert time.monotonic() - began < 1
    assert ecr_client.get_lifecycle_policy_preview(repositoryName=repo)["summary"] == {"expiringImageTotalCount": 1}


# -- previews: results, filters, pagination, imageIds -------------------------------------------
@pytest.fixture
def history(ecr_client, repo, clock):
    """Six images pushed a day apart (oldest first): three untagged, three tagged."""
    pushed = {}
    for n, tags in enumerate([(), ("v1", "latest-1"), (), ("v2",), (), ("dev-3",)]):
        pushed[n] = (push(ecr_client, n, *tags), tags, datetime.now(timezone.utc))
        clock.tick(timedelta(days=1))
    return pushed


def result(entry: tuple[str, tuple[str, ...], datetime], priority: int, action: str = "EXPIRE") -> dict[str, Any]:
    digest, tags, pushed_at = entry
    out: dict[str, Any] = {"imageDigest": digest}
    if tags:
        out["imageTags"] = sorted(tags)
    out.update(imagePushedAt=pushed_at, action={"type": action}, appliedRulePriority=priority, storageClass="STANDARD")
    if action == "TRANSITION":
        out["action"]["targetStorageClass"] = "ARCHIVE"
    return out


def test_preview_results_and_summary(ecr_client, repo, history):
    # now = day 6; untagged older than 4 days: images 0 and 2 (pushed days 0 and 2)...
    text = policy(rule(1, **by_age(3, "untagged")), rule(2, **by_count(1, "tagged", tagPrefixList=["v"])))
    ecr_client.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=text)
    preview = ecr_client.get_lifecycle_policy_preview(repositoryName=repo)
    assert preview["previewResults"] == [result(history[0], 1), result(history[2], 1), result(history[1], 2)]
    assert preview["summary"] == {"expiringImageTotalCount": 3}


def test_transition_results_and_counts(ecr_client, repo, history):
    text = policy(rule(1, "transition", **by_age(3, "untagged")), rule(2, **by_count(1, "tagged", tagPrefixList=["v"])))
    ecr_client.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=text)
    preview = ecr_client.get_lifecycle_policy_preview(repositoryName=repo)
    assert preview["previewResults"] == [
        result(history[0], 1, "TRANSITION"),
        result(history[2], 1, "TRANSITION"),
        result(history[1], 2),
    ]
    assert preview["summary"] == {
        "expiringImageTotalCount": 1,
        "transitioningImageTotalCounts": [{"targetStorageClass": "ARCHIVE", "imageTotalCount": 2}],
    }


EVERYTHING_BUT_ONE = policy(rule(1, **by_count(1)))


@pytest.mark.parametrize(
    ("tag_status", "expected"), [("ANY", [0, 1, 2, 3, 4]), ("TAGGED", [1, 3]), ("UNTAGGED", [0, 2, 4])]
)
def test_filter_by_tag_status(ecr_client, repo, history, tag_status, expected):
    ecr_client.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=EVERYTHING_BUT_ONE)
    preview = ecr_client.get_lifecycle_policy_preview(repositoryName=repo, filter={"tagStatus": tag_status})
    assert preview["previewResults"] == [result(history[n], 1) for n in expected]
    assert preview["summary"] == {"expiringImageTotalCount": 5}  # the summary is of the whole preview


def test_pagination(ecr_client, repo, history):
    ecr_client.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=EVERYTHING_BUT_ONE)
    pages, token = [], None
    while True:
        kwargs = {"nextToken": token} if token else {}
        page = ecr_client.get_lifecycle_policy_preview(repositoryName=repo, maxResults=2, **kwargs)
        pages.append([r["imageDigest"] for r in page["previewResults"]])
        assert page["summary"] == {"expiringImageTotalCount": 5}
        token = page.get("nextToken")
        if token is None:
            break
    assert pages == [[history[0][0], history[1][0]], [history[2][0], history[3][0]], [history[4][0]]]


def test_paginator_with_a_filter(ecr_client, repo, history):
    ecr_client.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=EVERYTHING_BUT_ONE)
    paginator = ecr_client.get_paginator("get_lifecycle_policy_preview")
    pages = list(
        paginator.paginate(repositoryName=repo, filter={"tagStatus": "UNTAGGED"}, PaginationConfig={"PageSize": 1})
    )
    assert [len(p["previewResults"]) for p in pages] == [1, 1, 1]
    merged = paginator.paginate(repositoryName=repo).build_full_result()
    assert [r["imageDigest"] for r in merged["previewResults"]] == [history[n][0] for n in range(5)]


def test_default_page_is_100(ecr_client, repo, ecr_mock):
    ecr_client.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)
    # 150 results without pushing 150 images: a preview is a snapshot, so one is put in place
    repository = ecr_mock.backend.store(ACCOUNT, "us-east-1").repositories[repo]
    decisions = [Decision(f"sha256:{n:064x}", (), START, "EXPIRE", 1, None) for n in range(150)]
    repository.lifecycle_preview = Preview.snapshot(KEEP_ONE, decisions)
    first = ecr_client.get_lifecycle_policy_preview(repositoryName=repo)
    assert len(first["previewResults"]) == 100 and first["nextToken"]
    second = ecr_client.get_lifecycle_policy_preview(repositoryName=repo, nextToken=first["nextToken"])
    assert len(second["previewResults"]) == 50 and "nextToken" not in second
    assert second["summary"] == {"expiringImageTotalCount": 150}


def test_max_results_is_1_to_100(unvalidated, repo):
    unvalidated.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)
    for value, constraint in ((0, "greater than or equal to 1"), (101, "less than or equal to 100")):
        with pytest.raises(ClientError) as info:
            unvalidated.get_lifecycle_policy_preview(repositoryName=repo, maxResults=value)
        assert error(info) == (
            "InvalidParameterException",
            f"Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value {constraint}'",
        )


def test_image_ids_select_results(ecr_client, repo, history):
    ecr_client.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=EVERYTHING_BUT_ONE)
    ids = [
        {"imageTag": "v2"},  # image 3
        {"imageDigest": history[0][0]},
        {"imageDigest": history[1][0], "imageTag": "latest-1"},
        {"imageDigest": history[2][0], "imageTag": "v2"},  # tag and digest of different images: nothing
        {"imageTag": "dev-3"},  # image 5 is kept, so it has no result
        {"imageDigest": "sha256:" + "0" * 64},
    ]
    preview = ecr_client.get_lifecycle_policy_preview(repositoryName=repo, imageIds=ids)
    assert preview["previewResults"] == [result(history[n], 1) for n in (0, 1, 3)]
    assert "nextToken" not in preview
    untagged = {"tagStatus": "UNTAGGED"}
    tagged = ecr_client.get_lifecycle_policy_preview(repositoryName=repo, imageIds=ids, filter=untagged)
    assert tagged["previewResults"] == [result(history[0], 1)]


@pytest.mark.parametrize("extra", [{"maxResults": 10}, {"nextToken": "anything"}])
def test_image_ids_exclude_pagination(ecr_client, repo, extra):
    ecr_client.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=KEEP_ONE)
    with pytest.raises(ClientError) as info:
        ecr_client.get_lifecycle_policy_preview(repositoryName=repo, imageIds=[{"imageTag": "a"}], **extra)
    assert error(info) == (
        "InvalidParameterException",
        "Invalid parameter at 'imageIds' failed to satisfy constraint: "
        "'cannot be specified together with maxResults or nextToken'",
    )


def test_previews_never_change_images(ecr_client, repo, history):
    before = ecr_client.describe_images(repositoryName=repo)["imageDetails"]
    ecr_client.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=EVERYTHING_BUT_ONE)
    ecr_client.get_lifecycle_policy_preview(repositoryName=repo)
    assert ecr_client.describe_images(repositoryName=repo)["imageDetails"] == before
    with pytest.raises(ClientError):
        ecr_client.get_lifecycle_policy(repositoryName=repo)  # nor store the previewed text


def test_preview_is_a_snapshot_taken_at_start(ecr_client, repo, history, clock):
    ecr_client.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=EVERYTHING_BUT_ONE)
    clock.tick(timedelta(days=1))
    newest = push(ecr_client, 99, "new")
    ecr_client.batch_delete_image(repositoryName=repo, imageIds=[{"imageDigest": history[0][0]}])
    preview = ecr_client.get_lifecycle_policy_preview(repositoryName=repo)
    assert [r["imageDigest"] for r in preview["previewResults"]] == [history[n][0] for n in range(5)]
    assert newest not in {r["imageDigest"] for r in preview["previewResults"]}


def test_bodies_fit_the_output_shapes(ecr_client, ecr_mock, repo, history, raw_bodies):
    text = policy(rule(1, "transition", **by_age(3, "untagged")), rule(2, **by_count(1, "tagged", tagPrefixList=["v"])))
    ecr_client.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=text)
    ecr_client.start_lifecycle_policy_preview(repositoryName=repo)
    ecr_client.get_lifecycle_policy_preview(repositoryName=repo, maxResults=2)
    ecr_mock.apply_lifecycle_policies()
    ecr_client.get_lifecycle_policy(repositoryName=repo)
    ecr_client.delete_lifecycle_policy(repositoryName=repo)
    bodies = dict(raw_bodies)
    preview = json.loads(bodies["GetLifecyclePolicyPreview"])
    assert (
        len(preview["previewResults"]) == 2
        and preview["nextToken"]
        and "transitioningImageTotalCounts" in (preview["summary"])
    )
    assert json.loads(bodies["GetLifecyclePolicy"])["lastEvaluatedAt"] == START.timestamp() + 6 * 86400
    for operation, body in raw_bodies:
        check_output(operation, body)


# -- applying policies ------------------------------------------------------------------------------
def test_apply_since_image_pushed(ecr_client, ecr_mock, repo, clock):
    old = push(ecr_client, 1)
    old_tagged = push(ecr_client, 2, "release-1")
    clock.tick(timedelta(days=20))
    recent = push(ecr_client, 3)
    ecr_client.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=policy(rule(1, **by_age(30, "untagged"))))
    clock.tick(timedelta(days=10))
    assert ecr_mock.apply_lifecycle_policies() == []  # exactly 30 days is not "more than 30"
    clock.tick(timedelta(seconds=1))
    expired = ecr_mock.apply_lifecycle_policies()
    assert expired == [ExpiredImage(ACCOUNT, "us-east-1", repo, old, (), 1, "EXPIRE")]
    assert digests(ecr_client) == {old_tagged, recent}
    got = ecr_client.get_lifecycle_policy(repositoryName=repo)
    assert got["lastEvaluatedAt"] == START + timedelta(days=30, seconds=1)


def test_apply_image_count_and_tag_prefixes(ecr_client, ecr_mock, repo, clock):
    pushed = {}
    for n, tag in enumerate(["prod-1", "dev-1", "prod-2", "dev-2", "prod-3", "dev-3", "other"]):
        pushed[tag] = push(ecr_client, n, tag)
        clock.tick(timedelta(hours=1))
    untagged = push(ecr_client, 50)
    text = policy(
        rule(1, **by_count(2, "tagged", tagPrefixList=["prod"])),
        rule(2, **by_count(1, "tagged", tagPatternList=["dev-*"])),
        rule(3, **by_count(1, "untagged")),
    )
    ecr_client.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=text)
    expired = ecr_mock.apply_lifecycle_policies(repository_name=repo)
    assert [(e.tags, e.rule_priority) for e in expired] == [(("prod-1",), 1), (("dev-1",), 2), (("dev-2",), 2)]
    remaining = {pushed[tag] for tag in ("prod-2", "prod-3", "dev-3", "other")} | {untagged}
    assert digests(ecr_client) == remaining
    # a second run has nothing left to do
    assert ecr_mock.apply_lifecycle_policies() == []


def test_apply_keeps_what_a_preview_showed(ecr_client, ecr_mock, repo, history):
    text = policy(rule(1, **by_age(2, "untagged")), rule(2, **by_count(1, "any")))
    ecr_client.start_lifecycle_policy_preview(repositoryName=repo, lifecyclePolicyText=text)
    preview = ecr_client.get_lifecycle_policy_preview(repositoryName=repo)
    previewed = [r["imageDigest"] for r in preview["previewResults"]]
    ecr_client.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=text)
    assert [e.digest for e in ecr_mock.apply_lifecycle_policies()] == previewed
    # image 4 is exactly two days old: rule 1 selects it by tag status and keeps it, so rule 2 cannot take it
    assert digests(ecr_client) == {history[4][0], history[5][0]}


def test_apply_multi_tag_image_is_deleted_with_all_its_tags(ecr_client, ecr_mock, repo, history):
    ecr_client.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=policy(rule(1, **by_count(1))))
    expired = ecr_mock.apply_lifecycle_policies()
    assert ("latest-1", "v1") in [e.tags for e in expired]
    listed = ecr_client.list_images(repositoryName=repo)["imageIds"]
    assert listed == [{"imageDigest": history[5][0], "imageTag": "dev-3"}]
    # the repository is consistent afterwards: expired tags are free again, and pushing works
    push(ecr_client, 1, "v1")
    assert ecr_client.describe_images(repositoryName=repo, imageIds=[{"imageTag": "v1"}])["imageDetails"]


def test_apply_archives_what_transition_rules_select(ecr_client, ecr_mock, repo, history):
    # now = day 6: images pushed more than 3 days ago (0, 1 and 2) move to the archive
    ecr_client.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=policy(rule(1, "transition", **by_age(3))))
    applied = ecr_mock.apply_lifecycle_policies()
    old = {history[n][0] for n in (0, 1, 2)}
    assert {e.digest for e in applied} == old and {e.action for e in applied} == {"TRANSITION"}
    assert ecr_client.get_lifecycle_policy(repositoryName=repo)["lastEvaluatedAt"] > EPOCH

    # archived images are described and listed with an imageStatus filter, with their status;
    # without one only ACTIVE images are ("If not specified, only images with ACTIVE status are returned") ...
    default = ecr_client.describe_images(repositoryName=repo)["imageDetails"]
    assert {d["imageDigest"] for d in default} == {history[n][0] for n in (3, 4, 5)}
    listed = ecr_client.list_images(repositoryName=repo)["imageIds"]
    assert {i["imageDigest"] for i in listed} == {history[n][0] for n in (3, 4, 5)}
    every = ecr_client.describe_images(repositoryName=repo, filter={"imageStatus": "ANY"})["imageDetails"]
    details = {d["imageDigest"]: d for d in every}
    assert len(details) == 6
    assert {digest for digest, d in details.items() if d["imageStatus"] == "ARCHIVED"} == old
    assert all("lastArchivedAt" in details[digest] for digest in old)
    archived = ecr_client.describe_images(repositoryName=repo, filter={"imageStatus": "ARCHIVED"})["imageDetails"]
    assert {d["imageDigest"] for d in archived} == old
    active = ecr_client.list_images(repositoryName=repo, filter={"imageStatus": "ACTIVE"}, maxResults=2)
    assert len(active["imageIds"]) == 2 and not {i["imageDigest"] for i in active["imageIds"]} & old

    # ... but cannot be pulled
    pulled = ecr_client.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])
    assert pulled["images"] == [] and pulled["failures"][0]["failureCode"] == "ImageNotFound"

    # a second run leaves archived images where they are
    assert ecr_mock.apply_lifecycle_policies() == []

    # pushing an archived image again restores it
    push(ecr_client, 1, "v1")
    detail = ecr_client.describe_images(repositoryName=repo, imageIds=[{"imageTag": "v1"}])["imageDetails"][0]
    assert detail["imageStatus"] == "ACTIVE" and "lastActivatedAt" in detail
    assert ecr_client.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])["images"]


def test_apply_without_a_policy_changes_nothing(ecr_client, ecr_mock, repo, history):
    assert ecr_mock.apply_lifecycle_policies() == []
    assert len(digests(ecr_client)) == 6


def test_expired_images_free_the_repository(ecr_client, ecr_mock, repo, history, clock):
    clock.tick(timedelta(days=1))
    ecr_client.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=policy(rule(1, **by_age(1))))
    assert len(ecr_mock.apply_lifecycle_policies()) == 6
    assert len(ecr_mock.backend.store(ACCOUNT, "us-east-1").repositories[repo].images) == 0
    ecr_client.delete_repository(repositoryName=repo)  # no longer "still contains images"


def test_apply_selects_region_account_and_repository(ecr_mock, clock):
    east = boto3.client("ecr", region_name="us-east-1")
    west = boto3.client("ecr", region_name="eu-west-1")
    for client in (east, west):
        for name in ("keep/me", "trim/me"):
            client.create_repository(repositoryName=name)
            push(client, 1, repo=name)
            push(client, 2, repo=name)
            client.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=KEEP_ONE)
    assert ecr_mock.apply_lifecycle_policies(account_id=OTHER_ACCOUNT) == []
    first = ecr_mock.apply_lifecycle_policies(region="eu-west-1", repository_name="trim/me")
    assert [(e.region, e.repository_name) for e in first] == [("eu-west-1", "trim/me")]
    rest = ecr_mock.apply_lifecycle_policies(account_id=ACCOUNT)
    assert sorted((e.region, e.repository_name) for e in rest) == [
        ("eu-west-1", "keep/me"),
        ("us-east-1", "keep/me"),
        ("us-east-1", "trim/me"),
    ]
    with pytest.raises(LookupError):
        ecr_mock.apply_lifecycle_policies(repository_name="no/such")


def test_apply_never_breaks_a_manifest_list(ecr_client, ecr_mock, repo, clock):
    children = [
        push_image(ecr_client, repo, config=json.dumps({"n": n}).encode(), media_type=OCI_MANIFEST) for n in range(2)
    ]
    listed = index_manifest([(child.manifest, OCI_MANIFEST) for child in children])
    put_manifest(ecr_client, repo, listed, tag="multi")
    everything = {child.digest for child in children} | {digest_of(listed.encode())}
    clock.tick(timedelta(days=2))
    # the untagged children are old enough, but the tagged index that lists them is kept
    ecr_client.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=policy(rule(1, **by_age(1, "untagged"))))
    assert ecr_mock.apply_lifecycle_policies() == []
    assert digests(ecr_client) == everything
    # when the index expires too, it goes first and its children follow in the same run
    ecr_client.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=policy(rule(1, **by_age(1, "any"))))
    assert {e.digest for e in ecr_mock.apply_lifecycle_policies()} == everything
    assert digests(ecr_client) == set()


def test_apply_works_under_concurrent_calls(ecr_client, ecr_mock, repo, history):
    import threading

    ecr_client.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=policy(rule(1, **by_count(2))))
    results: list[list[ExpiredImage]] = []
    threads = [threading.Thread(target=lambda: results.append(ecr_mock.apply_lifecycle_policies())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(r) for r in results) == [0, 0, 0, 4]
    assert len(digests(ecr_client)) == 2
