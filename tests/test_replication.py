"""Replication through boto3: the configuration, the copies a push makes, their statuses, and
who may replicate into another account."""

from __future__ import annotations

import datetime as dt
import json
import threading

import boto3
import pytest
from botocore.exceptions import ClientError
from freezegun import freeze_time

from mock_ecr import mock_ecr

from .ecr_helpers import OCI_INDEX, digest_of, push_image

SOURCE = "123456789012"
OTHER = "210987654321"
HOME, AWAY = "us-east-1", "us-west-2"


def _client(region: str = HOME):
    return boto3.client("ecr", region_name=region)


def _configure(client, *destinations, filters=None):
    rule = {"destinations": [{"region": region, "registryId": account} for account, region in destinations]}
    if filters:
        rule["repositoryFilters"] = [{"filter": f, "filterType": "PREFIX_MATCH"} for f in filters]
    return client.put_replication_configuration(replicationConfiguration={"rules": [rule]})


def _statuses(client, repository, tag, **where):
    return client.describe_image_replication_status(repositoryName=repository, imageId={"imageTag": tag}, **where)[
        "replicationStatuses"
    ]


def _final(client, repository, tag, **where):
    """The statuses once every destination reports its outcome (the second look)."""
    _statuses(client, repository, tag, **where)
    return _statuses(client, repository, tag, **where)


def _registry_policy(account: str, *actions: str, resource: str = "*", effect: str = "Allow") -> str:
    statement = {"Effect": effect, "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": list(actions)}
    statement["Resource"] = resource
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _as_account(account: str, region: str, call):
    """Run ``call(client)`` as another account of the same mock (a nested activation)."""
    with mock_ecr(account_id=account):
        return call(_client(region))


# -- configuration ----------------------------------------------------------------------------


def test_configuration_round_trips_through_describe_registry(ecr_mock):
    client = _client()
    answer = _configure(client, (SOURCE, AWAY), (OTHER, "eu-west-1"), filters=["prod", "team/"])
    expected = {
        "rules": [
            {
                "destinations": [
                    {"region": AWAY, "registryId": SOURCE},
                    {"region": "eu-west-1", "registryId": OTHER},
                ],
                "repositoryFilters": [
                    {"filter": "prod", "filterType": "PREFIX_MATCH"},
                    {"filter": "team/", "filterType": "PREFIX_MATCH"},
                ],
            }
        ]
    }
    assert answer["replicationConfiguration"] == expected
    registry = client.describe_registry()
    assert registry["registryId"] == SOURCE and registry["replicationConfiguration"] == expected
    client.put_replication_configuration(replicationConfiguration={"rules": []})
    assert client.describe_registry()["replicationConfiguration"] == {"rules": []}


def test_delete_replication_setting_is_kept_where_the_model_has_it(ecr_mock):
    client = _client()
    if "deleteReplication" not in client.meta.service_model.shape_for("ReplicationRule").members:
        pytest.skip("the installed botocore has no deleteReplication")
    rule = {"destinations": [{"region": AWAY, "registryId": SOURCE}], "deleteReplication": {"enabled": True}}
    client.put_replication_configuration(replicationConfiguration={"rules": [rule]})
    assert client.describe_registry()["replicationConfiguration"]["rules"] == [rule]


def test_a_destination_equal_to_the_source_is_refused_and_nothing_stored(ecr_mock):
    client = _client()
    _configure(client, (SOURCE, AWAY))
    with pytest.raises(ClientError) as info:
        _configure(client, (SOURCE, AWAY), (SOURCE, HOME))
    error = info.value.response["Error"]
    assert error["Code"] == "InvalidParameterException"
    assert error["Message"] == (
        "Invalid parameter at 'replicationConfiguration' failed to satisfy constraint: "
        "'Replication destination cannot be the same as the source registry'"
    )
    rules = client.describe_registry()["replicationConfiguration"]["rules"]
    assert rules[0]["destinations"] == [{"region": AWAY, "registryId": SOURCE}]
    _configure(client, (OTHER, HOME))  # the same region in another account is another registry


def test_at_most_25_unique_destinations_across_all_rules(ecr_mock):
    client = _client()
    regions = [f"xx-test-{n}" for n in range(26)]
    rules = [
        {"destinations": [{"region": region, "registryId": SOURCE} for region in regions[:13]]},
        {"destinations": [{"region": region, "registryId": SOURCE} for region in regions[12:25]]},
    ]  # 25 unique, one named twice
    client.put_replication_configuration(replicationConfiguration={"rules": rules})
    rules[1]["destinations"].append({"region": regions[25], "registryId": SOURCE})
    with pytest.raises(ClientError) as info:
        client.put_replication_configuration(replicationConfiguration={"rules": rules})
    assert info.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "at most 25 unique destinations" in info.value.response["Error"]["Message"]
    assert len(client.describe_registry()["replicationConfiguration"]["rules"][1]["destinations"]) == 13


