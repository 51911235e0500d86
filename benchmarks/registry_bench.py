"""A large layer pushed and pulled through the registry API (``/v2/``) over loopback: mock_ecr vs a floor.

* ``mock_ecr``: ``m.serve()``, the registry face on the mock's server;
* ``floor``: the same HTTP stack (mock_ecr's cheroot server, with its body readers and
  settings) running a WSGI app that accepts the same requests, reads each body into one
  reused buffer and drops it, and answers a pull with one chunk's bytes over and over: what
  the server stack costs, and nothing else;
* ``floor-cheroot`` (reference): the same app on plain cheroot, which reads
  bodies with its own ``wsgi.input``.

Each target runs in a child process of its own, per round: the parent is the client
(``http.client``, one kept-alive connection, one chunk's bytes reused for every PATCH), the
child the server, which reports its peak RSS (``VmHWM``, reset before each phase) so the
client's memory is not counted. Phases: a push as POST, PATCH chunks with ``Content-Range``,
PUT ``?digest=``; the same push as one chunked PATCH (Transfer-Encoding: chunked, 32 KiB
chunks, as docker and skopeo send a layer); and a GET of the blob, read into a reused buffer.

    python benchmarks/registry_bench.py            # 256 MiB in 8 MiB chunks, 3 rounds
    python benchmarks/registry_bench.py --quick    # 64 MiB, 1 round
"""

from __future__ import annotations

import argparse
import base64
import gc
import hashlib
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MIB = 1024 * 1024
REPOSITORY = "bench/layer"
GO_CHUNK = 32 * 1024  # what Go's net/http writes per chunk of a chunked body (io.Copy's buffer)
WARM_PUSHES = 16  # of three requests each: more than the server has worker threads
TARGETS = ("mock_ecr", "floor", "floor-cheroot")


# -- memory, in the child -------------------------------------------------------------------


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
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def cpu_seconds() -> float:
    """CPU time of the whole process, every thread, user and system."""
    times = os.times()
    return times.user + times.system


# -- the floor app ---------------------------------------------------------------------------


class FloorApp:
    """Accepts the registry requests of a push and a pull; keeps nothing."""

    def __init__(self, chunk: bytes, size: int) -> None:
        self.chunk = chunk
        self.size = size
        self.buffer = bytearray(MIB)
        self.received = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        stream = environ["wsgi.input"]
        readinto = getattr(stream, "readinto", None)
        while True:  # every body read to its end and dropped
            if readinto is not None:
                count = readinto(self.buffer)
            else:
                count = len(stream.read(MIB))
            if not count:
                break
            self.received += count
        location = f"/v2/{REPOSITORY}/blobs/uploads/floor-upload"
        if method == "POST":
            return self._answer(start_response, "202 Accepted", Location=location, Range="0-0")
        if method == "PATCH":
            return self._answer(start_response, "202 Accepted", Location=location, Range=f"0-{self.received - 1}")
        if method == "PUT":
            self.received = 0
            return self._answer(start_response, "201 Created", Location=path)
        if method == "GET" and "/blobs/sha256:" in path:
            start_response("200 OK", [("Content-Length", str(self.size)), ("Content-Type", "application/octet-stream")])
            return self._pull()
        return self._answer(start_response, "200 OK")

    def _pull(self) -> Any:
        chunk, left = self.chunk, self.size
        step = MIB  # as the mock's blob GET streams, a MiB at a time
        while left > 0:
            for start in range(0, len(chunk), step):
                piece = chunk[start : start + min(step, left)]
                left -= len(piece)
                yield piece
                if left <= 0:
                    return

    @staticmethod
    def _answer(start_response: Any, status: str, **headers: str) -> list[bytes]:
        start_response(status, [("Content-Length", "0"), *headers.items()])
        return [b""]


# -- the child: one server --------------------------------------------------------------------


