"""Pull-time update exclusions: pulls by an excluded principal leave lastRecordedPullTime alone."""

from __future__ import annotations

import datetime as _dt

import boto3
import pytest
from botocore.exceptions import ClientError
from freezegun import freeze_time

from mock_ecr import mock_ecr

from .ecr_helpers import push_image

ACCOUNT = "123456789012"
CI = f"arn:aws:iam::{ACCOUNT}:role/ci"
SCANNER = f"arn:aws:iam::{ACCOUNT}:role/scanner"
START = _dt.datetime(2026, 5, 1, tzinfo=_dt.timezone.utc)


def _client():
    return boto3.client("ecr", region_name="us-east-1")


def _pulled_at(client, tag="v1"):
    detail = client.describe_images(repositoryName="app", imageIds=[{"imageTag": tag}])["imageDetails"][0]
    return detail.get("lastRecordedPullTime")


def _error(info):
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def test_register_list_deregister(ecr_client):
    with freeze_time(START):
        answer = ecr_client.register_pull_time_update_exclusion(principalArn=CI)
    assert (answer["principalArn"], answer["createdAt"]) == (CI, START)
    ecr_client.register_pull_time_update_exclusion(principalArn=SCANNER)
    assert ecr_client.list_pull_time_update_exclusions()["pullTimeUpdateExclusions"] == [CI, SCANNER]
    with pytest.raises(ClientError) as info:
        ecr_client.register_pull_time_update_exclusion(principalArn=CI)
    assert _error(info) == (
        "ExclusionAlreadyExistsException",
        f"The pull time update exclusion for '{CI}' already exists in the registry with id '{ACCOUNT}'",
    )
    assert ecr_client.deregister_pull_time_update_exclusion(principalArn=CI)["principalArn"] == CI
    assert ecr_client.list_pull_time_update_exclusions()["pullTimeUpdateExclusions"] == [SCANNER]
    with pytest.raises(ClientError) as info:
        ecr_client.deregister_pull_time_update_exclusion(principalArn=CI)
    assert _error(info) == (
        "ExclusionNotFoundException",
        f"The pull time update exclusion for '{CI}' does not exist in the registry with id '{ACCOUNT}'",
    )


def test_paging_and_the_limit():
    with mock_ecr(quotas={"pull_time_update_exclusions_per_registry": 5}) as m:
        client = _client()
        arns = [f"arn:aws:iam::{ACCOUNT}:user/u{n}" for n in range(5)]
        for n, arn in enumerate(arns):
            with freeze_time(START + _dt.timedelta(seconds=n)):
                client.register_pull_time_update_exclusion(principalArn=arn)
        with pytest.raises(ClientError) as info:
            client.register_pull_time_update_exclusion(principalArn=CI)
        assert _error(info)[0] == "LimitExceededException"
        first = client.list_pull_time_update_exclusions(maxResults=2)
        assert first["pullTimeUpdateExclusions"] == arns[:2]
        rest = client.list_pull_time_update_exclusions(nextToken=first["nextToken"])
        assert rest["pullTimeUpdateExclusions"] == arns[2:] and "nextToken" not in rest
        assert set(m.state().pull_time_update_exclusions) == set(arns)


def test_principal_arns_are_checked(unvalidated):
    with pytest.raises(ClientError) as info:
        unvalidated.register_pull_time_update_exclusion(principalArn=f"arn:aws:iam::{ACCOUNT}:group/devs")
    code, message = _error(info)
    assert code == "InvalidParameterException" and "principalArn" in message
    assert unvalidated.list_pull_time_update_exclusions()["pullTimeUpdateExclusions"] == []


def test_an_excluded_caller_pulls_without_updating_the_pull_time():
    with freeze_time(START) as clock, mock_ecr(caller_arn=CI):
        client = _client()
        client.create_repository(repositoryName="app")
        push_image(client, "app", tag="v1")
        client.batch_get_image(repositoryName="app", imageIds=[{"imageTag": "v1"}])
        assert _pulled_at(client) == START
        client.register_pull_time_update_exclusion(principalArn=CI)
        clock.tick(_dt.timedelta(hours=1))
        pulled = client.batch_get_image(repositoryName="app", imageIds=[{"imageTag": "v1"}])
        assert pulled["images"]  # the pull itself is answered
        assert _pulled_at(client) == START
        # another principal's pull is recorded
        with mock_ecr(caller_arn=SCANNER):
            client.batch_get_image(repositoryName="app", imageIds=[{"imageTag": "v1"}])
        assert _pulled_at(client) == START + _dt.timedelta(hours=1)
        client.deregister_pull_time_update_exclusion(principalArn=CI)
        clock.tick(_dt.timedelta(hours=1))
        client.batch_get_image(repositoryName="app", imageIds=[{"imageTag": "v1"}])
        assert _pulled_at(client) == START + _dt.timedelta(hours=2)


def test_a_role_session_is_excluded_by_its_role():
    with freeze_time(START), mock_ecr(caller_arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/ci/build-42"):
        client = _client()
        client.create_repository(repositoryName="app")
        push_image(client, "app", tag="v1")
        client.register_pull_time_update_exclusion(principalArn=CI)
        client.batch_get_image(repositoryName="app", imageIds=[{"imageTag": "v1"}])
        assert _pulled_at(client) is None


def test_the_default_caller_is_the_accounts_mock_user(ecr_client):
    ecr_client.create_repository(repositoryName="app")
    push_image(ecr_client, "app", tag="v1")
    ecr_client.register_pull_time_update_exclusion(principalArn=f"arn:aws:iam::{ACCOUNT}:user/mock-ecr")
    ecr_client.batch_get_image(repositoryName="app", imageIds=[{"imageTag": "v1"}])
    assert _pulled_at(ecr_client) is None


def test_caller_arn_must_be_of_the_mocks_account():
    with pytest.raises(ValueError, match="not the mock's account 111122223333"):
        mock_ecr(account_id="111122223333", caller_arn=CI)
    with pytest.raises(ValueError, match="caller_arn must be"):
        mock_ecr(caller_arn="arn:aws:s3:::bucket")
    assert mock_ecr(account_id="111122223333", caller_arn="arn:aws:iam::111122223333:root").caller_arn


def test_snapshots_keep_exclusions(ecr_client, ecr_mock):
    ecr_client.register_pull_time_update_exclusion(principalArn=CI)
    snapshot = ecr_mock.snapshot()
    ecr_client.deregister_pull_time_update_exclusion(principalArn=CI)
    ecr_mock.restore(snapshot)
    assert ecr_client.list_pull_time_update_exclusions()["pullTimeUpdateExclusions"] == [CI]
