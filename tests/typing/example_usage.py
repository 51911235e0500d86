"""The public API as a typed user's suite writes it; CI checks this file with ``mypy --strict``.

Not collected by pytest (``tests/typing/`` holds no ``test_*.py``): it is read, not run.
``mistakes.py`` beside it holds one wrong use per API, each of which mypy must flag.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from mypy_boto3_ecr import ECRClient

import mock_ecr
from mock_ecr import (
    Call,
    CallLog,
    ECRError,
    ExpiredImage,
    Fault,
    ImageState,
    MockECR,
    PushedImage,
    RegistryState,
    RepositoryState,
    UploadState,
)


def client() -> ECRClient:
    return boto3.client("ecr", region_name="us-east-1")


@mock_ecr.mock_ecr
def test_decorated() -> None:
    client().create_repository(repositoryName="app")


@mock_ecr.mock_ecr(account_id="111122223333", quotas={"images_per_repository": 5})
def test_decorated_with_options() -> None:
    client().describe_repositories()


def context_manager() -> list[str]:
    with mock_ecr.mock_ecr() as m:
        client().create_repository(repositoryName="app")
        return m.calls.operations()


def start_stop() -> bool:
    m: MockECR = mock_ecr.mock_ecr().start()
    try:
        return m.active
    finally:
        m.stop()


@pytest.fixture
def seeded(ecr_mock: MockECR) -> Iterator[PushedImage]:
    yield ecr_mock.push_image("app", "v1", layers=[b"base", b"app"], media_type="oci")


def test_seeding_and_inspection(ecr_mock: MockECR, seeded: PushedImage) -> None:
    pushed: PushedImage = ecr_mock.push_image("app", layers=3, layer_size=64, region="us-east-1")
    digest: str = pushed.digest
    image_id: dict[str, str] = pushed.image_id
    state: RegistryState = ecr_mock.state(region="us-east-1")
    repository: RepositoryState = state.repository("app")
    image: ImageState = repository.image(digest)
    tags: tuple[str, ...] = image.tags
    uploads: tuple[UploadState, ...] = state.uploads
    everywhere: tuple[RegistryState, ...] = ecr_mock.registries()
    assert image_id and tags is not None and uploads == () and everywhere
    assert seeded.layer_digests == repository.image("v1").layer_digests


def test_calls_and_faults(ecr_mock: MockECR, ecr_client: ECRClient) -> None:
    fault: Fault = ecr_mock.inject_error("put_image", "ThrottlingException", count=2)
    chaos: Fault = ecr_mock.inject_error("*", "ServiceUnavailable", rate=0.1, seed=3)
    remaining: int | None = fault.remaining
    ecr_client.describe_repositories()
    calls: CallLog = ecr_mock.calls
    last: Call = calls.last("DescribeRepositories")
    failed: list[Call] = calls.filter(ok=False, error_code="ServiceUnavailable")
    code: str | None = last.error_code
    status: int = last.status
    assert remaining == 2 and chaos.active and (code is None or failed) and status
    ecr_mock.clear_errors()


def test_lifecycle(ecr_mock: MockECR) -> None:
    expired: list[ExpiredImage] = ecr_mock.apply_lifecycle_policies(repository_name=None)
    priorities: list[int] = [image.rule_priority for image in expired]
    assert priorities == []


def test_errors(ecr_mock: MockECR) -> None:
    with pytest.raises(ECRError) as error:
        ecr_mock.push_image("x")  # too short a name
    code: str = error.value.code
    assert code == "InvalidParameterException"


version: str = mock_ecr.__version__