def child(target: str, chunk_mib: int, size_mib: int) -> None:
    sys.path.insert(0, ROOT)
    chunk = chunk_bytes(chunk_mib)
    if target == "mock_ecr":
        import boto3

        from mock_ecr import mock_ecr

        m = mock_ecr()
        m.start()
        server = m.serve()
        client = boto3.client("ecr", region_name="us-east-1")
        client.create_repository(repositoryName=REPOSITORY)
        token = client.get_authorization_token()["authorizationData"][0]["authorizationToken"]
        url = server.url
    else:
        from mock_ecr.session import Session
        from mock_ecr.transports.server.serving import Server

        app = FloorApp(chunk, size_mib * MIB)
        if target == "floor":
            server = Server(Session())
            server._server.wsgi_app = app  # mock_ecr's server stack, a floor app on it
            server.start()
            url = server.url
        else:
            import threading

            from cheroot import wsgi

            plain = wsgi.Server(("127.0.0.1", 0), app, numthreads=16, timeout=10)
            plain.prepare()
            threading.Thread(target=plain.serve, daemon=True).start()
            url = f"http://127.0.0.1:{plain.bind_addr[1]}"
        token = base64.b64encode(b"AWS:floor").decode()
    print(json.dumps({"url": url, "token": token}), flush=True)
    baseline, cpu = 0, 0.0
    for line in sys.stdin:
        command = line.strip()
        if command == "mark":
            gc.collect()
            baseline = rss_bytes()
            ok = reset_hwm() and hwm_bytes() <= baseline * 1.01 + MIB
            cpu = cpu_seconds()
            print(json.dumps({"hwm reset": ok}), flush=True)
        elif command == "peak":
            print(json.dumps({"peak growth": hwm_bytes() - baseline, "cpu": cpu_seconds() - cpu}), flush=True)
        elif command == "quit":
            break
    os._exit(0)  # the measurement is taken; no need to tidy a 256 MiB registry away


def chunk_bytes(chunk_mib: int) -> bytes:
    """One chunk of incompressible bytes, the same in parent and child (seeded)."""
    import random

    return random.Random(14).randbytes(chunk_mib * MIB)


# -- the parent: the client -------------------------------------------------------------------


class Child:
    def __init__(self, target: str, chunk_mib: int, size_mib: int) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
        command = [sys.executable, __file__, "--child", target, "--chunk-mib", str(chunk_mib), "--mib", str(size_mib)]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        hello = self.ask(None)
        self.url, self.token = hello["url"], hello["token"]

    def ask(self, command: str | None) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        if command is not None:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the server child ended: {self.process.wait()}")
        return json.loads(line)  # type: ignore[no-any-return]

    def close(self) -> None:
        try:
            assert self.process.stdin is not None
            self.process.stdin.write("quit\n")
            self.process.stdin.close()
        except OSError:
            pass
        self.process.wait(60)


def request(conn: http.client.HTTPConnection, method: str, url: str, headers: dict[str, str], body: Any = None) -> Any:
    conn.request(method, url, body=body, headers=headers, encode_chunked=not isinstance(body, (bytes, type(None))))
    response = conn.getresponse()
    data = response.read()
    if response.status >= 300:
        raise RuntimeError(f"{method} {url}: {response.status} {data[:300]!r}")
    return response


def push_chunks(conn: http.client.HTTPConnection, auth: dict[str, str], chunk: bytes, count: int, digest: str) -> None:
    location = request(conn, "POST", f"/v2/{REPOSITORY}/blobs/uploads/", auth).getheader("Location")
    offset = 0
    for _ in range(count):
        headers = {
            **auth,
            "Content-Type": "application/octet-stream",
            "Content-Range": f"{offset}-{offset + len(chunk) - 1}",
            "Content-Length": str(len(chunk)),
        }
        location = request(conn, "PATCH", location, headers, chunk).getheader("Location")
        offset += len(chunk)
    separator = "&" if "?" in location else "?"
    request(conn, "PUT", f"{location}{separator}digest={digest}", {**auth, "Content-Length": "0"}, b"")


