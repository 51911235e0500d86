"""The README's server-mode examples, executed as written (the shell ones on a free port)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import boto3

from mock_ecr import mock_ecr

from .conftest import ROOT
from .test_awscli import aws_cli

README = ROOT / "README.md"


def _section() -> str:
    text = README.read_text()
    start = text.index("## Server mode")
    return text[start : text.index("\n## ", start + 1)]


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", _section(), flags=re.DOTALL)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_section_has_shell_python_and_javascript_examples():
    assert len(_blocks("sh")) == 2 and len(_blocks("python")) == 2 and len(_blocks("javascript")) == 1


def test_the_shell_examples_run_as_one_session(tmp_path):
    port = str(_free_port())
    script = "set -euo pipefail\n" + "\n".join(_blocks("sh")).replace("5000", port)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    (bin_dir / "aws").symlink_to(Path(aws_cli()).resolve() if os.sep in aws_cli() else Path(aws_cli()))
    env = {
        "PATH": os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")]),
        "HOME": str(tmp_path),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert out.startswith(f"mock_ecr listening on http://127.0.0.1:{port}\n")
    assert '"status": "ok"' in out
    assert "123456789012.dkr.ecr.us-east-1.amazonaws.com/app\n" in out  # describe-repositories --query
    assert "refused, as injected" in out and "AccessDeniedException" in done.stderr
    assert '"error_code": "AccessDeniedException"' in out  # the call log shows the refused call
    assert '"name": "app"' in out  # the state
    assert "Traceback" not in done.stderr


def test_the_python_examples_run():
    for block in _blocks("python"):
        namespace: dict = {}
        exec(compile(block, str(README), "exec"), namespace)
        for name, value in list(namespace.items()):
            if not (name.startswith("test") and callable(value)):
                continue
            arguments = value.__code__.co_varnames[: value.__code__.co_argcount]
            with mock_ecr() as mock:
                server = mock.serve()
                fixtures = {
                    "ecr_mock": mock,
                    "ecr_client": boto3.client("ecr", region_name="us-east-1"),
                    "ecr_server": server,
                }
                value(*(fixtures[argument] for argument in arguments))
