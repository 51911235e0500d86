"""SetRepositoryPolicy, GetRepositoryPolicy, DeleteRepositoryPolicy."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowPull",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
                "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            }
        ],
    },
    indent=2,
)
INVALID = "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'"


@pytest.fixture
def repo(ecr_client):
    ecr_client.create_repository(repositoryName="guarded")
    return "guarded"


def _code_message(info):
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def test_set_get_delete_round_trip(ecr_client, repo):
    response = ecr_client.set_repository_policy(repositoryName=repo, policyText=POLICY)
    response.pop("ResponseMetadata")
    assert response == {"registryId": ACCOUNT, "repositoryName": repo, "policyText": POLICY}
    got = ecr_client.get_repository_policy(repositoryName=repo)
    assert (got["registryId"], got["repositoryName"], got["policyText"]) == (ACCOUNT, repo, POLICY)
    deleted = ecr_client.delete_repository_policy(repositoryName=repo)
    assert deleted["policyText"] == POLICY
    with pytest.raises(ClientError) as info:
        ecr_client.get_repository_policy(repositoryName=repo)
    assert _code_message(info) == (
        "RepositoryPolicyNotFoundException",
        f"Repository policy does not exist for the repository with name '{repo}' in the registry with id '{ACCOUNT}'",
    )


def test_policy_text_is_stored_exactly_as_sent(ecr_client, repo):
    ecr_client.set_repository_policy(repositoryName=repo, policyText=POLICY, force=True)
    assert ecr_client.get_repository_policy(repositoryName=repo)["policyText"] == POLICY


def test_delete_without_policy(ecr_client, repo):
    with pytest.raises(ClientError) as info:
        ecr_client.delete_repository_policy(repositoryName=repo)
    assert _code_message(info)[0] == "RepositoryPolicyNotFoundException"


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "",
        "[]",
        json.dumps({"Version": "2012-10-17"}),
        json.dumps({"Version": "2012-10-17", "Statement": []}),
        json.dumps({"Version": "1999-01-01", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]}),
        json.dumps({"Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "ecr:*"}]}),
        json.dumps({"Statement": [{"Effect": "Allow", "Action": "ecr:*"}]}),
        json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*"}]}),
        json.dumps({"Statement": ["just a string"]}),
    ],
)
def test_invalid_policies_are_rejected_and_change_nothing(ecr_client, repo, text):
    ecr_client.set_repository_policy(repositoryName=repo, policyText=POLICY)
    with pytest.raises(ClientError) as info:
        ecr_client.set_repository_policy(repositoryName=repo, policyText=text)
    assert _code_message(info) == ("InvalidParameterException", INVALID)
    assert ecr_client.get_repository_policy(repositoryName=repo)["policyText"] == POLICY


def test_single_statement_object_is_accepted(ecr_client, repo):
    text = json.dumps({"Version": "2008-10-17", "Statement": {"Effect": "Deny", "NotPrincipal": "*", "NotAction": "*"}})
    assert ecr_client.set_repository_policy(repositoryName=repo, policyText=text)["policyText"] == text


@pytest.mark.parametrize("call", ["set_repository_policy", "get_repository_policy", "delete_repository_policy"])
def test_policy_actions_on_unknown_repository(ecr_client, call):
    kwargs = {"repositoryName": "nowhere"}
    if call == "set_repository_policy":
        kwargs["policyText"] = POLICY
    with pytest.raises(ClientError) as info:
        getattr(ecr_client, call)(**kwargs)
    assert _code_message(info) == (
        "RepositoryNotFoundException",
        f"The repository with name 'nowhere' does not exist in the registry with id '{ACCOUNT}'",
    )


def test_policy_text_too_long(ecr_client, repo):
    with pytest.raises(ClientError) as info:
        ecr_client.set_repository_policy(repositoryName=repo, policyText=" " * 10241)
    assert _code_message(info) == (
        "InvalidParameterException",
        "Invalid parameter at 'policyText' failed to satisfy constraint: "
        "'Member must have length less than or equal to 10240'",
    )
