"""The README's usage examples, executed exactly as written there."""

from __future__ import annotations

import re
from pathlib import Path

import boto3

from mock_ecr import mock_ecr

README = Path(__file__).resolve().parent.parent / "README.md"


def _usage_blocks() -> list[str]:
    text = README.read_text()
    start = text.index("## Usage")
    end = text.index("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start:end], flags=re.DOTALL)


def test_usage_section_has_examples():
    assert len(_usage_blocks()) >= 4


def test_every_usage_example_runs():
    for block in _usage_blocks():
        namespace: dict = {}
        exec(compile(block, str(README), "exec"), namespace)
        for name, value in list(namespace.items()):
            if not (name.startswith("test") and callable(value)):
                continue
            arguments = value.__code__.co_varnames[: value.__code__.co_argcount]
            if not arguments:
                value()
                continue
            # the fixture example: hand it what the ecr_mock / ecr_client fixtures give
            with mock_ecr() as mock:
                fixtures = {"ecr_mock": mock, "ecr_client": boto3.client("ecr", region_name="us-east-1")}
                value(*(fixtures[argument] for argument in arguments))
