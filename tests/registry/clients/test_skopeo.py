"""skopeo against the registry face of ``m.serve()``: a multi-arch OCI image in, checked with boto3, and out again.

skopeo is the containers/image stack podman and buildah share: a real client's auth
handshake, blob uploads (one chunked PATCH per blob), manifest pushes by digest and tag,
and pulls. Skipped when skopeo is not installed, unless ``MOCK_ECR_REAL_CLIENTS`` is set
(``.ci/run`` installs Debian's package and sets it, so CI always runs these).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from mock_ecr import mock_ecr

from ..conftest import password
from .oci_layout import OCI_INDEX, OCI_MANIFEST, read_layout, write_layout

SKOPEO = shutil.which("skopeo")
if SKOPEO is None and os.environ.get("MOCK_ECR_REAL_CLIENTS"):
    raise RuntimeError("MOCK_ECR_REAL_CLIENTS is set but skopeo is not installed")
pytestmark = pytest.mark.skipif(SKOPEO is None, reason="skopeo is not installed (.ci/run installs Debian's package)")

REPOSITORY = "team/app"


class Skopeo:
    """skopeo with a home of its own (no auth files of the user's), talking to ``host``."""

    def __init__(self, host: str, password: str, home: Path) -> None:
        self.host = host
        self.creds = f"AWS:{password}"
        self.env = {"HOME": str(home), "PATH": os.environ.get("PATH", ""), "XDG_RUNTIME_DIR": str(home)}

    def run(self, *args: str) -> str:
        assert SKOPEO is not None
        done = subprocess.run(
            [SKOPEO, "--insecure-policy", *args], capture_output=True, text=True, env=self.env, timeout=120
        )
        if done.returncode != 0:
            raise AssertionError(f"skopeo {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
        return done.stdout

    def remote(self, reference: str) -> str:
        return f"docker://{self.host}/{reference}"

    def push(self, source: str, reference: str) -> None:
        self.run("copy", "--all", "--dest-creds", self.creds, "--dest-tls-verify=false", source, self.remote(reference))

    def pull(self, reference: str, destination: str) -> None:
        source = self.remote(reference)
        self.run("copy", "--all", "--src-creds", self.creds, "--src-tls-verify=false", source, destination)

    def inspect(self, reference: str, *flags: str) -> str:
        return self.run("inspect", "--creds", self.creds, "--tls-verify=false", *flags, self.remote(reference))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Any, Skopeo]]:
    with mock_ecr() as m:
        server = m.serve()
        ecr = boto3.client("ecr", region_name="us-east-1")
        ecr.create_repository(repositoryName=REPOSITORY)
        home = tmp_path / "home"
        home.mkdir()
        yield ecr, Skopeo(server.url.split("://", 1)[1], password(ecr), home)


def test_a_multi_arch_image_copied_in_is_what_describe_images_shows_and_copies_out_byte_identical(served, tmp_path):
    ecr, skopeo = served
    layout = write_layout(tmp_path / "in", "v1")
    skopeo.push(layout.reference, f"{REPOSITORY}:v1")

    images = {i["imageDigest"]: i for i in ecr.describe_images(repositoryName=REPOSITORY)["imageDetails"]}
    assert set(images) == {layout.index_digest, *layout.manifests.values()}
    index = images[layout.index_digest]
    assert index["imageTags"] == ["v1"]
    assert index["imageManifestMediaType"] == OCI_INDEX
    for digest in layout.manifests.values():
        assert "imageTags" not in images[digest]  # the platform images are pushed by digest
        assert images[digest]["imageManifestMediaType"] == OCI_MANIFEST
    # the manifests are stored as pushed: the same bytes through the API
    got = ecr.batch_get_image(
        repositoryName=REPOSITORY,
        imageIds=[{"imageTag": "v1"}],
        acceptedMediaTypes=[OCI_INDEX],
    )["images"][0]
    assert got["imageManifest"].encode() == layout.index
    assert got["imageId"]["imageDigest"] == layout.index_digest
    # every layer is there for the API too
    layers = [d for d, blob in layout.blobs.items() if blob[:2] == b"\x1f\x8b"]
    available = ecr.batch_check_layer_availability(repositoryName=REPOSITORY, layerDigests=layers)["layers"]
    assert sorted(a["layerDigest"] for a in available if a["layerAvailability"] == "AVAILABLE") == sorted(layers)

    skopeo.pull(f"{REPOSITORY}:v1", f"oci:{tmp_path / 'out'}:v1")
    digest, blobs = read_layout(tmp_path / "out", "v1")
    assert digest == layout.index_digest
    assert blobs == layout.blobs  # every manifest, config and layer, byte for byte


def test_inspect_and_list_tags(served, tmp_path):
    ecr, skopeo = served
    layout = write_layout(tmp_path / "in", "v1")
    skopeo.push(layout.reference, f"{REPOSITORY}:v1")
    skopeo.push(layout.reference, f"{REPOSITORY}:stable")

    raw = skopeo.inspect(f"{REPOSITORY}:v1", "--raw")
    assert raw.encode() == layout.index
    # the platform's image, chosen from the index (Digest: what the tag names, as skopeo reports it)
    amd64 = json.loads(skopeo.inspect(f"{REPOSITORY}:v1", "--override-arch", "amd64", "--override-os", "linux"))
    assert amd64["Digest"] == layout.index_digest
    assert amd64["Architecture"] == "amd64" and amd64["Os"] == "linux"
    amd64_layers = json.loads(layout.blobs[layout.manifests["linux/amd64"]])["layers"]
    assert amd64["Layers"] == [layer["digest"] for layer in amd64_layers]
    assert sorted(amd64["RepoTags"]) == ["stable", "v1"]
    by_digest = json.loads(skopeo.inspect(f"{REPOSITORY}@{layout.manifests['linux/arm64/v8']}"))
    assert by_digest["Digest"] == layout.manifests["linux/arm64/v8"]
    assert by_digest["Architecture"] == "arm64"
    arm64_layers = json.loads(layout.blobs[layout.manifests["linux/arm64/v8"]])["layers"]
    assert by_digest["Layers"] == [layer["digest"] for layer in arm64_layers]

    tags = json.loads(skopeo.run("list-tags", "--creds", skopeo.creds, "--tls-verify=false", skopeo.remote(REPOSITORY)))
    assert sorted(tags["Tags"]) == ["stable", "v1"]
    listed = ecr.list_images(repositoryName=REPOSITORY, filter={"tagStatus": "TAGGED"})["imageIds"]
    assert sorted(i["imageTag"] for i in listed) == ["stable", "v1"]


def test_a_wrong_password_is_refused(served, tmp_path):
    _, skopeo = served
    skopeo.creds = "AWS:not-a-token"
    with pytest.raises(AssertionError, match="(?i)unauthorized|authentication required|401"):
        skopeo.run("list-tags", "--creds", skopeo.creds, "--tls-verify=false", skopeo.remote(REPOSITORY))
