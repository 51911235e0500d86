"""The registry face, driven with ``requests`` in-process and over a server (``m.serve()``)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests

from mock_ecr import mock_ecr

ACCOUNT = "123456789012"
REGION = "us-east-1"
HOST = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"

OCI = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
BLOB_TYPES = {
    DOCKER: ("application/vnd.docker.container.image.v1+json", "application/vnd.docker.image.rootfs.diff.tar.gzip"),
    OCI: ("application/vnd.oci.image.config.v1+json", "application/vnd.oci.image.layer.v1.tar+gzip"),
}


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def password(client: Any) -> str:
    token = client.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    user, _, secret = base64.b64decode(token).decode().partition(":")
    assert user == "AWS"
    return secret


class Registry:
    """One face of the registry: ``base`` URL, an authenticated ``http`` session, boto3 ``ecr``."""

    def __init__(self, mock: Any, base: str, ecr: Any, kind: str) -> None:
        self.mock = mock
        self.base = base
        self.ecr = ecr
        self.kind = kind
        self.http = requests.Session()
        self.http.auth = ("AWS", password(ecr))

    def url(self, path: str) -> str:
        return self.base + path

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(method, self.url(path), **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def push_blob(self, name: str, data: bytes) -> str:
        """POST, one PATCH, PUT ?digest= (docker's way); returns the digest."""
        digest = digest_of(data)
        started = self.request("POST", f"/v2/{name}/blobs/uploads/")
        assert started.status_code == 202, started.text
        patched = self.request("PATCH", started.headers["Location"], data=data)
        assert patched.status_code == 202, patched.text
        done = self.request("PUT", patched.headers["Location"] + f"?digest={digest}")
        assert done.status_code == 201, done.text
        return digest

    def push_manifest(self, name: str, reference: str, text: str | bytes, media_type: str) -> requests.Response:
        data = text.encode() if isinstance(text, str) else text
        return self.request("PUT", f"/v2/{name}/manifests/{reference}", data=data, headers={"Content-Type": media_type})

    def push_image(self, name: str, tag: str, layers: list[bytes], media_type: str = OCI) -> tuple[str, bytes]:
        """Blobs and an image manifest naming them; returns (digest, manifest bytes)."""
        config = json.dumps({"architecture": "amd64", "os": "linux", "layers": len(layers)}).encode()
        config_type, layer_type = BLOB_TYPES[media_type]
        for blob in (config, *layers):
            self.push_blob(name, blob)
        text = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": media_type,
                "config": {"mediaType": config_type, "digest": digest_of(config), "size": len(config)},
                "layers": [{"mediaType": layer_type, "digest": digest_of(x), "size": len(x)} for x in layers],
            },
            indent=2,
        ).encode()
        answer = self.push_manifest(name, tag, text, media_type)
        assert answer.status_code == 201, answer.text
        return digest_of(text), text


def errors(response: requests.Response) -> list[tuple[str, str]]:
    return [(e["code"], e["message"]) for e in response.json()["errors"]]


@pytest.fixture
def m() -> Iterator[Any]:
    with mock_ecr() as mock:
        yield mock


@pytest.fixture
def ecr(m: Any) -> Any:
    return boto3.client("ecr", region_name=REGION)


@pytest.fixture(params=["in-process", "server"])
def reg(request: Any, m: Any, ecr: Any) -> Iterator[Registry]:
    """The registry in-process (``https://ACCOUNT.dkr.ecr.REGION.amazonaws.com``) and on a server."""
    if request.param == "in-process":
        yield Registry(m, f"https://{HOST}", ecr, request.param)
        return
    server = m.serve()
    try:
        yield Registry(m, server.url, ecr, request.param)
    finally:
        server.stop()
