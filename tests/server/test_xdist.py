"""pytest-xdist: workers given one server's URL share one registry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import urllib.request

from .conftest import ROOT

WORKER_TEST = textwrap.dedent("""
    import os

    import boto3


    def test_each_worker_pushes_through_the_shared_server():
        worker = os.environ["PYTEST_XDIST_WORKER"]
        client = boto3.client("ecr", endpoint_url=os.environ["ECR_URL"], region_name="us-east-1",
                              aws_access_key_id="AKIAXDISTTEST0000000", aws_secret_access_key="x")
        client.create_repository(repositoryName=f"from/{worker}")
        names = {r["repositoryName"] for r in client.describe_repositories()["repositories"]}
        assert f"from/{worker}" in names
""")


def test_two_workers_share_one_registry(server_process, tmp_path):
    (tmp_path / "test_shared.py").write_text(WORKER_TEST)
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "ECR_URL": server_process.url, "PYTHONPATH": path}
    env.pop("PYTEST_XDIST_WORKER", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "xdist",
            "-n",
            "2",
            "--dist",
            "each",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:mock_ecr",
            str(tmp_path / "test_shared.py"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
    with urllib.request.urlopen(server_process.url + "/_mock_ecr/state?region=us-east-1", timeout=10) as response:
        names = sorted(r["name"] for r in json.loads(response.read())["repositories"])
    assert names == ["from/gw0", "from/gw1"]  # both workers' repositories, in the one registry
