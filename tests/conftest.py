"""Shared fixtures for mock_ecr's own tests."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config

# the shared error-matrix check asserts for the test modules that use it: show its values on failure
pytest.register_assert_rewrite("tests.error_matrix_kit")


@pytest.fixture
def raw_bodies(ecr_client):
    """The JSON bodies exactly as the mock put them on the 'wire' for ``ecr_client``."""
    bodies: list[tuple[str, bytes]] = []

    def capture(response_dict, operation_model, **_):
        bodies.append((operation_model.name, response_dict["body"]))

    ecr_client.meta.events.register("before-parse.ecr.*", capture)
    return bodies


@pytest.fixture
def unvalidated(ecr_mock):
    """A client that sends what it is given, so the server-side checks are what answers."""
    return boto3.client("ecr", region_name="us-east-1", config=Config(parameter_validation=False))


@pytest.fixture(autouse=True, scope="session")
def _strict_output_shapes():
    """Every result any test receives is checked against botocore's output shape."""
    from mock_ecr.wire import output

    output.enable()
    yield
    output.enable(False)
