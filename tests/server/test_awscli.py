"""The AWS CLI, as a subprocess, against the server.

The CLI pins its own botocore, so it lives in an environment of its own: ``.ci/run`` makes
one and points ``MOCK_ECR_AWS_CLI`` at its ``aws``; without that variable an ``aws`` on PATH
is used. Under CI a missing CLI fails the tests instead of skipping them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import ServerProcess


def aws_cli() -> str:
    found = os.environ.get("MOCK_ECR_AWS_CLI") or shutil.which("aws")
    if not found:
        if os.environ.get("CI"):
            pytest.fail("the AWS CLI is missing: .ci/run installs it and sets MOCK_ECR_AWS_CLI")
        pytest.skip("the AWS CLI is not installed (set MOCK_ECR_AWS_CLI, or put aws on PATH)")
    return found


@pytest.fixture(scope="module")
def server():
    server = ServerProcess()
    yield server
    server.stop()


@pytest.fixture
def aws(server, tmp_path):
    executable = aws_cli()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": "AKIAAWSCLITEST000000",
        "AWS_SECRET_ACCESS_KEY": "aws-cli-test-secret",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
    }

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [executable, "--endpoint-url", server.url, "ecr", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"aws ecr {' '.join(args)} exited {done.returncode}: {done.stderr}")
        return done

    return run


def test_create_describe_and_the_error_of_a_missing_repository(aws, server):
    created = json.loads(aws("create-repository", "--repository-name", "cli/app").stdout)["repository"]
    assert created["repositoryUri"] == "123456789012.dkr.ecr.eu-central-1.amazonaws.com/cli/app"
    described = json.loads(aws("describe-repositories", "--repository-names", "cli/app").stdout)
    assert [r["repositoryArn"] for r in described["repositories"]] == [
        "arn:aws:ecr:eu-central-1:123456789012:repository/cli/app"
    ]
    failed = aws("describe-repositories", "--repository-names", "cli/missing", check=False)
    assert failed.returncode in (254, 255)  # a service error: 255 from the CLI v1 (PyPI), 254 from v2
    assert failed.stderr.strip() == (
        "An error occurred (RepositoryNotFoundException) when calling the DescribeRepositories operation: "
        "The repository with name 'cli/missing' does not exist in the registry with id '123456789012'"
    )


def test_put_image_from_a_file_and_describe_images_with_query(aws, server, tmp_path):
    aws("create-repository", "--repository-name", "cli/images")
    config = b'{"architecture":"amd64","os":"linux"}'
    layer = b"a layer pushed by the aws cli\n" * 50
    descriptors = []
    for blob, media_type in (
        (config, "application/vnd.oci.image.config.v1+json"),
        (layer, "application/vnd.oci.image.layer.v1.tar+gzip"),
    ):
        digest = "sha256:" + hashlib.sha256(blob).hexdigest()
        (tmp_path / "blob").write_bytes(blob)
        upload = json.loads(aws("initiate-layer-upload", "--repository-name", "cli/images").stdout)["uploadId"]
        aws(
            "upload-layer-part",
            "--repository-name",
            "cli/images",
            "--upload-id",
            upload,
            "--part-first-byte",
            "0",
            "--part-last-byte",
            str(len(blob) - 1),
            "--layer-part-blob",
            "fileb://blob",
        )
        aws(
            "complete-layer-upload", "--repository-name", "cli/images", "--upload-id", upload, "--layer-digests", digest
        )
        descriptors.append({"mediaType": media_type, "size": len(blob), "digest": digest})
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": descriptors[0],
            "layers": descriptors[1:],
        }
    )
    (tmp_path / "manifest.json").write_text(manifest)
    put = json.loads(
        aws(
            "put-image",
            "--repository-name",
            "cli/images",
            "--image-tag",
            "v1",
            "--image-manifest",
            "file://manifest.json",
        ).stdout
    )
    digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
    assert put["image"]["imageId"] == {"imageDigest": digest, "imageTag": "v1"}

    queried = aws(
        "describe-images",
        "--repository-name",
        "cli/images",
        "--query",
        "imageDetails[].[imageTags[0],imageSizeInBytes]",
        "--output",
        "text",
    )
    assert queried.stdout.split() == ["v1", str(len(layer))]

    url = json.loads(
        aws(
            "get-download-url-for-layer", "--repository-name", "cli/images", "--layer-digest", descriptors[1]["digest"]
        ).stdout
    )["downloadUrl"]
    assert url.startswith(server.url + "/_mock_ecr/layers/")


def test_get_login_password(aws):
    password = aws("get-login-password").stdout.strip()
    assert password
    token_data = json.loads(aws("get-authorization-token").stdout)["authorizationData"][0]
    # the password is the token's part after "AWS:", as docker login --password-stdin wants it
    assert base64.b64decode(token_data["authorizationToken"]).decode().startswith("AWS:")
    assert token_data["proxyEndpoint"] == "https://123456789012.dkr.ecr.eu-central-1.amazonaws.com"


def test_the_cli_in_use_is_a_real_one(aws):
    version = subprocess.run([aws_cli(), "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0
    assert (version.stdout + version.stderr).startswith("aws-cli/")
    assert Path(aws_cli()).exists() or shutil.which(aws_cli())
