"""Create on push: a CREATE_ON_PUSH creation template lets a push create its repository."""

from __future__ import annotations

import json

import boto3
import pytest

from mock_ecr import mock_ecr

from .ecr_helpers import digest_of, push_image

ACCOUNT = "123456789012"
POLICY = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]})
LIFECYCLE = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 5},
                "action": {"type": "expire"},
            }
        ]
    }
)


def _template(client, prefix="team", applied_for=("CREATE_ON_PUSH",), **settings):
    client.create_repository_creation_template(prefix=prefix, appliedFor=list(applied_for), **settings)


def test_a_push_creates_the_repository_with_the_templates_settings(ecr_client):
    _template(
        ecr_client,
        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "dev*"}],
        encryptionConfiguration={"encryptionType": "KMS", "kmsKey": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k"},
        resourceTags=[{"Key": "team", "Value": "a"}],
        repositoryPolicy=POLICY,
        lifecyclePolicy=LIFECYCLE,
    )
    pushed = push_image(ecr_client, "team/app", tag="v1")
    repository = ecr_client.describe_repositories(repositoryNames=["team/app"])["repositories"][0]
    assert repository["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert repository["imageTagMutabilityExclusionFilters"] == [{"filterType": "WILDCARD", "filter": "dev*"}]
    assert repository["encryptionConfiguration"] == {
        "encryptionType": "KMS",
        "kmsKey": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k",
    }
    assert ecr_client.list_tags_for_resource(resourceArn=repository["repositoryArn"])["tags"] == [
        {"Key": "team", "Value": "a"}
    ]
    assert json.loads(ecr_client.get_repository_policy(repositoryName="team/app")["policyText"]) == json.loads(POLICY)
    assert ecr_client.get_lifecycle_policy(repositoryName="team/app")["lifecyclePolicyText"] == LIFECYCLE
    images = ecr_client.describe_images(repositoryName="team/app")["imageDetails"]
    assert [image["imageDigest"] for image in images] == [digest_of(pushed.manifest.encode())]
    with pytest.raises(ecr_client.exceptions.ImageTagAlreadyExistsException):  # the template's mutability holds
        push_image(ecr_client, "team/app", tag="v1", layers=[b"other"])


@pytest.mark.parametrize("first", ["initiate_layer_upload", "batch_check_layer_availability", "put_image"])
def test_each_first_call_of_a_push_creates_it(ecr_client, first):
    _template(ecr_client, prefix="ROOT")
    calls = {
        "initiate_layer_upload": lambda: ecr_client.initiate_layer_upload(repositoryName="app"),
        "batch_check_layer_availability": lambda: ecr_client.batch_check_layer_availability(
            repositoryName="app", layerDigests=["sha256:" + "a" * 64]
        ),
        "put_image": lambda: ecr_client.put_image(
            repositoryName="app",
            imageManifest=json.dumps(
                {
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.index.v1+json",
                    "manifests": [],
                }
            ),
            imageTag="empty",
        ),
    }
    calls[first]()
    assert [r["repositoryName"] for r in ecr_client.describe_repositories()["repositories"]] == ["app"]


def test_without_a_matching_template_a_push_is_refused(ecr_client):
    _template(ecr_client, prefix="team")
    _template(ecr_client, prefix="other", applied_for=("PULL_THROUGH_CACHE", "REPLICATION"))
    for name in ("teams/app", "other/app", "app"):
        with pytest.raises(ecr_client.exceptions.RepositoryNotFoundException) as info:
            ecr_client.initiate_layer_upload(repositoryName=name)
        assert info.value.response["Error"]["Message"] == (
            f"The repository with name '{name}' does not exist in the registry with id '{ACCOUNT}'"
        )
    assert ecr_client.describe_repositories()["repositories"] == []


def test_the_longest_prefix_wins_and_root_covers_the_rest(ecr_client):
    _template(ecr_client, prefix="ROOT", imageTagMutability="IMMUTABLE")
    _template(ecr_client, prefix="team/dev", imageTagMutability="MUTABLE")
    ecr_client.initiate_layer_upload(repositoryName="team/dev/app")
    ecr_client.initiate_layer_upload(repositoryName="team/app")
    modes = {r["repositoryName"]: r["imageTagMutability"] for r in ecr_client.describe_repositories()["repositories"]}
    assert modes == {"team/dev/app": "MUTABLE", "team/app": "IMMUTABLE"}


def test_a_refused_first_call_leaves_no_repository(ecr_client):
    _template(ecr_client, prefix="ROOT")
    with pytest.raises(ecr_client.exceptions.InvalidParameterException):
        ecr_client.put_image(repositoryName="app", imageManifest="not a manifest", imageTag="v1")
    with pytest.raises(ecr_client.exceptions.LayersNotFoundException):
        ecr_client.put_image(
            repositoryName="app",
            imageManifest=json.dumps(
                {
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {
                        "mediaType": "application/vnd.oci.image.config.v1+json",
                        "digest": "sha256:" + "c" * 64,
                        "size": 2,
                    },
                    "layers": [],
                }
            ),
        )
    assert ecr_client.describe_repositories()["repositories"] == []


def test_the_repository_quota_applies():
    with mock_ecr(quotas={"repositories_per_registry": 1}):
        client = boto3.client("ecr", region_name="us-east-1")
        _template(client, prefix="ROOT")
        client.initiate_layer_upload(repositoryName="first")
        with pytest.raises(client.exceptions.LimitExceededException):
            client.initiate_layer_upload(repositoryName="second")
        assert [r["repositoryName"] for r in client.describe_repositories()["repositories"]] == ["first"]


def test_another_registrys_templates_are_its_own(ecr_client):
    """registryId addresses another account's registry, which has no template of the caller's."""
    _template(ecr_client, prefix="ROOT")
    with pytest.raises(ecr_client.exceptions.RepositoryNotFoundException):
        ecr_client.initiate_layer_upload(registryId="210987654321", repositoryName="app")
