"""pytest fixtures, registered through the ``pytest11`` entry point (no conftest needed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .mock import MockECR


@pytest.fixture
def ecr_mock() -> Iterator[MockECR]:
    """An active mock_ecr for the test; the same object ``with mock_ecr() as m`` yields."""
    with MockECR() as mock:
        yield mock


@pytest.fixture
def ecr_client(ecr_mock: MockECR) -> Any:
    """A boto3 ECR client in us-east-1, answered by ``ecr_mock``."""
    try:
        import boto3
    except ImportError:
        pytest.fail(
            "the ecr_client fixture needs boto3, which is not installed: pip install boto3 "
            "(or use the ecr_mock fixture with a client of your own)",
            pytrace=False,
        )

    return boto3.client("ecr", region_name="us-east-1")


@pytest.fixture
def ecr_server(ecr_mock: MockECR) -> Iterator[Any]:
    """An HTTP server answering ``ecr_mock``'s state (``server.url``, ``.host``, ``.port``)."""
    server = ecr_mock.serve()
    yield server
    server.stop()
