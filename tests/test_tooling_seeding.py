"""Seeding and inspection: ``m.push_image``, ``m.state()`` / ``m.registries()`` and ``m.reset()``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from freezegun import freeze_time

from mock_ecr import ECRError, mock_ecr
from mock_ecr.errors import RepositoryNotFoundException

ACCOUNT = "123456789012"
DOCKER = "application/vnd.docker.distribution.manifest.v2+json"
OCI = "application/vnd.oci.image.manifest.v1+json"


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# -- push_image -------------------------------------------------------------------------------


def test_one_line_gives_a_repository_with_a_real_image(ecr_mock, ecr_client):
    pushed = ecr_mock.push_image("team/app", "v1")
    assert pushed.digest == _sha(pushed.manifest.encode())
    assert (pushed.repository_name, pushed.tag, pushed.media_type) == ("team/app", "v1", DOCKER)
    assert (pushed.registry_id, pushed.region) == (ACCOUNT, "us-east-1")
    assert len(pushed.layer_digests) == 2 and pushed.size == 2 * 1024
    assert pushed.image_id == {"imageDigest": pushed.digest, "imageTag": "v1"}

    detail = ecr_client.describe_images(repositoryName="team/app")["imageDetails"][0]
    assert (detail["imageDigest"], detail["imageTags"], detail["imageSizeInBytes"]) == (pushed.digest, ["v1"], 2048)
    assert detail["imageManifestMediaType"] == DOCKER
    got = ecr_client.batch_get_image(repositoryName="team/app", imageIds=[{"imageTag": "v1"}])["images"][0]
    assert got["imageManifest"] == pushed.manifest
    manifest = json.loads(pushed.manifest)
    assert [layer["digest"] for layer in manifest["layers"]] == list(pushed.layer_digests)
    assert manifest["config"]["digest"] == pushed.config_digest


def test_layers_can_be_pulled_back(ecr_mock, ecr_client):
    pushed = ecr_mock.push_image("app", "v1", layers=[b"first layer", b"second layer"])
    url = ecr_client.get_download_url_for_layer(repositoryName="app", layerDigest=pushed.layer_digests[1])
    assert requests.get(url["downloadUrl"], timeout=5).content == b"second layer"
    availability = ecr_client.batch_check_layer_availability(
        repositoryName="app", layerDigests=[*pushed.layer_digests, pushed.config_digest]
    )
    assert [layer["layerAvailability"] for layer in availability["layers"]] == ["AVAILABLE"] * 3


def test_oci_untagged_and_explicit_layers(ecr_mock, ecr_client):
    pushed = ecr_mock.push_image("app", media_type="oci", layers=[b"abc"])
    assert pushed.tag is None and pushed.image_id == {"imageDigest": pushed.digest}
    assert pushed.layer_digests == (_sha(b"abc"),) and pushed.size == 3
    ids = ecr_client.list_images(repositoryName="app")["imageIds"]
    assert ids == [{"imageDigest": pushed.digest}]
    assert json.loads(pushed.manifest)["mediaType"] == OCI


def test_shared_layers_are_uploaded_once(ecr_mock):
    ecr_mock.push_image("app", "v1", layers=[b"base", b"one"])
    ecr_mock.push_image("app", "v2", layers=[b"base", b"two"])
    repository = ecr_mock.state().repository("app")
    assert {_sha(b"base"), _sha(b"one"), _sha(b"two")} <= repository.layer_digests
    assert [image.tags for image in repository.images] == [("v1",), ("v2",)]


def test_large_layers_go_up_in_parts(ecr_mock):
    pushed = ecr_mock.push_image("app", "big", layers=1, layer_size=12 * 1024 * 1024)
    assert pushed.size == 12 * 1024 * 1024
    assert ecr_mock.state().repository("app").image("big").size == pushed.size


def test_region_and_account(ecr_mock):
    pushed = ecr_mock.push_image("app", "v1", region="eu-west-1", account_id="210987654321")
    assert (pushed.registry_id, pushed.region) == ("210987654321", "eu-west-1")
    other = boto3.client("ecr", region_name="eu-west-1")
    images = other.describe_images(repositoryName="app", registryId="210987654321")["imageDetails"]
    assert [image["imageDigest"] for image in images] == [pushed.digest]
    assert ecr_mock.state().repositories == {}
    assert list(ecr_mock.state(region="eu-west-1", account_id="210987654321").repositories) == ["app"]


def test_missing_repository_without_create(ecr_mock):
    with pytest.raises(RepositoryNotFoundException) as info:
        ecr_mock.push_image("app", "v1", create_repository=False)
    assert info.value.code == "RepositoryNotFoundException"
    assert isinstance(info.value, ECRError)


def test_refusals_are_ecr_errors(ecr_mock):
    with pytest.raises(ECRError) as info:  # a tag longer than the model's 300 characters
        ecr_mock.push_image("app", "t" * 301)
    assert info.value.code == "InvalidParameterException"
    with pytest.raises(ECRError) as info:
        ecr_mock.push_image("Bad_Name")
    assert info.value.message.startswith("Invalid parameter at 'repositoryName'")
    with pytest.raises(ValueError, match="media_type"):
        ecr_mock.push_image("app", media_type="helm")


def test_seeding_is_not_recorded_and_ignores_injected_errors(ecr_mock):
    ecr_mock.inject_error("PutImage", "ServerException", count=None)
    ecr_mock.push_image("app", "v1")
    assert ecr_mock.calls.operations() == []


def test_push_needs_an_active_mock():
    with pytest.raises(RuntimeError, match="not active"):
        mock_ecr().push_image("app")


# -- state ----------------------------------------------------------------------------------


def test_state_shows_repositories_images_tags_push_times_and_uploads(ecr_mock, ecr_client):
    with freeze_time("2024-05-01 10:00:00"):
        ecr_client.create_repository(repositoryName="app", tags=[{"Key": "team", "Value": "x"}])
        first = ecr_mock.push_image("app", "v1")
    with freeze_time("2024-05-02 10:00:00"):
        second = ecr_mock.push_image("app", "latest")
        ecr_client.put_image(repositoryName="app", imageManifest=second.manifest, imageTag="v2")
    upload_id = ecr_client.initiate_layer_upload(repositoryName="app")["uploadId"]
    ecr_client.upload_layer_part(
        repositoryName="app", uploadId=upload_id, partFirstByte=0, partLastByte=2, layerPartBlob=b"abc"
    )

    state = ecr_mock.state()
    assert (state.account_id, state.region) == (ACCOUNT, "us-east-1")
    repository = state.repository("app")
    assert repository.arn == f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/app"
    assert repository.created_at == dt.datetime(2024, 5, 1, 10, tzinfo=dt.timezone.utc)
    assert dict(repository.resource_tags) == {"team": "x"}
    assert [(image.digest, image.tags) for image in repository.images] == [
        (first.digest, ("v1",)),
        (second.digest, ("latest", "v2")),
    ]
    assert repository.image("v2").pushed_at == dt.datetime(2024, 5, 2, 10, tzinfo=dt.timezone.utc)
    assert repository.image(first.digest).layer_digests == first.layer_digests
    assert repository.image("v1").manifest == first.manifest
    assert dict(repository.image_tags) == {"v1": first.digest, "latest": second.digest, "v2": second.digest}
    assert [(u.upload_id, u.repository_name, u.bytes_received, u.parts) for u in state.uploads] == [
        (upload_id, "app", 3, 1)
    ]
    assert repository.uploads == state.uploads
    with pytest.raises(KeyError, match="no image tagged or with digest 'v9'"):
        repository.image("v9")
    with pytest.raises(KeyError, match="no repository 'nope'"):
        state.repository("nope")


def test_state_records_pulls_and_policies(ecr_mock, ecr_client):
    ecr_mock.push_image("app", "v1")
    policy = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]})
    ecr_client.set_repository_policy(repositoryName="app", policyText=policy)
    assert ecr_mock.state().repository("app").image("v1").last_pulled_at is None
    with freeze_time("2030-01-01"):
        ecr_client.batch_get_image(repositoryName="app", imageIds=[{"imageTag": "v1"}])
    repository = ecr_mock.state().repository("app")
    assert repository.image("v1").last_pulled_at == dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    assert repository.policy_text == policy


def test_state_cannot_change_the_store(ecr_mock, ecr_client):
    ecr_mock.push_image("app", "v1")
    state = ecr_mock.state()
    repository = state.repository("app")
    image = repository.images[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        image.tags = ("hijacked",)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        repository.images = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        state.repositories["evil"] = repository  # type: ignore[index]
    with pytest.raises(TypeError):
        repository.resource_tags["k"] = "v"  # type: ignore[index]
    with pytest.raises(AttributeError):
        repository.images.append(image)  # type: ignore[attr-defined]
    assert ecr_client.describe_images(repositoryName="app")["imageDetails"][0]["imageTags"] == ["v1"]


def test_a_snapshot_does_not_move(ecr_mock, ecr_client):
    ecr_mock.push_image("app", "v1")
    before = ecr_mock.state()
    ecr_client.delete_repository(repositoryName="app", force=True)
    assert list(before.repositories) == ["app"] and len(before.repository("app").images) == 1
    assert ecr_mock.state().repositories == {}


def test_registries_lists_every_registry_with_repositories(ecr_mock):
    ecr_mock.push_image("aa", region="us-east-1")
    ecr_mock.push_image("bb", region="eu-west-1", account_id="210987654321")
    found = {(r.account_id, r.region): list(r.repositories) for r in ecr_mock.registries()}
    assert found == {(ACCOUNT, "us-east-1"): ["aa"], ("210987654321", "eu-west-1"): ["bb"]}


# -- reset ----------------------------------------------------------------------------------


def test_reset_drops_state_calls_and_faults_and_stays_active(ecr_mock, ecr_client):
    ecr_mock.push_image("app", "v1")
    ecr_client.describe_repositories()
    ecr_mock.inject_error("CreateRepository", "ServerException", count=None)
    ecr_mock.reset()
    assert ecr_mock.active
    assert ecr_mock.state().repositories == {} and ecr_mock.registries() == ()
    assert len(ecr_mock.calls) == 0
    ecr_client.create_repository(repositoryName="app")  # still answered by the mock, fault gone
    assert ecr_client.describe_images(repositoryName="app")["imageDetails"] == []
    assert ecr_mock.calls.operations() == ["CreateRepository", "DescribeImages"]


def test_reset_needs_an_active_mock():
    m = mock_ecr()
    with m:
        pass
    with pytest.raises(RuntimeError, match="not active"):
        m.reset()


def test_reset_while_nested_resets_the_shared_state():
    with mock_ecr() as outer:
        outer.push_image("app")
        with mock_ecr() as inner:
            inner.reset()
        assert outer.state().repositories == {}
        ecr = boto3.client("ecr", region_name="us-east-1")
        with pytest.raises(ClientError):
            ecr.describe_images(repositoryName="app")
