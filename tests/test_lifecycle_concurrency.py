"""Lifecycle evaluation runs outside the registry's lock, and what changes meanwhile counts.

The engine is replaced by one that stops at its first evaluation until the test lets it go,
so "while an evaluation runs" is a fact the test sets up, not a matter of timing. Waits on
threads have a generous limit only so that a regression fails instead of hanging.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from freezegun import freeze_time

from mock_ecr.domain.lifecycle import policies

REPO = "team/app"
LIMIT = 3  # seconds: only ever reached when a call is stuck behind the lock
KEEP_NEWEST_RELEASE = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {
                    "tagStatus": "tagged",
                    "tagPrefixList": ["rel"],
                    "countType": "imageCountMoreThan",
                    "countNumber": 1,
                },
                "action": {"type": "expire"},
            }
        ]
    }
)


class Gate:
    """The engine, stopping at its first evaluation until ``release``."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real = real
        self.entered = threading.Event()
        self.released = threading.Event()
        self.calls = 0

    def __call__(self, policy: Any, images: Any, now: datetime) -> Any:
        self.calls += 1
        images = list(images)
        if self.calls == 1:
            self.entered.set()
            assert self.released.wait(LIMIT), "the test never let the evaluation go"
        return self.real(policy, images, now)

    def release(self) -> None:
        self.released.set()


