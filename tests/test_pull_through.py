"""Pull through cache rules and the imports a pull sets off, through boto3."""

from __future__ import annotations

import json
import threading

import boto3
import pytest
import requests
from freezegun import freeze_time

from mock_ecr import mock_ecr

ACCOUNT = "123456789012"
OTHER = "210987654321"
SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:ecr-pullthroughcache/docker-hub"
HUB = "registry-1.docker.io"
POLICY = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]})


def _error(info) -> tuple[str, str]:
    error = info.value.response["Error"]
    return error["Code"], error["Message"]


def _hub_rule(client, prefix="docker-hub"):
    return client.create_pull_through_cache_rule(
        ecrRepositoryPrefix=prefix, upstreamRegistryUrl=HUB, credentialArn=SECRET
    )


# -- the rules ------------------------------------------------------------------------------


@freeze_time("2026-03-01 12:00:00")
def test_create_describe_update_delete(ecr_client):
    created = _hub_rule(ecr_client)
    assert created["upstreamRegistry"] == "docker-hub" and created["credentialArn"] == SECRET
    assert created["registryId"] == ACCOUNT and created["createdAt"].year == 2026
    ecr_client.create_pull_through_cache_rule(ecrRepositoryPrefix="ecr-public/", upstreamRegistryUrl="public.ecr.aws")
    rules = ecr_client.describe_pull_through_cache_rules()["pullThroughCacheRules"]
    assert [(r["ecrRepositoryPrefix"], r["upstreamRegistry"]) for r in rules] == [
        ("docker-hub", "docker-hub"),
        ("ecr-public/", "ecr-public"),
    ]
    assert "credentialArn" not in rules[1]
    with freeze_time("2026-03-02"):
        updated = ecr_client.update_pull_through_cache_rule(
            ecrRepositoryPrefix="docker-hub", credentialArn=SECRET + "2"
        )
    assert updated["credentialArn"] == SECRET + "2" and updated["updatedAt"].day == 2
    only = ecr_client.describe_pull_through_cache_rules(ecrRepositoryPrefixes=["docker-hub"])["pullThroughCacheRules"]
    assert only[0]["credentialArn"] == SECRET + "2" and only[0]["createdAt"].day == 1
    deleted = ecr_client.delete_pull_through_cache_rule(ecrRepositoryPrefix="ecr-public")  # the "/" is assumed
    assert deleted["upstreamRegistryUrl"] == "public.ecr.aws"
    assert len(ecr_client.describe_pull_through_cache_rules()["pullThroughCacheRules"]) == 1


def test_each_upstream_url_names_its_registry(ecr_client):
    urls = {
        "quay.io": "quay",
        "registry.k8s.io": "k8s",
        "public.ecr.aws": "ecr-public",
        f"{OTHER}.dkr.ecr.eu-west-1.amazonaws.com": "ecr",
    }
    for number, (url, registry) in enumerate(urls.items()):
        params = {"customRoleArn": f"arn:aws:iam::{ACCOUNT}:role/cache"} if registry == "ecr" else {}
        answer = ecr_client.create_pull_through_cache_rule(
            ecrRepositoryPrefix=f"p{number}", upstreamRegistryUrl=url, **params
        )
        assert answer["upstreamRegistry"] == registry
    for number, url in enumerate(["ghcr.io", "registry.gitlab.com", "myregistry.azurecr.io", "cgr.dev"]):
        answer = ecr_client.create_pull_through_cache_rule(
            ecrRepositoryPrefix=f"s{number}", upstreamRegistryUrl=url, credentialArn=SECRET
        )
        assert answer["credentialArn"] == SECRET
    ecr = ecr_client.describe_pull_through_cache_rules(ecrRepositoryPrefixes=["p3"])["pullThroughCacheRules"][0]
    assert ecr["upstreamRepositoryPrefix"] == "ROOT" and ecr["customRoleArn"].endswith("role/cache")


