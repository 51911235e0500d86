"""PutImageTagMutability and PutImageScanningConfiguration change what CreateRepository set."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .ecr_helpers import push_image, put_manifest
from .shape_check import check_output

ACCOUNT = "123456789012"
DEV = [{"filterType": "WILDCARD", "filter": "dev-*"}]


def _error(info):
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


@pytest.fixture
def repo(ecr_client):
    ecr_client.create_repository(repositoryName="app")
    return "app"


def _describe(client, name="app"):
    return client.describe_repositories(repositoryNames=[name])["repositories"][0]


def test_immutable_takes_effect_for_the_next_tag_move(ecr_client, repo, raw_bodies):
    first = push_image(ecr_client, repo, tag="v1")
    answer = ecr_client.put_image_tag_mutability(repositoryName=repo, imageTagMutability="IMMUTABLE")
    answer.pop("ResponseMetadata")
    assert answer == {"registryId": ACCOUNT, "repositoryName": repo, "imageTagMutability": "IMMUTABLE"}
    assert _describe(ecr_client)["imageTagMutability"] == "IMMUTABLE"
    second = push_image(ecr_client, repo, layers=[b"other layer"])
    with pytest.raises(ClientError) as info:
        put_manifest(ecr_client, repo, second.manifest, tag="v1")
    assert _error(info) == (
        "ImageTagAlreadyExistsException",
        "The image tag 'v1' already exists in the 'app' repository and cannot be overwritten because the tag is "
        "immutable.",
    )
    ecr_client.put_image_tag_mutability(repositoryName=repo, imageTagMutability="MUTABLE")
    put_manifest(ecr_client, repo, second.manifest, tag="v1")
    tagged = ecr_client.describe_images(repositoryName=repo, imageIds=[{"imageTag": "v1"}])["imageDetails"][0]
    assert tagged["imageDigest"] == second.digest != first.digest
    for operation, body in raw_bodies:
        if operation == "PutImageTagMutability":
            check_output(operation, body)


@pytest.mark.parametrize(
    ("mode", "moves_dev", "moves_release"),
    [("IMMUTABLE_WITH_EXCLUSION", True, False), ("MUTABLE_WITH_EXCLUSION", False, True)],
)
def test_exclusion_modes(ecr_client, repo, mode, moves_dev, moves_release):
    answer = ecr_client.put_image_tag_mutability(
        repositoryName=repo, imageTagMutability=mode, imageTagMutabilityExclusionFilters=DEV
    )
    assert answer["imageTagMutabilityExclusionFilters"] == DEV
    described = _describe(ecr_client)
    assert (described["imageTagMutability"], described["imageTagMutabilityExclusionFilters"]) == (mode, DEV)
    push_image(ecr_client, repo, tag="dev-1")
    push_image(ecr_client, repo, tag="release-1", layers=[b"second"])
    third = push_image(ecr_client, repo, layers=[b"third"])
    for tag, moves in (("dev-1", moves_dev), ("release-1", moves_release)):
        if moves:
            put_manifest(ecr_client, repo, third.manifest, tag=tag)
        else:
            with pytest.raises(ClientError) as info:
                put_manifest(ecr_client, repo, third.manifest, tag=tag)
            assert _error(info)[0] == "ImageTagAlreadyExistsException"


def test_back_to_plain_mode_drops_the_filters(ecr_client, repo):
    ecr_client.put_image_tag_mutability(
        repositoryName=repo, imageTagMutability="MUTABLE_WITH_EXCLUSION", imageTagMutabilityExclusionFilters=DEV
    )
    ecr_client.put_image_tag_mutability(repositoryName=repo, imageTagMutability="IMMUTABLE")
    assert "imageTagMutabilityExclusionFilters" not in _describe(ecr_client)


@pytest.mark.parametrize(
    "params",
    [
        {"imageTagMutability": "IMMUTABLE_WITH_EXCLUSION"},
        {"imageTagMutability": "IMMUTABLE", "imageTagMutabilityExclusionFilters": DEV},
    ],
)
def test_refused_settings_change_nothing(ecr_client, repo, params):
    with pytest.raises(ClientError) as info:
        ecr_client.put_image_tag_mutability(repositoryName=repo, **params)
    assert _error(info)[0] == "InvalidParameterException"
    assert _describe(ecr_client)["imageTagMutability"] == "MUTABLE"


def test_more_than_five_filters_are_refused(unvalidated, repo):
    filters = [{"filterType": "WILDCARD", "filter": f"f{i}*"} for i in range(6)]
    with pytest.raises(ClientError) as info:
        unvalidated.put_image_tag_mutability(
            repositoryName=repo,
            imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
            imageTagMutabilityExclusionFilters=filters,
        )
    assert _error(info)[0] == "InvalidParameterException"


def test_unknown_repository(ecr_client):
    with pytest.raises(ClientError) as info:
        ecr_client.put_image_tag_mutability(repositoryName="missing", imageTagMutability="IMMUTABLE")
    assert _error(info) == (
        "RepositoryNotFoundException",
        f"The repository with name 'missing' does not exist in the registry with id '{ACCOUNT}'",
    )
    with pytest.raises(ClientError) as info:
        ecr_client.put_image_scanning_configuration(
            repositoryName="missing", imageScanningConfiguration={"scanOnPush": True}
        )
    assert _error(info)[0] == "RepositoryNotFoundException"


def test_put_image_scanning_configuration(ecr_mock, ecr_client, repo):
    answer = ecr_client.put_image_scanning_configuration(
        repositoryName=repo, imageScanningConfiguration={"scanOnPush": True}
    )
    answer.pop("ResponseMetadata")
    assert answer == {"registryId": ACCOUNT, "repositoryName": repo, "imageScanningConfiguration": {"scanOnPush": True}}
    assert _describe(ecr_client)["imageScanningConfiguration"] == {"scanOnPush": True}
    assert ecr_mock.state().repository(repo).scan_on_push is True
