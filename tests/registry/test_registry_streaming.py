"""Hundreds of MiB through the registry face of a server, never held in its memory.

The server runs in a child process that reports its peak RSS (``VmHWM``, reset before each
transfer), so the client's memory does not count and nothing here depends on timing. A
blob held whole, or copied once, would show as a peak of its size.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024
REPOSITORY = "big/layers"
#: what the server may grow by while a blob of hundreds of MiB passes (a few pieces, thread arenas)
BOUND = 48 * MIB

CHILD = r"""
import base64, gc, json, sys
import boto3
from mock_ecr import mock_ecr

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096

def hwm():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024

m = mock_ecr()
m.start()
server = m.serve()
ecr = boto3.client("ecr", region_name="us-east-1")
ecr.create_repository(repositoryName=sys.argv[1])
token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
print(json.dumps({"url": server.url, "token": token}), flush=True)
baseline = 0
for line in sys.stdin:
    if line.strip() == "mark":
        gc.collect()
        baseline = rss()
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            reset = hwm() <= baseline + (1 << 20)
        except OSError:
            reset = False
        print(json.dumps({"reset": reset}), flush=True)
    elif line.strip() == "peak":
        print(json.dumps({"growth": hwm() - baseline}), flush=True)
    else:
        break
m.stop()
"""


class ServerChild:
    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen(
            [sys.executable, "-c", CHILD, REPOSITORY], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )
        hello = self.ask(None)
        host, port = hello["url"].split("://", 1)[1].rsplit(":", 1)
        self.connection = http.client.HTTPConnection(host, int(port), timeout=120)
        self.auth = {"Authorization": "Basic " + hello["token"]}

    def ask(self, command: str | None) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        if command is not None:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"the server child ended with {self.process.wait()}"
        return json.loads(line)  # type: ignore[no-any-return]

    def request(self, method: str, path: str, body: Any = None, **headers: str) -> http.client.HTTPResponse:
        chunked = body is not None and not isinstance(body, bytes)
        self.connection.request(method, path, body=body, headers={**self.auth, **headers}, encode_chunked=chunked)
        return self.connection.getresponse()

    def close(self) -> None:
        self.connection.close()
        assert self.process.stdin is not None
        self.process.stdin.write("quit\n")
        self.process.stdin.close()
        assert self.process.wait(60) == 0


@pytest.fixture
def server() -> Iterator[ServerChild]:
    if not Path("/proc/self/clear_refs").exists():
        pytest.skip("peak RSS is read from Linux's /proc (VmHWM, clear_refs)")
    child = ServerChild()
    try:
        for i in range(16):  # a small push per worker thread: first-request costs are not blob memory
            push(child, blob_pieces(1, seed=100 + i, piece=64 * 1024), chunked=True)
        yield child
    finally:
        child.close()


def blob_pieces(count: int, seed: int, piece: int = MIB) -> list[bytes]:
    """``count`` distinct pieces; the blob is their concatenation, sent without ever being joined."""
    base = hashlib.sha256(str(seed).encode()).digest() * (piece // 32)
    return [i.to_bytes(8, "big") + base[8:] for i in range(count)]


def digest_of(pieces: list[bytes]) -> str:
    sha = hashlib.sha256()
    for piece in pieces:
        sha.update(piece)
    return "sha256:" + sha.hexdigest()


def push(server: ServerChild, pieces: list[bytes], *, chunked: bool) -> str:
    """docker's way (one chunked PATCH, then PUT ?digest=) or a monolithic PUT with a Content-Length."""
    digest = digest_of(pieces)
    started = server.request("POST", f"/v2/{REPOSITORY}/blobs/uploads/")
    started.read()
    assert started.status == 202
    location = started.getheader("Location")
    if chunked:
        patched = server.request("PATCH", location, iter(pieces), **{"Content-Type": "application/octet-stream"})
        patched.read()
        assert patched.status == 202
        location = patched.getheader("Location")
        done = server.request("PUT", f"{location}?digest={digest}", b"")
    else:
        size = str(sum(len(p) for p in pieces))
        server.connection.putrequest("PUT", f"{location}?digest={digest}")
        for name, value in {**server.auth, "Content-Length": size, "Content-Type": "application/octet-stream"}.items():
            server.connection.putheader(name, value)
        server.connection.endheaders()
        for piece in pieces:
            server.connection.send(piece)
        done = server.connection.getresponse()
    done.read()
    assert done.status == 201, done.status
    assert done.getheader("Docker-Content-Digest") == digest
    return digest


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked-patch", "content-length-put"])
def test_a_blob_of_hundreds_of_mib_streams_in_and_out(server, chunked):
    pieces = blob_pieces(320, seed=1 if chunked else 2)
    assert server.ask("mark")["reset"]
    digest = push(server, pieces, chunked=chunked)
    pushed = server.ask("peak")["growth"]
    assert pushed < BOUND, f"pushing 320 MiB grew the server by {pushed / MIB:.1f} MiB"

    assert server.ask("mark")["reset"]
    response = server.request("GET", f"/v2/{REPOSITORY}/blobs/{digest}")
    assert response.status == 200
    assert response.getheader("Content-Length") == str(320 * MIB)
    sha, buffer, size = hashlib.sha256(), bytearray(MIB), 0
    while count := response.readinto(buffer):
        sha.update(memoryview(buffer)[:count])
        size += count
    assert (size, "sha256:" + sha.hexdigest()) == (320 * MIB, digest)
    pulled = server.ask("peak")["growth"]
    assert pulled < BOUND, f"pulling 320 MiB grew the server by {pulled / MIB:.1f} MiB"