def test_refusals_of_create(ecr_client):
    _hub_rule(ecr_client)
    with pytest.raises(ecr_client.exceptions.PullThroughCacheRuleAlreadyExistsException) as info:
        _hub_rule(ecr_client, "docker-hub/")
    assert _error(info)[1] == (
        f"The pull through cache rule with prefix 'docker-hub/' already exists in the registry with id '{ACCOUNT}'"
    )
    with pytest.raises(ecr_client.exceptions.UnsupportedUpstreamRegistryException) as info:
        ecr_client.create_pull_through_cache_rule(
            ecrRepositoryPrefix="harbor", upstreamRegistryUrl="harbor.example.com"
        )
    assert _error(info)[1] == (
        "The upstream registry URL harbor.example.com is invalid. Specify a valid upstream registry URL and try again"
    )
    with pytest.raises(ecr_client.exceptions.UnsupportedUpstreamRegistryException) as info:
        ecr_client.create_pull_through_cache_rule(ecrRepositoryPrefix="hub", upstreamRegistryUrl=HUB)
    assert "requires authentication. Specify a valid Secrets Manager ARN" in _error(info)[1]
    with pytest.raises(ecr_client.exceptions.UnsupportedUpstreamRegistryException):
        ecr_client.create_pull_through_cache_rule(
            ecrRepositoryPrefix="gh", upstreamRegistryUrl="ghcr.io", upstreamRegistry="quay", credentialArn=SECRET
        )
    refused = {
        "credentialArn": {"upstreamRegistryUrl": "quay.io", "credentialArn": SECRET.replace("quay", "x")},
        "upstreamRepositoryPrefix": {"upstreamRegistryUrl": "quay.io", "upstreamRepositoryPrefix": "team"},
        "customRoleArn": {
            "upstreamRegistryUrl": f"{OTHER}.dkr.ecr.us-east-1.amazonaws.com",
            "customRoleArn": f"arn:aws:iam::{OTHER}:role/cache",  # the role must be in the registry's account
        },
    }
    for member, params in refused.items():
        with pytest.raises(ecr_client.exceptions.InvalidParameterException) as info:
            ecr_client.create_pull_through_cache_rule(ecrRepositoryPrefix="refused", **params)
        assert f"'{member}'" in _error(info)[1]
    with pytest.raises(ecr_client.exceptions.InvalidParameterException) as info:  # cross-account needs a role
        ecr_client.create_pull_through_cache_rule(
            ecrRepositoryPrefix="xa", upstreamRegistryUrl=f"{OTHER}.dkr.ecr.us-east-1.amazonaws.com"
        )
    assert "'customRoleArn'" in _error(info)[1]
    with pytest.raises(ecr_client.exceptions.InvalidParameterException) as info:
        ecr_client.create_pull_through_cache_rule(
            ecrRepositoryPrefix="ROOT",
            upstreamRegistryUrl=f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com",
            upstreamRepositoryPrefix="team",
        )
    assert "'upstreamRepositoryPrefix'" in _error(info)[1]
    with pytest.raises(ecr_client.exceptions.InvalidParameterException):  # the model's pattern
        ecr_client.create_pull_through_cache_rule(ecrRepositoryPrefix="Bad_Prefix", upstreamRegistryUrl="quay.io")
    assert len(ecr_client.describe_pull_through_cache_rules()["pullThroughCacheRules"]) == 1


def test_secrets_are_read_in_the_registrys_account_and_region(ecr_client):
    with pytest.raises(ecr_client.exceptions.SecretNotFoundException):
        ecr_client.create_pull_through_cache_rule(
            ecrRepositoryPrefix="hub", upstreamRegistryUrl=HUB, credentialArn=SECRET.replace("us-east-1", "eu-west-1")
        )
    with pytest.raises(ecr_client.exceptions.UnableToAccessSecretException):
        ecr_client.create_pull_through_cache_rule(
            ecrRepositoryPrefix="hub", upstreamRegistryUrl=HUB, credentialArn=SECRET.replace(ACCOUNT, OTHER)
        )
    _hub_rule(ecr_client, "hub")
    with pytest.raises(ecr_client.exceptions.UnableToAccessSecretException):
        ecr_client.update_pull_through_cache_rule(
            ecrRepositoryPrefix="hub", credentialArn=SECRET.replace(ACCOUNT, OTHER)
        )
    rule = ecr_client.describe_pull_through_cache_rules()["pullThroughCacheRules"][0]
    assert rule["credentialArn"] == SECRET  # the refused update changed nothing


