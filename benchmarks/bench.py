"""One ECR workload through boto3 against mock_ecr, moto's ``mock_aws`` and a floor.

    python benchmarks/bench.py            # full run (a few minutes)
    python benchmarks/bench.py --quick    # smaller workload, one round
    python benchmarks/bench.py --big      # also push a 1 GiB layer and show RSS stays bounded
    python benchmarks/bench.py --server   # only the server phase: over HTTP, mock_ecr vs moto_server

The targets run interleaved in one process (A B C, A B C, ... for ``--rounds`` rounds,
default 5), each round on fresh state; the report prints the median of the rounds, and
each ratio as the median of the per-round ratios (other load on the machine slows every
target of a round alike).

* ``mock_ecr``: the library under test.
* ``moto``: ``moto.mock_aws`` (optional: ``pip install -e '.[bench]'``); skipped if absent.
* ``floor``: a botocore ``before-send`` handler that answers every call with a canned body,
  built once. It costs exactly botocore's own serialize + sign + parse, which no mock that
  answers at the HTTP layer can beat. Simple calls get the minimal valid body (``{}``, or
  the members the workload reads); listing and batch calls get a canned page holding as
  many items, with the same members, as mock_ecr answers, so items/s compare like for like.
* ``floor, ECR bodies``: a reference for the simple calls only: the floor answering bodies
  shaped as ECR's, i.e. what botocore's parsing of a real answer adds to the floor.

The server phase (``--server``) runs the simple calls through ``endpoint_url`` against
``python -m mock_ecr serve`` and ``moto_server`` (``python -m moto.server``, from
``moto[server]``), each in a child process on loopback, interleaved with mock_ecr in-process,
and reports calls/s and the per-call cost that HTTP over loopback adds.

The 64 MiB layer upload runs in a child process per target, so peak RSS (``VmHWM``) and
the RSS still held after the upload belong to that measurement alone.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# fake credentials for every target (moto and mock_ecr set their own while active)
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "AKIABENCHMARK0000000",
        "AWS_SECRET_ACCESS_KEY": "benchmark-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
)
os.environ.pop("AWS_PROFILE", None)

import boto3  # noqa: E402
import botocore  # noqa: E402
from botocore.awsrequest import AWSResponse  # noqa: E402

REGION = "us-east-1"
ACCOUNT = "123456789012"
MIB = 1024 * 1024
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
IMAGES_REPO = "bench/images"


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def image_config(i: int) -> bytes:
    return json.dumps({"architecture": "amd64", "os": "linux", "config": {"Labels": {"n": str(i)}}}).encode()


def manifest_for(config: bytes, layer: bytes, i: int) -> str:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": {"mediaType": CONFIG_TYPE, "size": len(config), "digest": digest_of(config)},
            "layers": [{"mediaType": LAYER_TYPE, "size": len(layer), "digest": digest_of(layer)}],
            "annotations": {"org.example.n": str(i)},
        },
        indent=3,
    )


BASE_LAYER = b"base layer " * 100


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def hwm_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def reset_hwm() -> bool:
    """Reset the peak-RSS counter (Linux >= 4.0); False where the kernel refuses."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def open_temp_files() -> int:
    """Deleted files this process holds open in the temporary directory (spooled blobs)."""
    tmp = os.path.realpath(tempfile.gettempdir())
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
            if link.startswith(tmp + "/") and link.endswith(" (deleted)"):
                count += 1
        except OSError:
            pass
    return count


# -- targets ------------------------------------------------------------------------------


class Target:
    name = ""
    supports_uploads = True
    simple_only = False
    paginates_describe_images = True

    def start(self) -> None: ...
    def stop(self) -> None: ...

    def client(self) -> Any:
        return boto3.client("ecr", region_name=REGION)

    def expect_items(self, count: int) -> None:
        """How many images the next listing walks cover (only the floor needs telling)."""

    def populate(self, client: Any, repository: str, count: int) -> None:
        """Put ``count`` images into ``repository`` (not timed; each target's fastest way)."""
        raise NotImplementedError


class MockEcrTarget(Target):
    name = "mock_ecr"

    def start(self) -> None:
        from mock_ecr import mock_ecr

        self.mock = mock_ecr().start()

    def stop(self) -> None:
        self.mock.stop()

    def populate(self, client: Any, repository: str, count: int) -> None:
        # the blobs through the API, then the images straight into the backend's PutImage
        config = image_config(-1)
        for data in (config, BASE_LAYER):
            upload_small_blob(client, repository, data)
        from mock_ecr.api import handle

        backend = self.mock.backend
        for i in range(count):
            handle(
                backend,
                "PutImage",
                ACCOUNT,
                REGION,
                {
                    "repositoryName": repository,
                    "imageManifest": manifest_for(config, BASE_LAYER, i),
                    "imageTag": f"t{i}",
                },
            )


class MotoTarget(Target):
    name = "moto"
    supports_uploads = False  # moto 5 raises NotImplementedError for the layer-upload actions
    paginates_describe_images = False  # moto answers every image on the first page

    def start(self) -> None:
        from moto import mock_aws

        self.mock = mock_aws()
        self.mock.start()

    def stop(self) -> None:
        self.mock.stop()

    def populate(self, client: Any, repository: str, count: int) -> None:
        # moto's PutImage scans every image of the repository: append to its backend directly
        from moto.ecr.models import Image, ecr_backends

        repo = ecr_backends[ACCOUNT][REGION].repositories[repository]
        config = image_config(-1)
        for i in range(count):
            text = manifest_for(config, BASE_LAYER, i)
            repo.images.append(Image(ACCOUNT, f"t{i}", text, repository, MANIFEST_TYPE, digest_of(text.encode())))


