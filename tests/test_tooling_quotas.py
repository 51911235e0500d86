"""Service quotas: AWS's documented defaults, ``mock_ecr(quotas=...)``, and what exceeding one answers."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from mock_ecr import mock_ecr
from mock_ecr.domain.quotas import MIB, Quotas

from .ecr_helpers import push_image as push_through_api

NO_RETRIES = Config(retries={"total_max_attempts": 1})
POLICY = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]})


def _client(**config):
    return boto3.client("ecr", region_name="us-east-1", config=NO_RETRIES.merge(Config(**config)))


def _error(info: pytest.ExceptionInfo) -> tuple[str, str, int]:
    response = info.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_defaults_are_the_documented_quotas():
    assert Quotas().values() == {
        "repositories_per_registry": 100_000,
        "images_per_repository": 100_000,
        "tags_per_resource": 50,
        "layer_parts_per_upload": 4_200,
        "min_layer_part_size": 5 * MIB,
        "max_layer_part_size": 10 * MIB,
        "lifecycle_policy_length": 30_720,
        "repository_policy_length": 10_240,
        "repository_creation_templates_per_registry": 50,
        "pull_through_cache_rules_per_registry": 50,
        "pull_time_update_exclusions_per_registry": 100,
    }


def test_bad_quota_settings_fail_when_the_mock_is_made():
    with pytest.raises(ValueError, match="unknown quota 'repositories'"):
        mock_ecr(quotas={"repositories": 3})
    with pytest.raises(ValueError, match="non-negative int"):
        mock_ecr(quotas={"images_per_repository": -1})
    with pytest.raises(ValueError, match="non-negative int"):
        mock_ecr(quotas={"images_per_repository": "3"})


def test_create_repository_limit():
    with mock_ecr(quotas={"repositories_per_registry": 2}):
        ecr = _client()
        ecr.create_repository(repositoryName="one")
        ecr.create_repository(repositoryName="two")
        with pytest.raises(ClientError) as info:
            ecr.create_repository(repositoryName="three")
        assert _error(info) == (
            "LimitExceededException",
            "The operation did not succeed because it would cause a service limit to be exceeded. "
            "Repositories per registry: 2",
            400,
        )
        # the quota is per registry: another region has its own
        boto3.client("ecr", region_name="eu-west-1").create_repository(repositoryName="three")


def test_put_image_limit():
    with mock_ecr(quotas={"images_per_repository": 1}) as m:
        m.push_image("app", "v1")
        ecr = _client()
        with pytest.raises(ClientError) as info:  # the blobs upload; PutImage is refused
            push_through_api(ecr, "app", tag="v2", layers=[b"another layer"])
        assert _error(info) == (
            "LimitExceededException",
            "The repository with name 'app' in registry with id '123456789012' already has the maximum allowed "
            "number of images which is '1'",
            400,
        )
        assert ecr.describe_images(repositoryName="app")["imageDetails"][0]["imageTags"] == ["v1"]


def test_upload_layer_part_limit():
    with mock_ecr(quotas={"layer_parts_per_upload": 2}):
        ecr = _client()
        ecr.create_repository(repositoryName="app")
        upload_id = ecr.initiate_layer_upload(repositoryName="app")["uploadId"]
        for first in (0, 1):
            ecr.upload_layer_part(
                repositoryName="app", uploadId=upload_id, partFirstByte=first, partLastByte=first, layerPartBlob=b"x"
            )
        with pytest.raises(ClientError) as info:
            ecr.upload_layer_part(
                repositoryName="app", uploadId=upload_id, partFirstByte=2, partLastByte=2, layerPartBlob=b"x"
            )
        assert _error(info) == (
            "LimitExceededException",
            "The operation did not succeed because it would cause a service limit to be exceeded. Layer parts: 2",
            400,
        )


def test_tags_per_resource_on_create_and_tag_resource():
    with mock_ecr(quotas={"tags_per_resource": 2}):
        ecr = _client()
        tags = [{"Key": f"k{n}", "Value": "v"} for n in range(3)]
        with pytest.raises(ClientError) as info:
            ecr.create_repository(repositoryName="app", tags=tags)
        assert _error(info)[0] == "TooManyTagsException"
        arn = ecr.create_repository(repositoryName="app", tags=tags[:2])["repository"]["repositoryArn"]
        with pytest.raises(ClientError) as info:
            ecr.tag_resource(resourceArn=arn, tags=tags[2:])
        assert _error(info)[0] == "TooManyTagsException"


def test_repository_policy_length():
    with mock_ecr(quotas={"repository_policy_length": len(POLICY) - 1}):
        ecr = _client()
        ecr.create_repository(repositoryName="app")
        with pytest.raises(ClientError) as info:
            ecr.set_repository_policy(repositoryName="app", policyText=POLICY)
        assert _error(info) == (
            "InvalidParameterException",
            "Invalid parameter at 'policyText' failed to satisfy constraint: "
            f"'Member must have length less than or equal to {len(POLICY) - 1}'",
            400,
        )


def test_quotas_can_change_while_active(ecr_mock, ecr_client):
    ecr_mock.quotas.update({"repositories_per_registry": 1})
    ecr_client.create_repository(repositoryName="one")
    with pytest.raises(ClientError):
        ecr_client.create_repository(repositoryName="two")
    ecr_mock.quotas.repositories_per_registry = 2
    ecr_client.create_repository(repositoryName="two")


def test_an_inner_mock_quotas_apply_while_it_is_active():
    with mock_ecr(quotas={"repositories_per_registry": 5, "images_per_repository": 7}) as outer:
        assert (outer.quotas.repositories_per_registry, outer.quotas.images_per_repository) == (5, 7)
        with mock_ecr(quotas={"repositories_per_registry": 1}) as inner:
            assert inner.quotas is outer.quotas  # one activation, one set of quotas
            assert (outer.quotas.repositories_per_registry, outer.quotas.images_per_repository) == (1, 7)
            with mock_ecr():  # a mock without quotas changes none
                assert outer.quotas.repositories_per_registry == 1
        assert (outer.quotas.repositories_per_registry, outer.quotas.images_per_repository) == (5, 7)
    with mock_ecr() as fresh:
        assert fresh.quotas.values() == Quotas().values()


def test_decorated_tests_get_the_quotas_each_time():
    calls = []

    @mock_ecr(quotas={"repositories_per_registry": 1})
    def test():
        ecr = _client()
        ecr.create_repository(repositoryName="one")
        with pytest.raises(ClientError):
            ecr.create_repository(repositoryName="two")
        calls.append(1)

    test()
    test()
    assert calls == [1, 1]


def test_reset_restores_configured_quotas():
    with mock_ecr(quotas={"repositories_per_registry": 3}) as m:
        m.quotas.repositories_per_registry = 10
        m.reset()
        assert m.quotas.repositories_per_registry == 3


def test_push_image_respects_quotas():
    from mock_ecr.errors import LimitExceededException

    with mock_ecr(quotas={"images_per_repository": 1}) as m:
        m.push_image("app", "v1")
        with pytest.raises(LimitExceededException):
            m.push_image("app", "v2")


def test_lifecycle_policy_length_quota():
    rule = {
        "rulePriority": 1,
        "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
        "action": {"type": "expire"},
    }
    text = json.dumps({"rules": [rule]}, indent=4)
    with mock_ecr(quotas={"lifecycle_policy_length": len(text) - 1}):
        ecr = _client()
        ecr.create_repository(repositoryName="app")
        for call in (ecr.put_lifecycle_policy, ecr.start_lifecycle_policy_preview):
            with pytest.raises(ClientError) as info:
                call(repositoryName="app", lifecyclePolicyText=text)
            assert _error(info) == (
                "InvalidParameterException",
                "Invalid parameter at 'lifecyclePolicyText' failed to satisfy constraint: "
                f"'Member must have length less than or equal to {len(text) - 1}'",
                400,
            )
        with pytest.raises(ClientError) as info:
            ecr.get_lifecycle_policy(repositoryName="app")
        assert _error(info)[0] == "LifecyclePolicyNotFoundException"