def test_refusals_of_update_delete_validate_describe(ecr_client):
    for call in (
        lambda: ecr_client.update_pull_through_cache_rule(ecrRepositoryPrefix="none", credentialArn=SECRET),
        lambda: ecr_client.delete_pull_through_cache_rule(ecrRepositoryPrefix="none"),
        lambda: ecr_client.validate_pull_through_cache_rule(ecrRepositoryPrefix="none"),
        lambda: ecr_client.describe_pull_through_cache_rules(ecrRepositoryPrefixes=["none"]),
    ):
        with pytest.raises(ecr_client.exceptions.PullThroughCacheRuleNotFoundException) as info:
            call()
        assert _error(info)[1] == (
            f"The pull through cache rule with prefix 'none' does not exist in the registry with id '{ACCOUNT}'"
        )
    _hub_rule(ecr_client)
    with pytest.raises(ecr_client.exceptions.InvalidParameterException) as info:
        ecr_client.update_pull_through_cache_rule(ecrRepositoryPrefix="docker-hub")
    assert _error(info)[1] == "Invalid input: Please set either credential arn or role arn to update the credentials"
    with pytest.raises(ecr_client.exceptions.InvalidParameterException) as info:
        ecr_client.update_pull_through_cache_rule(
            ecrRepositoryPrefix="docker-hub", customRoleArn=f"arn:aws:iam::{ACCOUNT}:role/r"
        )
    assert "'customRoleArn'" in _error(info)[1]


def test_the_rule_quota():
    with mock_ecr(quotas={"pull_through_cache_rules_per_registry": 1}):
        client = boto3.client("ecr", region_name="us-east-1")
        client.create_pull_through_cache_rule(ecrRepositoryPrefix="quay", upstreamRegistryUrl="quay.io")
        with pytest.raises(client.exceptions.LimitExceededException) as info:
            client.create_pull_through_cache_rule(ecrRepositoryPrefix="k8s", upstreamRegistryUrl="registry.k8s.io")
        assert "Pull through cache rules per registry: 1" in _error(info)[1]


def test_describe_pages(ecr_client):
    for number in range(5):
        ecr_client.create_pull_through_cache_rule(ecrRepositoryPrefix=f"q{number}", upstreamRegistryUrl="quay.io")
    paginator = ecr_client.get_paginator("describe_pull_through_cache_rules")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 2}))
    assert [len(p["pullThroughCacheRules"]) for p in pages] == [2, 2, 1]
    assert [r["ecrRepositoryPrefix"] for p in pages for r in p["pullThroughCacheRules"]] == [f"q{n}" for n in range(5)]


def test_validate_reports_an_upstream_that_fails(ecr_client, ecr_mock):
    _hub_rule(ecr_client)
    answer = ecr_client.validate_pull_through_cache_rule(ecrRepositoryPrefix="docker-hub")
    assert answer["isValid"] is True and "failure" not in answer and answer["credentialArn"] == SECRET
    ecr_mock.set_upstream_failure("docker-hub", "UpstreamAccessDenied")
    answer = ecr_client.validate_pull_through_cache_rule(ecrRepositoryPrefix="docker-hub")
    assert answer["isValid"] is False and answer["failure"] == "The upstream registry denied access to the image"


# -- pulls from a public upstream -------------------------------------------------------------


def test_a_pull_creates_the_repository_and_imports_the_image(ecr_client, ecr_mock):
    _hub_rule(ecr_client)
    seeded = ecr_mock.seed_upstream("docker-hub", "library/nginx", "1.27", layers=[b"base", b"nginx"])
    answer = ecr_client.batch_get_image(repositoryName="docker-hub/library/nginx", imageIds=[{"imageTag": "1.27"}])
    assert answer["failures"] == []
    image = answer["images"][0]
    assert image["imageId"] == {"imageDigest": seeded.digest, "imageTag": "1.27"}
    assert image["imageManifest"] == seeded.manifest
    repository = ecr_mock.state().repository("docker-hub/library/nginx")
    assert repository.image_tags == {"1.27": seeded.digest}
    assert repository.layer_digests == {seeded.config_digest, *seeded.layer_digests}
    assert repository.images[0].last_pulled_at is not None
    url = ecr_client.get_download_url_for_layer(
        repositoryName="docker-hub/library/nginx", layerDigest=seeded.layer_digests[1]
    )["downloadUrl"]
    assert requests.get(url).content == b"nginx"
    # a second pull answers from the cache, and a tag the upstream gained later is imported too
    later = ecr_mock.seed_upstream("docker-hub", "library/nginx", "1.28", layers=[b"base", b"newer"])
    answer = ecr_client.batch_get_image(
        repositoryName="docker-hub/library/nginx", imageIds=[{"imageTag": "1.27"}, {"imageTag": "1.28"}]
    )
    assert [i["imageId"]["imageDigest"] for i in answer["images"]] == [seeded.digest, later.digest]
    listed = ecr_client.list_images(repositoryName="docker-hub/library/nginx")["imageIds"]
    assert {i["imageTag"] for i in listed} == {"1.27", "1.28"}


