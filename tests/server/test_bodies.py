"""Request bodies on the server: streamed a piece at a time, chunked or not, within their limits.

A probe app on the same server stack (cheroot with mock_ecr's body readers) reads
``HttpRequest.body_chunks()`` and answers what it saw, so the streaming itself is checked
without any registry route; the JSON API checks run against ``m.serve()``.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from mock_ecr import mock_ecr
from mock_ecr.gateway import BodyError, Headers, HttpRequest
from mock_ecr.transports.server import bodies

TARGET = "AmazonEC2ContainerRegistry_V20150921.CreateRepository"


def probe_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Reads the body through the gateway's streaming API, or not at all (``/skip``)."""
    request = HttpRequest(environ["REQUEST_METHOD"], environ["PATH_INFO"], Headers(), environ["wsgi.input"])
    if environ["PATH_INFO"] == "/skip":
        answer = {"read": 0}
    else:
        sha, sizes = hashlib.sha256(), []
        try:
            for piece in request.body_chunks(64 * 1024):
                sha.update(piece)
                sizes.append(len(piece))
        except BodyError as error:
            body = json.dumps({"error": str(error)}).encode()
            start_response(f"{error.status} Refused", [("Content-Length", str(len(body)))])
            return [body]
        answer = {"read": sum(sizes), "largest": max(sizes, default=0), "sha256": sha.hexdigest()}
    body = json.dumps(answer).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture
def probe() -> Iterator[tuple[str, int]]:
    from cheroot import wsgi

    server = wsgi.Server(("127.0.0.1", 0), probe_app, numthreads=2, timeout=10)
    server.max_request_body_size = bodies.MAX_STREAMED_BODY_BYTES
    server.ConnectionClass = bodies.connection_class()
    server.prepare()
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", int(server.bind_addr[1])
    finally:
        server.stop()
        thread.join(10)