class FloorTarget(Target):
    """Canned answers from a ``before-send`` handler: botocore's own cost and nothing else."""

    name = "floor"

    def __init__(self) -> None:
        self._walk_total = 0
        self._remaining = 0

    def client(self) -> Any:
        client = boto3.client("ecr", region_name=REGION)
        client.meta.events.register("before-send.ecr", self._answer)
        return client

    def expect_items(self, count: int) -> None:
        self._walk_total = count

    def populate(self, client: Any, repository: str, count: int) -> None:
        self._walk_total = count

    # canned bodies -------------------------------------------------------------------
    _SIMPLE = {
        "InitiateLayerUpload": json.dumps({"uploadId": "00000000-0000-0000-0000-000000000000", "partSize": 10 * MIB}),
    }

    def _answer(self, request: Any, **_: Any) -> AWSResponse:
        operation = request.headers["X-Amz-Target"].rsplit(b".", 1)[-1].decode()
        body = request.body
        if operation in ("DescribeImages", "ListImages"):
            found = _MAX_RESULTS(body)
            text = self._page(operation, b"nextToken" not in body, int(found.group(1)) if found else 100)
        elif operation in ("BatchGetImage", "BatchDeleteImage"):
            text = _batch_body(operation, body.count(b'"imageDigest"'))
        else:
            text = self._SIMPLE.get(operation, "{}")
        data = text.encode() if isinstance(text, str) else text
        response = AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.1"}, _Raw(data))
        response._content = data
        return response

    def _page(self, operation: str, first: bool, page_size: int) -> bytes:
        if first:
            self._remaining = self._walk_total
        size = min(page_size, self._remaining)
        self._remaining -= size
        return _page_body(operation, size, self._remaining)


class EcrBodiesFloor(FloorTarget):
    """The floor, answering the simple calls with bodies shaped as ECR's (and mock_ecr's):
    what botocore's parsing of a real answer costs, on top of the minimal floor. Runs only
    the simple-call phases; a reference, not a target."""

    name = "floor, ECR bodies"
    simple_only = True
    _REPOSITORY = {
        "repositoryArn": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/bench/repo-0001",
        "registryId": ACCOUNT,
        "repositoryName": "bench/repo-0001",
        "repositoryUri": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/bench/repo-0001",
        "createdAt": 1767225600.123456,
        "imageTagMutability": "MUTABLE",
        "imageScanningConfiguration": {"scanOnPush": False},
        "encryptionConfiguration": {"encryptionType": "AES256"},
    }
    _UPLOAD = {"registryId": ACCOUNT, "repositoryName": IMAGES_REPO, "uploadId": "00000000-0000-0000-0000-000000000000"}
    _SIMPLE = {
        **FloorTarget._SIMPLE,
        "CreateRepository": json.dumps({"repository": _REPOSITORY}),
        "DescribeRepositories": json.dumps({"repositories": [_REPOSITORY]}),
        "UploadLayerPart": json.dumps({**_UPLOAD, "lastByteReceived": 1099}),
        "CompleteLayerUpload": json.dumps({**_UPLOAD, "layerDigest": "sha256:" + "cd" * 32}),
        "PutImage": json.dumps(
            {
                "image": {
                    "registryId": ACCOUNT,
                    "repositoryName": IMAGES_REPO,
                    "imageId": {"imageDigest": "sha256:" + "ab" * 32, "imageTag": "v1"},
                    "imageManifest": manifest_for(image_config(0), BASE_LAYER, 0),
                    "imageManifestMediaType": MANIFEST_TYPE,
                }
            }
        ),
    }


_MAX_RESULTS = re.compile(rb'"maxResults":\s*(\d+)').search


class _Raw:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


_DETAIL = {
    "registryId": ACCOUNT,
    "repositoryName": IMAGES_REPO,
    "imageDigest": "sha256:" + "ab" * 32,
    "imageTags": ["t1"],
    "imageSizeInBytes": 1100,
    "imagePushedAt": 1767225600.123,
    "imageManifestMediaType": MANIFEST_TYPE,
    "artifactMediaType": CONFIG_TYPE,
    "imageStatus": "ACTIVE",
}
_MANIFEST_TEXT = manifest_for(image_config(0), BASE_LAYER, 0)
_CACHE: dict[tuple[str, int, int], bytes] = {}


def _page_body(operation: str, size: int, remaining: int) -> bytes:
    key = (operation, size, remaining)
    body = _CACHE.get(key)
    if body is None:
        if operation == "DescribeImages":
            document: dict[str, Any] = {"imageDetails": [_DETAIL] * size}
        else:
            document = {"imageIds": [{"imageDigest": _DETAIL["imageDigest"], "imageTag": "t1"}] * size}
        if remaining:
            document["nextToken"] = f"{remaining:08d}" + "bmV4dA" * 10
        body = _CACHE[key] = json.dumps(document).encode()
    return body


def _batch_body(operation: str, size: int) -> bytes:
    key = (operation, size, -1)
    body = _CACHE.get(key)
    if body is None:
        image_id = {"imageDigest": _DETAIL["imageDigest"]}
        if operation == "BatchGetImage":
            image = {
                "registryId": ACCOUNT,
                "repositoryName": IMAGES_REPO,
                "imageId": image_id,
                "imageManifest": _MANIFEST_TEXT,
                "imageManifestMediaType": MANIFEST_TYPE,
            }
            document: dict[str, Any] = {"images": [image] * size, "failures": []}
        else:
            # ECR reports each deleted tag: an image deleted by digest comes back with its tag
            document = {"imageIds": [{**image_id, "imageTag": "v1"}] * size, "failures": []}
        body = _CACHE[key] = json.dumps(document).encode()
    return body


def make_targets(skip_moto: bool) -> list[Target]:
    targets: list[Target] = [MockEcrTarget()]
    if not skip_moto:
        try:
            import moto  # noqa: F401
        except ImportError:
            print("moto is not installed (pip install -e '.[bench]'): skipping it", file=sys.stderr)
        else:
            targets.append(MotoTarget())
    targets.append(FloorTarget())
    targets.append(EcrBodiesFloor())
    return targets


# -- the workload -------------------------------------------------------------------------


