"""Create/Describe/Update/DeleteRepositoryCreationTemplate and matching_template."""

from __future__ import annotations

import json
import threading

import boto3
import pytest
from botocore.exceptions import ClientError
from freezegun import freeze_time

from mock_ecr import mock_ecr
from mock_ecr.domain.templates import matching_template

from .shape_check import check_output

ACCOUNT = "123456789012"
POLICY = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}]})
LIFECYCLE = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 5},
                "action": {"type": "expire"},
            }
        ]
    }
)


def _error(info):
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def _create(client, prefix="prod", **params):
    params.setdefault("appliedFor", ["PULL_THROUGH_CACHE"])
    return client.create_repository_creation_template(prefix=prefix, **params)


def test_create_with_every_setting_round_trips(ecr_mock, ecr_client, raw_bodies):
    with freeze_time("2026-03-01T12:00:00Z"):
        created = _create(
            ecr_client,
            description="production images",
            encryptionConfiguration={"encryptionType": "KMS", "kmsKey": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/abc-1"},
            resourceTags=[{"Key": "team", "Value": "platform"}],
            imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
            imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "latest"}],
            repositoryPolicy=POLICY,
            lifecyclePolicy=LIFECYCLE,
            appliedFor=["REPLICATION", "PULL_THROUGH_CACHE", "CREATE_ON_PUSH"],
            customRoleArn=f"arn:aws:iam::{ACCOUNT}:role/ecr-templates",
        )
    template = created["repositoryCreationTemplate"]
    assert created["registryId"] == ACCOUNT
    assert template["prefix"] == "prod"
    assert template["repositoryPolicy"] == POLICY and template["lifecyclePolicy"] == LIFECYCLE
    assert template["appliedFor"] == ["REPLICATION", "PULL_THROUGH_CACHE", "CREATE_ON_PUSH"]
    assert template["createdAt"] == template["updatedAt"]
    described = ecr_client.describe_repository_creation_templates(prefixes=["prod"])
    assert described["repositoryCreationTemplates"] == [template]
    assert ecr_mock.state().templates["prod"]["description"] == "production images"
    for operation, body in raw_bodies:
        check_output(operation, body)


def test_defaults(ecr_client):
    template = _create(ecr_client, prefix="ROOT")["repositoryCreationTemplate"]
    assert template["encryptionConfiguration"] == {"encryptionType": "AES256"}
    assert template["imageTagMutability"] == "MUTABLE"
    assert template["resourceTags"] == []


def test_duplicate_prefix(ecr_client):
    _create(ecr_client)
    with pytest.raises(ClientError) as info:
        _create(ecr_client, prefix="prod/")
    assert _error(info)[0] == "TemplateAlreadyExistsException"
    assert len(ecr_client.describe_repository_creation_templates()["repositoryCreationTemplates"]) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"repositoryPolicy": "not a policy"},
        {"lifecyclePolicy": json.dumps({"rules": []})},
        {"imageTagMutability": "MUTABLE_WITH_EXCLUSION"},
        {"encryptionConfiguration": {"encryptionType": "AES256", "kmsKey": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/x"}},
        {"customRoleArn": "arn:aws:iam::999999999999:role/elsewhere"},
        {"customRoleArn": "not-an-arn"},
        {"appliedFor": []},
        {"resourceTags": [{"Key": "aws:reserved", "Value": "x"}]},
    ],
)
def test_invalid_templates_change_nothing(ecr_client, params):
    with pytest.raises(ClientError) as info:
        _create(ecr_client, **params)
    assert _error(info)[0] == "InvalidParameterException"
    assert ecr_client.describe_repository_creation_templates()["repositoryCreationTemplates"] == []


def test_update_changes_only_what_it_names(ecr_client):
    with freeze_time("2026-03-01T12:00:00Z"):
        _create(ecr_client, description="old", repositoryPolicy=POLICY)
    with freeze_time("2026-03-02T12:00:00Z"):
        updated = ecr_client.update_repository_creation_template(
            prefix="prod", description="new", appliedFor=["REPLICATION"]
        )["repositoryCreationTemplate"]
    assert (updated["description"], updated["appliedFor"], updated["repositoryPolicy"]) == (
        "new",
        ["REPLICATION"],
        POLICY,
    )
    assert updated["updatedAt"] > updated["createdAt"]


