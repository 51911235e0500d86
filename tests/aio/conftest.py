"""The async tests run in an environment with aiobotocore's (older) botocore."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _output_checked_in_the_main_environment_only():
    """The mock answers members of the newest ECR model, which an older botocore does not know
    (and ignores, as it would real ECR's); the strict output check runs in the main environment."""
    from mock_ecr.wire import output

    strict = output.strict
    output.enable(False)
    yield
    output.enable(strict)
