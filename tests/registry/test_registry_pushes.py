"""The registry face shares the push and pull rules of the API: create on push, pull-through cache."""

from __future__ import annotations

import json

import pytest

from .conftest import ACCOUNT, OCI, errors

SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:ecr-pullthroughcache/hub-AbCdEf"


def _create_on_push(reg, prefix="team"):
    reg.ecr.create_repository_creation_template(
        prefix=prefix, appliedFor=["CREATE_ON_PUSH"], imageTagMutability="IMMUTABLE"
    )


def test_a_push_creates_the_repository_a_template_covers(reg):
    _create_on_push(reg)
    digest, _ = reg.push_image("team/app", "v1", [b"layer"])
    (repository,) = reg.ecr.describe_repositories(repositoryNames=["team/app"])["repositories"]
    assert repository["imageTagMutability"] == "IMMUTABLE"
    described = reg.ecr.describe_images(repositoryName="team/app")["imageDetails"]
    assert [(d["imageDigest"], d["imageTags"]) for d in described] == [(digest, ["v1"])]


def test_without_a_template_a_push_is_refused_and_creates_nothing(reg):
    started = reg.request("POST", "/v2/other/app/blobs/uploads/")
    assert started.status_code == 404
    assert errors(started)[0][0] == "NAME_UNKNOWN"
    assert reg.ecr.describe_repositories()["repositories"] == []


def test_a_refused_manifest_push_leaves_no_repository_behind(reg):
    _create_on_push(reg)
    missing = "sha256:" + "0" * 64
    config = {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": missing, "size": 2}
    manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI, "config": config, "layers": []})
    answer = reg.push_manifest("team/ghost", "v1", manifest, OCI)
    assert answer.status_code == 400
    assert errors(answer)[0][0] == "MANIFEST_BLOB_UNKNOWN"
    assert reg.ecr.describe_repositories()["repositories"] == []


@pytest.fixture
def hub(reg):
    reg.ecr.create_pull_through_cache_rule(
        ecrRepositoryPrefix="docker-hub", upstreamRegistryUrl="registry-1.docker.io", credentialArn=SECRET
    )
    return reg


def test_a_manifest_pull_imports_from_the_upstream(hub):
    seeded = hub.mock.seed_upstream("docker-hub", "library/nginx", "1.27", layers=[b"base", b"nginx"])
    pulled = hub.get("/v2/docker-hub/library/nginx/manifests/1.27", headers={"Accept": seeded.media_type})
    assert pulled.status_code == 200, pulled.text
    assert pulled.headers["Docker-Content-Digest"] == seeded.digest
    assert pulled.content == seeded.manifest.encode()
    blob = hub.get(f"/v2/docker-hub/library/nginx/blobs/{seeded.layer_digests[1]}")
    assert blob.content == b"nginx"
    listed = hub.ecr.list_images(repositoryName="docker-hub/library/nginx")["imageIds"]
    assert listed == [{"imageDigest": seeded.digest, "imageTag": "1.27"}]


def test_nothing_upstream_is_manifest_unknown_and_creates_nothing(hub):
    pulled = hub.get("/v2/docker-hub/library/redis/manifests/7")
    assert pulled.status_code == 404
    assert errors(pulled)[0][0] in ("MANIFEST_UNKNOWN", "NAME_UNKNOWN")
    assert hub.ecr.describe_repositories()["repositories"] == []
