"""CreateRepository, DescribeRepositories, DeleteRepository and repository tags."""

from __future__ import annotations

import datetime as dt
import threading

import boto3
import pytest
from botocore.exceptions import ClientError
from freezegun import freeze_time

from mock_ecr import mock_ecr

ACCOUNT = "123456789012"
NAME_PATTERN = r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*"


def _error(info: pytest.ExceptionInfo) -> tuple[str, str, int]:
    error = info.value.response["Error"]
    return error["Code"], error["Message"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]


# -- CreateRepository -------------------------------------------------------------------


@freeze_time("2024-03-01 12:00:00")
def test_create_repository_shape(ecr_client):
    repo = ecr_client.create_repository(repositoryName="team/app")["repository"]
    assert repo == {
        "repositoryArn": f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/team/app",
        "registryId": ACCOUNT,
        "repositoryName": "team/app",
        "repositoryUri": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/team/app",
        "createdAt": dt.datetime(2024, 3, 1, 12, tzinfo=dt.timezone.utc),
        "imageTagMutability": "MUTABLE",
        "imageScanningConfiguration": {"scanOnPush": False},
        "encryptionConfiguration": {"encryptionType": "AES256"},
    }


def test_created_at_follows_freezegun(ecr_client):
    with freeze_time("2020-01-01"):
        first = ecr_client.create_repository(repositoryName="first")["repository"]["createdAt"]
    with freeze_time("2021-06-15 08:30:00"):
        second = ecr_client.create_repository(repositoryName="second")["repository"]["createdAt"]
    assert first == dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    assert second == dt.datetime(2021, 6, 15, 8, 30, tzinfo=dt.timezone.utc)


def test_create_with_optional_parameters(ecr_client):
    repo = ecr_client.create_repository(
        repositoryName="configured",
        tags=[{"Key": "team", "Value": "payments"}],
        imageTagMutability="IMMUTABLE",
        imageScanningConfiguration={"scanOnPush": True},
        encryptionConfiguration={"encryptionType": "KMS", "kmsKey": "arn:aws:kms:us-east-1:123456789012:key/abc"},
    )["repository"]
    assert repo["imageTagMutability"] == "IMMUTABLE"
    assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo["encryptionConfiguration"] == {
        "encryptionType": "KMS",
        "kmsKey": "arn:aws:kms:us-east-1:123456789012:key/abc",
    }
    described = ecr_client.describe_repositories(repositoryNames=["configured"])["repositories"][0]
    assert described == repo
    tags = ecr_client.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]
    assert tags == [{"Key": "team", "Value": "payments"}]