def exchange(sock: socket.socket, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``request``, read one answer (with a Content-Length) off a kept-alive connection."""
    sock.sendall(request)
    return read_answer(sock)


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", 0))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), headers, body


def chunked(data: bytes, size: int) -> bytes:
    out = [b"%x;ext=1\r\n%s\r\n" % (len(data[i : i + size]), data[i : i + size]) for i in range(0, len(data), size)]
    return b"".join(out) + b"0\r\nX-Trailer: yes\r\n\r\n"


@pytest.mark.parametrize("client_chunk", [1000, 32 * 1024, 3 * 1024 * 1024])
def test_a_chunked_body_streams_in_pieces_as_sent(probe, client_chunk):
    data = os.urandom(5 * 1024 * 1024 + 17)
    with socket.create_connection(probe, timeout=10) as sock:
        head = b"PATCH /blob HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        status, _, body = exchange(sock, head + chunked(data, client_chunk))
        assert status == 200
        seen = json.loads(body)
        assert seen == {"read": len(data), "largest": 64 * 1024, "sha256": hashlib.sha256(data).hexdigest()}
        # the connection is still good for the next request
        status, _, body = exchange(sock, b"PUT /blob HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
        assert (status, json.loads(body)["read"]) == (200, 3)


def test_a_known_length_body_streams_in_pieces(probe):
    data = os.urandom(3 * 1024 * 1024 + 5)
    with socket.create_connection(probe, timeout=10) as sock:
        head = b"PUT /blob HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(data)
        status, _, body = exchange(sock, head + data)
    assert status == 200
    assert json.loads(body) == {"read": len(data), "largest": 64 * 1024, "sha256": hashlib.sha256(data).hexdigest()}


@pytest.mark.parametrize(
    "encoded, problem",
    [
        (b"zz\r\nhello\r\n0\r\n\r\n", "bad chunk size"),
        (b"5\r\nhelloXX0\r\n\r\n", "does not end where its size says"),
        (b"-5\r\nhello\r\n0\r\n\r\n", "bad chunk size"),
        (b"5" + b"0" * 5000 + b"\r\n", "too long"),
    ],
)
def test_a_badly_chunked_body_is_answered_400_and_the_connection_closed(probe, encoded, problem):
    with socket.create_connection(probe, timeout=10) as sock:
        status, headers, body = exchange(
            sock, b"PATCH /blob HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + encoded
        )
        assert status == 400
        assert problem in json.loads(body)["error"]
        assert headers.get("connection") == "close"
        assert sock.recv(10) == b""


def test_a_body_cut_short_is_an_error_to_the_reader(probe):
    with socket.create_connection(probe, timeout=10) as sock:
        sock.sendall(b"PUT /blob HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + b"x" * 40)
        sock.shutdown(socket.SHUT_WR)
        status, _, body = read_answer(sock)
    assert status == 400
    assert json.loads(body)["error"] == "the body ended after 40 of the 100 bytes Content-Length announced"


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_a_body_the_app_does_not_read_is_drained_and_the_connection_kept(probe, framing):
    data = os.urandom(2 * 1024 * 1024)
    if framing == "length":
        first = b"PATCH /skip HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(data), data)
    else:
        first = b"PATCH /skip HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(data, 40000)
    with socket.create_connection(probe, timeout=10) as sock:
        status, headers, _ = exchange(sock, first)
        assert status == 200 and headers.get("connection") != "close"
        status, _, body = exchange(sock, b"PUT /blob HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok")
        assert (status, json.loads(body)["read"]) == (200, 2)


def test_beyond_the_drain_limit_the_connection_closes(probe, monkeypatch):
    monkeypatch.setattr(bodies, "DRAIN_BYTES", 64 * 1024)
    with socket.create_connection(probe, timeout=10) as sock:
        sock.sendall(b"PATCH /skip HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (1024 * 1024))
        sock.sendall(b"x" * (1024 * 1024))
        status, headers, _ = read_answer(sock)
    assert status == 200 and headers.get("connection") == "close"


def test_a_streamed_body_beyond_the_server_limit_is_413(probe, monkeypatch):
    with socket.create_connection(probe, timeout=10) as sock:
        too_big = bodies.MAX_STREAMED_BODY_BYTES + 1
        sock.sendall(b"PATCH /blob HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % too_big)
        status, _, _ = read_answer(sock)  # refused from the headers alone, nothing read
        assert status == 413
    with socket.create_connection(probe, timeout=10) as sock:
        sock.sendall(
            b"PATCH /blob HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n" % too_big + b"x" * 1000
        )
        status, _, body = read_answer(sock)
        assert status == 413 and "larger than" in json.loads(body)["error"]


# -- the JSON API on m.serve() -----------------------------------------------------------------


@pytest.fixture
def served() -> Iterator[Any]:
    with mock_ecr() as m:
        server = m.serve()
        yield server


def raw_json_call(body: bytes, framing: str, chunk: int = 7) -> bytes:
    head = (
        b"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIA/20240101/us-east-1/ecr/x\r\n"
        b"X-Amz-Target: " + TARGET.encode() + b"\r\nContent-Type: application/x-amz-json-1.1\r\n"
    )
    if framing == "length":
        return head + b"Content-Length: %d\r\n\r\n" % len(body) + body
    return head + b"Transfer-Encoding: chunked\r\n\r\n" + chunked(body, chunk)


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_a_json_call_reads_its_body_whole_either_way(served, framing):
    host, port = served.host, served.port
    with socket.create_connection((host, port), timeout=10) as sock:
        status, _, body = exchange(sock, raw_json_call(b'{"repositoryName": "by-%s"}' % framing.encode(), framing))
    assert status == 200, body
    client = boto3.client("ecr", region_name="us-east-1", endpoint_url=served.url)
    assert client.describe_repositories()["repositories"][0]["repositoryName"] == f"by-{framing}"


def test_a_json_body_beyond_the_whole_body_limit_is_413_unread(served):
    with socket.create_connection((served.host, served.port), timeout=10) as sock:
        head = raw_json_call(b"", "length").replace(b"Content-Length: 0", b"Content-Length: %d" % (200 * 1024 * 1024))
        sock.sendall(head)  # no body sent at all: the answer comes from the headers
        status, headers, body = read_answer(sock)
    assert status == 413
    assert headers.get("connection") == "close"
    assert "larger than the 134217728 bytes this server reads whole" in json.loads(body)["message"]
    client = boto3.client("ecr", region_name="us-east-1", endpoint_url=served.url)
    assert client.describe_repositories()["repositories"] == []


def test_a_chunked_json_body_beyond_the_whole_body_limit_is_413(served, monkeypatch):
    monkeypatch.setattr(bodies, "MAX_BODY_BYTES", 1024 * 1024)
    body = json.dumps({"repositoryName": "big", "x": "y" * (2 * 1024 * 1024)}).encode()
    with socket.create_connection((served.host, served.port), timeout=10) as sock:
        try:
            sock.sendall(raw_json_call(body, "chunked", 64 * 1024))
        except OSError:
            pass  # closed on us mid-send: the answer may still be waiting
        status, _, answer = read_answer(sock)
    assert status == 413, answer
    client = boto3.client("ecr", region_name="us-east-1", endpoint_url=served.url)
    assert client.describe_repositories()["repositories"] == []
