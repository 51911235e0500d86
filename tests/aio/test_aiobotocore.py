"""aiobotocore and aioboto3 clients are answered in-process, exactly as botocore clients are.

Runs where aiobotocore is installed (``pip install -e '.[test,aio]'``; ``.ci/run`` keeps an
environment for it, since aiobotocore pins an older botocore than the newest).
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

aiobotocore_session = pytest.importorskip("aiobotocore.session")

from botocore.exceptions import BotoCoreError, ClientError  # noqa: E402

from mock_ecr import mock_ecr  # noqa: E402
from mock_ecr.api.handlers import HANDLERS  # noqa: E402
from mock_ecr.transports.botocore import MockECRStoppedError  # noqa: E402
from mock_ecr.transports.inprocess import FAKE_CREDENTIALS  # noqa: E402

from ..scenario import run_every_operation  # noqa: E402

FAKE_KEY = FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"]
REAL_KEY = "AKIAIOSFODNN7EXAMPLE"


class _Sync:
    """An aiobotocore client driven from synchronous code (the shared scenario), one loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, client: Any) -> None:
        self._loop, self._client = loop, client
        self.meta = client.meta
        self.missing: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name, None)
        if method is None:  # an operation this (older) botocore model does not have
            self.missing.add(name)
            return lambda **_: {}
        return lambda **kwargs: self._loop.run_until_complete(method(**kwargs))


@pytest.fixture
def no_network(monkeypatch):
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("the network is forbidden in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_every_implemented_operation_through_aiobotocore_without_the_network(no_network):
    loop = asyncio.new_event_loop()
    try:
        with mock_ecr() as m:
            context = aiobotocore_session.get_session().create_client("ecr", region_name="us-east-1")
            client = loop.run_until_complete(context.__aenter__())
            try:
                sync = _Sync(loop, client)
                run_every_operation(sync)
            finally:
                loop.run_until_complete(context.__aexit__(None, None, None))
            answered = {call.operation for call in m.calls}
    finally:
        loop.close()
    available = set(client.meta.service_model.operation_names)
    assert answered == set(HANDLERS) & available
    assert no_network == []


def _authorizations(client: Any) -> list[str]:
    seen: list[str] = []

    def capture(request: Any, **_: Any) -> None:
        value = request.headers["Authorization"]
        seen.append(value.decode() if isinstance(value, bytes) else value)

    client.meta.events.register("before-send.ecr", capture)
    return seen


@pytest.mark.asyncio
async def test_real_looking_credentials_never_sign(monkeypatch, no_network):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", REAL_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    session = aiobotocore_session.get_session()
    async with session.create_client("ecr", region_name="us-east-1") as before:  # made before the mock
        seen_before = _authorizations(before)
        with mock_ecr():
            async with session.create_client("ecr", region_name="us-east-1") as under:
                seen_under = _authorizations(under)
                await before.describe_repositories()
                await under.get_authorization_token()
    assert seen_before and seen_under
    assert all(f"Credential={FAKE_KEY}/" in value for value in seen_before + seen_under)
    assert not any(REAL_KEY in value for value in seen_before + seen_under)
    assert no_network == []


@pytest.mark.asyncio
async def test_errors_are_client_errors_with_code_message_and_status():
    with mock_ecr():
        async with aiobotocore_session.get_session().create_client("ecr", region_name="us-east-1") as client:
            with pytest.raises(ClientError) as raised:
                await client.describe_repositories(repositoryNames=["missing"])
            with pytest.raises(client.exceptions.RepositoryNotFoundException):
                await client.delete_repository(repositoryName="missing")
    error = raised.value.response
    assert error["Error"]["Code"] == "RepositoryNotFoundException"
    assert error["Error"]["Message"] == (
        "The repository with name 'missing' does not exist in the registry with id '123456789012'"
    )
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.asyncio
async def test_retries_paginators_and_waiters():
    with mock_ecr() as m:
        async with aiobotocore_session.get_session().create_client("ecr", region_name="us-east-1") as client:
            m.inject_error("CreateRepository", "ThrottlingException", count=2)
            created = await client.create_repository(repositoryName="r0")
            assert created["ResponseMetadata"]["RetryAttempts"] == 2
            for number in range(1, 5):
                await client.create_repository(repositoryName=f"r{number}")
            pages = [
                page
                async for page in client.get_paginator("describe_repositories").paginate(
                    PaginationConfig={"PageSize": 2}
                )
            ]
            assert [len(page["repositories"]) for page in pages] == [2, 2, 1]
            await client.put_lifecycle_policy(
                repositoryName="r0",
                lifecyclePolicyText=(
                    '{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan",'
                    '"countNumber":1},"action":{"type":"expire"}}]}'
                ),
            )
            await client.start_lifecycle_policy_preview(repositoryName="r0")
            await client.get_waiter("lifecycle_policy_preview_complete").wait(
                repositoryName="r0", WaiterConfig={"Delay": 0, "MaxAttempts": 3}
            )
    assert [call.operation for call in m.calls][:3] == ["CreateRepository"] * 3


@pytest.mark.asyncio
async def test_aioboto3_clients():
    aioboto3 = pytest.importorskip("aioboto3")
    with mock_ecr() as m:
        async with aioboto3.Session().client("ecr", region_name="eu-west-1") as client:
            await client.create_repository(repositoryName="from-aioboto3")
        assert list(m.state(region="eu-west-1").repositories) == ["from-aioboto3"]


@pytest.mark.asyncio
async def test_a_call_in_a_retry_back_off_when_the_mock_stops_is_not_sent(no_network):
    mock = mock_ecr().start()
    try:
        async with aiobotocore_session.get_session().create_client("ecr", region_name="us-east-1") as client:
            mock.inject_error("DescribeRepositories", "ThrottlingException", count=1)

            def stop(attempts: int, **_: Any) -> None:
                if attempts == 1 and mock.active:
                    mock.stop()

            client.meta.events.register("needs-retry.ecr.DescribeRepositories", stop)
            with pytest.raises(MockECRStoppedError) as raised:
                await client.describe_repositories()
    finally:
        if mock.active:
            mock.stop()
    assert isinstance(raised.value, BotoCoreError)
    assert no_network == []


def test_aiobotocore_imported_after_the_mock_started():
    """A fresh process: the mock starts, then aiobotocore is imported and used."""
    script = textwrap.dedent("""
        import asyncio, sys
        from mock_ecr import mock_ecr
        assert "aiobotocore" not in sys.modules
        with mock_ecr() as m:
            import aiobotocore.session

            async def main():
                async with aiobotocore.session.get_session().create_client("ecr", region_name="us-east-1") as c:
                    await c.create_repository(repositoryName="late")
            asyncio.run(main())
            assert list(m.state().repositories) == ["late"]
        print("ok")
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert result.stdout.strip() == "ok", result.stderr


def test_mock_ecr_imports_without_aiobotocore():
    script = textwrap.dedent("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("aiobotocore", "aioboto3"):
                    raise ImportError("not installed here")
        sys.meta_path.insert(0, Block())
        import boto3
        from mock_ecr import mock_ecr
        with mock_ecr():
            boto3.client("ecr", region_name="us-east-1").create_repository(repositoryName="sync")
        assert "aiobotocore" not in sys.modules
        print("ok")
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert result.stdout.strip() == "ok", result.stderr


@pytest.mark.asyncio
async def test_the_readme_async_example_as_written():
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = text[text.index("## Async clients") :]
    section = section[: section.index("\n## ")]
    (block,) = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    namespace: dict[str, Any] = {}
    exec(compile(block, "README.md", "exec"), namespace)
    await namespace["test_async_push"]()
