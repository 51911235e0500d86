"""Smoke test of the built wheel, installed alone in a clean virtual environment.

It uses only what a user gets from ``pip install mock-ecr boto3 pytest``: the fixtures
come from the plugin's entry point, with no conftest and no source tree on the path.
"""

import sys
from pathlib import Path

import boto3

import mock_ecr
from mock_ecr import MockECR
from mock_ecr import mock_ecr as mock_ecr_factory


def test_the_installed_wheel_is_what_runs():
    assert Path(mock_ecr.__file__).is_relative_to(Path(sys.prefix)), mock_ecr.__file__
    assert (Path(mock_ecr.__file__).parent / "py.typed").exists()


def test_fixtures_come_from_the_entry_point(ecr_mock, ecr_client):
    assert isinstance(ecr_mock, MockECR) and ecr_mock.active
    ecr_client.create_repository(repositoryName="smoke")
    pushed = ecr_mock.push_image("smoke", "v1")
    described = ecr_client.describe_images(repositoryName="smoke")["imageDetails"]
    assert [image["imageDigest"] for image in described] == [pushed.digest]
    assert ecr_mock.calls.operations() == ["CreateRepository", "DescribeImages"]


@mock_ecr_factory
def test_decorator_and_botocore_model_ship_with_the_wheel():
    ecr = boto3.client("ecr", region_name="eu-west-1")
    error = ecr.exceptions.RepositoryNotFoundException
    try:
        ecr.describe_repositories(repositoryNames=["missing"])
    except error as found:
        assert "does not exist in the registry with id '123456789012'" in str(found)
    else:
        raise AssertionError("DescribeRepositories of a missing repository succeeded")