def push_streamed(
    conn: http.client.HTTPConnection, auth: dict[str, str], chunk: bytes, count: int, digest: str
) -> None:
    """One PATCH of the whole layer, chunked, as docker and skopeo push a layer."""
    location = request(conn, "POST", f"/v2/{REPOSITORY}/blobs/uploads/", auth).getheader("Location")
    view = memoryview(chunk)

    def pieces() -> Any:
        for _ in range(count):
            for start in range(0, len(view), GO_CHUNK):
                yield view[start : start + GO_CHUNK]

    headers = {**auth, "Content-Type": "application/octet-stream"}
    location = request(conn, "PATCH", location, headers, pieces()).getheader("Location")
    separator = "&" if "?" in location else "?"
    request(conn, "PUT", f"{location}{separator}digest={digest}", {**auth, "Content-Length": "0"}, b"")


def pull(conn: http.client.HTTPConnection, auth: dict[str, str], digest: str, size: int) -> None:
    conn.request("GET", f"/v2/{REPOSITORY}/blobs/{digest}", headers=auth)
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(f"GET blob: {response.status} {response.read()[:300]!r}")
    buffer = bytearray(MIB)
    got = 0
    while True:
        count = response.readinto(buffer)
        if not count:
            break
        got += count
    if got != size:
        raise RuntimeError(f"pulled {got} of {size} bytes")


def run_target(target: str, cfg: argparse.Namespace, chunk: bytes, digest: str, streamed_digest: str) -> dict[str, Any]:
    count = cfg.mib // cfg.chunk_mib
    size = count * len(chunk)
    server = Child(target, cfg.chunk_mib, cfg.mib)
    try:
        host, port = server.url.split("//", 1)[1].rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=120)
        auth = {"Authorization": "Basic " + server.token}
        # small pushes and a pull first, so first-call costs are not counted as blob memory: the
        # server's worker threads take requests in turn, and each one's first request grows its
        # malloc arena by about 1 MiB
        for i in range(WARM_PUSHES):
            warm = chunk[: MIB - 1 - i]
            warm_digest = "sha256:" + hashlib.sha256(warm).hexdigest()
            push_chunks(conn, auth, warm, 1, warm_digest)
        if target == "mock_ecr":  # the floor answers any pull with the big blob
            pull(conn, auth, warm_digest, len(warm))
        out: dict[str, Any] = {}

        reset = server.ask("mark")["hwm reset"]
        t0 = time.perf_counter()
        push_chunks(conn, auth, chunk, count, digest)
        out["push MiB/s"] = size / MIB / (time.perf_counter() - t0)
        peak = server.ask("peak")
        out["push peak growth"], out["push server CPU ms/MiB"] = peak["peak growth"], peak["cpu"] * 1000 * MIB / size

        server.ask("mark")
        t0 = time.perf_counter()
        pull(conn, auth, digest, size)
        out["pull MiB/s"] = size / MIB / (time.perf_counter() - t0)
        peak = server.ask("peak")
        out["pull peak growth"], out["pull server CPU ms/MiB"] = peak["peak growth"], peak["cpu"] * 1000 * MIB / size

        # the same bytes with the last byte of each chunk changed: a new blob, pushed docker's way
        server.ask("mark")
        t0 = time.perf_counter()
        push_streamed(conn, auth, chunk[:-1] + b"\0", count, streamed_digest)
        out["chunked push MiB/s"] = size / MIB / (time.perf_counter() - t0)
        peak = server.ask("peak")
        out["chunked push peak growth"] = peak["peak growth"]
        out["chunked push server CPU ms/MiB"] = peak["cpu"] * 1000 * MIB / size
        out["hwm reset"] = reset
        conn.close()
    finally:
        server.close()
    return out


def blob_digest(chunk: bytes, count: int) -> str:
    sha = hashlib.sha256()
    for _ in range(count):
        sha.update(chunk)
    return "sha256:" + sha.hexdigest()


