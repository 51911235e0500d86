"""Threads, fork and blobs: per-thread accounts, concurrent seeding, blob release, positional reads."""

from __future__ import annotations

import hashlib
import os
import select
import threading
import time

import boto3
import pytest
import requests

from mock_ecr import ECRError, mock_ecr

A, B, C = "111111111111", "222222222222", "333333333333"


def _account_seen() -> str:
    client = boto3.client("ecr", region_name="us-east-1")
    return client.describe_registry()["registryId"]


def test_each_thread_sees_its_own_mocks_account():
    both_started = threading.Barrier(2)
    both_called = threading.Barrier(2)
    seen: dict[str, str] = {}
    failures: list[BaseException] = []

    def run(account: str) -> None:
        try:
            with mock_ecr(account_id=account):
                both_started.wait(timeout=10)  # both mocks active at once
                seen[account] = _account_seen()
                both_called.wait(timeout=10)
        except BaseException as failure:  # reported below
            failures.append(failure)

    threads = [threading.Thread(target=run, args=(account,)) for account in (A, B)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures
    assert seen == {A: A, B: B}


def test_a_thread_without_a_mock_uses_the_most_recent_active_one():
    results: list[str] = []

    def worker() -> None:
        results.append(_account_seen())

    with mock_ecr(account_id=A):
        with mock_ecr(account_id=B):
            thread = threading.Thread(target=worker)
            thread.start()
            thread.join()
            assert _account_seen() == B
        assert _account_seen() == A
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
    assert results == [B, A]


def test_a_thread_keeps_its_own_account_while_another_starts_a_newer_mock():
    started = threading.Event()
    done = threading.Event()

    def other() -> None:
        with mock_ecr(account_id=C):
            started.set()
            done.wait(timeout=10)

    with mock_ecr(account_id=A):
        thread = threading.Thread(target=other)
        thread.start()
        started.wait(timeout=10)
        try:
            assert _account_seen() == A  # the other thread's newer mock does not switch this one
        finally:
            done.set()
            thread.join()


def test_concurrent_push_image_with_shared_layers_accepts_completed_layers(ecr_mock):
    shared = [os.urandom(512) for _ in range(3)]
    errors: list[BaseException] = []

    def push(worker: int) -> None:
        for index in range(20):
            try:
                ecr_mock.push_image("shared", f"w{worker}-{index}", layers=[*shared, os.urandom(64)])
            except BaseException as error:  # reported below
                errors.append(error)

    threads = [threading.Thread(target=push, args=(worker,)) for worker in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    state = ecr_mock.state()
    assert len(state.repositories["shared"].images) == 320
    assert state.uploads == ()


def test_a_refused_seeding_upload_is_not_left_in_progress(ecr_mock):
    ecr_mock.quotas.max_layer_part_size = 16
    ecr_mock.quotas.min_layer_part_size = 16
    ecr_mock.quotas.layer_parts_per_upload = 2
    with pytest.raises(ECRError, match="Layer parts"):
        ecr_mock.push_image("refused", "v1", layers=[b"x" * 100])
    assert ecr_mock.state().uploads == ()


def _blob(m, digest: str, account: str = "123456789012"):
    return m.backend.store(account, "us-east-1").blobs.blobs[digest]


def test_a_blob_is_released_when_the_last_repository_holding_it_is_deleted(ecr_mock, ecr_client):
    layer = os.urandom(256)
    first = ecr_mock.push_image("first", "v1", layers=[layer])
    ecr_mock.push_image("second", "v1", layers=[layer])
    blob = _blob(ecr_mock, first.layer_digests[0])
    ecr_client.delete_repository(repositoryName="first", force=True)
    assert not blob.closed  # "second" still holds it
    ecr_client.delete_repository(repositoryName="second", force=True)
    assert blob.closed
    assert first.layer_digests[0] not in ecr_mock.backend.store("123456789012", "us-east-1").blobs.blobs


def test_a_blob_without_images_stays_available_until_its_repository_goes(ecr_mock, ecr_client):
    pushed = ecr_mock.push_image("repo", "v1")
    ecr_client.batch_delete_image(repositoryName="repo", imageIds=[{"imageTag": "v1"}])
    answer = ecr_client.batch_check_layer_availability(repositoryName="repo", layerDigests=[pushed.layer_digests[0]])
    assert answer["layers"][0]["layerAvailability"] == "AVAILABLE"
    blob = _blob(ecr_mock, pushed.layer_digests[0])
    ecr_client.delete_repository(repositoryName="repo", force=True)
    assert blob.closed


def test_large_blob_reads_in_parallel_are_positional(ecr_mock):
    data = os.urandom(9 * 1024 * 1024)  # above the spool threshold: on disk
    pushed = ecr_mock.push_image("big", "v1", layers=[data])
    blob = _blob(ecr_mock, pushed.layer_digests[0])
    expected = hashlib.sha256(data).hexdigest()
    results: list[str] = []

    def read() -> None:
        digest = hashlib.sha256()
        for chunk in blob.chunks(chunk_size=300_001):
            digest.update(chunk)
        results.append(digest.hexdigest())

    threads = [threading.Thread(target=read) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 6


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_gets_fresh_locks_and_its_own_copy(ecr_mock, ecr_client):
    data = os.urandom(9 * 1024 * 1024)
    pushed = ecr_mock.push_image("big", "v1", layers=[data])
    store = ecr_mock.backend.store("123456789012", "us-east-1")
    holding, release = threading.Event(), threading.Event()

    def hold_the_registry_lock() -> None:
        with store.lock:
            holding.set()
            release.wait(timeout=30)

    holder = threading.Thread(target=hold_the_registry_lock)
    holder.start()
    holding.wait(timeout=10)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the thread holding the lock does not exist here
        status = 1
        try:
            os.close(read_end)
            client = boto3.client("ecr", region_name="us-east-1")
            client.create_repository(repositoryName="child-only")
            url = client.get_download_url_for_layer(repositoryName="big", layerDigest=pushed.layer_digests[0])
            body = requests.get(url["downloadUrl"]).content
            os.write(write_end, b"ok" if body == data else b"wrong bytes")
            status = 0
        except BaseException as failure:  # reported through the pipe
            os.write(write_end, repr(failure).encode()[:200])
        finally:
            os._exit(status)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 60)
        message = os.read(read_end, 256) if ready else b"child hung"
    finally:
        release.set()
        holder.join()
        deadline = time.monotonic() + 30
        while os.waitpid(pid, os.WNOHANG) == (0, 0):
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                break
            time.sleep(0.05)
        os.close(read_end)
    assert message == b"ok"
    names = [r["repositoryName"] for r in ecr_client.describe_repositories()["repositories"]]
    assert names == ["big"]  # the child's repository is in the child's copy only