def test_nothing_upstream_is_refused_and_creates_nothing(ecr_client, ecr_mock):
    _hub_rule(ecr_client)
    with pytest.raises(ecr_client.exceptions.UnableToGetUpstreamImageException) as info:
        ecr_client.batch_get_image(repositoryName="docker-hub/library/redis", imageIds=[{"imageTag": "7"}])
    assert _error(info)[1] == (
        "Unable to get the image '7' from the upstream repository 'registry-1.docker.io/library/redis' for the "
        f"repository with name 'docker-hub/library/redis' in the registry with id '{ACCOUNT}'"
    )
    assert ecr_client.describe_repositories()["repositories"] == []
    with pytest.raises(ecr_client.exceptions.UnableToGetUpstreamLayerException):
        ecr_client.get_download_url_for_layer(
            repositoryName="docker-hub/library/redis", layerDigest="sha256:" + "a" * 64
        )
    assert ecr_client.describe_repositories()["repositories"] == []
    # a name no rule covers is answered as before
    with pytest.raises(ecr_client.exceptions.RepositoryNotFoundException):
        ecr_client.batch_get_image(repositoryName="elsewhere/redis", imageIds=[{"imageTag": "7"}])


def test_failures_once_the_cache_repository_exists(ecr_client, ecr_mock):
    _hub_rule(ecr_client)
    seeded = ecr_mock.seed_upstream("docker-hub", "library/nginx", "1.27")
    name = "docker-hub/library/nginx"
    answer = ecr_client.batch_get_image(
        repositoryName=name,
        imageIds=[{"imageTag": "1.27"}, {"imageTag": "missing"}, {"imageDigest": "sha256:" + "b" * 64}],
    )
    assert [f["failureCode"] for f in answer["failures"]] == ["ImageNotFound", "ImageNotFound"]
    ecr_mock.set_upstream_failure("docker-hub", "UpstreamTooManyRequests")
    answer = ecr_client.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "1.27"}, {"imageTag": "2"}])
    assert answer["images"][0]["imageId"]["imageDigest"] == seeded.digest  # cached: the upstream is not asked
    assert answer["failures"] == [
        {
            "imageId": {"imageTag": "2"},
            "failureCode": "UpstreamTooManyRequests",
            "failureReason": "The upstream registry is throttling requests",
        }
    ]
    ecr_mock.set_upstream_failure("docker-hub", None)
    ecr_mock.seed_upstream("docker-hub", "library/nginx", "2")
    assert ecr_client.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "2"}])["failures"] == []


def test_a_first_pull_by_digest_imports_nothing(ecr_client, ecr_mock):
    _hub_rule(ecr_client)
    seeded = ecr_mock.seed_upstream("docker-hub", "library/nginx", "1.27")
    with pytest.raises(ecr_client.exceptions.RepositoryNotFoundException):
        ecr_client.batch_get_image(repositoryName="docker-hub/library/nginx", imageIds=[{"imageDigest": seeded.digest}])


def test_a_layer_pull_imports_the_image_that_holds_it(ecr_client, ecr_mock):
    ecr_client.create_pull_through_cache_rule(ecrRepositoryPrefix="quay", upstreamRegistryUrl="quay.io")
    seeded = ecr_mock.seed_upstream("quay", "org/tool", "v1", layers=[b"tool layer"])
    url = ecr_client.get_download_url_for_layer(repositoryName="quay/org/tool", layerDigest=seeded.layer_digests[0])
    assert requests.get(url["downloadUrl"]).content == b"tool layer"
    assert ecr_mock.state().repository("quay/org/tool").image_tags == {"v1": seeded.digest}


