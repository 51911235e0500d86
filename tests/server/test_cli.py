"""python -m mock_ecr serve: the first line, options, signals, graceful stop."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from importlib import metadata
from urllib.parse import urlsplit

import pytest

from .conftest import ROOT, ServerProcess


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def test_the_first_line_says_where_it_listens(server_process):
    assert server_process.first_line == f"mock_ecr listening on {server_process.url}"
    parts = urlsplit(server_process.url)
    assert parts.scheme == "http" and parts.hostname == "127.0.0.1" and parts.port > 0
    assert get_json(server_process.url + "/_mock_ecr/health")["status"] == "ok"


def test_account_and_region_options():
    server = ServerProcess("--account-id", "111122223333", "--region", "eu-west-1")
    try:
        assert get_json(server.url + "/_mock_ecr/health") == {
            "status": "ok",
            "account_id": "111122223333",
            "region": "eu-west-1",
        }
        repository = server.client("ap-south-1").create_repository(repositoryName="app")["repository"]
        # the signed region wins over --region
        assert repository["repositoryUri"] == "111122223333.dkr.ecr.ap-south-1.amazonaws.com/app"
        state = get_json(server.url + "/_mock_ecr/state?region=ap-south-1")
        assert [r["name"] for r in state["repositories"]] == ["app"]
        # unsigned control calls use --region
        assert get_json(server.url + "/_mock_ecr/state")["registries"][0]["region"] == "ap-south-1"
        assert get_json(server.url + "/_mock_ecr/state?account_id=111122223333")["region"] == "eu-west-1"
    finally:
        assert server.stop() == 0


def test_the_account_comes_from_the_environment_without_the_option():
    server = ServerProcess(env={"MOCK_ECR_ACCOUNT_ID": "222233334444"})
    try:
        assert server.client().create_repository(repositoryName="app")["repository"]["registryId"] == "222233334444"
    finally:
        server.stop()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_it_with_exit_0(signum):
    server = ServerProcess()
    server.process.send_signal(signum)
    assert server.process.wait(20) == 0
    port = urlsplit(server.url).port
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    server.stop()


def test_requests_in_flight_are_finished_before_it_exits():
    server = ServerProcess()
    parts = urlsplit(server.url)
    body = json.dumps({"operation": "PutImage", "code": "ThrottlingException"}).encode()
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    # the headers and half the body, then the signal, then the rest
    sock.sendall(
        b"POST /_mock_ecr/faults HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body) + body[:10]
    )
    time.sleep(0.3)
    server.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    sock.sendall(body[10:])
    answer = b""
    while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        answer += chunk
    sock.close()
    assert answer.startswith(b"HTTP/1.1 200 "), answer
    assert b'"operation": "PutImage"' in answer
    assert server.stop() == 0


def test_a_host_beyond_loopback_gets_a_warning():
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_ecr", "serve", "--host", "0.0.0.0", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("mock_ecr listening on http://0.0.0.0:")
        process.terminate()
        assert process.wait(20) == 0
        warning = process.stderr.read()
        assert "warning" in warning and "anyone who can reach port" in warning and "read and change" in warning
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        process.stdout.close()
        process.stderr.close()


def test_loopback_prints_no_warning(server_process):
    server_process.process.terminate()
    assert server_process.process.wait(20) == 0
    assert server_process.process.stderr.read() == ""


@pytest.mark.parametrize(
    ("args", "wanted"),
    [
        (["--account-id", "12"], "--account-id must be 12 digits"),
        (["--port", "70000"], "--port must be 0 to 65535"),
    ],
)
def test_bad_options_exit_2_with_a_reason(args, wanted):
    done = subprocess.run(
        [sys.executable, "-m", "mock_ecr", "serve", *args], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.returncode == 2
    assert wanted in done.stderr
    assert done.stdout == ""


def test_a_port_in_use_is_refused_with_exit_1():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "mock_ecr", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr


def test_the_console_script_is_mock_ecr():
    scripts = re.search(r"\[project\.scripts\]\n(.*?)(?:\n\[|\Z)", (ROOT / "pyproject.toml").read_text(), re.DOTALL)
    assert scripts is not None
    declared = dict(re.findall(r'^([\w-]+) = "([^"]+)"$', scripts.group(1), re.MULTILINE))
    assert declared == {"mock-ecr": "mock_ecr.transports.server.cli:main"}
    try:
        installed = {e.name: e.value for e in metadata.entry_points(group="console_scripts")}
    except Exception:  # pragma: no cover
        installed = {}
    if "mock-ecr" in installed:  # installed (as CI does): the installed script is the same entry
        assert installed["mock-ecr"] == declared["mock-ecr"]