def machine() -> str:
    import botocore

    return (
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"botocore {botocore.__version__}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mib", type=int, default=256, help="layer size in MiB (default 256)")
    parser.add_argument("--chunk-mib", type=int, default=8, help="PATCH chunk size in MiB (default 8)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="64 MiB, one round")
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma-separated, of: " + ", ".join(TARGETS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    cfg = parser.parse_args()
    if cfg.child:
        child(cfg.child, cfg.chunk_mib, cfg.mib)
        return
    if cfg.quick:
        cfg.mib, cfg.rounds = 64, 1
    targets = [t.strip() for t in cfg.targets.split(",") if t.strip()]
    chunk = chunk_bytes(cfg.chunk_mib)
    count = cfg.mib // cfg.chunk_mib
    digest, streamed = blob_digest(chunk, count), blob_digest(chunk[:-1] + b"\0", count)
    load_before = os.getloadavg()[0]
    results: dict[str, list[dict[str, Any]]] = {t: [] for t in targets}
    for r in range(cfg.rounds):
        for target in targets:
            results[target].append(run_target(target, cfg, chunk, digest, streamed))
            print(f"round {r + 1}/{cfg.rounds} {target}: {results[target][-1]}", file=sys.stderr, flush=True)
    report(results, cfg, load_before)


def report(results: dict[str, list[dict[str, Any]]], cfg: argparse.Namespace, load_before: float) -> None:
    chunk = cfg.chunk_mib * MIB
    print()
    print(f"machine: {machine()}")
    print(
        f"{cfg.mib} MiB layer, PATCH chunks of {cfg.chunk_mib} MiB; {cfg.rounds} interleaved round(s), "
        f"load average {load_before:.2f} before / {os.getloadavg()[0]:.2f} after"
    )
    names = list(results)
    print(f"\n{'phase':34}" + "".join(f"{name:>24}" for name in names) + f"{'mock / floor':>18}")
    failures = []

    def runs(target: str, key: str) -> list[float]:
        return [float(run[key]) for run in results[target]]

    for key in ("push MiB/s", "chunked push MiB/s", "pull MiB/s"):
        cells = "".join(f"{statistics.median(runs(t, key)):>24.1f}" for t in names)
        ratio = ""
        if "mock_ecr" in results and "floor" in results:
            ratios = [m / f for m, f in zip(runs("mock_ecr", key), runs("floor", key), strict=True)]
            ratio = f"{statistics.median(ratios):.2f}x [{min(ratios):.2f}-{max(ratios):.2f}]"
            if statistics.median(ratios) < 0.5:
                failures.append(f"{key}: mock/floor {statistics.median(ratios):.2f}x (target >= 0.5)")
        print(f"{key:34}{cells}{ratio:>18}")
    for key in ("push server CPU ms/MiB", "chunked push server CPU ms/MiB", "pull server CPU ms/MiB"):
        cells = "".join(f"{statistics.median(runs(t, key)):>24.2f}" for t in names)
        print(f"{key:34}{cells}")
    # the chunked push is one PATCH of the whole layer: its peak is shown in MiB, not per chunk
    for key, unit, label in (
        ("push peak growth", chunk, "push peak growth / chunk"),
        ("chunked push peak growth", MIB, "chunked push peak growth, MiB"),
        ("pull peak growth", chunk, "pull peak growth / chunk"),
    ):
        cells = "".join(f"{statistics.median(runs(t, key)) / unit:>24.2f}" for t in names)
        print(f"{label:34}{cells}")
        if "mock_ecr" in results and key == "push peak growth":
            worst = max(runs("mock_ecr", key)) / chunk
            if worst >= 1.5:
                failures.append(f"{key}: {worst:.2f}x one chunk (target < 1.5)")
    if not all(run["hwm reset"] for rows in results.values() for run in rows):
        print("note: the kernel refused to reset VmHWM: peak growth is since the child started")
    print()
    for failure in failures:
        print(f"MISSED {failure}")
    if not failures:
        print("all targets met")


if __name__ == "__main__":
    main()
