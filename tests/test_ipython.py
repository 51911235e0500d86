"""``%load_ext mock_ecr`` in a real IPython shell (run in a child process: a shell is global)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SESSION = textwrap.dedent(
    """
    import json, os
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    seen = {}

    def run(cell):
        result = shell.run_cell(cell)
        assert result.success, (cell, result.error_in_exec or result.error_before_exec)
        return result.result

    os.environ["AWS_ACCESS_KEY_ID"] = "real-looking-key"
    run("%load_ext mock_ecr")
    first = shell.user_ns["ecr_mock"]
    seen["active_after_load"] = first.active
    run("import boto3\\necr = boto3.client('ecr', region_name='eu-west-1')")
    run("ecr.create_repository(repositoryName='notebook')")
    seen["key_while_loaded"] = os.environ["AWS_ACCESS_KEY_ID"]
    seen["repr"] = repr(run("ecr_mock"))
    seen["html"] = shell.display_formatter.format(run("ecr_mock.state(region='eu-west-1')"))[0].get("text/html", "")
    run("%load_ext mock_ecr")  # IPython says it is loaded; the mock keeps its state
    seen["same_mock_after_second_load"] = shell.user_ns["ecr_mock"] is first
    seen["repositories"] = [r["repositoryName"] for r in run("ecr.describe_repositories()")["repositories"]]
    run("%unload_ext mock_ecr")
    seen["active_after_unload"] = first.active
    seen["name_after_unload"] = "ecr_mock" in shell.user_ns
    seen["key_after_unload"] = os.environ["AWS_ACCESS_KEY_ID"]
    run("%load_ext mock_ecr")
    seen["fresh_after_reload"] = shell.user_ns["ecr_mock"] is not first
    seen["repositories_after_reload"] = run("ecr.describe_repositories()")["repositories"]
    run("%unload_ext mock_ecr")
    print("RESULT" + json.dumps(seen))
    """
)


def test_load_ext_mocks_ecr_for_the_session_and_unload_stops_it():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", SESSION], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.split("RESULT", 1)[1])
    assert "ECR is mocked for this session as ecr_mock" in done.stdout
    assert seen.pop("html").startswith("<table>")
    assert seen == {
        "active_after_load": True,
        "key_while_loaded": "AKIAMOCKECRTESTING00",
        "repr": "<MockECR active, account 123456789012, region us-east-1: 1 registry, 1 repository, 0 images, 1 call>",
        "same_mock_after_second_load": True,
        "repositories": ["notebook"],
        "active_after_unload": False,
        "name_after_unload": False,
        "key_after_unload": "real-looking-key",
        "fresh_after_reload": True,
        "repositories_after_reload": [],
    }
