"""Shared fixtures for mock_ecr's own tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def raw_bodies(ecr_client):
    """The JSON bodies exactly as the mock put them on the 'wire' for ``ecr_client``."""
    bodies: list[tuple[str, bytes]] = []

    def capture(response_dict, operation_model, **_):
        bodies.append((operation_model.name, response_dict["body"]))

    ecr_client.meta.events.register("before-parse.ecr.*", capture)
    return bodies