def test_more_rules_than_the_model_allows_are_refused(unvalidated):
    limit = unvalidated.meta.service_model.shape_for("ReplicationRuleList").metadata["max"]
    rule = {"destinations": [{"region": AWAY, "registryId": SOURCE}]}
    with pytest.raises(ClientError) as info:
        unvalidated.put_replication_configuration(replicationConfiguration={"rules": [rule] * (limit + 1)})
    assert info.value.response["Error"]["Message"] == (
        "Invalid parameter at 'replicationConfiguration.rules' failed to satisfy constraint: "
        f"'Member must have length less than or equal to {limit}'"
    )


# -- what a push copies -----------------------------------------------------------------------


def test_a_push_through_the_api_copies_manifest_layers_and_tags_into_the_destination(ecr_mock):
    client, away = _client(), _client(AWAY)
    client.create_repository(
        repositoryName="prod/app", imageTagMutability="IMMUTABLE", encryptionConfiguration={"encryptionType": "KMS"}
    )
    _configure(client, (SOURCE, AWAY), filters=["prod"])
    pushed = push_image(client, "prod/app", tag="v1")
    copied = away.batch_get_image(repositoryName="prod/app", imageIds=[{"imageTag": "v1"}])["images"]
    assert [(image["imageId"]["imageDigest"], image["imageManifest"]) for image in copied] == [
        (pushed.digest, pushed.manifest)
    ]
    layers = [digest_of(layer) for layer in pushed.layers]
    available = away.batch_check_layer_availability(repositoryName="prod/app", layerDigests=layers)["layers"]
    assert [layer["layerAvailability"] for layer in available] == ["AVAILABLE"] * len(layers)
    url = away.get_download_url_for_layer(repositoryName="prod/app", layerDigest=layers[0])
    assert url["layerDigest"] == layers[0]
    # repository settings are not replicated: ECR's defaults
    created = away.describe_repositories(repositoryNames=["prod/app"])["repositories"][0]
    assert created["imageTagMutability"] == "MUTABLE"
    assert created["encryptionConfiguration"] == {"encryptionType": "AES256"}
    assert created["imageScanningConfiguration"] == {"scanOnPush": False}
    assert _statuses(client, "prod/app", "v1") == [{"region": AWAY, "registryId": SOURCE, "status": "IN_PROGRESS"}]
    assert _statuses(client, "prod/app", "v1") == [{"region": AWAY, "registryId": SOURCE, "status": "COMPLETE"}]
    assert _statuses(client, "prod/app", "v1") == [{"region": AWAY, "registryId": SOURCE, "status": "COMPLETE"}]


def test_only_repositories_a_rule_filter_matches_are_replicated(ecr_mock):
    client, away = _client(), _client(AWAY)
    _configure(client, (SOURCE, AWAY), filters=["prod"])
    ecr_mock.push_image("production-api", "v1")  # a prefix, not a namespace
    ecr_mock.push_image("dev/app", "v1")
    names = [r["repositoryName"] for r in away.describe_repositories()["repositories"]]
    assert names == ["production-api"]
    assert _final(client, "dev/app", "v1") == []


def test_images_pushed_before_replication_is_configured_are_not_copied(ecr_mock):
    client, away = _client(), _client(AWAY)
    ecr_mock.push_image("app", "old")
    _configure(client, (SOURCE, AWAY))
    assert _final(client, "app", "old") == []
    assert away.describe_repositories()["repositories"] == []
    ecr_mock.push_image("app", "new")
    assert [i["imageTag"] for i in away.list_images(repositoryName="app")["imageIds"]] == ["new"]


def test_every_destination_gets_the_image_and_a_status(ecr_mock):
    client = _client()
    _configure(client, (SOURCE, AWAY), (SOURCE, "eu-west-1"))
    pushed = ecr_mock.push_image("app", "v1")
    for region in (AWAY, "eu-west-1"):
        assert ecr_mock.state(region=region).repository("app").image("v1").digest == pushed.digest
    assert _final(client, "app", "v1") == [
        {"region": AWAY, "registryId": SOURCE, "status": "COMPLETE"},
        {"region": "eu-west-1", "registryId": SOURCE, "status": "COMPLETE"},
    ]


