"""oras-py in-process: an artifact pushed to and pulled from ``ACCOUNT.dkr.ecr.REGION.amazonaws.com``.

oras-py talks ``requests``, so while the mock is active its calls to ECR's registry host are
answered through the ``requests`` router, with no server. Skipped when oras is not
installed, unless ``MOCK_ECR_REAL_CLIENTS`` is set (it is in the ``test`` extra, and CI
sets the variable).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import boto3
import pytest

from mock_ecr import mock_ecr

from ..conftest import HOST, password

try:
    import oras.client
except ImportError:  # pragma: no cover - installed with the test extra
    if os.environ.get("MOCK_ECR_REAL_CLIENTS"):
        raise
    pytest.skip("oras is not installed (pip install oras; it is in the test extra)", allow_module_level=True)

MIB = 1024 * 1024
REPOSITORY = "artifacts/model"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # oras pushes only files under the working directory
    return tmp_path


def logged_in(ecr, backend: str = "basic") -> oras.client.OrasClient:
    client = oras.client.OrasClient(hostname=HOST, auth_backend=backend)
    if backend == "basic":
        client.auth.set_basic_auth("AWS", password(ecr))
    return client


@pytest.mark.parametrize("chunked", [False, True], ids=["monolithic", "chunked"])
def test_an_artifact_pushed_with_oras_is_an_image_for_the_api_and_pulls_back(workdir, chunked):
    # chunked: PATCHes of 6 MiB with Content-Range (ECR's parts are at least 5 MiB), then PUT
    model = os.urandom(13 * MIB + 5 if chunked else 100_000)
    notes = b"trained on the mock\n"
    (workdir / "model.bin").write_bytes(model)
    (workdir / "notes.txt").write_bytes(notes)
    with mock_ecr():
        ecr = boto3.client("ecr", region_name="us-east-1")
        ecr.create_repository(repositoryName=REPOSITORY)
        client = logged_in(ecr)
        pushed = client.push(
            target=f"{HOST}/{REPOSITORY}:v1",
            files=["model.bin", "notes.txt"],
            manifest_annotations={"org.example.stage": "test"},
            do_chunked=chunked,
            chunk_size=6 * MIB,
            quiet=True,
        )
        assert pushed.status_code == 201
        digest = pushed.headers["Docker-Content-Digest"]

        (image,) = ecr.describe_images(repositoryName=REPOSITORY)["imageDetails"]
        assert image["imageDigest"] == digest
        assert image["imageTags"] == ["v1"]
        manifest = json.loads(
            ecr.batch_get_image(repositoryName=REPOSITORY, imageIds=[{"imageTag": "v1"}])["images"][0]["imageManifest"]
        )
        assert manifest["annotations"]["org.example.stage"] == "test"
        assert [(layer["digest"], layer["size"]) for layer in manifest["layers"]] == [
            (sha256(model), len(model)),
            (sha256(notes), len(notes)),
        ]

        out = workdir / "out"
        files = client.pull(target=f"{HOST}/{REPOSITORY}:v1", outdir=str(out))
        assert sorted(Path(f).name for f in files) == ["model.bin", "notes.txt"]
        assert (out / "model.bin").read_bytes() == model
        assert (out / "notes.txt").read_bytes() == notes


def test_orass_ecr_auth_backend_gets_its_password_from_the_mock(workdir):
    (workdir / "a.txt").write_bytes(b"a")
    with mock_ecr():
        ecr = boto3.client("ecr", region_name="us-east-1")
        ecr.create_repository(repositoryName=REPOSITORY)
        ecr.get_authorization_token()  # the registry host is served from the first password issued
        client = logged_in(ecr, backend="ecr")  # oras calls GetAuthorizationToken itself on the 401
        assert client.push(target=f"{HOST}/{REPOSITORY}:v2", files=["a.txt"], quiet=True).status_code == 201
        assert client.get_tags(f"{HOST}/{REPOSITORY}") == ["v2"]


def test_a_made_up_password_gets_ecrs_401(workdir):
    (workdir / "a.txt").write_bytes(b"a")
    with mock_ecr():
        ecr = boto3.client("ecr", region_name="us-east-1")
        ecr.create_repository(repositoryName=REPOSITORY)
        password(ecr)
        client = oras.client.OrasClient(hostname=HOST, auth_backend="basic")
        client.auth.set_basic_auth("AWS", "bm90LWEtdG9rZW4=")
        answer = client.do_request(f"https://{HOST}/v2/{REPOSITORY}/tags/list")  # retried with the password
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"] == (f'Basic realm="https://{HOST}/",service="ecr.amazonaws.com"')
        with pytest.raises(ValueError):  # oras reads the refusal's plain-text body as JSON
            client.push(target=f"{HOST}/{REPOSITORY}:v1", files=["a.txt"], quiet=True)
        assert ecr.describe_images(repositoryName=REPOSITORY)["imageDetails"] == []