def test_update_validates_and_a_refused_update_changes_nothing(ecr_client):
    _create(ecr_client, description="kept")
    with pytest.raises(ClientError) as info:
        ecr_client.update_repository_creation_template(prefix="prod", description="lost", lifecyclePolicy="{")
    assert _error(info)[0] == "InvalidParameterException"
    template = ecr_client.describe_repository_creation_templates()["repositoryCreationTemplates"][0]
    assert template["description"] == "kept" and "lifecyclePolicy" not in template


def test_update_keeps_exclusion_filters_when_only_mode_repeats(ecr_client):
    filters = [{"filterType": "WILDCARD", "filter": "dev*"}]
    _create(ecr_client, imageTagMutability="IMMUTABLE_WITH_EXCLUSION", imageTagMutabilityExclusionFilters=filters)
    updated = ecr_client.update_repository_creation_template(prefix="prod", description="x")
    assert updated["repositoryCreationTemplate"]["imageTagMutabilityExclusionFilters"] == filters
    updated = ecr_client.update_repository_creation_template(prefix="prod", imageTagMutability="MUTABLE")
    assert "imageTagMutabilityExclusionFilters" not in updated["repositoryCreationTemplate"]


def test_missing_templates(ecr_client):
    for call in (ecr_client.update_repository_creation_template, ecr_client.delete_repository_creation_template):
        with pytest.raises(ClientError) as info:
            call(prefix="nope")
        assert _error(info) == (
            "TemplateNotFoundException",
            f"The repository creation template with prefix 'nope' does not exist in the registry with id '{ACCOUNT}'",
        )


def test_delete_returns_the_template(ecr_client):
    created = _create(ecr_client)["repositoryCreationTemplate"]
    assert ecr_client.delete_repository_creation_template(prefix="prod")["repositoryCreationTemplate"] == created
    assert ecr_client.describe_repository_creation_templates()["repositoryCreationTemplates"] == []


def test_describe_skips_unknown_prefixes_and_paginates(ecr_client):
    for prefix in ("a", "b", "c", "d", "ROOT"):
        _create(ecr_client, prefix=prefix)
    found = ecr_client.describe_repository_creation_templates(prefixes=["b", "zzz", "d"])
    assert [t["prefix"] for t in found["repositoryCreationTemplates"]] == ["b", "d"]
    pages = ecr_client.get_paginator("describe_repository_creation_templates").paginate(
        PaginationConfig={"PageSize": 2}
    )
    sizes = [len(page["repositoryCreationTemplates"]) for page in pages]
    assert sizes == [2, 2, 1]
    with pytest.raises(ClientError) as info:
        ecr_client.describe_repository_creation_templates(nextToken="garbage")
    assert _error(info)[0] == "InvalidParameterException"


def test_template_quota():
    with mock_ecr(quotas={"repository_creation_templates_per_registry": 2}):
        client = boto3.client("ecr", region_name="us-east-1")
        _create(client, prefix="a")
        _create(client, prefix="b")
        with pytest.raises(ClientError) as info:
            _create(client, prefix="c")
        assert _error(info)[0] == "LimitExceededException"
        assert len(client.describe_repository_creation_templates()["repositoryCreationTemplates"]) == 2


def test_matching_template_longest_prefix_then_root(ecr_mock, ecr_client):
    _create(ecr_client, prefix="prod", appliedFor=["PULL_THROUGH_CACHE", "REPLICATION"])
    _create(ecr_client, prefix="prod/team", appliedFor=["PULL_THROUGH_CACHE"])
    _create(ecr_client, prefix="ROOT", appliedFor=["PULL_THROUGH_CACHE", "CREATE_ON_PUSH"])
    store = ecr_mock.backend.store(ACCOUNT, "us-east-1")

    def prefix(name, applied_for="PULL_THROUGH_CACHE"):
        template = matching_template(store, name, applied_for)
        return template.prefix if template else None

    assert prefix("prod/team/app") == "prod/team"
    assert prefix("prod/other") == "prod"
    assert prefix("production/app") == "ROOT"  # a prefix always ends with an assumed "/"
    assert prefix("prod") == "ROOT"
    assert prefix("prod/team/app", "REPLICATION") == "prod"
    assert prefix("prod/app", "CREATE_ON_PUSH") == "ROOT"
    ecr_client.delete_repository_creation_template(prefix="ROOT")
    assert prefix("other/app") is None


def test_concurrent_creates_of_one_prefix_make_one_template(ecr_mock):
    codes: list[str] = []

    def create():
        try:
            _create(boto3.client("ecr", region_name="us-east-1"))
            codes.append("ok")
        except ClientError as error:
            codes.append(error.response["Error"]["Code"])

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == ["TemplateAlreadyExistsException"] * 7 + ["ok"]