def test_a_new_tag_on_an_image_is_replicated(ecr_mock):
    client = _client()
    _configure(client, (SOURCE, AWAY))
    pushed = ecr_mock.push_image("app", "v1")
    image = client.batch_get_image(repositoryName="app", imageIds=[{"imageTag": "v1"}])["images"][0]
    client.put_image(repositoryName="app", imageManifest=image["imageManifest"], imageTag="stable")
    assert ecr_mock.state(region=AWAY).repository("app").image(pushed.digest).tags == ("v1", "stable")


def test_an_immutable_tag_held_by_another_image_there_is_left_out(ecr_mock):
    client, away = _client(), _client(AWAY)
    away.create_repository(repositoryName="app", imageTagMutability="IMMUTABLE")
    theirs = ecr_mock.push_image("app", "v1", region=AWAY)
    _configure(client, (SOURCE, AWAY))
    ours = ecr_mock.push_image("app", "v1")
    state = ecr_mock.state(region=AWAY).repository("app")
    assert state.image("v1").digest == theirs.digest
    assert state.image(ours.digest).tags == ()  # replicated, untagged
    assert _final(client, "app", "v1")[0]["status"] == "COMPLETE"


def test_a_replicated_image_is_not_replicated_onward(ecr_mock):
    client, away = _client(), _client(AWAY)
    _configure(client, (SOURCE, AWAY))
    _configure(away, (SOURCE, "eu-west-1"))  # us-west-2 replicates on to eu-west-1
    ecr_mock.push_image("app", "v1")
    assert ecr_mock.state(region=AWAY).repository("app").image("v1")
    assert ecr_mock.state(region="eu-west-1").repositories == {}
    assert _final(away, "app", "v1") == []  # the copy has no replication of its own
    ecr_mock.push_image("app", "own", region=AWAY)  # a push there replicates as usual
    assert ecr_mock.state(region="eu-west-1").repository("app").image("own")


def test_a_manifest_list_is_replicated_with_the_images_it_references(ecr_mock):
    client = _client()
    children = [ecr_mock.push_image("app") for _ in range(2)]  # before replication: not copied
    _configure(client, (SOURCE, AWAY))
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {"mediaType": child.media_type, "digest": child.digest, "size": len(child.manifest.encode())}
                for child in children
            ],
        }
    )
    client.put_image(repositoryName="app", imageManifest=index, imageManifestMediaType=OCI_INDEX, imageTag="multi")
    copied = ecr_mock.state(region=AWAY).repository("app")
    assert {image.digest for image in copied.images} == {digest_of(index.encode())} | {c.digest for c in children}
    assert _final(client, "app", "multi")[0]["status"] == "COMPLETE"


def test_a_replication_creation_template_of_the_destination_makes_the_repository(ecr_mock):
    client, away = _client(), _client(AWAY)
    away.create_repository_creation_template(
        prefix="prod",
        appliedFor=["REPLICATION"],
        imageTagMutability="IMMUTABLE",
        encryptionConfiguration={"encryptionType": "KMS"},
        resourceTags=[{"Key": "team", "Value": "platform"}],
        repositoryPolicy=json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]}),
    )
    away.create_repository_creation_template(prefix="ROOT", appliedFor=["PULL_THROUGH_CACHE"])
    _configure(client, (SOURCE, AWAY))
    ecr_mock.push_image("prod/app", "v1")
    ecr_mock.push_image("dev/app", "v1")  # only a PULL_THROUGH_CACHE template covers it: defaults
    prod, dev = away.describe_repositories(repositoryNames=["prod/app", "dev/app"])["repositories"]
    assert prod["imageTagMutability"] == "IMMUTABLE"
    assert prod["encryptionConfiguration"]["encryptionType"] == "KMS"
    assert prod["encryptionConfiguration"]["kmsKey"].startswith(f"arn:aws:kms:{AWAY}:{SOURCE}:key/")
    assert away.list_tags_for_resource(resourceArn=prod["repositoryArn"])["tags"] == [
        {"Key": "team", "Value": "platform"}
    ]
    assert "ecr:*" in away.get_repository_policy(repositoryName="prod/app")["policyText"]
    assert (dev["imageTagMutability"], dev["encryptionConfiguration"]) == ("MUTABLE", {"encryptionType": "AES256"})


def test_a_failed_push_replicates_nothing(ecr_mock):
    client = _client()
    client.create_repository(repositoryName="app", imageTagMutability="IMMUTABLE")
    _configure(client, (SOURCE, AWAY))
    ecr_mock.push_image("app", "v1")
    with pytest.raises(ClientError):
        push_image(client, "app", tag="v1")  # another image for an immutable tag
    assert len(ecr_mock.state(region=AWAY).repository("app").images) == 1


