"""Concurrency: many threads, thousands of mixed calls, one mock; then the state must add up.

Each of 16 threads makes 1,000 calls (uploads, pushes, tag moves, batch deletes, describes,
paginated walks, repository creation and deletion, policies, tags) chosen by a seeded
random generator. Three kinds of resources are involved:

* **own repositories** (``own<t>/r0``, ``own<t>/r1``): only thread ``t`` touches them, so every
  answer is checked against the thread's ``ReferenceECR`` exactly as in a single-threaded
  run, and at the end their full state must equal the model's;
* **the shared repository** (``shared/hot``): every thread pushes its own images under its own
  tags and moves the common ``latest`` tag to them, deletes its own tags, and walks the
  repository page by page while the others push. A walk must never return an image twice
  nor miss one that existed all along; at the end each thread's tags must name exactly the
  images the thread last put them on, and ``latest`` exactly one image;
* **race repositories** (``race-0`` ... ``race-3``): every thread creates and force-deletes
  them; per name, successful creates minus successful deletes must be 0 or 1 and match
  whether the repository exists at the end (nothing lost or duplicated).

Every call must succeed or raise a ``ClientError`` with HTTP 400 and an error code the ECR
model lists for that operation. The whole run is repeated with one boto3 session per thread
and with one client shared by all threads.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from mock_ecr import mock_ecr

from .ecr_helpers import digest_of, image_manifest, upload_blob
from .reference_model import ACCOUNT, ModelError, ReferenceECR, manifest_for

THREADS = int(os.environ.get("MOCK_ECR_STRESS_THREADS", "16"))
CALLS_PER_THREAD = int(os.environ.get("MOCK_ECR_STRESS_CALLS", "1000"))
SHARED = "shared/hot"
RACES = [f"race-{i}" for i in range(4)]
OWN_TAGS = ["a", "b", "c"]
CONFIG = Config(retries={"total_max_attempts": 1}, max_pool_connections=THREADS)

_MODEL = botocore.session.get_session().get_service_model("ecr")
_PROTOCOL_ERRORS = {"SerializationException", "UnknownOperationException"}


def _modeled_errors(action: str) -> set[str]:
    name = _MODEL.operation_model(_operation_name(action))
    return {shape.name for shape in name.error_shapes} | _PROTOCOL_ERRORS


def _operation_name(action: str) -> str:
    return "".join(part.capitalize() for part in action.split("_"))


class Divergence(AssertionError):
    pass


class Worker:
    """One thread's calls, its reference model of its own repositories, and what it observed."""

    def __init__(self, tid: int, client: Any, seed: int) -> None:
        self.tid = tid
        self.client = client
        self.rng = random.Random(seed * 1000 + tid)
        self.model = ReferenceECR()
        self.own = [f"own{tid}/r0", f"own{tid}/r1"]
        self.calls = 0
        self.walks = 0
        self.outcomes: Counter[str] = Counter()
        self.failures: list[str] = []
        #: handle -> real uploadId, for the model's uploads
        self.upload_ids: dict[str, str] = {}
        # shared repository: this thread's tags -> digest, blobs it linked, images it put "latest" on
        self.shared_tags: dict[str, str] = {}
        self.shared_blobs: set[str] = set()
        self.shared_digests: set[str] = set()
        self.latest_digests: set[str] = set()
        # race repositories: successful creates and deletes per name
        self.race_creates: Counter[str] = Counter()
        self.race_deletes: Counter[str] = Counter()

    # -- calling ------------------------------------------------------------------------------
    def call(self, action: str, **params: Any) -> Any:
        """The response, or the ClientError; anything else is recorded as a failure and re-raised."""
        self.calls += 1
        try:
            response = getattr(self.client, action)(**params)
        except ClientError as error:
            status = error.response["ResponseMetadata"]["HTTPStatusCode"]
            code = error.response["Error"]["Code"]
            if status != 400 or code not in _modeled_errors(action):
                self.failures.append(f"{action}: HTTP {status} {code}: {error}")
            self.outcomes[code] += 1
            return error
        except Exception:
            self.failures.append(f"{action} raised:\n{traceback.format_exc()}")
            raise
        self.outcomes["ok"] += 1
        return response

    def checked(self, action: str, model_call: Callable[[], Any], **params: Any) -> tuple[Any, Any]:
        """Call ``action`` and the model; both must fail alike or both succeed."""
        try:
            expected: tuple[str, Any] = ("ok", model_call())
        except ModelError as error:
            expected = ("error", error.code)
        response = self.call(action, **params)
        if isinstance(response, ClientError):
            actual: tuple[str, Any] = ("error", response.response["Error"]["Code"])
        else:
            actual = ("ok", response)
        if expected[0] == "error" or actual[0] == "error":
            if actual != expected:
                raise Divergence(f"thread {self.tid}: {action}({params}) answered {actual[:2]}, model {expected}")
            return None, None
        return actual[1], expected[1]

    # -- own repositories (checked against the model) --------------------------------------------
    def own_name(self) -> str:
        return self.rng.choice(self.own)

    def blob(self, number: int) -> bytes:
        return f"thread {self.tid} blob {number}".encode()

    def own_create(self) -> None:
        name = self.own_name()
        self.checked("create_repository", lambda: self.model.create_repository(name), repositoryName=name)

    def own_delete(self) -> None:
        name, force = self.own_name(), self.rng.random() < 0.5
        self.checked(
            "delete_repository", lambda: self.model.delete_repository(name, force), repositoryName=name, force=force
        )
        self.upload_ids = {h: u for h, u in self.upload_ids.items() if h in self.model.uploads}

    def upload(self, name: str, data: bytes, checked: bool = True) -> None:
        """Initiate, send one part, complete (three calls)."""
        if not checked:
            upload = self.call("initiate_layer_upload", repositoryName=name)
            if isinstance(upload, ClientError):
                return
            upload_id = upload["uploadId"]
            self.call(
                "upload_layer_part",
                repositoryName=name,
                uploadId=upload_id,
                partFirstByte=0,
                partLastByte=len(data) - 1,
                layerPartBlob=data,
            )
            self.call("complete_layer_upload", repositoryName=name, uploadId=upload_id, layerDigests=[digest_of(data)])
            return
        real, handle = self.checked(
            "initiate_layer_upload", lambda: self.model.initiate_layer_upload(name), repositoryName=name
        )
        if real is None:
            return
        upload_id = self.upload_ids[handle] = real["uploadId"]
        self.checked(
            "upload_layer_part",
            lambda: self.model.upload_layer_part(name, handle, 0, len(data) - 1, data),
            repositoryName=name,
            uploadId=upload_id,
            partFirstByte=0,
            partLastByte=len(data) - 1,
            layerPartBlob=data,
        )
        real, digest = self.checked(
            "complete_layer_upload",
            lambda: self.model.complete_layer_upload(name, handle, [digest_of(data)]),
            repositoryName=name,
            uploadId=upload_id,
            layerDigests=[digest_of(data)],
        )
        if real is not None and real["layerDigest"] != digest:
            raise Divergence(f"complete_layer_upload digest {real['layerDigest']} != {digest}")

    def own_manifest(self) -> tuple[str, list[bytes]]:
        config, layer = self.blob(self.rng.randrange(3)), self.blob(3 + self.rng.randrange(3))
        return manifest_for(config, [layer]), [config, layer]

    def own_push(self) -> None:
        name = self.own_name()
        manifest, blobs = self.own_manifest()
        repository = self.model.repositories.get(name)
        for data in blobs:
            if repository is not None and digest_of(data) not in repository.layers:
                self.upload(name, data)
        tag = self.rng.choice(OWN_TAGS + [None])
        params: dict[str, Any] = {"repositoryName": name, "imageManifest": manifest}
        if tag is not None:
            params["imageTag"] = tag
        real, model = self.checked("put_image", lambda: self.model.put_image(name, manifest, tag), **params)
        if real is not None and real["image"]["imageId"]["imageDigest"] != model[0]:
            raise Divergence("put_image digest")

    def own_image_ids(self) -> list[dict[str, str]]:
        ids = []
        for _ in range(self.rng.randint(1, 3)):
            if self.rng.random() < 0.5:
                ids.append({"imageTag": self.rng.choice(OWN_TAGS)})
            else:
                manifest, _ = self.own_manifest()
                ids.append({"imageDigest": digest_of(manifest.encode())})
        return ids

    def own_batch_delete(self) -> None:
        name, ids = self.own_name(), self.own_image_ids()
        real, model = self.checked(
            "batch_delete_image", lambda: self.model.batch_delete_image(name, ids), repositoryName=name, imageIds=ids
        )
        if real is not None:
            got = sorted(((i["imageDigest"], i.get("imageTag")) for i in real["imageIds"]), key=repr)
            if got != model[0]:
                raise Divergence(f"batch_delete_image deleted {got}, model {model[0]}")

    def own_batch_get(self) -> None:
        name, ids = self.own_name(), self.own_image_ids()
        real, model = self.checked(
            "batch_get_image", lambda: self.model.batch_get_image(name, ids), repositoryName=name, imageIds=ids
        )
        if real is not None:
            got = sorted(
                (
                    (i["imageId"]["imageDigest"], i["imageId"].get("imageTag"), i["imageManifest"])
                    for i in real["images"]
                ),
                key=repr,
            )
            if got != model[0]:
                raise Divergence("batch_get_image images")

    def walk(self, action: str, key: str, **params: Any) -> list[Any] | None:
        """Every item of a paginated action, or None if its first page fails."""
        self.walks += 1
        items: list[Any] = []
        token = None
        while True:
            page = self.call(action, **params, **({"nextToken": token} if token else {}))
            if isinstance(page, ClientError):
                return None
            items.extend(page[key])
            token = page.get("nextToken")
            if not token:
                return items

    def own_walk(self) -> None:
        name = self.own_name()
        try:
            expected = self.model.list_images(name)
        except ModelError:
            expected = None
        found = self.walk("list_images", "imageIds", repositoryName=name, maxResults=self.rng.randint(1, 4))
        pairs = None if found is None else sorted(((i["imageDigest"], i.get("imageTag")) for i in found), key=repr)
        if pairs != expected:
            raise Divergence(f"thread {self.tid}: list_images({name}) walked {pairs}, model {expected}")
        try:
            described = self.model.describe_images(name)
        except ModelError:
            described = None
        found = self.walk("describe_images", "imageDetails", repositoryName=name, maxResults=self.rng.randint(1, 4))
        got = (
            None
            if found is None
            else sorted((d["imageDigest"], tuple(sorted(d.get("imageTags", ()))), d["imageSizeInBytes"]) for d in found)
        )
        if got != described:
            raise Divergence(f"thread {self.tid}: describe_images({name}) walked {got}, model {described}")

    def own_metadata(self) -> None:
        name = self.own_name()
        arn = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/{name}"
        choice = self.rng.randrange(3)
        if choice == 0:
            tags = [{"Key": f"k{self.rng.randrange(5)}", "Value": str(self.rng.randrange(9))}]
            self.checked("tag_resource", lambda: self.model.tag_resource(arn, tags), resourceArn=arn, tags=tags)
        elif choice == 1:
            policy = json.dumps(
                {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": f"ecr:Get{self.rng.randrange(9)}"}]}
            )
            self.checked(
                "set_repository_policy",
                lambda: self.model.set_repository_policy(name, policy),
                repositoryName=name,
                policyText=policy,
            )
        else:
            real, model = self.checked(
                "list_tags_for_resource", lambda: self.model.list_tags_for_resource(arn), resourceArn=arn
            )
            if real is not None and {t["Key"]: t["Value"] for t in real["tags"]} != model:
                raise Divergence("list_tags_for_resource")

    # -- the shared repository -------------------------------------------------------------------
    def shared_push(self) -> None:
        number = self.rng.randrange(8)
        config = json.dumps({"thread": self.tid, "n": number}).encode()
        layer = f"thread {self.tid} shared layer".encode()
        for data in (config, layer):
            if digest_of(data) not in self.shared_blobs:
                self.upload(SHARED, data, checked=False)
                self.shared_blobs.add(digest_of(data))
        manifest = manifest_for(config, [layer])
        digest = digest_of(manifest.encode())
        tag = f"t{self.tid}-{self.rng.randrange(4)}"
        response = self.call("put_image", repositoryName=SHARED, imageManifest=manifest, imageTag=tag)
        if isinstance(response, ClientError):
            if self.shared_tags.get(tag) != digest:  # only a repeated push of the same tag may fail
                raise Divergence(f"thread {self.tid}: put_image({tag}) failed: {response}")
        self.shared_tags[tag] = digest
        self.shared_digests.add(digest)
        if self.rng.random() < 0.5:
            response = self.call("put_image", repositoryName=SHARED, imageManifest=manifest, imageTag="latest")
            if not isinstance(response, ClientError):
                self.latest_digests.add(digest)

    def shared_delete(self) -> None:
        tags = self.rng.sample(sorted(self.shared_tags), min(2, len(self.shared_tags)))
        if not tags:
            return
        response = self.call("batch_delete_image", repositoryName=SHARED, imageIds=[{"imageTag": t} for t in tags])
        if isinstance(response, ClientError) or response["failures"]:
            raise Divergence(f"thread {self.tid}: deleting own tags {tags} failed: {response}")
        for tag in tags:
            del self.shared_tags[tag]

    def shared_walk(self) -> None:
        """Walk the shared repository while others push: no image twice, none of ours missing."""
        page = self.rng.randint(1, 5)
        found = self.walk("list_images", "imageIds", repositoryName=SHARED, maxResults=page)
        assert found is not None
        pairs = [(i["imageDigest"], i.get("imageTag")) for i in found]
        if len(set(pairs)) != len(pairs):
            twice = sorted({pair for pair in pairs if pairs.count(pair) > 1}, key=repr)
            raise Divergence(f"thread {self.tid}: list_images walk returned {twice} twice")
        missing = {(d, t) for t, d in self.shared_tags.items()} - set(pairs)
        if missing:
            raise Divergence(f"thread {self.tid}: list_images walk missed {missing}")
        details = self.walk("describe_images", "imageDetails", repositoryName=SHARED, maxResults=page)
        assert details is not None
        digests = [d["imageDigest"] for d in details]
        if len(set(digests)) != len(digests):
            raise Divergence(f"thread {self.tid}: describe_images walk returned an image twice")
        if not set(self.shared_tags.values()) <= set(digests):
            raise Divergence(f"thread {self.tid}: describe_images walk missed an image")

    # -- race repositories and the registry ---------------------------------------------------------
    def race(self) -> None:
        name = self.rng.choice(RACES)
        if self.rng.random() < 0.5:
            response = self.call("create_repository", repositoryName=name)
            if not isinstance(response, ClientError):
                self.race_creates[name] += 1
        elif self.rng.random() < 0.3:
            self.upload(name, self.blob(99), checked=False)
        else:
            response = self.call("delete_repository", repositoryName=name, force=True)
            if not isinstance(response, ClientError):
                self.race_deletes[name] += 1

    def registry_walk(self) -> None:
        found = self.walk("describe_repositories", "repositories", maxResults=self.rng.randint(1, 6))
        assert found is not None
        names = [r["repositoryName"] for r in found]
        if len(set(names)) != len(names):
            raise Divergence(f"thread {self.tid}: describe_repositories walk returned a repository twice")
        if not set(self.model.repositories) <= set(names) or SHARED not in names:
            raise Divergence(f"thread {self.tid}: describe_repositories walk missed a repository")

    def misc(self) -> None:
        self.call("get_authorization_token")
        self.call(
            "batch_check_layer_availability",
            repositoryName=SHARED,
            layerDigests=[digest_of(self.blob(n)) for n in range(2)],
        )

    # -- the run ---------------------------------------------------------------------------------
    def run(self) -> None:
        actions = [
            (self.own_create, 2),
            (self.own_delete, 1),
            (self.own_push, 6),
            (self.own_batch_delete, 2),
            (self.own_batch_get, 1),
            (self.own_walk, 2),
            (self.own_metadata, 2),
            (self.shared_push, 5),
            (self.shared_delete, 2),
            (self.shared_walk, 1),
            (self.race, 4),
            (self.registry_walk, 1),
            (self.misc, 1),
        ]
        choices = [action for action, weight in actions for _ in range(weight)]
        try:
            while self.calls < CALLS_PER_THREAD:
                self.rng.choice(choices)()
        except Exception:
            self.failures.append(f"thread {self.tid}:\n{traceback.format_exc()}")


def _state_of(client: Any, name: str) -> dict[str, Any]:
    """A repository's tags, policy and images read through the API, as ``ReferenceECR.snapshot`` has them."""
    arn = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/{name}"
    try:
        policy = client.get_repository_policy(repositoryName=name)["policyText"]
    except client.exceptions.RepositoryPolicyNotFoundException:
        policy = None
    ids = client.list_images(repositoryName=name)["imageIds"]
    return {
        "tags": dict(sorted((t["Key"], t["Value"]) for t in client.list_tags_for_resource(resourceArn=arn)["tags"])),
        "policy": policy,
        "images": sorted(((i["imageDigest"], i.get("imageTag")) for i in ids), key=repr),
    }


@pytest.mark.parametrize("clients", ["session-per-thread", "one-shared-client"])
def test_concurrent_mixed_calls_add_up(clients):
    started = time.perf_counter()
    with mock_ecr():
        shared_client = boto3.client("ecr", region_name="us-east-1", config=CONFIG)
        shared_client.create_repository(repositoryName=SHARED)
        if clients == "one-shared-client":
            workers = [Worker(tid, shared_client, seed=1) for tid in range(THREADS)]
        else:
            workers = [
                Worker(tid, boto3.session.Session().client("ecr", region_name="us-east-1", config=CONFIG), seed=2)
                for tid in range(THREADS)
            ]
        barrier = threading.Barrier(THREADS)

        def run(worker: Worker) -> None:
            barrier.wait()
            worker.run()

        threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        failures = [failure for worker in workers for failure in worker.failures]
        assert not failures, "\n\n".join(failures[:5])

        client = shared_client
        existing = {r["repositoryName"] for r in client.describe_repositories(maxResults=1000)["repositories"]}
        # own repositories: exactly the model's state
        for worker in workers:
            model = worker.model.snapshot()
            assert existing & set(worker.own) == set(model)
            for name, expected in model.items():
                assert _state_of(client, name) == {key: expected[key] for key in ("tags", "policy", "images")}, name
        # the shared repository: every thread's tags where it left them, "latest" on one image
        pairs = [
            (i["imageDigest"], i.get("imageTag"))
            for i in client.list_images(repositoryName=SHARED, maxResults=1000)["imageIds"]
        ]
        assert len(set(pairs)) == len(pairs)
        expected_tags = {(digest, tag) for worker in workers for tag, digest in worker.shared_tags.items()}
        tagged = {pair for pair in pairs if pair[1] is not None and pair[1] != "latest"}
        assert tagged == expected_tags
        pushed = set().union(*(worker.shared_digests for worker in workers))
        assert {digest for digest, _ in pairs} <= pushed
        latest = [digest for digest, tag in pairs if tag == "latest"]
        assert len(latest) == 1 and latest[0] in set().union(*(w.latest_digests for w in workers))
        # race repositories: nothing lost, nothing created twice
        for name in RACES:
            created = sum(worker.race_creates[name] for worker in workers)
            deleted = sum(worker.race_deletes[name] for worker in workers)
            assert created - deleted == (1 if name in existing else 0), (name, created, deleted)

    calls = sum(worker.calls for worker in workers)
    walks = sum(worker.walks for worker in workers)
    outcomes = sum((worker.outcomes for worker in workers), Counter())
    print(
        f"\nstress ({clients}): {THREADS} threads, {calls} calls ({walks} paginated walks) "
        f"in {time.perf_counter() - started:.1f}s; "
        f"{outcomes['ok']} succeeded, errors: {dict(sorted((k, v) for k, v in outcomes.items() if k != 'ok'))}"
    )
    assert calls >= THREADS * CALLS_PER_THREAD


def _three_images(client: Any, repository: str) -> list[str]:
    """Upload the blobs of three image manifests to ``repository``; returns the manifests."""
    client.create_repository(repositoryName=repository)
    manifests = []
    for number in range(3):
        config, layer = f"config {number}".encode(), f"layer {number}".encode()
        for data in (config, layer):
            upload_blob(client, repository, data)
        manifests.append(image_manifest(config, [layer]))
    return manifests


def _rest_of_walk(client: Any, action: str, key: str, page: dict[str, Any]) -> list[Any]:
    found = []
    token = page["nextToken"]
    while token:
        page = getattr(client, action)(repositoryName="walk", maxResults=1, nextToken=token)
        found += page[key]
        token = page.get("nextToken")
    return found


def test_a_list_images_walk_never_returns_an_image_id_twice():
    """A tag that leaves an image and returns mid-walk, and an image untagged twice, are listed once."""
    with mock_ecr():
        client = boto3.client("ecr", region_name="us-east-1")
        a, b, c = _three_images(client, "walk")
        client.put_image(repositoryName="walk", imageManifest=a, imageTag="t")
        client.put_image(repositoryName="walk", imageManifest=b, imageTag="u")
        client.put_image(repositoryName="walk", imageManifest=c)
        page = client.list_images(repositoryName="walk", maxResults=1)
        client.put_image(repositoryName="walk", imageManifest=b, imageTag="t")  # t leaves a: a is untagged
        client.put_image(repositoryName="walk", imageManifest=a, imageTag="t")  # and comes back
        client.put_image(repositoryName="walk", imageManifest=c, imageTag="v")  # c tagged, deleted, pushed back
        client.batch_delete_image(repositoryName="walk", imageIds=[{"imageTag": "v"}])
        client.put_image(repositoryName="walk", imageManifest=c)
        found = page["imageIds"] + _rest_of_walk(client, "list_images", "imageIds", page)
        seen = [(i["imageDigest"], i.get("imageTag")) for i in found]
        assert len(seen) == len(set(seen)), seen
        assert {(digest_of(b.encode()), "u"), (digest_of(c.encode()), None)} <= set(seen)


def test_a_describe_images_walk_never_returns_an_image_twice():
    """An image deleted and pushed back mid-walk keeps its place: a walk past it does not meet it again."""
    with mock_ecr():
        client = boto3.client("ecr", region_name="us-east-1")
        a, b, c = _three_images(client, "walk")
        for manifest in (a, b, c):
            client.put_image(repositoryName="walk", imageManifest=manifest)
        page = client.describe_images(repositoryName="walk", maxResults=1)
        first = page["imageDetails"][0]["imageDigest"]
        pushed_back = next(m for m in (a, b, c) if digest_of(m.encode()) == first)
        client.batch_delete_image(repositoryName="walk", imageIds=[{"imageDigest": first}])
        client.put_image(repositoryName="walk", imageManifest=pushed_back)
        found = page["imageDetails"] + _rest_of_walk(client, "describe_images", "imageDetails", page)
        digests = [d["imageDigest"] for d in found]
        assert sorted(digests) == sorted(digest_of(m.encode()) for m in (a, b, c))
