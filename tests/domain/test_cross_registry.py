"""Writes that span two registries: locks in one global order, nothing lost, no deadlock."""

from __future__ import annotations

import hashlib
import json
import threading

import pytest

from mock_ecr.domain.blobs import uploads
from mock_ecr.domain.images import service
from mock_ecr.domain.images.copy import copy_image
from mock_ecr.domain.repositories import Repository, create_repository
from mock_ecr.domain.store import Backend, utcnow

A = ("111111111111", "us-east-1")
B = ("222222222222", "eu-west-1")
SEEDED = 50
THREADS, OPS = 8, 200
LAYER = b"a layer both registries' images share" * 10


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _upload(store, quotas, repository, data: bytes) -> None:
    if _digest(data) in repository.blob_links:
        return
    upload = uploads.start_upload(store, repository)
    uploads.append_part(quotas, upload, data, 0, len(data) - 1)
    uploads.complete_upload(store, quotas, upload, [_digest(data)])


def _seed(backend: Backend, key: tuple[str, str]) -> list[str]:
    """Repository ``app`` in registry ``key`` with SEEDED images of its own; their digests."""
    store, now = backend.store(*key), utcnow()
    repository = create_repository(store, backend.quotas, Repository(*key, "app", now))
    digests = []
    for number in range(SEEDED):
        config = json.dumps({"registry": key[0], "n": number}).encode()
        for data in (config, LAYER):
            _upload(store, backend.quotas, repository, data)
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "size": len(config),
                    "digest": _digest(config),
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "size": len(LAYER),
                        "digest": _digest(LAYER),
                    }
                ],
            }
        )
        image = service.put_image(store, backend.quotas, repository, manifest, tag=f"own-{number}", now=now)
        digests.append(image.digest)
    return digests


def test_copies_in_both_directions_from_many_threads_lose_nothing_and_never_deadlock():
    backend = Backend()
    seeded = {A: _seed(backend, A), B: _seed(backend, B)}
    failures: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work(thread: int) -> None:
        start.wait()
        try:
            for op in range(OPS):
                source, target = (A, B) if (thread + op) % 2 else (B, A)
                digest = seeded[source][op % SEEDED]
                copy_image(backend, source, "app", digest, target, "app", tag=f"t{thread}-{op}", now=utcnow())
        except BaseException as failure:  # reported below, with the thread's traceback
            failures.append(failure)

    threads = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not [thread for thread in threads if thread.is_alive()], "deadlocked"
    assert failures == []

    copies_into = THREADS * OPS // 2  # each thread alternates direction, OPS is even
    for key in (A, B):
        store = backend.store(*key)
        repository = store.repositories["app"]
        index = repository.images
        # its own images plus every image of the other registry, each copied at least once
        assert len(index) == 2 * SEEDED
        assert len(index.seqs_by_tag) == SEEDED + copies_into
        assert sum(len(image.tags) for image in index) == SEEDED + copies_into
        # configs of both registries' images plus the one shared layer, each stored once
        assert repository.blob_links == set(store.blobs.blobs) and len(store.blobs.blobs) == 2 * SEEDED + 1
        assert sum(repository.blob_refs.values()) == 2 * len(index)
    backend.close()


def test_locks_are_taken_in_one_order_whatever_order_they_are_asked_in():
    backend = Backend()
    with backend.locked(B, A, B) as stores:
        assert list(stores) == [A, B]  # sorted and each once
        assert all(store.lock._is_owned() for store in stores.values())
    assert not any(store.lock._is_owned() for store in backend.stores())


def test_taking_a_registry_lock_out_of_order_is_refused():
    backend = Backend()
    with backend.store(*B).lock:  # e.g. a handler running under registry B's lock
        with pytest.raises(RuntimeError, match="out of order"):
            with backend.locked(A):
                pass
        with backend.locked(B):  # re-entering what it holds is fine
            pass
    with backend.store(*A).lock:  # holding A, asking for B (later in the order) is fine
        with backend.locked(A, B):
            pass


def test_backend_run_takes_an_upstream_that_sorts_first_in_order():
    """A pull through an ``ecr`` upstream from a route holding only its own registry's lock."""
    from mock_ecr.domain import pull_through

    backend = Backend()
    digests = _seed(backend, A)  # A sorts before B
    now = utcnow()
    store = backend.store(*B)
    store.pull_through_rules["cache"] = pull_through.PullThroughCacheRule(
        prefix="cache",
        upstream_registry="ecr",
        upstream_url=f"{A[0]}.dkr.ecr.{A[1]}.amazonaws.com",
        created_at=now,
        updated_at=now,
        upstream_prefix="ROOT",
        upstream_key=A,
    )
    with store.lock, pytest.raises(RuntimeError, match="out of order"):
        pull_through.import_for_pull(backend, store, "cache/app", "own-0", now)
    assert "cache/app" not in store.repositories  # asked before it changed anything
    store_b = backend.store(*B)
    image = backend.run(store_b, lambda hold: pull_through.import_for_pull(backend, store_b, "cache/app", "own-0", now))
    assert image is not None and image.digest == digests[0]
    assert store.repositories["cache/app"].images.tagged("own-0") is image