class Timer:
    """Seconds and counts per measure, accumulated over calls."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.count: dict[str, int] = defaultdict(int)

    @contextmanager
    def measure(self, name: str, count: int = 1) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.seconds[name] += time.perf_counter() - start
        self.count[name] += count

    def add(self, name: str, seconds: float, count: int) -> None:
        self.seconds[name] += seconds
        self.count[name] += count


def upload_small_blob(client: Any, repository: str, data: bytes, timer: Timer | None = None) -> str:
    digest = digest_of(data)
    perf = time.perf_counter
    t0 = perf()
    upload_id = client.initiate_layer_upload(repositoryName=repository)["uploadId"]
    client.upload_layer_part(
        repositoryName=repository, uploadId=upload_id, partFirstByte=0, partLastByte=len(data) - 1, layerPartBlob=data
    )
    client.complete_layer_upload(repositoryName=repository, uploadId=upload_id, layerDigests=[digest])
    if timer is not None:
        timer.add("layer-upload calls", perf() - t0, 3)
    return digest


def walk(client: Any, operation: str, key: str, **params: Any) -> tuple[int, int]:
    """A full paginated walk; returns (items, pages)."""
    items = pages = 0
    for page in client.get_paginator(operation).paginate(**params):
        items += len(page[key])
        pages += 1
    return items, pages


def run_workload(target: Target, cfg: argparse.Namespace) -> dict[str, float]:
    """One round of every in-process phase on fresh state; returns the figures of the round."""
    out: dict[str, float] = {}
    timer = Timer()
    perf = time.perf_counter
    target.start()
    try:
        client = target.client()
        # warm-up, untimed: first-call costs (model loading, caches) are paid once per process
        client.create_repository(repositoryName="bench/warm-up")
        client.describe_repositories(repositoryNames=["bench/warm-up"])
        # -- create and describe repositories
        names = [f"bench/repo-{i:04d}" for i in range(cfg.repos)]
        for name in names:
            t0 = perf()
            client.create_repository(repositoryName=name)
            timer.add("create_repository", perf() - t0, 1)
        for name in names:
            t0 = perf()
            client.describe_repositories(repositoryNames=[name])
            timer.add("describe_repositories", perf() - t0, 1)

        # -- blob upload + put_image
        client.create_repository(repositoryName=IMAGES_REPO)
        if target.supports_uploads:
            upload_small_blob(client, IMAGES_REPO, BASE_LAYER)
        for i in range(cfg.images):
            config = image_config(i)
            if target.supports_uploads:
                upload_small_blob(client, IMAGES_REPO, config, timer)
            text = manifest_for(config, BASE_LAYER, i)
            t0 = perf()
            client.put_image(
                repositoryName=IMAGES_REPO, imageManifest=text, imageTag=f"v{i}", imageDigest=digest_of(text.encode())
            )
            timer.add("put_image", perf() - t0, 1)

        if target.simple_only:
            return _rates(timer, out)

        # -- paginated listing
        target.expect_items(cfg.images)
        for _ in range(cfg.walks):
            t0 = perf()
            items, _pages = walk(client, "describe_images", "imageDetails", repositoryName=IMAGES_REPO)
            timer.add("describe_images (items)", perf() - t0, items)
        for _ in range(cfg.walks):
            t0 = perf()
            items, _pages = walk(
                client,
                "describe_images",
                "imageDetails",
                repositoryName=IMAGES_REPO,
                PaginationConfig={"PageSize": 1000},
            )
            timer.add("describe_images, page 1000 (items)", perf() - t0, items)
            t0 = perf()
            items, _pages = walk(
                client, "list_images", "imageIds", repositoryName=IMAGES_REPO, PaginationConfig={"PageSize": 1000}
            )
            timer.add("list_images, page 1000 (items)", perf() - t0, items)
        digests: list[str] = []
        for _ in range(cfg.walks):
            t0 = perf()
            seen = []
            for page in client.get_paginator("list_images").paginate(repositoryName=IMAGES_REPO):
                seen.extend(page["imageIds"])
            timer.add("list_images (items)", perf() - t0, len(seen))
            digests = [image_id["imageDigest"] for image_id in seen]  # one tag per image: one entry each
        assert len(digests) == cfg.images, (target.name, len(digests))

        # -- batches of 100
        batches = [[{"imageDigest": d} for d in digests[i : i + 100]] for i in range(0, len(digests), 100)]
        for _ in range(cfg.walks):
            for batch in batches:
                t0 = perf()
                found = client.batch_get_image(repositoryName=IMAGES_REPO, imageIds=batch)["images"]
                timer.add("batch_get_image (items)", perf() - t0, len(found))
        for batch in batches:
            t0 = perf()
            gone = client.batch_delete_image(repositoryName=IMAGES_REPO, imageIds=batch)["imageIds"]
            timer.add("batch_delete_image (items)", perf() - t0, len(gone))

        # -- scaling: one full walk, page size 100
        for size in cfg.scale:
            repository = f"bench/scale-{size}"
            client.create_repository(repositoryName=repository)
            target.populate(client, repository, size)
            best = None
            for _ in range(cfg.scale_walks):
                t0 = perf()
                items, pages = walk(
                    client,
                    "describe_images",
                    "imageDetails",
                    repositoryName=repository,
                    PaginationConfig={"PageSize": 100},
                )
                elapsed = perf() - t0
                assert items == size, (target.name, items, size)
                best = elapsed if best is None else min(best, elapsed)
            # moto answers everything on one page: report its time per 100 images instead
            out[f"scale {size}: s/page"] = best / (size / 100)
            out[f"scale {size}: pages"] = pages
    finally:
        target.stop()
    return _rates(timer, out)


def _rates(timer: Timer, out: dict[str, float]) -> dict[str, float]:
    for name, seconds in timer.seconds.items():
        out[name] = timer.count[name] / seconds if seconds else 0.0
    return out


def activation_cost(target: Target, n: int) -> float:
    """Microseconds per start + stop (mock_ecr and moto only)."""
    if isinstance(target, MockEcrTarget):
        from mock_ecr import mock_ecr

        def once() -> None:
            m = mock_ecr()
            m.start()
            m.stop()
    elif isinstance(target, MotoTarget):
        from moto import mock_aws

        def once() -> None:
            m = mock_aws()
            m.start()
            m.stop()
    else:
        return float("nan")
    once()
    t0 = time.perf_counter()
    for _ in range(n):
        once()
    return (time.perf_counter() - t0) / n * 1e6


def first_call_cost(target: Target, n: int) -> float:
    """Milliseconds per start + ``boto3.client("ecr")`` + one call + stop: what a test that
    makes its client under the mock pays (boto3's default session is made anew each time)."""
    if isinstance(target, MockEcrTarget):
        from mock_ecr import mock_ecr as make
    elif isinstance(target, MotoTarget):
        from moto import mock_aws as make
    else:
        return float("nan")

    def once() -> None:
        with make():
            boto3.client("ecr", region_name=REGION).describe_repositories()

    once()
    t0 = time.perf_counter()
    for _ in range(n):
        once()
    return (time.perf_counter() - t0) / n * 1e3


# -- the layer upload, in a child process -------------------------------------------------


def blob_child(target_name: str, size_mib: int, part_mib: int) -> dict[str, Any]:
    target = {"mock_ecr": MockEcrTarget, "floor": FloorTarget, "moto": MotoTarget}[target_name]()
    target.start()
    client = target.client()
    client.create_repository(repositoryName="bench/blob")
    # one part's bytes, reused for every part: the client side holds 8 MiB, not the blob
    part = os.urandom(part_mib * MIB)
    parts = size_mib // part_mib
    sha = hashlib.sha256()
    for _ in range(parts):
        sha.update(part)
    digest = "sha256:" + sha.hexdigest()
    # a warm-up call, so first-call costs (model loading) are not counted as blob memory
    client.describe_repositories(repositoryNames=["bench/blob"])
    gc.collect()
    baseline = rss_bytes()
    reset = reset_hwm()
    hwm_before = hwm_bytes()
    t0 = time.perf_counter()
    upload_id = client.initiate_layer_upload(repositoryName="bench/blob")["uploadId"]
    for i in range(parts):
        first = i * len(part)
        client.upload_layer_part(
            repositoryName="bench/blob",
            uploadId=upload_id,
            partFirstByte=first,
            partLastByte=first + len(part) - 1,
            layerPartBlob=part,
        )
    client.complete_layer_upload(repositoryName="bench/blob", uploadId=upload_id, layerDigests=[digest])
    elapsed = time.perf_counter() - t0
    peak = hwm_bytes()
    gc.collect()
    held = rss_bytes() - baseline
    temp_files_active = open_temp_files()
    target.stop()
    gc.collect()
    return {
        "MiB/s": size_mib / elapsed,
        "seconds": elapsed,
        "peak growth / blob": (peak - baseline) / (size_mib * MIB),
        "held after upload / blob": held / (size_mib * MIB),
        "held after stop / blob": (rss_bytes() - baseline) / (size_mib * MIB),
        "temp files open while active": temp_files_active,
        "temp files open after stop": open_temp_files(),
        "hwm reset": reset and hwm_before <= baseline * 1.01 + MIB,
    }


def run_blob(target_name: str, size_mib: int, part_mib: int) -> dict[str, Any]:
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--blob-child",
        target_name,
        "--blob-mib",
        str(size_mib),
        "--part-mib",
        str(part_mib),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"blob child for {target_name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the server phase ---------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class HttpTarget(Target):
    """A server in a child process, reset through its control API before each round."""

    simple_only = True
    reset_path = ""

    def __init__(self) -> None:
        self.url = ""
        self.process: subprocess.Popen[str] | None = None

    def launch(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        import urllib.request

        if self.process is None:
            self.launch()
        request = urllib.request.Request(self.url + self.reset_path, data=b"", method="POST")
        urllib.request.urlopen(request, timeout=30).close()

    def client(self) -> Any:
        from botocore.config import Config

        return boto3.client(
            "ecr", region_name=REGION, endpoint_url=self.url, config=Config(retries={"total_max_attempts": 1})
        )

    def shutdown(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(30)
            self.process = None


class MockEcrServerTarget(HttpTarget):
    name = "mock_ecr server"
    reset_path = "/_mock_ecr/reset"

    def launch(self) -> None:
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mock_ecr", "serve", "--port", "0"], stdout=subprocess.PIPE, text=True, env=env
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().split()[-1]


class MotoServerTarget(HttpTarget):
    name = "moto_server"
    reset_path = "/moto-api/reset"
    supports_uploads = False  # moto 5 raises NotImplementedError for the layer-upload actions

    def launch(self) -> None:
        import urllib.request

        port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "/moto-api/data.json", timeout=5).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


class MockEcrSimpleTarget(MockEcrTarget):
    name = "mock_ecr in-process"
    simple_only = True


SERVER_KEYS = ["create_repository", "describe_repositories", "put_image"]


def run_server_phase(cfg: argparse.Namespace) -> None:
    targets: list[Target] = [MockEcrServerTarget(), MockEcrSimpleTarget()]
    try:
        import moto.server  # noqa: F401
    except ImportError:
        print("moto[server] is not installed (pip install -e '.[bench]'): mock_ecr only", file=sys.stderr)
    else:
        targets.insert(1, MotoServerTarget())
    workload = argparse.Namespace(repos=cfg.server_repos, images=cfg.server_images)
    rounds: dict[str, list[dict[str, float]]] = defaultdict(list)
    try:
        for r in range(cfg.rounds):
            for target in targets:
                gc.collect()
                t0 = time.perf_counter()
                rounds[target.name].append(run_workload(target, workload))
                print(
                    f"server round {r + 1}/{cfg.rounds} {target.name}: {time.perf_counter() - t0:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        for target in targets:
            if isinstance(target, HttpTarget):
                target.shutdown()
    print_server_report(rounds, cfg)


def print_server_report(rounds: dict[str, list[dict[str, float]]], cfg: argparse.Namespace) -> None:
    rep = Report(rounds, {})
    server, moto, local = "mock_ecr server", "moto_server", "mock_ecr in-process"
    print()
    print(f"machine: {machine()}")
    print(
        f"server phase: {cfg.server_repos} repositories, {cfg.server_images} images; {cfg.rounds} interleaved "
        "round(s); each server in its own process on 127.0.0.1, one boto3 client through endpoint_url"
    )
    print(f"load average before / after: {cfg.load_before} / {os.getloadavg()[0]:.2f}")
    print("\ncalls/s over HTTP (target: mock_ecr server / moto_server >= 2)")
    print(
        f"{'phase':24} {'mock_ecr':>10} {'moto':>10} {'mock/moto':>10} {'in-process':>11} "
        f"{'us/call http':>13} {'us/call local':>14} {'loopback us':>12}"
    )
    for key in SERVER_KEYS:
        m, o, loc = rep.value(server, key), rep.value(moto, key), rep.value(local, key)
        ratio = rep.ratio(server, moto, key)
        http_us, local_us = 1e6 / m if m else NAN, 1e6 / loc if loc else NAN
        print(
            f"{key:24} {fmt(m):>10} {fmt(o):>10} {fmt_ratio(ratio):>10} {fmt(loc):>11} "
            f"{fmt(http_us, 1):>13} {fmt(local_us, 1):>14} {fmt(http_us - local_us, 1):>12}"
        )
        rep.check(ratio >= 2, f"server {key}: mock_ecr/moto_server {ratio:.2f}x (target >= 2)")
    if server in rounds and "layer-upload calls" in rounds[server][0]:
        m, loc = rep.value(server, "layer-upload calls"), rep.value(local, "layer-upload calls")
        print(
            f"{'layer-upload calls':24} {fmt(m):>10} {'n/a':>10} {'':>10} {fmt(loc):>11} "
            f"{fmt(1e6 / m, 1):>13} {fmt(1e6 / loc, 1):>14} {fmt(1e6 / m - 1e6 / loc, 1):>12}"
        )
        print("  moto: n/a, moto 5 raises NotImplementedError for the layer-upload actions")
    print("  us/call: the client's whole call (boto3 serialize + sign + HTTP + the server + parse);")
    print("  loopback us: what going through the server costs over calling the mock in-process")
    print("\ntargets")
    for ok, text in rep.verdicts:
        print(f"  {'met   ' if ok else 'MISSED'} {text}")


# -- report -------------------------------------------------------------------------------

SIMPLE = ["create_repository", "describe_repositories", "layer-upload calls", "put_image"]
ITEMS = ["describe_images (items)", "list_images (items)", "batch_get_image (items)", "batch_delete_image (items)"]
ITEMS_1000 = ["describe_images, page 1000 (items)", "list_images, page 1000 (items)"]
BLOB_KEYS = [
    "MiB/s",
    "peak growth / blob",
    "held after upload / blob",
    "held after stop / blob",
    "temp files open while active",
    "temp files open after stop",
]
NAN = float("nan")


def median(values: list[float]) -> float:
    values = [v for v in values if v == v]
    return statistics.median(values) if values else NAN


def fmt(value: float, digits: int = 0) -> str:
    return "n/a" if value != value else f"{value:,.{digits}f}"


def fmt_ratio(value: float) -> str:
    return "n/a" if value != value else f"{value:.2f}x"


class Report:
    """Medians over rounds; ratios are taken within each round, then their median is shown,
    so a round slowed by other load on the machine slows every target of that round alike."""

    def __init__(self, rounds: dict[str, list[dict[str, float]]], blobs: dict[str, list[dict[str, Any]]]) -> None:
        self.rounds = rounds
        self.blobs = blobs
        self.verdicts: list[tuple[bool, str]] = []

    def value(self, target: str, key: str, source: str = "rounds") -> float:
        table = self.rounds if source == "rounds" else self.blobs
        return median([r.get(key, NAN) for r in table.get(target, [])])

    def ratio(self, a: str, b: str, key: str, source: str = "rounds", inverse: bool = False) -> float:
        table = self.rounds if source == "rounds" else self.blobs
        pairs = zip(table.get(a, []), table.get(b, []), strict=False)
        values = []
        for ra, rb in pairs:
            x, y = ra.get(key, NAN), rb.get(key, NAN)
            if x == x and y == y and x and y:
                values.append(y / x if inverse else x / y)
        return median(values)

    def check(self, ok: bool, text: str) -> None:
        if ok == ok:  # not NaN
            self.verdicts.append((bool(ok), text))


HEADER = f"{'phase':36} {'mock_ecr':>10} {'floor':>10} {'moto':>10} {'mock/floor':>11} {'mock/moto':>10}"


def print_report(
    rounds: dict[str, list[dict[str, float]]],
    activation: dict[str, list[float]],
    blobs: dict[str, list[dict[str, Any]]],
    cfg: argparse.Namespace,
) -> None:
    rep = Report(rounds, blobs)

    def row(key: str, digits: int = 0, floor_target: float | None = None, moto_target: float | None = None) -> None:
        m, f, o = (rep.value(t, key) for t in ("mock_ecr", "floor", "moto"))
        rf, ro = rep.ratio("mock_ecr", "floor", key), rep.ratio("mock_ecr", "moto", key)
        print(
            f"{key:36} {fmt(m, digits):>10} {fmt(f, digits):>10} {fmt(o, digits):>10} "
            f"{fmt_ratio(rf):>11} {fmt_ratio(ro):>10}"
        )
        if floor_target is not None:
            rep.check(rf >= floor_target, f"{key}: mock/floor {rf:.3f}x (target >= {floor_target})")
        if moto_target is not None and ro == ro:
            rep.check(ro >= moto_target, f"{key}: mock/moto {ro:.3f}x (target >= {moto_target})")

    print()
    print(f"machine: {machine()}")
    print(
        f"workload: {cfg.repos} repositories, {cfg.images} images, {cfg.walks} walks of each listing, "
        f"scaling at {'/'.join(map(str, cfg.scale))} images; {cfg.rounds} interleaved round(s)"
    )
    print(f"load average before / after: {cfg.load_before} / {os.getloadavg()[0]:.2f}")
    print("figures: median over rounds; ratios: median of the per-round ratios")

    print("\nsimple calls (calls/s; target: mock/floor >= 0.8)")
    print(HEADER)
    for key in SIMPLE:
        row(key, floor_target=0.8)
    real = EcrBodiesFloor.name
    print(f"  for reference, the floor answering ECR-shaped bodies ({real!r}): botocore parsing a real")
    print("  answer, and no mock work")
    print(f"{'phase':36} {'calls/s':>10} {'/ floor':>10} {'mock/it':>10}")
    for key in SIMPLE:
        print(
            f"{key:36} {fmt(rep.value(real, key)):>10} {fmt_ratio(rep.ratio(real, 'floor', key)):>10} "
            f"{fmt_ratio(rep.ratio('mock_ecr', real, key)):>10}"
        )

    print("\nlisting and batches (items/s at the default page size, 100; batches of 100 ids;")
    print("target: mock/floor >= 0.5 and mock/moto >= 4)")
    print("  moto ignores DescribeImages/ListImages pagination and answers every image on one page:")
    print("  its figures (and mock/moto) compare items returned per second, not pages")
    print(HEADER)
    for key in ITEMS:
        row(key, floor_target=0.5, moto_target=4)
    print("  the same walks at the largest page ECR allows (maxResults=1000), for reference:")
    for key in ITEMS_1000:
        row(key)

    print(
        "\nscaling: one full describe_images walk, page size 100, repositories of "
        f"{'/'.join(map(str, cfg.scale))} images"
    )
    print("  ms per page (moto: ms per 100 images of its single page); the ratio columns are speed")
    print("  ratios (other's time / mock's time); target: mock's time per page at the largest size")
    print("  <= 1.5x at the smallest")
    print(HEADER)
    for size in cfg.scale:
        key = f"scale {size}: s/page"
        m, f, o = (rep.value(t, key) * 1000 for t in ("mock_ecr", "floor", "moto"))
        rf = rep.ratio("mock_ecr", "floor", key, inverse=True)
        ro = rep.ratio("mock_ecr", "moto", key, inverse=True)
        print(
            f"{f'{size} images':36} {fmt(m, 3):>10} {fmt(f, 3):>10} {fmt(o, 3):>10} "
            f"{fmt_ratio(rf):>11} {fmt_ratio(ro):>10}"
        )
    lo, hi = f"scale {cfg.scale[0]}: s/page", f"scale {cfg.scale[-1]}: s/page"
    growth = {}
    for t in ("mock_ecr", "floor", "moto"):
        growth[t] = median([r[hi] / r[lo] for r in rounds.get(t, []) if r.get(lo)])
    print(
        f"{f'growth {cfg.scale[-1]} / {cfg.scale[0]}':36} "
        + " ".join(f"{fmt_ratio(growth[t]):>10}" for t in ("mock_ecr", "floor", "moto"))
    )
    if growth["moto"] == growth["moto"]:
        whole = growth["moto"] * cfg.scale[-1] / cfg.scale[0]
        print(
            f"  moto's single page (its whole answer) takes {fmt_ratio(whole)} as long at {cfg.scale[-1]} images "
            f"as at {cfg.scale[0]}"
        )
    rep.check(
        growth["mock_ecr"] <= 1.5,
        f"scaling: page time {cfg.scale[-1]} / {cfg.scale[0]} images {fmt_ratio(growth['mock_ecr'])} (target <= 1.5)",
    )

    mib = cfg.blob_mib
    print(f"\nlayer upload: {mib} MiB in {cfg.part_mib} MiB parts, one child process per target and round")
    print("  (target: MiB/s mock/floor >= 0.7; peak RSS growth <= 1.5x the blob; RSS held after the")
    print("  upload <= 0.25x the blob)")
    print(HEADER)
    _blob_rows(rep, blobs)
    if "moto" in rounds:
        print("  moto: n/a, moto 5 raises NotImplementedError for InitiateLayerUpload / UploadLayerPart")
    if any(not b["hwm reset"] for bs in blobs.values() for b in bs):
        print("  note: VmHWM could not be reset here; peak growth may be overstated")
    rate = rep.ratio("mock_ecr", "floor", "MiB/s", source="blobs")
    rep.check(rate >= 0.7, f"layer upload: MiB/s mock/floor {rate:.3f}x (target >= 0.7)")
    peak = rep.value("mock_ecr", "peak growth / blob", source="blobs")
    rep.check(peak <= 1.5, f"layer upload: peak RSS growth {peak:.2f}x the blob (target <= 1.5)")
    held = rep.value("mock_ecr", "held after upload / blob", source="blobs")
    rep.check(held <= 0.25, f"layer upload: RSS held after the upload {held:.2f}x the blob (target <= 0.25)")

    print("\nactivation (microseconds per start + stop; target: mock_ecr <= 1000)")
    act_m, act_o = median(activation.get("mock_ecr", [])), median(activation.get("moto", []))
    print(f"{'start + stop':36} {fmt(act_m, 1):>10} {'n/a':>10} {fmt(act_o, 1):>10}")
    rep.check(act_m <= 1000, f"activation: {act_m:.1f} us per start + stop (target <= 1000)")
    first_m, first_o = median(activation.get("mock_ecr first call", [])), median(activation.get("moto first call", []))
    print(f"{'  + boto3.client() + a call (ms)':36} {fmt(first_m, 2):>10} {'n/a':>10} {fmt(first_o, 2):>10}")

    if cfg.big:
        print(f"\n1 GiB layer push in {cfg.part_mib} MiB parts (one child process each)")
        print(HEADER)
        _blob_rows(Report({}, {k: [v] for k, v in cfg.big_results.items()}), None)
        held = cfg.big_results["mock_ecr"]["held after upload / blob"]
        peak = cfg.big_results["mock_ecr"]["peak growth / blob"]
        rep.check(
            held <= 0.25 and peak <= 1.5,
            f"1 GiB layer: peak RSS growth {peak:.3f}x, held after upload {held:.3f}x the blob",
        )

    print("\ntargets")
    for ok, text in rep.verdicts:
        print(f"  {'met   ' if ok else 'MISSED'} {text}")


def _blob_rows(rep: Report, blobs: dict[str, list[dict[str, Any]]] | None) -> None:
    for key in BLOB_KEYS:
        m = rep.value("mock_ecr", key, source="blobs")
        f = rep.value("floor", key, source="blobs")
        digits = 1 if key == "MiB/s" else (2 if "/" in key else 0)
        ratio = fmt_ratio(rep.ratio("mock_ecr", "floor", key, source="blobs")) if key == "MiB/s" else ""
        print(f"{key:36} {fmt(m, digits):>10} {fmt(f, digits):>10} {'n/a':>10} {ratio:>11}")


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        import moto

        moto_version = moto.__version__
    except ImportError:
        moto_version = "absent"
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, botocore {botocore.__version__}, boto3 {boto3.__version__}, "
        f"moto {moto_version}"
    )


# -- aiobotocore ------------------------------------------------------------------------------------
AIO_KEYS = ("create_repository", "describe_repositories")


def aio_phase(cfg: argparse.Namespace) -> dict[str, list[dict[str, float]]] | None:
    """aiobotocore calls/s through mock_ecr and through two aiobotocore floors, on the
    simple-call phases; interleaved rounds. Both floors are a ``before-send`` handler
    answering a canned body built once: ``floor`` with bodies shaped as ECR's (those of
    ``EcrBodiesFloor``: what aiobotocore must parse of any correct answer), ``floor, {}``
    with ``{}`` (aiobotocore's cost with nothing to parse, for reference)."""
    try:
        import asyncio

        import aiobotocore.session
        from aiobotocore.awsrequest import AioAWSResponse
    except ImportError:
        return None
    from mock_ecr import mock_ecr

    shaped = {name: text.encode() for name, text in EcrBodiesFloor._SIMPLE.items()}

    class Canned:
        def __init__(self, body: bytes) -> None:
            self.body = body

        async def read(self, amt: Any = None) -> bytes:
            return self.body

    def floor_answer(bodies: dict[str, bytes]) -> Any:
        def answer(request: Any, **_: Any) -> Any:
            operation = request.headers["X-Amz-Target"].rsplit(b".", 1)[-1].decode()
            body = bodies.get(operation, b"{}")
            response = AioAWSResponse(request.url, 200, {"x-amzn-RequestId": "0"}, Canned(body))
            response._content = body
            return response

        return answer

    async def calls(answer: Any, count: int) -> dict[str, float]:
        session = aiobotocore.session.get_session()
        async with session.create_client("ecr", region_name=REGION) as client:
            if answer is not None:
                client.meta.events.register("before-send.ecr", answer)
            await client.create_repository(repositoryName="bench/warm-up")
            out = {}
            names = [f"bench/aio-{i:04d}" for i in range(count)]
            t0 = time.perf_counter()
            for name in names:
                await client.create_repository(repositoryName=name)
            out["create_repository"] = count / (time.perf_counter() - t0)
            t0 = time.perf_counter()
            for name in names:
                await client.describe_repositories(repositoryNames=[name])
            out["describe_repositories"] = count / (time.perf_counter() - t0)
            return out

    rounds: dict[str, list[dict[str, float]]] = defaultdict(list)
    for _ in range(cfg.rounds):
        with mock_ecr():
            rounds["mock_ecr"].append(asyncio.run(calls(None, cfg.repos)))
        rounds["floor"].append(asyncio.run(calls(floor_answer(shaped), cfg.repos)))
        rounds["floor, {}"].append(asyncio.run(calls(floor_answer({}), cfg.repos)))
    return rounds


def print_aio_report(rounds: dict[str, list[dict[str, float]]] | None) -> None:
    if rounds is None:
        print("\naiobotocore: not installed (pip install -e '.[aio]'), phase skipped")
        return
    import aiobotocore

    print(f"\naiobotocore {aiobotocore.__version__}, botocore {botocore.__version__}: calls/s, median of rounds")
    print("  floor: canned bodies shaped as ECR's answers; floor, {}: canned {} (nothing to parse), for reference")
    print(f"{'phase':24} {'mock_ecr':>10} {'floor':>10} {'mock/floor':>11} {'floor, {}':>10} {'mock/{}':>8}")

    def ratio(key: str, floor: str) -> float:
        return median([m[key] / f[key] for m, f in zip(rounds["mock_ecr"], rounds[floor], strict=True)])

    for key in AIO_KEYS:
        mock = median([r[key] for r in rounds["mock_ecr"]])
        floor = median([r[key] for r in rounds["floor"]])
        empty = median([r[key] for r in rounds["floor, {}"]])
        shaped, bare = ratio(key, "floor"), ratio(key, "floor, {}")
        verdict = "met" if shaped >= 0.8 else "**missed**"
        print(
            f"{key:24} {fmt(mock):>10} {fmt(floor):>10} {fmt_ratio(shaped):>11} {fmt(empty):>10} "
            f"{fmt_ratio(bare):>8}  target >= 0.80x the floor: {verdict}"
        )


def snapshot_phase(images: int = 1000, repeats: int = 30) -> dict[str, float]:
    """Snapshot and restore of a registry of ``images`` images (2 layers each), medians in ms."""
    from mock_ecr import mock_ecr

    with mock_ecr() as m:
        for i in range(images):
            m.push_image(f"repo-{i % 10}", f"v{i}", layers=2, layer_size=64)
        taken, restored = [], []
        snapshot = m.snapshot()
        for _ in range(repeats):
            t0 = time.perf_counter()
            snapshot = m.snapshot()
            taken.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            m.restore(snapshot)
            restored.append((time.perf_counter() - t0) * 1000)
        return {"images": images, "snapshot_ms": median(taken), "restore_ms": median(restored)}


def hostile_lifecycle_phase() -> dict[str, float]:
    """A policy at the 30,720-character limit with thousands of tag patterns (mostly repeats,
    the rest matching every image) against 500 images of 10 tags: preview and apply, in ms."""
    import boto3

    from mock_ecr import mock_ecr
    from mock_ecr.domain.images import service
    from mock_ecr.domain.store import utcnow

    with mock_ecr() as m:
        client = boto3.client("ecr", region_name="us-east-1")
        store = m.backend.store(m.account_id, "us-east-1")
        for i in range(500):
            pushed = m.push_image("hostile", f"release-{i:04d}-0", layers=1, layer_size=16)
            with store.lock:
                repository = store.repositories["hostile"]
                for j in range(1, 10):
                    service.put_image(
                        store,
                        m.backend.quotas,
                        repository,
                        pushed.manifest,
                        media_type=pushed.media_type,
                        tag=f"release-{i:04d}-{j}",
                        now=utcnow(),
                    )
        every_image = ["r*", "re*", "rel*", "release-*", "*-0", "*e*", "*l*", "*-*", "r*-*", "*se-*", "*a*s*"]
        patterns: list[str] = []
        while True:
            candidate = [*patterns, every_image[len(patterns) % len(every_image)]]
            rule = {
                "rulePriority": 1,
                "selection": {
                    "tagStatus": "tagged",
                    "tagPatternList": candidate,
                    "countType": "imageCountMoreThan",
                    "countNumber": 1,
                },
                "action": {"type": "expire"},
            }
            if len(json.dumps({"rules": [rule]})) > 30720:
                break
            patterns = candidate
        rule["selection"]["tagPatternList"] = patterns  # type: ignore[index]
        text = json.dumps({"rules": [rule]})
        t0 = time.perf_counter()
        client.start_lifecycle_policy_preview(repositoryName="hostile", lifecyclePolicyText=text)
        preview = client.get_lifecycle_policy_preview(repositoryName="hostile", maxResults=10)
        preview_ms = (time.perf_counter() - t0) * 1000
        waits = _calls_during(
            lambda: client.start_lifecycle_policy_preview(repositoryName="hostile", lifecyclePolicyText=text),
            lambda: client.list_images(repositoryName="hostile", maxResults=1),
        )
        client.get_lifecycle_policy_preview(repositoryName="hostile", maxResults=1)
        client.put_lifecycle_policy(repositoryName="hostile", lifecyclePolicyText=text)
        t0 = time.perf_counter()
        expired = m.apply_lifecycle_policies()
        apply_ms = (time.perf_counter() - t0) * 1000
        return {
            "patterns": len(patterns),
            "policy_chars": len(text),
            "preview_ms": preview_ms,
            "apply_ms": apply_ms,
            "expiring": preview["summary"]["expiringImageTotalCount"],
            "expired": len(expired),
            "waits": len(waits),
            "longest_wait_ms": max(waits),
        }


def _calls_during(work: Any, call: Any) -> list[float]:
    """``call`` made over and over from another thread while ``work`` runs (and once more
    after): how long each took, in ms. A call held behind a lock ``work`` holds takes as
    long as ``work``; one that is not waits at most for the interpreter to switch threads."""
    import threading

    waits: list[float] = []
    done = threading.Event()
    started = threading.Event()

    def probe() -> None:
        while True:
            finished = done.is_set()
            t0 = time.perf_counter()
            call()
            waits.append((time.perf_counter() - t0) * 1000)
            started.set()
            if finished:
                return

    thread = threading.Thread(target=probe)
    thread.start()
    started.wait()
    work()
    done.set()
    thread.join()
    return waits


def run_state_phases() -> None:
    snap = snapshot_phase()
    print(f"\n| snapshot / restore ({snap['images']:.0f} images, 2 layers each) | median ms |")
    print("|---|---:|")
    print(f"| m.snapshot() | {snap['snapshot_ms']:.2f} |")
    print(f"| m.restore(snapshot) | {snap['restore_ms']:.2f} |")
    hostile = hostile_lifecycle_phase()
    print(
        f"\n| hostile lifecycle policy ({hostile['patterns']:.0f} patterns, {hostile['policy_chars']:.0f} chars;"
        " 500 images x 10 tags) | ms |"
    )
    print("|---|---:|")
    print(f"| StartLifecyclePolicyPreview + GetLifecyclePolicyPreview | {hostile['preview_ms']:.1f} |")
    print(f"| apply_lifecycle_policies ({hostile['expired']:.0f} expired) | {hostile['apply_ms']:.1f} |")
    print(
        f"| longest of {hostile['waits']:.0f} ListImages calls to the same repository from another thread"
        f" while a StartLifecyclePolicyPreview runs | {hostile['longest_wait_ms']:.1f} |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller workload, one round (about half a minute)")
    parser.add_argument("--big", action="store_true", help="also push a 1 GiB layer (mock_ecr and floor)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 5; --quick: 1)")
    parser.add_argument("--no-moto", action="store_true", help="leave moto out even if it is installed")
    parser.add_argument("--aio-only", action="store_true", help="run only the aiobotocore phase")
    parser.add_argument(
        "--server",
        action="store_true",
        help="only the server phase: boto3 over HTTP to mock_ecr's server and moto_server",
    )
    parser.add_argument("--state", action="store_true", help="only the snapshot/restore and hostile-policy phases")
    parser.add_argument("--blob-child", help=argparse.SUPPRESS)
    parser.add_argument("--blob-mib", type=int, default=64, help=argparse.SUPPRESS)
    parser.add_argument("--part-mib", type=int, default=8, help=argparse.SUPPRESS)
    cfg = parser.parse_args(argv)
    if cfg.blob_child:
        print(json.dumps(blob_child(cfg.blob_child, cfg.blob_mib, cfg.part_mib)))
        return
    if cfg.state:
        run_state_phases()
        return
    if cfg.quick:
        cfg.rounds = cfg.rounds or 1
        cfg.repos, cfg.images, cfg.walks, cfg.scale_walks = 100, 500, 2, 2
    else:
        cfg.rounds = cfg.rounds or 5
        cfg.repos, cfg.images, cfg.walks, cfg.scale_walks = 300, 2000, 3, 3
    cfg.scale = [1000, 4000, 16000]
    cfg.load_before = f"{os.getloadavg()[0]:.2f}"
    cfg.server_repos, cfg.server_images = (100, 100) if cfg.quick else (300, 300)
    if cfg.server:
        run_server_phase(cfg)
        return

    if cfg.aio_only:
        print_aio_report(aio_phase(cfg))
        return
    targets = make_targets(cfg.no_moto)
    rounds: dict[str, list[dict[str, float]]] = defaultdict(list)
    activation: dict[str, list[float]] = defaultdict(list)
    blobs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    started = time.perf_counter()
    for r in range(cfg.rounds):
        for target in targets:
            gc.collect()
            t0 = time.perf_counter()
            rounds[target.name].append(run_workload(target, cfg))
            if target.name in ("mock_ecr", "moto"):
                activation[target.name].append(activation_cost(target, 2000 if target.name == "mock_ecr" else 20))
                activation[f"{target.name} first call"].append(first_call_cost(target, 20))
            if target.name in ("mock_ecr", "floor"):
                blobs[target.name].append(run_blob(target.name, cfg.blob_mib, cfg.part_mib))
            print(
                f"round {r + 1}/{cfg.rounds} {target.name}: {time.perf_counter() - t0:.1f} s",
                file=sys.stderr,
                flush=True,
            )
    if cfg.big:
        cfg.big_results = {}
        for name in ("mock_ecr", "floor"):
            cfg.big_results[name] = run_blob(name, 1024, cfg.part_mib)
            print(f"1 GiB {name}: {cfg.big_results[name]['seconds']:.1f} s", file=sys.stderr, flush=True)
    print_report(rounds, activation, blobs, cfg)
    print_aio_report(aio_phase(cfg))
    run_state_phases()
    print(f"\ntotal {time.perf_counter() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
