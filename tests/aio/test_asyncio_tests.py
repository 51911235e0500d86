"""The mock in pytest-asyncio tests: the fixture, and ``@mock_ecr`` on ``async def`` tests."""

from __future__ import annotations

import inspect

import boto3
import pytest

pytest.importorskip("pytest_asyncio")

from mock_ecr import mock_ecr  # noqa: E402


@pytest.mark.asyncio
async def test_the_fixture_in_an_async_test(ecr_mock):
    boto3.client("ecr", region_name="us-east-1").create_repository(repositoryName="async-fixture")
    assert list(ecr_mock.state().repositories) == ["async-fixture"]


@pytest.mark.asyncio
@mock_ecr
async def test_the_decorator_spans_the_whole_coroutine():
    import asyncio

    client = boto3.client("ecr", region_name="us-east-1")
    client.create_repository(repositoryName="before-await")
    await asyncio.sleep(0)
    assert [r["repositoryName"] for r in client.describe_repositories()["repositories"]] == ["before-await"]


def test_the_decorated_test_is_still_a_coroutine_function():
    @mock_ecr
    async def decorated() -> None:
        pass

    assert inspect.iscoroutinefunction(decorated)


@pytest.mark.asyncio
async def test_the_decorator_on_an_async_generator():
    @mock_ecr
    async def repositories():
        client = boto3.client("ecr", region_name="us-east-1")
        client.create_repository(repositoryName="gen")
        yield [r["repositoryName"] for r in client.describe_repositories()["repositories"]]

    assert [names async for names in repositories()] == [["gen"]]
