"""Servers run as their own process, for the tests that need one."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = {"aws_access_key_id": "AKIASERVERTEST000000", "aws_secret_access_key": "server-test-secret"}


class ServerProcess:
    """``python -m mock_ecr serve`` in a child process; ``url`` once it said it listens."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        child_env = {**os.environ, "PYTHONPATH": path}
        child_env.update(env or {})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mock_ecr", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env,
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        self.first_line = self.process.stdout.readline().rstrip("\n")
        if not self.first_line.startswith("mock_ecr listening on "):
            self.process.kill()
            raise RuntimeError(f"server did not start: {self.first_line!r} {self.process.stderr.read()!r}")  # type: ignore[union-attr]
        self.url = self.first_line.rsplit(" ", 1)[1]

    def client(self, region: str = "us-east-1", **config: Any) -> Any:
        return boto3.client(
            "ecr",
            endpoint_url=self.url,
            region_name=region,
            **CREDENTIALS,
            config=Config(retries={"total_max_attempts": 1}, **config),
        )

    def stop(self, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            return self.process.wait(timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()


@pytest.fixture
def server_process() -> Iterator[ServerProcess]:
    server = ServerProcess()
    yield server
    server.stop()
