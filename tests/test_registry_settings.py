"""Registry scanning configuration, registry policy, DescribeRegistry and account settings."""

from __future__ import annotations

import json
import threading

import boto3
import pytest
from botocore.exceptions import ClientError

from .shape_check import check_output

ACCOUNT = "123456789012"
EVERYWHERE = [{"filter": "*", "filterType": "WILDCARD"}]
REGISTRY_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReplicationAccess",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
                "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
                "Resource": f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/*",
            }
        ],
    },
    indent=2,
)


def _error(info):
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def _body(response):
    response.pop("ResponseMetadata")
    return response


# -- scanning configuration ----------------------------------------------------------------------
def test_a_registry_never_configured_scans_basic_without_rules(ecr_client):
    assert _body(ecr_client.get_registry_scanning_configuration()) == {
        "registryId": ACCOUNT,
        "scanningConfiguration": {"scanType": "BASIC", "rules": []},
    }


def test_put_and_get_round_trip(ecr_mock, ecr_client, raw_bodies):
    rules = [
        {"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "prod*", "filterType": "WILDCARD"}]},
        {"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": EVERYWHERE},
    ]
    put = _body(ecr_client.put_registry_scanning_configuration(scanType="ENHANCED", rules=rules))
    assert put == {"registryScanningConfiguration": {"scanType": "ENHANCED", "rules": rules}}
    got = ecr_client.get_registry_scanning_configuration()["scanningConfiguration"]
    assert got == {"scanType": "ENHANCED", "rules": rules}
    assert ecr_mock.state().scanning_configuration["scanType"] == "ENHANCED"
    for operation, body in raw_bodies:
        check_output(operation, body)


@pytest.mark.parametrize(
    ("scan_type", "rules"),
    [
        ("BASIC", [{"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": EVERYWHERE}]),
        ("ENHANCED", [{"scanFrequency": "MANUAL", "repositoryFilters": EVERYWHERE}]),
        (
            "ENHANCED",
            [
                {"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": EVERYWHERE},
                {"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": EVERYWHERE},
            ],
        ),
    ],
)
def test_refused_configurations_change_nothing(ecr_client, scan_type, rules):
    with pytest.raises(ClientError) as info:
        ecr_client.put_registry_scanning_configuration(scanType=scan_type, rules=rules)
    assert _error(info)[0] == "InvalidParameterException"
    assert ecr_client.get_registry_scanning_configuration()["scanningConfiguration"] == {
        "scanType": "BASIC",
        "rules": [],
    }


def test_more_than_two_rules_are_refused(unvalidated):
    rules = [{"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": EVERYWHERE}] * 3
    with pytest.raises(ClientError) as info:
        unvalidated.put_registry_scanning_configuration(scanType="ENHANCED", rules=rules)
    assert _error(info)[0] == "InvalidParameterException"


def test_batch_get_repository_scanning_configuration(ecr_client):
    ecr_client.create_repository(repositoryName="prod/api")
    ecr_client.create_repository(repositoryName="dev/api", imageScanningConfiguration={"scanOnPush": True})
    ecr_client.create_repository(repositoryName="tools")
    prod = [{"filter": "prod", "filterType": "WILDCARD"}]
    ecr_client.put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[
            {"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": prod},
            {"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "*api", "filterType": "WILDCARD"}]},
        ],
    )
    answer = ecr_client.batch_get_repository_scanning_configuration(
        repositoryNames=["prod/api", "dev/api", "tools", "missing"]
    )
    by_name = {c["repositoryName"]: c for c in answer["scanningConfigurations"]}
    assert by_name["prod/api"]["scanFrequency"] == "CONTINUOUS_SCAN"
    assert by_name["prod/api"]["appliedScanFilters"] == prod
    assert by_name["prod/api"]["repositoryArn"] == f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/prod/api"
    assert by_name["dev/api"]["scanFrequency"] == "SCAN_ON_PUSH"
    assert by_name["dev/api"]["scanOnPush"] is True
    assert by_name["tools"] == {
        "repositoryArn": f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/tools",
        "repositoryName": "tools",
        "scanOnPush": False,
        "scanFrequency": "MANUAL",
        "appliedScanFilters": [],
    }
    assert answer["failures"] == [
        {"repositoryName": "missing", "failureCode": "REPOSITORY_NOT_FOUND", "failureReason": "REPOSITORY_NOT_FOUND"}
    ]


def test_basic_repository_scan_on_push_shows_as_scan_on_push(ecr_client):
    ecr_client.create_repository(repositoryName="app", imageScanningConfiguration={"scanOnPush": True})
    config = ecr_client.batch_get_repository_scanning_configuration(repositoryNames=["app"])
    assert config["scanningConfigurations"][0]["scanFrequency"] == "SCAN_ON_PUSH"


def test_registry_scanning_rules_apply_to_later_repositories_at_once(ecr_client):
    ecr_client.put_registry_scanning_configuration(
        scanType="BASIC", rules=[{"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": EVERYWHERE}]
    )
    ecr_client.create_repository(repositoryName="late")
    config = ecr_client.batch_get_repository_scanning_configuration(repositoryNames=["late"])
    assert config["scanningConfigurations"][0]["scanFrequency"] == "SCAN_ON_PUSH"


# -- registry policy -----------------------------------------------------------------------------
def test_registry_policy_round_trip_stores_the_text_as_sent(ecr_mock, ecr_client):
    assert _body(ecr_client.put_registry_policy(policyText=REGISTRY_POLICY)) == {
        "registryId": ACCOUNT,
        "policyText": REGISTRY_POLICY,
    }
    assert ecr_client.get_registry_policy()["policyText"] == REGISTRY_POLICY
    assert ecr_mock.state().registry_policy_text == REGISTRY_POLICY
    assert ecr_client.delete_registry_policy()["policyText"] == REGISTRY_POLICY
    for call in (ecr_client.get_registry_policy, ecr_client.delete_registry_policy):
        with pytest.raises(ClientError) as info:
            call()
        assert _error(info) == (
            "RegistryPolicyNotFoundException",
            f"Registry policy does not exist in the registry with id '{ACCOUNT}'",
        )


@pytest.mark.parametrize("text", ["not json", "{}", json.dumps({"Statement": [{"Effect": "Maybe", "Action": "*"}]})])
def test_invalid_registry_policies_change_nothing(ecr_client, text):
    ecr_client.put_registry_policy(policyText=REGISTRY_POLICY)
    with pytest.raises(ClientError) as info:
        ecr_client.put_registry_policy(policyText=text)
    assert _error(info) == (
        "InvalidParameterException",
        "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid registry policy provided'",
    )
    assert ecr_client.get_registry_policy()["policyText"] == REGISTRY_POLICY


def test_registries_are_separate_per_region(ecr_mock, ecr_client):
    ecr_client.put_registry_policy(policyText=REGISTRY_POLICY)
    west = boto3.client("ecr", region_name="us-west-2")
    with pytest.raises(ClientError):
        west.get_registry_policy()


# -- DescribeRegistry -----------------------------------------------------------------------------
def test_describe_registry(ecr_client, raw_bodies):
    assert _body(ecr_client.describe_registry()) == {"registryId": ACCOUNT, "replicationConfiguration": {"rules": []}}
    check_output(*raw_bodies[-1])


# -- account settings ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "default"),
    [("BASIC_SCAN_TYPE_VERSION", "AWS_NATIVE"), ("REGISTRY_POLICY_SCOPE", "V2"), ("BLOB_MOUNTING", "DISABLED")],
)
def test_account_setting_defaults(ecr_client, name, default):
    assert _body(ecr_client.get_account_setting(name=name)) == {"name": name, "value": default}


@pytest.mark.parametrize(
    ("name", "value"),
    [("BASIC_SCAN_TYPE_VERSION", "AWS_NATIVE"), ("REGISTRY_POLICY_SCOPE", "V1"), ("BLOB_MOUNTING", "ENABLED")],
)
def test_put_account_setting(ecr_mock, ecr_client, name, value):
    assert _body(ecr_client.put_account_setting(name=name, value=value)) == {"name": name, "value": value}
    assert ecr_client.get_account_setting(name=name)["value"] == value
    assert ecr_mock.state().account_settings[name] == value


def test_blob_mounting_setting_is_exposed_to_the_domain(ecr_mock, ecr_client):
    from mock_ecr.domain.registry_settings import blob_mounting_enabled

    store = ecr_mock.backend.store(ACCOUNT, "us-east-1")
    assert blob_mounting_enabled(store.settings) is False
    ecr_client.put_account_setting(name="BLOB_MOUNTING", value="ENABLED")
    assert blob_mounting_enabled(store.settings) is True


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NO_SUCH_SETTING", "ON"),
        ("BASIC_SCAN_TYPE_VERSION", "CLAIR"),
        ("REGISTRY_POLICY_SCOPE", "V3"),
        ("BLOB_MOUNTING", "enabled"),
    ],
)
def test_refused_account_settings_change_nothing(ecr_client, name, value):
    with pytest.raises(ClientError) as info:
        ecr_client.put_account_setting(name=name, value=value)
    assert _error(info)[0] == "InvalidParameterException"
    if name != "NO_SUCH_SETTING":
        assert ecr_client.get_account_setting(name=name)["value"] != value


def test_get_unknown_account_setting(ecr_client):
    with pytest.raises(ClientError) as info:
        ecr_client.get_account_setting(name="NO_SUCH_SETTING")
    assert _error(info)[0] == "InvalidParameterException"


def test_concurrent_configuration_writes_leave_one_whole_configuration(ecr_mock):
    configurations = [
        (
            "ENHANCED",
            [
                {
                    "scanFrequency": "CONTINUOUS_SCAN",
                    "repositoryFilters": [{"filter": f"r{i}*", "filterType": "WILDCARD"}],
                }
            ],
        )
        for i in range(8)
    ]

    def put(scan_type, rules):
        boto3.client("ecr", region_name="us-east-1").put_registry_scanning_configuration(
            scanType=scan_type, rules=rules
        )

    threads = [threading.Thread(target=put, args=c) for c in configurations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    got = boto3.client("ecr", region_name="us-east-1").get_registry_scanning_configuration()
    assert (got["scanningConfiguration"]["scanType"], got["scanningConfiguration"]["rules"]) in [
        (t, r) for t, r in configurations
    ]
