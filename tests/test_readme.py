"""The README holds its promises: every ``python`` block runs as written, and the table of
supported operations is the one the handler registry generates.

Each block is written to a file of its own and run by an inner pytest session with the
plugin's fixtures, so it gets a fresh namespace and only what it imports itself; its module
code runs at import, and every test it defines must pass. A block that is not meant to run
is preceded by ``<!-- not run: reason -->``; there are at most ``MAX_NOT_RUN`` of them.
botocore sleeps between retry attempts; the inner session patches ``time.sleep`` away (as
the README advises) and clears ``AWS_RETRY_MODE`` so the retry examples see botocore's
default mode.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import pytest

from mock_ecr.tooling import optable

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parent.parent / "README.md"
MAX_NOT_RUN = 3
BLOCK = re.compile(r"(?:<!-- not run: (?P<reason>.+?) -->\n)?^```python\n(?P<code>.*?)^```", re.S | re.M)

CONFTEST = """
import pytest


@pytest.fixture(autouse=True)
def _no_retry_sleep(monkeypatch):
    for name in ("AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("time.sleep", lambda seconds: None)
"""


class Block(NamedTuple):
    line: int
    code: str
    not_run: str | None


def blocks() -> list[Block]:
    text = README.read_text()
    return [
        Block(text.count("\n", 0, match.start("code")) + 1, match["code"], match["reason"])
        for match in BLOCK.finditer(text)
    ]


def test_readme_has_examples_and_few_are_left_unrun():
    found = blocks()
    assert len(found) >= 15
    assert sum(block.not_run is not None for block in found) <= MAX_NOT_RUN


@pytest.mark.parametrize("block", [b for b in blocks() if b.not_run is None], ids=lambda b: f"README.md:{b.line}")
def test_readme_block_runs_as_written(block, pytester, pytestconfig):
    pytester.makeconftest(CONFTEST)
    pytester.path.joinpath("test_readme_block.py").write_text("\n" * (block.line - 1) + block.code)
    plugin = [] if pytestconfig.pluginmanager.has_plugin("mock_ecr") else ["-p", "mock_ecr.pytest_plugin"]
    result = pytester.runpytest_inprocess(*plugin, "-p", "no:cacheprovider", "-q")
    outcomes = result.parseoutcomes()
    assert not outcomes.get("failed") and not outcomes.get("errors") and not outcomes.get("error"), (
        f"README.md:{block.line}\n" + str(result.stdout)
    )
    if re.search(r"^def test", block.code, re.M):
        assert result.ret == 0 and outcomes.get("passed", 0) >= 1, str(result.stdout)
    else:
        assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED, str(result.stdout)  # it ran at import


def test_operations_table_is_generated_from_the_handlers():
    text = README.read_text()
    assert optable.START in text and optable.END in text
    assert optable.replaced(text) == text, (
        "README.md's operations table differs from the handler registry; "
        "run: python -m mock_ecr.tooling.optable --write README.md"
    )