class Background(threading.Thread):
    """``call()`` in another thread; its result or exception kept."""

    def __init__(self, call: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.call = call
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.call()
        except BaseException as error:  # handed to the test
            self.error = error

    def outcome(self) -> Any:
        self.join(LIMIT)
        assert not self.is_alive(), "still running"
        if self.error is not None:
            raise self.error
        return self.result


@pytest.fixture
def gate(monkeypatch):
    gate = Gate(policies.evaluate)
    monkeypatch.setattr(policies, "evaluate", gate)
    yield gate
    gate.release()  # never leave a thread waiting


@pytest.fixture
def releases(ecr_mock, ecr_client):
    """Three images tagged rel-1, rel-2, rel-3, a minute apart (oldest first); their digests."""
    ecr_client.create_repository(repositoryName=REPO)
    with freeze_time(datetime(2024, 1, 1, tzinfo=timezone.utc)) as clock:
        digests = []
        for n in (1, 2, 3):
            digests.append(ecr_mock.push_image(REPO, f"rel-{n}", layers=[f"layer {n}".encode()]).digest)
            clock.tick(timedelta(minutes=1))
    return digests


def _while_evaluating(gate: Gate, evaluation: Callable[[], Any], change: Callable[[], Any]) -> Any:
    """Run ``evaluation`` in a thread; once it is evaluating, run ``change`` in another and
    check it completes before the evaluation is let go. Returns the evaluation's outcome."""
    evaluating = Background(evaluation)
    evaluating.start()
    assert gate.entered.wait(LIMIT), "the evaluation never started"
    changing = Background(change)
    changing.start()
    changing.join(LIMIT)
    finished_meanwhile = not changing.is_alive()
    gate.release()
    changing.outcome()
    assert finished_meanwhile, "a call to the registry waited for the evaluation"
    return evaluating.outcome()


def _tags(ecr_client) -> dict[str, list[str]]:
    images = ecr_client.describe_images(repositoryName=REPO)["imageDetails"]
    return {i["imageDigest"]: sorted(i.get("imageTags", [])) for i in images}


def test_a_preview_lets_other_calls_in_and_sees_an_image_deleted_meanwhile(ecr_client, gate, releases):
    oldest, middle, newest = releases

    def start() -> Any:
        return ecr_client.start_lifecycle_policy_preview(repositoryName=REPO, lifecyclePolicyText=KEEP_NEWEST_RELEASE)

    def delete_newest() -> Any:
        return ecr_client.batch_delete_image(repositoryName=REPO, imageIds=[{"imageTag": "rel-3"}])

    assert _while_evaluating(gate, start, delete_newest)["status"] == "IN_PROGRESS"
    results = ecr_client.get_lifecycle_policy_preview(repositoryName=REPO)["previewResults"]
    # rel-2 is the newest release now, so it is kept: the view taken before the delete is not used
    assert [r["imageDigest"] for r in results] == [oldest]
    assert gate.calls == 2


def test_apply_expunges_nothing_a_delete_made_during_evaluation_saved(ecr_mock, ecr_client, gate, releases):
    oldest, middle, newest = releases
    ecr_client.put_lifecycle_policy(repositoryName=REPO, lifecyclePolicyText=KEEP_NEWEST_RELEASE)

    def delete_newest() -> Any:
        return ecr_client.batch_delete_image(repositoryName=REPO, imageIds=[{"imageTag": "rel-3"}])

    expired = _while_evaluating(gate, ecr_mock.apply_lifecycle_policies, delete_newest)
    # evaluated before the delete, the policy would have expired rel-1 and rel-2
    assert [e.digest for e in expired] == [oldest]
    assert _tags(ecr_client) == {middle: ["rel-2"]}


def test_apply_respects_a_tag_moved_during_evaluation(ecr_mock, ecr_client, gate, releases):
    oldest, middle, newest = releases
    ecr_client.put_lifecycle_policy(repositoryName=REPO, lifecyclePolicyText=KEEP_NEWEST_RELEASE)
    manifest = ecr_client.batch_get_image(repositoryName=REPO, imageIds=[{"imageTag": "rel-1"}])["images"][0]

    def move_rel_3_to_the_oldest() -> Any:
        return ecr_client.put_image(repositoryName=REPO, imageManifest=manifest["imageManifest"], imageTag="rel-3")

    expired = _while_evaluating(gate, ecr_mock.apply_lifecycle_policies, move_rel_3_to_the_oldest)
    # the newest image lost its only tag, so rel-2's image is the newest release and is kept
    # (evaluated before the move, the policy would have expired it: an image that itself did
    # not change); the oldest, now rel-1 and rel-3, goes
    assert [e.digest for e in expired] == [oldest]
    assert _tags(ecr_client) == {middle: ["rel-2"], newest: []}


def test_a_preview_started_meanwhile_wins(ecr_client, gate, releases):
    def start() -> Any:
        return ecr_client.start_lifecycle_policy_preview(repositoryName=REPO, lifecyclePolicyText=KEEP_NEWEST_RELEASE)

    with pytest.raises(ecr_client.exceptions.LifecyclePolicyPreviewInProgressException):
        _while_evaluating(gate, start, start)
    preview = ecr_client.get_lifecycle_policy_preview(repositoryName=REPO)
    assert [r["imageDigest"] for r in preview["previewResults"]] == releases[:2]


def _lock_free_for_others(lock: Any) -> bool:
    """Whether another thread could take ``lock`` right now (asked without waiting)."""
    answers = []

    def probe() -> None:
        taken = lock.acquire(blocking=False)
        if taken:
            lock.release()
        answers.append(taken)

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join(LIMIT)
    return answers == [True]


@pytest.mark.parametrize("caller_holds_the_lock", [False, True])
def test_apply_evaluates_without_the_lock_unless_its_caller_holds_it(
    ecr_mock, ecr_client, releases, monkeypatch, caller_holds_the_lock
):
    """A caller that holds the registry's lock (to see no change between its steps) keeps it
    through the evaluation: only the lock the apply took itself is let go."""
    ecr_client.put_lifecycle_policy(repositoryName=REPO, lifecyclePolicyText=KEEP_NEWEST_RELEASE)
    store = ecr_mock.backend.store(ecr_mock.account_id, "us-east-1")
    free_while_evaluating = []
    real = policies.evaluate

    def evaluate(*args: Any) -> Any:
        free_while_evaluating.append(_lock_free_for_others(store.lock))
        return real(*args)

    monkeypatch.setattr(policies, "evaluate", evaluate)
    if caller_holds_the_lock:
        with store.lock:
            expired = ecr_mock.apply_lifecycle_policies()
    else:
        expired = ecr_mock.apply_lifecycle_policies()
    assert free_while_evaluating == [not caller_holds_the_lock]
    assert [e.digest for e in expired] == releases[:2]


def test_a_preview_evaluates_without_the_lock(ecr_mock, ecr_client, releases, monkeypatch):
    store = ecr_mock.backend.store(ecr_mock.account_id, "us-east-1")
    free_while_evaluating = []
    real = policies.evaluate

    def evaluate(*args: Any) -> Any:
        free_while_evaluating.append(_lock_free_for_others(store.lock))
        return real(*args)

    monkeypatch.setattr(policies, "evaluate", evaluate)
    ecr_client.start_lifecycle_policy_preview(repositoryName=REPO, lifecyclePolicyText=KEEP_NEWEST_RELEASE)
    assert free_while_evaluating == [True]
    results = ecr_client.get_lifecycle_policy_preview(repositoryName=REPO)["previewResults"]
    assert [r["imageDigest"] for r in results] == releases[:2]
