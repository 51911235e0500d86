"""Load and hostile input: 16 client threads x 500 calls end in exact counts while garbage arrives.

The server runs as its own process (``python -m mock_ecr serve``), so clients and server use
both cores. The clients speak the JSON API over keep-alive ``http.client`` connections, as
an SDK does but with a fraction of botocore's client-side cost, so the load lands on the
server. Every request loop is bounded in count and time and talks only to loopback.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import socket
import threading
import time
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import pytest

from .conftest import ServerProcess

THREADS = 16
CALLS = 500
REPOSITORIES = 10  # per thread
SETUP = REPOSITORIES * 7  # create + two blob uploads of three calls
GROUPS = (CALLS - SETUP) // 4  # four calls each
EXTRA = CALLS - SETUP - GROUPS * 4
DELETE_EVERY = 5
CONFIG = b'{"architecture":"amd64","os":"linux"}'
LAYER = b"robust layer " * 64


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def manifest(thread: int, group: int) -> str:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "size": len(CONFIG),
                "digest": digest(CONFIG),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "size": len(LAYER),
                    "digest": digest(LAYER),
                }
            ],
            "annotations": {"thread": str(thread), "group": str(group)},
        }
    )


class JsonClient:
    """ECR JSON API calls over one keep-alive connection; an error status raises."""

    HEADERS = {
        "Content-Type": "application/x-amz-json-1.1",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/ecr/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
    }

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        headers = {**self.HEADERS, "X-Amz-Target": f"AmazonEC2ContainerRegistry_V20150921.{operation}"}
        self.connection.request("POST", "/", json.dumps(params).encode(), headers)
        response = self.connection.getresponse()
        body = json.loads(response.read())
        if response.status != 200:
            raise AssertionError(f"{operation}: {response.status} {body}")
        return body  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:
        operation = "".join(part.capitalize() for part in name.split("_"))
        return lambda **params: self.call(operation, **params)


def client_work(server: ServerProcess, thread: int, errors: list[BaseException]) -> None:
    """Exactly CALLS calls; every one must succeed."""
    try:
        client = JsonClient(server.url)
        calls = 0
        names = [f"t{thread:02d}/r{i}" for i in range(REPOSITORIES)]
        for name in names:
            client.create_repository(repositoryName=name)
            for blob in (CONFIG, LAYER):
                upload = client.initiate_layer_upload(repositoryName=name)["uploadId"]
                client.upload_layer_part(
                    repositoryName=name,
                    uploadId=upload,
                    partFirstByte=0,
                    partLastByte=len(blob) - 1,
                    layerPartBlob=base64.b64encode(blob).decode(),
                )
                client.complete_layer_upload(repositoryName=name, uploadId=upload, layerDigests=[digest(blob)])
            calls += 7
        for group in range(GROUPS):
            name = names[group % REPOSITORIES]
            text = manifest(thread, group)
            image = client.put_image(repositoryName=name, imageManifest=text, imageTag=f"g{group}")["image"]
            assert image["imageId"]["imageDigest"] == digest(text.encode())
            found = client.describe_images(repositoryName=name, imageIds=[{"imageTag": f"g{group}"}])
            assert found["imageDetails"][0]["imageDigest"] == digest(text.encode())
            if group % DELETE_EVERY == 0:
                gone = client.batch_delete_image(repositoryName=name, imageIds=[{"imageTag": f"g{group}"}])
                assert gone["failures"] == []
            else:
                client.list_images(repositoryName=name, maxResults=5)
            client.describe_repositories(repositoryNames=[name])
            calls += 4
        for _ in range(EXTRA):
            client.get_authorization_token()
            calls += 1
        assert calls == CALLS
        client.connection.close()
    except BaseException as error:  # noqa: BLE001 - reported by the test
        errors.append(error)


def status_of(answer: bytes) -> int | None:
    if not answer.startswith(b"HTTP/1."):
        return None
    return int(answer.split(b" ", 2)[1])


def hostile(host: str, port: int, stop: threading.Event, seen: dict[str, list[Any]]) -> None:
    """Garbage, in a bounded loop; records the status each attack got (None: no answer)."""
    big_header = b"X-Filler: " + b"a" * (128 * 1024) + b"\r\n"
    attacks = {
        "not http": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)) + b"\r\n\r\n",
        "bad request line": b"GET\r\n\r\n",
        "bad version": b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
        "oversized header": b"POST / HTTP/1.1\r\nHost: x\r\n" + big_header + b"\r\n",
        "oversized body": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n",
        "bad content-length": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: banana\r\n\r\n",
        "bad chunk": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
        "disconnect mid-body": b"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 x\r\n"
        b"X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.CreateRepository\r\n"
        b"Content-Type: application/x-amz-json-1.1\r\nContent-Length: 100\r\n\r\n"
        b'{"repositoryName": "half',
        "disconnect mid-headers": b"POST / HTTP/1.1\r\nHost: x\r\nContent-",
    }
    deadline = time.monotonic() + 30
    rounds = 0
    while not stop.is_set() and time.monotonic() < deadline and rounds < 200:
        rounds += 1
        for name, payload in attacks.items():
            with socket.create_connection((host, port), timeout=5) as sock:
                try:
                    sock.sendall(payload)
                    if name.startswith("disconnect"):
                        seen[name].append(None)
                        continue  # closed with the request half sent
                    sock.shutdown(socket.SHUT_WR)
                    answer = b""
                    while len(answer) < 64:
                        chunk = sock.recv(4096)
                        if not chunk:
                            break
                        answer += chunk
                except OSError:  # the server may close on us mid-send (oversized input): that is fine
                    answer = b""
                seen[name].append(status_of(answer))
        stop.wait(0.02)


def test_many_clients_and_a_hostile_one_end_in_exact_counts():
    server = ServerProcess()
    try:
        parts = urlsplit(server.url)
        errors: list[BaseException] = []
        seen: dict[str, list[Any]] = {
            name: []
            for name in (
                "not http",
                "bad request line",
                "bad version",
                "oversized header",
                "oversized body",
                "bad content-length",
                "bad chunk",
                "disconnect mid-body",
                "disconnect mid-headers",
            )
        }
        stop = threading.Event()
        attacker = threading.Thread(target=hostile, args=(parts.hostname, parts.port, stop, seen))
        attacker.start()
        clients = [threading.Thread(target=client_work, args=(server, t, errors)) for t in range(THREADS)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join(120)
        stop.set()
        attacker.join(60)
        assert not errors, errors[:3]

        with urllib.request.urlopen(server.url + "/_mock_ecr/calls", timeout=30) as response:
            calls = json.loads(response.read())["calls"]
        # every client call, and nothing from the attacker, reached ECR
        assert len(calls) == THREADS * CALLS
        assert all(call["ok"] for call in calls)
        with urllib.request.urlopen(server.url + "/_mock_ecr/state?region=us-east-1", timeout=30) as response:
            repositories = json.loads(response.read())["repositories"]
        assert len(repositories) == THREADS * REPOSITORIES
        deleted = len(range(0, GROUPS, DELETE_EVERY))
        assert sum(len(r["images"]) for r in repositories) == THREADS * (GROUPS - deleted)
        assert sum(len(r["image_tags"]) for r in repositories) == THREADS * (GROUPS - deleted)
        assert all(r["name"].startswith("t") for r in repositories)  # the half body created nothing

        # each attack that leaves someone to answer got a 4xx (or a closed connection)
        for name, statuses in seen.items():
            assert statuses, name
            if not name.startswith("disconnect"):
                answered = [s for s in statuses if s is not None]
                # (505 HTTP Version Not Supported is RFC 9110's answer to HTTP/9.9)
                assert all(400 <= s < 500 or (s == 505 and name == "bad version") for s in answered), (
                    name,
                    sorted(set(answered)),
                )
        for name in ("bad request line", "bad version", "oversized header", "oversized body", "bad content-length"):
            assert any(s is not None for s in seen[name]), (name, "never answered")
        # and the server still answers
        assert server.client().describe_repositories(maxResults=1)["repositories"]
    finally:
        assert server.stop() == 0


@pytest.mark.parametrize("size", [0, 1, 7])
def test_a_truncated_body_runs_no_call(size):
    server = ServerProcess()
    try:
        parts = urlsplit(server.url)
        body = b'{"repositoryName": "cut"}'
        with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
            sock.sendall(
                b"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 x\r\n"
                b"X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.CreateRepository\r\n"
                b"Content-Type: application/x-amz-json-1.1\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body) + body[:size]
            )
            sock.shutdown(socket.SHUT_WR)
            answer = sock.recv(4096)
        assert answer == b"" or 400 <= status_of(answer) < 500
        with urllib.request.urlopen(server.url + "/_mock_ecr/calls", timeout=10) as response:
            assert json.loads(response.read())["calls"] == []
    finally:
        server.stop()