def test_a_pull_through_creation_template_gives_the_settings(ecr_client, ecr_mock):
    ecr_client.create_repository_creation_template(
        prefix="docker-hub",
        appliedFor=["PULL_THROUGH_CACHE"],
        imageTagMutability="IMMUTABLE",
        encryptionConfiguration={"encryptionType": "KMS"},
        resourceTags=[{"Key": "team", "Value": "platform"}],
        repositoryPolicy=POLICY,
    )
    ecr_client.create_repository_creation_template(prefix="ROOT", appliedFor=["CREATE_ON_PUSH"])
    _hub_rule(ecr_client)
    ecr_mock.seed_upstream("docker-hub", "library/nginx", "1.27")
    ecr_client.batch_get_image(repositoryName="docker-hub/library/nginx", imageIds=[{"imageTag": "1.27"}])
    repository = ecr_client.describe_repositories()["repositories"][0]
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["encryptionConfiguration"]["encryptionType"] == "KMS"
    assert repository["encryptionConfiguration"]["kmsKey"].startswith(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/")
    tags = ecr_client.list_tags_for_resource(resourceArn=repository["repositoryArn"])["tags"]
    assert tags == [{"Key": "team", "Value": "platform"}]
    policy = ecr_client.get_repository_policy(repositoryName="docker-hub/library/nginx")["policyText"]
    assert json.loads(policy) == json.loads(POLICY)


def test_an_import_over_the_repository_quota_is_refused():
    with mock_ecr(quotas={"repositories_per_registry": 0}) as m:
        client = boto3.client("ecr", region_name="us-east-1")
        _hub_rule(client)
        m.seed_upstream("docker-hub", "library/nginx", "1.27")
        with pytest.raises(client.exceptions.LimitExceededException):
            client.batch_get_image(repositoryName="docker-hub/library/nginx", imageIds=[{"imageTag": "1.27"}])
        assert m.state().repositories == {}


def test_an_index_is_imported_with_its_manifests(ecr_client, ecr_mock):
    """An ecr upstream holding a multi-architecture index."""
    child = ecr_mock.push_image("base", "amd64", account_id=OTHER, region="us-east-1")
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{"mediaType": child.media_type, "digest": child.digest, "size": len(child.manifest)}],
        }
    )
    boto3.client("ecr", region_name="us-east-1").put_image(
        registryId=OTHER, repositoryName="base", imageManifest=index, imageTag="latest"
    )
    ecr_client.create_pull_through_cache_rule(
        ecrRepositoryPrefix="other",
        upstreamRegistryUrl=f"{OTHER}.dkr.ecr.us-east-1.amazonaws.com",
        customRoleArn=f"arn:aws:iam::{ACCOUNT}:role/pull",
    )
    answer = ecr_client.batch_get_image(repositoryName="other/base", imageIds=[{"imageTag": "latest"}])
    assert answer["images"][0]["imageManifest"] == index
    state = ecr_mock.state().repository("other/base")
    assert {image.digest for image in state.images} == {child.digest, answer["images"][0]["imageId"]["imageDigest"]}
    assert state.image_tags == {"latest": answer["images"][0]["imageId"]["imageDigest"]}


# -- pulls from another registry of the mock ---------------------------------------------------


@pytest.mark.parametrize("region", ["eu-west-1", "us-west-2"])  # sorting before and after us-east-1
def test_an_ecr_upstream_in_another_region(ecr_client, ecr_mock, region):
    pushed = ecr_mock.push_image("team/app", "v1", region=region, layers=[b"app"])
    ecr_client.create_pull_through_cache_rule(
        ecrRepositoryPrefix="mirror",
        upstreamRegistryUrl=f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com",
        upstreamRepositoryPrefix="team",
    )
    answer = ecr_client.batch_get_image(repositoryName="mirror/app", imageIds=[{"imageTag": "v1"}])
    assert answer["images"][0]["imageId"]["imageDigest"] == pushed.digest
    url = ecr_client.get_download_url_for_layer(repositoryName="mirror/app", layerDigest=pushed.layer_digests[0])
    assert requests.get(url["downloadUrl"]).content == b"app"
    assert ecr_mock.state(region=region).repository("team/app").image_tags == {"v1": pushed.digest}
    with pytest.raises(ecr_client.exceptions.UnableToGetUpstreamImageException):
        ecr_client.batch_get_image(repositoryName="mirror/other", imageIds=[{"imageTag": "v1"}])


def test_root_rules_cover_every_other_repository(ecr_client, ecr_mock):
    pushed = ecr_mock.push_image("tools/jq", "1", region="eu-west-1")
    ecr_client.create_pull_through_cache_rule(
        ecrRepositoryPrefix="ROOT", upstreamRegistryUrl=f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com"
    )
    answer = ecr_client.batch_get_image(repositoryName="tools/jq", imageIds=[{"imageTag": "1"}])
    assert answer["images"][0]["imageId"]["imageDigest"] == pushed.digest