def test_kms_without_key_uses_the_accounts_managed_key(ecr_client):
    one = ecr_client.create_repository(repositoryName="kms-one", encryptionConfiguration={"encryptionType": "KMS"})
    two = ecr_client.create_repository(repositoryName="kms-two", encryptionConfiguration={"encryptionType": "KMS"})
    key = one["repository"]["encryptionConfiguration"]["kmsKey"]
    assert key.startswith(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/")
    assert two["repository"]["encryptionConfiguration"]["kmsKey"] == key


def test_aes256_with_kms_key_is_rejected(ecr_client):
    with pytest.raises(ClientError) as info:
        ecr_client.create_repository(
            repositoryName="bad-enc", encryptionConfiguration={"encryptionType": "AES256", "kmsKey": "k"}
        )
    assert _error(info)[0] == "InvalidParameterException"
    assert "kmsKey" in _error(info)[1]
    assert ecr_client.describe_repositories()["repositories"] == []


def test_mutability_exclusion_filters(ecr_client):
    filters = [{"filterType": "WILDCARD", "filter": "latest*"}]
    repo = ecr_client.create_repository(
        repositoryName="excl", imageTagMutability="IMMUTABLE_WITH_EXCLUSION", imageTagMutabilityExclusionFilters=filters
    )["repository"]
    assert repo["imageTagMutabilityExclusionFilters"] == filters
    with pytest.raises(ClientError) as info:
        ecr_client.create_repository(repositoryName="excl-missing", imageTagMutability="MUTABLE_WITH_EXCLUSION")
    assert _error(info)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as info:
        ecr_client.create_repository(
            repositoryName="excl-unwanted", imageTagMutability="MUTABLE", imageTagMutabilityExclusionFilters=filters
        )
    assert _error(info)[0] == "InvalidParameterException"


@pytest.mark.parametrize(
    "name",
    ["ab", "a" * 256, "team/app", "a/b/c", "my.app", "my_app", "my__app", "my-app", "my--app", "0numeric/9"],
)
def test_valid_repository_names(ecr_client, name):
    assert ecr_client.create_repository(repositoryName=name)["repository"]["repositoryName"] == name


@pytest.mark.parametrize(
    "name",
    ["Upper", "team/", "/team", "a//b", "-lead", "trail-", "sp ace", "a..b", "a___b", "uni\u00e9", "a/-b"],
)
def test_invalid_repository_names(unvalidated, name):
    with pytest.raises(ClientError) as info:
        unvalidated.create_repository(repositoryName=name)
    assert _error(info) == (
        "InvalidParameterException",
        f"Invalid parameter at 'repositoryName' failed to satisfy constraint: "
        f"'must satisfy regular expression '{NAME_PATTERN}''",
        400,
    )


def test_repository_name_length_limits(unvalidated):
    with pytest.raises(ClientError) as info:
        unvalidated.create_repository(repositoryName="a")
    assert _error(info)[1] == (
        "Invalid parameter at 'repositoryName' failed to satisfy constraint: "
        "'must have length greater than or equal to 2'"
    )
    with pytest.raises(ClientError) as info:
        unvalidated.create_repository(repositoryName="a" * 257)
    assert _error(info)[1] == (
        "Invalid parameter at 'repositoryName' failed to satisfy constraint: "
        "'must have length less than or equal to 256'"
    )


def test_missing_repository_name(unvalidated):
    with pytest.raises(ClientError) as info:
        unvalidated.create_repository()
    assert _error(info)[:2] == (
        "InvalidParameterException",
        "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must not be null'",
    )


def test_invalid_enum_and_registry_id(unvalidated):
    with pytest.raises(ClientError) as info:
        unvalidated.create_repository(repositoryName="enum", imageTagMutability="SOMETIMES")
    assert _error(info)[1] == (
        "Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must satisfy enum value "
        "set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]'"
    )
    with pytest.raises(ClientError) as info:
        unvalidated.create_repository(repositoryName="reg", registryId="12345")
    assert _error(info)[1] == (
        "Invalid parameter at 'registryId' failed to satisfy constraint: 'must satisfy regular expression [0-9]{12}'"
    )


def test_create_existing_repository(ecr_client):
    ecr_client.create_repository(repositoryName="dup")
    with pytest.raises(ClientError) as info:
        ecr_client.create_repository(repositoryName="dup", imageTagMutability="IMMUTABLE")
    assert _error(info) == (
        "RepositoryAlreadyExistsException",
        f"The repository with name 'dup' already exists in the registry with id '{ACCOUNT}'",
        400,
    )
    # the failed call changed nothing
    assert ecr_client.describe_repositories()["repositories"][0]["imageTagMutability"] == "MUTABLE"


def test_repository_quota(ecr_mock, ecr_client):
    ecr_mock.backend.quotas.update({"repositories_per_registry": 2})
    ecr_client.create_repository(repositoryName="q1")
    ecr_client.create_repository(repositoryName="q2")
    with pytest.raises(ClientError) as info:
        ecr_client.create_repository(repositoryName="q3")
    assert _error(info)[0] == "LimitExceededException"
    assert len(ecr_client.describe_repositories()["repositories"]) == 2


# -- tags ---------------------------------------------------------------------------------


def test_tag_and_untag_repository(ecr_client):
    arn = ecr_client.create_repository(repositoryName="tagged")["repository"]["repositoryArn"]
    ecr_client.tag_resource(resourceArn=arn, tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    ecr_client.tag_resource(resourceArn=arn, tags=[{"Key": "a", "Value": "3"}])
    ecr_client.untag_resource(resourceArn=arn, tagKeys=["b"])
    assert ecr_client.list_tags_for_resource(resourceArn=arn)["tags"] == [{"Key": "a", "Value": "3"}]


def test_too_many_tags(ecr_client):
    arn = ecr_client.create_repository(repositoryName="many-tags")["repository"]["repositoryArn"]
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    ecr_client.tag_resource(resourceArn=arn, tags=tags)
    with pytest.raises(ClientError) as info:
        ecr_client.tag_resource(resourceArn=arn, tags=[{"Key": "one-more", "Value": "v"}])
    assert _error(info)[0] == "TooManyTagsException"
    assert len(ecr_client.list_tags_for_resource(resourceArn=arn)["tags"]) == 50


def test_invalid_tags(ecr_client):
    with pytest.raises(ClientError) as info:
        ecr_client.create_repository(repositoryName="bad-tag", tags=[{"Key": "aws:reserved", "Value": "x"}])
    assert _error(info)[0] == "InvalidTagParameterException"
    with pytest.raises(ClientError) as info:
        ecr_client.create_repository(repositoryName="bad-tag", tags=[{"Key": "k" * 129, "Value": "x"}])
    assert _error(info)[0] == "InvalidTagParameterException"


def test_tag_unknown_repository(ecr_client):
    with pytest.raises(ClientError) as info:
        ecr_client.list_tags_for_resource(resourceArn=f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/nope")
    assert _error(info)[0] == "InvalidParameterException"
    assert "nope" in _error(info)[1]
    with pytest.raises(ClientError) as info:
        ecr_client.list_tags_for_resource(resourceArn="not-an-arn")
    assert _error(info)[1] == "Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'"


# -- DescribeRepositories ----------------------------------------------------------------


def test_describe_by_names_and_unknown_name(ecr_client):
    for name in ("alpha", "beta", "gamma"):
        ecr_client.create_repository(repositoryName=name)
    found = ecr_client.describe_repositories(repositoryNames=["gamma", "alpha"])["repositories"]
    assert [r["repositoryName"] for r in found] == ["gamma", "alpha"]
    with pytest.raises(ClientError) as info:
        ecr_client.describe_repositories(repositoryNames=["alpha", "missing"])
    assert _error(info) == (
        "RepositoryNotFoundException",
        f"The repository with name 'missing' does not exist in the registry with id '{ACCOUNT}'",
        400,
    )


def test_describe_with_names_and_max_results_is_rejected(ecr_client):
    ecr_client.create_repository(repositoryName="alpha")
    with pytest.raises(ClientError) as info:
        ecr_client.describe_repositories(repositoryNames=["alpha"], maxResults=1)
    assert _error(info)[0] == "InvalidParameterException"


def test_paginator_walks_every_repository_once(ecr_client):
    names = [f"repo-{i:03d}" for i in range(250)]
    for name in names:
        ecr_client.create_repository(repositoryName=name)
    pages = list(ecr_client.get_paginator("describe_repositories").paginate(PaginationConfig={"PageSize": 40}))
    assert [len(p["repositories"]) for p in pages] == [40] * 6 + [10]
    walked = [r["repositoryName"] for p in pages for r in p["repositories"]]
    assert walked == sorted(names)


def test_default_page_size_is_100(ecr_client):
    for i in range(105):
        ecr_client.create_repository(repositoryName=f"r{i:03d}")
    first = ecr_client.describe_repositories()
    assert len(first["repositories"]) == 100 and "nextToken" in first
    second = ecr_client.describe_repositories(nextToken=first["nextToken"])
    assert len(second["repositories"]) == 5 and "nextToken" not in second


def test_pagination_is_stable_when_repositories_change_between_pages(ecr_client):
    for name in ("b", "d", "f", "h"):
        ecr_client.create_repository(repositoryName=name * 2)
    first = ecr_client.describe_repositories(maxResults=2)
    assert [r["repositoryName"] for r in first["repositories"]] == ["bb", "dd"]
    ecr_client.delete_repository(repositoryName="dd")
    ecr_client.create_repository(repositoryName="aa")
    ecr_client.create_repository(repositoryName="ee")
    rest = ecr_client.describe_repositories(maxResults=10, nextToken=first["nextToken"])
    assert [r["repositoryName"] for r in rest["repositories"]] == ["ee", "ff", "hh"]


def test_invalid_next_token(ecr_client):
    with pytest.raises(ClientError) as info:
        ecr_client.describe_repositories(nextToken="garbage")
    assert _error(info) == (
        "InvalidParameterException",
        "Invalid parameter at 'NextToken' failed to satisfy constraint: 'Invalid next token provided'",
        400,
    )


def test_max_results_range(unvalidated):
    with pytest.raises(ClientError) as info:
        unvalidated.describe_repositories(maxResults=1001)
    assert _error(info)[1] == (
        "Invalid parameter at 'maxResults' failed to satisfy constraint: "
        "'Member must have value less than or equal to 1000'"
    )
    with pytest.raises(ClientError) as info:
        unvalidated.describe_repositories(maxResults=0)
    assert _error(info)[1] == (
        "Invalid parameter at 'maxResults' failed to satisfy constraint: "
        "'Member must have value greater than or equal to 1'"
    )


def test_repository_names_list_limits(unvalidated):
    with pytest.raises(ClientError) as info:
        unvalidated.describe_repositories(repositoryNames=[f"n{i}" for i in range(101)])
    assert _error(info)[1] == (
        "Invalid parameter at 'repositoryNames' failed to satisfy constraint: "
        "'Member must have length less than or equal to 100'"
    )


# -- DeleteRepository -----------------------------------------------------------------------


def test_delete_returns_the_repository(ecr_client):
    created = ecr_client.create_repository(repositoryName="doomed")["repository"]
    deleted = ecr_client.delete_repository(repositoryName="doomed")["repository"]
    assert deleted == created
    assert ecr_client.describe_repositories()["repositories"] == []


def test_delete_unknown_repository(ecr_client):
    with pytest.raises(ClientError) as info:
        ecr_client.delete_repository(repositoryName="ghost", registryId="111111111111")
    assert _error(info) == (
        "RepositoryNotFoundException",
        "The repository with name 'ghost' does not exist in the registry with id '111111111111'",
        400,
    )


def test_recreate_after_delete(ecr_client):
    ecr_client.create_repository(repositoryName="phoenix")
    ecr_client.delete_repository(repositoryName="phoenix")
    assert ecr_client.create_repository(repositoryName="phoenix")["repository"]["repositoryName"] == "phoenix"


# -- concurrency ----------------------------------------------------------------------------


def test_concurrent_creates_give_exact_counts():
    threads, per_thread = 16, 25
    errors: list[str] = []
    with mock_ecr():

        def work(worker: int) -> None:
            client = boto3.session.Session().client("ecr", region_name="us-east-1")
            for i in range(per_thread):
                client.create_repository(repositoryName=f"w{worker}/r{i}")
                try:  # every worker also races for one shared name
                    client.create_repository(repositoryName="shared")
                except ClientError as error:
                    errors.append(error.response["Error"]["Code"])

        pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        client = boto3.client("ecr", region_name="us-east-1")
        pages = client.get_paginator("describe_repositories").paginate()
        names = [r["repositoryName"] for page in pages for r in page["repositories"]]
    assert len(names) == threads * per_thread + 1
    assert len(set(names)) == len(names)
    assert errors == ["RepositoryAlreadyExistsException"] * (threads * per_thread - 1)