@freeze_time("2026-03-01 12:00:00")
def test_the_copy_is_pushed_at_the_push_time_under_freezegun(ecr_mock):
    _configure(_client(), (SOURCE, AWAY))
    ecr_mock.push_image("app", "v1")
    copied = ecr_mock.state(region=AWAY).repository("app").image("v1")
    assert copied.pushed_at == dt.datetime(2026, 3, 1, 12, tzinfo=dt.timezone.utc)


# -- across accounts --------------------------------------------------------------------------


def _push_to_other_account(ecr_mock, repository="app"):
    client = _client()
    _configure(client, (OTHER, HOME))
    ecr_mock.push_image(repository, "v1")
    return _final(client, repository, "v1")


def test_another_account_without_a_registry_policy_is_not_replicated_to(ecr_mock):
    statuses = _push_to_other_account(ecr_mock)
    assert statuses == [{"region": HOME, "registryId": OTHER, "status": "FAILED", "failureCode": "ACCESS_DENIED"}]
    assert ecr_mock.state(account_id=OTHER).repositories == {}


def test_a_registry_policy_allowing_replicate_and_create_lets_the_source_in(ecr_mock):
    policy = _registry_policy(SOURCE, "ecr:ReplicateImage", "ecr:CreateRepository")
    _as_account(OTHER, HOME, lambda c: c.put_registry_policy(policyText=policy))
    assert _push_to_other_account(ecr_mock) == [{"region": HOME, "registryId": OTHER, "status": "COMPLETE"}]
    repository = ecr_mock.state(account_id=OTHER).repository("app")
    assert repository.image("v1").tags == ("v1",)
    assert repository.arn == f"arn:aws:ecr:{HOME}:{OTHER}:repository/app"


def test_without_create_repository_the_repository_must_exist_there(ecr_mock):
    policy = _registry_policy(SOURCE, "ecr:ReplicateImage")
    _as_account(OTHER, HOME, lambda c: c.put_registry_policy(policyText=policy))
    assert _push_to_other_account(ecr_mock)[0]["failureCode"] == "REPOSITORY_NOT_FOUND"
    assert ecr_mock.state(account_id=OTHER).repositories == {}
    _as_account(OTHER, HOME, lambda c: c.create_repository(repositoryName="app"))
    ecr_mock.push_image("app", "v2")
    assert _final(_client(), "app", "v2")[0]["status"] == "COMPLETE"


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (_registry_policy(SOURCE, "ecr:*"), "COMPLETE"),
        (_registry_policy(SOURCE, "ECR:REPLICATEIMAGE", "ecr:CreateRepository"), "COMPLETE"),
        (_registry_policy(SOURCE, "*", resource=f"arn:aws:ecr:{HOME}:{OTHER}:repository/prod-*"), "FAILED"),
        (_registry_policy("111111111111", "ecr:*"), "FAILED"),
        (json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]}), "COMPLETE"),
        (json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": SOURCE}, "Action": "ecr:*"}]}), "COMPLETE"),
        (
            json.dumps(
                {
                    "Statement": [
                        {"Effect": "Allow", "Principal": "*", "Action": "ecr:*"},
                        {"Effect": "Deny", "Principal": {"AWS": SOURCE}, "Action": "ecr:ReplicateImage"},
                    ]
                }
            ),
            "FAILED",
        ),
    ],
    ids=["wildcard", "case", "other-resource", "other-principal", "anyone", "account-id", "deny-wins"],
)
def test_the_registry_policy_is_evaluated_for_the_source_account(ecr_mock, policy, expected):
    _as_account(OTHER, HOME, lambda c: c.put_registry_policy(policyText=policy))
    assert _push_to_other_account(ecr_mock)[0]["status"] == expected


def test_a_policy_limited_to_some_repositories_lets_only_those_in(ecr_mock):
    resource = f"arn:aws:ecr:{HOME}:{OTHER}:repository/prod-*"
    policy = _registry_policy(SOURCE, "ecr:ReplicateImage", "ecr:CreateRepository", resource=resource)
    _as_account(OTHER, HOME, lambda c: c.put_registry_policy(policyText=policy))
    assert _push_to_other_account(ecr_mock, "prod-api")[0]["status"] == "COMPLETE"
    ecr_mock.push_image("dev-api", "v1")
    assert _final(_client(), "dev-api", "v1")[0]["failureCode"] == "ACCESS_DENIED"


# -- DescribeImageReplicationStatus errors ---------------------------------------------------------