def test_concurrent_imports_in_both_directions_finish():
    """Two registries caching each other: every lock is taken in the global order."""
    with mock_ecr() as m:
        east, west = (boto3.client("ecr", region_name=r) for r in ("us-east-1", "eu-west-1"))
        for client, other in ((east, "eu-west-1"), (west, "us-east-1")):
            client.create_pull_through_cache_rule(
                ecrRepositoryPrefix="peer", upstreamRegistryUrl=f"{ACCOUNT}.dkr.ecr.{other}.amazonaws.com"
            )
        for number in range(20):
            m.push_image(f"app{number}", "v1", region="us-east-1", layers=1)
            m.push_image(f"app{number}", "v1", region="eu-west-1", layers=1)
        errors: list[BaseException] = []

        def pull(client):
            try:
                for number in range(20):
                    client.batch_get_image(repositoryName=f"peer/app{number}", imageIds=[{"imageTag": "v1"}])
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

        threads = [threading.Thread(target=pull, args=(c,)) for c in (east, west)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert not errors and not any(t.is_alive() for t in threads)
        assert len(m.state(region="us-east-1").repositories) == len(m.state(region="eu-west-1").repositories) == 40


# -- tooling ------------------------------------------------------------------------------------


def test_seeding_takes_what_push_image_takes_and_refuses_what_is_no_upstream(ecr_mock):
    oci = ecr_mock.seed_upstream("registry.k8s.io", "pause", "3.9", layers=1, layer_size=10, media_type="oci")
    assert oci.media_type == "application/vnd.oci.image.manifest.v1+json" and oci.size == 10
    azure = ecr_mock.seed_upstream("myregistry.azurecr.io", "app", "v1", layers=0)
    assert azure.upstream == "myregistry.azurecr.io" and azure.layer_digests == ()
    assert ecr_mock.state().upstreams == {
        "registry.k8s.io": {"pause": {"3.9": oci.digest}},
        "myregistry.azurecr.io": {"app": {"v1": azure.digest}},
    }
    for upstream in ("ecr", f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com", "harbor.example.com"):
        with pytest.raises(ValueError):
            ecr_mock.seed_upstream(upstream, "app", "v1")
    with pytest.raises(ValueError):
        ecr_mock.set_upstream_failure("docker-hub", "Maybe")


def test_snapshots_cover_rules_and_upstreams(ecr_client, ecr_mock):
    _hub_rule(ecr_client)
    ecr_mock.seed_upstream("docker-hub", "library/nginx", "1.27")
    snapshot = ecr_mock.snapshot()
    ecr_client.delete_pull_through_cache_rule(ecrRepositoryPrefix="docker-hub")
    ecr_mock.seed_upstream("docker-hub", "library/nginx", "1.28")
    ecr_mock.restore(snapshot)
    state = ecr_mock.state()
    assert list(state.pull_through_rules) == ["docker-hub"]
    assert list(state.upstreams[HUB]["library/nginx"]) == ["1.27"]
    answer = ecr_client.batch_get_image(repositoryName="docker-hub/library/nginx", imageIds=[{"imageTag": "1.27"}])
    assert answer["failures"] == []


def test_a_tag_cached_a_day_ago_follows_the_upstream(ecr_client, ecr_mock):
    _hub_rule(ecr_client)
    name = "docker-hub/library/nginx"
    with freeze_time("2026-03-01 00:00:00") as clock:
        first = ecr_mock.seed_upstream("docker-hub", "library/nginx", "stable", layers=[b"one"])
        ecr_client.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "stable"}])
        moved = ecr_mock.seed_upstream("docker-hub", "library/nginx", "stable", layers=[b"two"])
        clock.tick(23 * 3600)
        answer = ecr_client.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "stable"}])
        assert answer["images"][0]["imageId"]["imageDigest"] == first.digest  # still fresh
        clock.tick(3600)
        ecr_mock.set_upstream_failure("docker-hub", "UpstreamUnavailable")
        answer = ecr_client.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "stable"}])
        assert answer["images"][0]["imageId"]["imageDigest"] == first.digest  # the cache answers
        ecr_mock.set_upstream_failure("docker-hub", None)
        answer = ecr_client.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "stable"}])
        assert answer["images"][0]["imageId"]["imageDigest"] == moved.digest
    tags = {image.digest: image.tags for image in ecr_mock.state().repository(name).images}
    assert tags == {first.digest: (), moved.digest: ("stable",)}