def test_status_of_a_missing_repository_or_image(ecr_mock):
    client = _client()
    with pytest.raises(ClientError) as info:
        _statuses(client, "missing", "v1")
    assert info.value.response["Error"] == {
        "Code": "RepositoryNotFoundException",
        "Message": f"The repository with name 'missing' does not exist in the registry with id '{SOURCE}'",
    }
    client.create_repository(repositoryName="app")
    with pytest.raises(ClientError) as info:
        _statuses(client, "app", "v1")
    assert info.value.response["Error"] == {
        "Code": "ImageNotFoundException",
        "Message": (
            "The image with imageId {imageDigest:'null', imageTag:'v1'} does not exist within "
            f"the repository with name 'app' in the registry with id '{SOURCE}'"
        ),
    }


def test_status_by_digest_and_in_another_registry_by_id(ecr_mock):
    _configure(_client(), (SOURCE, AWAY))
    pushed = ecr_mock.push_image("app", "v1")
    with mock_ecr(account_id=OTHER):
        other = _client()
        by_digest = other.describe_image_replication_status(
            registryId=SOURCE, repositoryName="app", imageId={"imageDigest": pushed.digest}
        )
    assert by_digest["imageId"] == {"imageDigest": pushed.digest}
    assert by_digest["replicationStatuses"][0]["status"] == "IN_PROGRESS"


# -- inspection and snapshots ---------------------------------------------------------------------


def test_state_shows_the_configuration_and_each_image_replication(ecr_mock):
    client = _client()
    _configure(client, (SOURCE, AWAY), (OTHER, HOME))
    ecr_mock.push_image("app", "v1")
    state = ecr_mock.state()
    rules = state.replication_configuration["rules"]
    assert [dict(d) for d in rules[0]["destinations"]] == [
        {"region": AWAY, "registryId": SOURCE},
        {"region": HOME, "registryId": OTHER},
    ]
    assert [dict(s) for s in state.repository("app").image("v1").replication_statuses] == [
        {"region": AWAY, "registryId": SOURCE, "status": "COMPLETE"},
        {"region": HOME, "registryId": OTHER, "status": "FAILED", "failureCode": "ACCESS_DENIED"},
    ]
    with pytest.raises(TypeError):
        state.replication_configuration["rules"] = ()  # type: ignore[index]


def test_snapshots_keep_the_configuration_and_statuses(ecr_mock):
    client = _client()
    _configure(client, (SOURCE, AWAY))
    ecr_mock.push_image("app", "v1")
    saved = ecr_mock.snapshot()
    assert _statuses(client, "app", "v1")[0]["status"] == "IN_PROGRESS"
    client.put_replication_configuration(replicationConfiguration={"rules": []})
    ecr_mock.restore(saved)
    assert client.describe_registry()["replicationConfiguration"]["rules"][0]["destinations"][0]["region"] == AWAY
    assert _statuses(client, "app", "v1")[0]["status"] == "IN_PROGRESS"  # not yet reported in the snapshot
    assert ecr_mock.state(region=AWAY).repository("app").image("v1")


# -- threads --------------------------------------------------------------------------------------


def test_two_registries_replicating_into_each_other_from_many_threads(ecr_mock):
    threads, pushes = 8, 25
    east, west = _client(HOME), _client(AWAY)
    _configure(east, (SOURCE, AWAY))
    _configure(west, (SOURCE, HOME))
    failures: list[BaseException] = []
    start = threading.Barrier(threads)

    def work(number: int) -> None:
        start.wait()
        try:
            for n in range(pushes):
                region = HOME if (number + n) % 2 else AWAY
                ecr_mock.push_image("shared", f"t{number}-{n}", layers=[f"{number}/{n}".encode()], region=region)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    workers = [threading.Thread(target=work, args=(number,)) for number in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not any(worker.is_alive() for worker in workers), "deadlock"
    assert failures == []
    for region in (HOME, AWAY):
        repository = ecr_mock.state(region=region).repository("shared")
        assert len(repository.images) == threads * pushes  # its own and the other's, each once
        assert len(repository.image_tags) == threads * pushes


def test_a_manifest_put_through_the_registry_api_replicates_too(ecr_mock):
    import requests

    client = _client()
    pushed = ecr_mock.push_image("app", "v1")
    _configure(client, (SOURCE, AWAY))
    token = client.get_authorization_token()["authorizationData"][0]
    answer = requests.put(
        f"{token['proxyEndpoint']}/v2/app/manifests/v2",
        data=pushed.manifest.encode(),
        headers={"Content-Type": pushed.media_type, "Authorization": "Basic " + token["authorizationToken"]},
        timeout=10,
    )
    assert answer.status_code == 201
    assert dict(ecr_mock.state(region=AWAY).repository("app").image_tags) == {"v1": pushed.digest, "v2": pushed.digest}
