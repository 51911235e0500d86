"""Isolation: the mock never touches AWS, never uses real credentials, and leaks nothing.

* While active, no socket is opened (nor a name resolved) for any of the 22 ECR actions,
  the tag actions or a layer download.
* Real-looking credentials in the environment, a shared credentials file, a profile named
  by ``AWS_PROFILE`` (static keys or a ``credential_process``) and an expired
  ``AWS_CREDENTIAL_EXPIRATION`` are never used: requests are signed with the mock's fake
  credentials, and after stop (also after an exception) the environment is exactly as it was.
* No state leaks between tests, in sequence or under pytest-xdist, and 10,000 activations
  leave no objects behind.
"""

from __future__ import annotations

import gc
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import botocore.session
import pytest
import requests
from botocore.endpoint import Endpoint
from requests.adapters import HTTPAdapter

from mock_ecr import MockECR, mock_ecr
from mock_ecr.transports import botocore as intercept
from mock_ecr.transports import inprocess as activation

from .ecr_helpers import digest_of, push_image

FAKE_KEY = activation.FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"]
FAKE_TOKEN = activation.FAKE_CREDENTIALS["AWS_SESSION_TOKEN"]
REAL_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjEXAMPLEREALTOKEN",
    "AWS_SECURITY_TOKEN": "IQoJb3JpZ2luX2VjEXAMPLEREALTOKEN",
}
POLICY = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]})
LIFECYCLE = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "description": "keep the newest image only, expire the rest",
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
                "action": {"type": "expire"},
            }
        ]
    }
)


def every_action(client: Any) -> set[str]:
    """Call each of the 22 ECR actions and the 3 tag actions; returns the operations called."""
    called: set[str] = set()
    client.meta.events.register("before-call.ecr", lambda model, **_: called.add(model.name))
    repository = client.create_repository(repositoryName="iso")["repository"]
    client.describe_repositories()
    client.set_repository_policy(repositoryName="iso", policyText=POLICY)
    client.get_repository_policy(repositoryName="iso")
    client.delete_repository_policy(repositoryName="iso")
    client.get_authorization_token()
    pushed = push_image(client, "iso", tag="v1")  # BatchCheckLayerAvailability, the 3 upload actions, PutImage
    url = client.get_download_url_for_layer(repositoryName="iso", layerDigest=digest_of(pushed.layers[0]))
    assert requests.get(url["downloadUrl"], timeout=5).content == pushed.layers[0]
    client.batch_get_image(repositoryName="iso", imageIds=[{"imageTag": "v1"}])
    client.list_images(repositoryName="iso")
    client.describe_images(repositoryName="iso")
    client.put_lifecycle_policy(repositoryName="iso", lifecyclePolicyText=LIFECYCLE)
    client.get_lifecycle_policy(repositoryName="iso")
    client.start_lifecycle_policy_preview(repositoryName="iso")
    client.get_lifecycle_policy_preview(repositoryName="iso")
    client.delete_lifecycle_policy(repositoryName="iso")
    client.tag_resource(resourceArn=repository["repositoryArn"], tags=[{"Key": "a", "Value": "b"}])
    client.list_tags_for_resource(resourceArn=repository["repositoryArn"])
    client.untag_resource(resourceArn=repository["repositoryArn"], tagKeys=["a"])
    client.batch_delete_image(repositoryName="iso", imageIds=[{"imageTag": "v1"}])
    client.delete_repository(repositoryName="iso", force=True)
    return called


TWENTY_TWO = {
    "CreateRepository",
    "DescribeRepositories",
    "DeleteRepository",
    "SetRepositoryPolicy",
    "GetRepositoryPolicy",
    "DeleteRepositoryPolicy",
    "GetAuthorizationToken",
    "InitiateLayerUpload",
    "UploadLayerPart",
    "CompleteLayerUpload",
    "BatchCheckLayerAvailability",
    "GetDownloadUrlForLayer",
    "PutImage",
    "BatchGetImage",
    "BatchDeleteImage",
    "ListImages",
    "DescribeImages",
    "PutLifecyclePolicy",
    "GetLifecyclePolicy",
    "DeleteLifecyclePolicy",
    "StartLifecyclePolicyPreview",
    "GetLifecyclePolicyPreview",
}


# -- never touching the network ---------------------------------------------------------------
@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to connect a socket or resolve a name fails the test (and is recorded)."""
    attempts: list[str] = []

    def forbid(what: str):
        def refuse(*args: Any, **kwargs: Any) -> Any:
            attempts.append(f"{what}{args[1:] if what.startswith('socket.') else args}")
            raise OSError(f"mock_ecr test: {what} is forbidden")

        return refuse

    monkeypatch.setattr(socket.socket, "connect", forbid("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", forbid("socket.connect_ex"))
    monkeypatch.setattr(socket, "create_connection", forbid("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", forbid("getaddrinfo"))
    return attempts


def test_no_socket_is_opened_for_any_action(no_network):
    with mock_ecr():
        client = boto3.client("ecr", region_name="us-east-1")
        called = every_action(client)
    assert TWENTY_TWO <= called and {"TagResource", "UntagResource", "ListTagsForResource"} <= called
    assert no_network == []


def test_the_forbidding_is_real(no_network):
    """Without the mock the same client would have to connect, and is stopped."""
    client = boto3.client(
        "ecr",
        region_name="us-east-1",
        aws_access_key_id="AKIAX",
        aws_secret_access_key="x",
        config=botocore.config.Config(retries={"total_max_attempts": 1}),
    )
    with pytest.raises(botocore.exceptions.EndpointConnectionError):
        client.describe_repositories()
    assert no_network


# -- never using real credentials --------------------------------------------------------------
@pytest.fixture
def real_looking_credentials(tmp_path, monkeypatch):
    """Real-looking keys in the environment and in a shared credentials file; a profile whose
    credential_process would leave a marker file if it ever ran."""
    marker = tmp_path / "credential_process_ran"
    credentials = tmp_path / "credentials"
    credentials.write_text(
        textwrap.dedent("""\
        [default]
        aws_access_key_id = AKIADEFAULTPROFILE00
        aws_secret_access_key = default-profile-secret
        [prod]
        aws_access_key_id = AKIAPRODPROFILE00000
        aws_secret_access_key = prod-profile-secret
        """)
    )
    process = f"{sys.executable} -c \"open({str(marker)!r}, 'w').write('ran')\""
    config = tmp_path / "config"
    config.write_text(
        textwrap.dedent(f"""\
        [default]
        region = eu-west-1
        [profile prod]
        region = eu-west-1
        [profile proc]
        region = eu-west-1
        credential_process = {process}
        """)
    )
    for name, value in REAL_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    return marker


def _signatures(client: Any) -> list[tuple[str, str | None]]:
    """(Authorization header, security token) of every request ``client`` sends from now on."""
    seen: list[tuple[str, str | None]] = []

    def capture(request: Any, **_: Any) -> None:
        headers = request.headers
        token = headers.get("X-Amz-Security-Token")
        seen.append(
            (
                headers["Authorization"].decode()
                if isinstance(headers["Authorization"], bytes)
                else headers["Authorization"],
                token.decode() if isinstance(token, bytes) else token,
            )
        )

    client.meta.events.register("before-send.ecr", capture)
    return seen


def _assert_signed_with_fake_credentials(client: Any) -> None:
    seen = _signatures(client)
    client.describe_repositories()
    client.get_authorization_token()
    assert seen
    for authorization, token in seen:
        assert f"Credential={FAKE_KEY}/" in authorization, authorization
        assert token == FAKE_TOKEN


@pytest.mark.parametrize("profile", [None, "prod", "proc"])
@pytest.mark.parametrize("expiration", [None, "2020-01-01T00:00:00Z"])
def test_calls_under_the_mock_sign_with_the_fake_credentials(
    real_looking_credentials, monkeypatch, profile, expiration
):
    if profile:
        monkeypatch.setenv("AWS_PROFILE", profile)
    if expiration:  # exported by aws-vault, SSO helpers...: expired real credentials must not matter
        monkeypatch.setenv("AWS_CREDENTIAL_EXPIRATION", expiration)
    before = dict(os.environ)
    with mock_ecr():
        _assert_signed_with_fake_credentials(boto3.session.Session().client("ecr"))
        _assert_signed_with_fake_credentials(botocore.session.get_session().create_client("ecr"))
        boto3.setup_default_session()  # boto3's default session reads the environment of its creation
        _assert_signed_with_fake_credentials(boto3.client("ecr"))
        assert os.environ["AWS_ACCESS_KEY_ID"] == FAKE_KEY
    assert dict(os.environ) == before
    assert not real_looking_credentials.exists(), "a credential_process ran under the mock"


def test_boto3_default_session_from_before_the_mock_is_not_used(real_looking_credentials):
    """boto3.client() reuses boto3's default session, which caches credentials it resolved."""
    boto3.setup_default_session()
    default = boto3.DEFAULT_SESSION
    boto3.client("ecr", region_name="us-east-1")  # resolves (and caches) the real credentials
    with mock_ecr():
        _assert_signed_with_fake_credentials(boto3.client("ecr", region_name="us-east-1"))
    assert boto3.DEFAULT_SESSION is default
    credentials = boto3.client("ecr", region_name="us-east-1")._request_signer._credentials
    assert credentials.access_key == REAL_ENV["AWS_ACCESS_KEY_ID"]


def test_boto3_default_session_made_under_the_mock_does_not_outlive_it(real_looking_credentials):
    """Its cached fake credentials must not sign the real calls of code that runs after the mock."""
    boto3.DEFAULT_SESSION = None
    with mock_ecr():
        _assert_signed_with_fake_credentials(boto3.client("ecr", region_name="us-east-1"))
    assert boto3.DEFAULT_SESSION is None
    credentials = boto3.client("ecr", region_name="us-east-1")._request_signer._credentials
    assert credentials.access_key == REAL_ENV["AWS_ACCESS_KEY_ID"]


def test_environment_restored_after_an_exception_in_every_activation_form(real_looking_credentials, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "prod")
    monkeypatch.setenv("AWS_CREDENTIAL_EXPIRATION", "2020-01-01T00:00:00Z")
    before = dict(os.environ)

    with pytest.raises(ZeroDivisionError):
        with mock_ecr():
            boto3.client("ecr").create_repository(repositoryName="boom")
            raise ZeroDivisionError
    assert dict(os.environ) == before

    @mock_ecr
    def decorated() -> None:
        boto3.client("ecr").create_repository(repositoryName="boom")
        raise KeyError("boom")

    with pytest.raises(KeyError):
        decorated()
    assert dict(os.environ) == before

    mock = mock_ecr()
    mock.start()
    try:
        with mock_ecr():  # nested
            raise ValueError
    except ValueError:
        pass
    finally:
        mock.stop()
    assert dict(os.environ) == before


# -- no state leaks ---------------------------------------------------------------------------------
def _global_hooks() -> tuple[Any, ...]:
    from botocore.signers import RequestSigner

    return (
        Endpoint._send,
        Endpoint.make_request,
        HTTPAdapter.send,
        requests.Session.get_adapter,
        RequestSigner.get_auth_instance,
        intercept._active,
        activation._activation,
    )


def test_state_does_not_leak_between_activations_in_sequence():
    hooks = _global_hooks()
    for _ in range(3):
        with mock_ecr():
            client = boto3.client("ecr", region_name="us-east-1")
            assert client.describe_repositories()["repositories"] == []
            every_action(client)
            client.create_repository(repositoryName="left-behind")
        assert _global_hooks() == hooks


def test_ten_thousand_activations_leave_nothing_behind():
    client = boto3.client("ecr", region_name="us-east-1", aws_access_key_id="AKIAX", aws_secret_access_key="x")

    def activations(count: int) -> None:
        for number in range(count):
            with mock_ecr() as mock:
                if number % 50 == 0:  # every fiftieth also answers calls and stores state
                    client.create_repository(repositoryName=f"r{number % 7}")
                    client.describe_repositories()
                else:
                    mock.backend.store("123456789012", "us-east-1")

    def mocks_alive() -> int:
        return sum(isinstance(o, (activation.Activation, MockECR)) for o in gc.get_objects())

    tracemalloc.start()
    activations(1_000)  # warm every cache, and the allocator's free lists under tracing
    gc.collect()
    objects_before, mocks_before = len(gc.get_objects()), mocks_alive()
    memory_before = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    activations(10_000)
    elapsed = time.perf_counter() - started
    gc.collect()
    memory_grown = tracemalloc.get_traced_memory()[0] - memory_before
    tracemalloc.stop()
    grown = len(gc.get_objects()) - objects_before
    print(
        f"\nisolation: 10,000 activations in {elapsed:.1f}s; live objects grew by {grown}, "
        f"traced memory by {memory_grown} bytes"
    )
    assert mocks_alive() == mocks_before
    assert grown < 500, grown  # a leak of one object per activation would show as 10,000
    assert memory_grown < 128 * 1024, memory_grown  # a 64-byte object leaked per activation would be 640 KB


XDIST_TESTS = """
import boto3
import pytest
from mock_ecr import mock_ecr

NAMES = ["shared", "team/app", "other"]


def _fill(client):
    assert client.describe_repositories()["repositories"] == [], "state leaked in"
    for name in NAMES:
        client.create_repository(repositoryName=name)


@pytest.mark.parametrize("n", range(6))
def test_fixture(ecr_client, n):
    _fill(ecr_client)


@pytest.mark.parametrize("n", range(6))
@mock_ecr
def test_decorator(n):
    _fill(boto3.client("ecr", region_name="us-east-1"))


@pytest.mark.parametrize("n", range(6))
def test_context_manager(n):
    with mock_ecr():
        _fill(boto3.client("ecr", region_name="us-east-1"))


@mock_ecr
class TestClass:
    @pytest.mark.parametrize("n", range(6))
    def test_method(self, n):
        _fill(boto3.client("ecr", region_name="us-east-1"))
"""


@pytest.mark.skipif(os.environ.get("PYTEST_XDIST_WORKER") is not None, reason="already under xdist")
def test_no_state_leaks_under_pytest_xdist(tmp_path: Path):
    (tmp_path / "test_generated_isolation.py").write_text(XDIST_TESTS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "MOCK_ECR_"))}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-n",
            "2",
            "-p",
            "xdist",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "24 passed" in result.stdout, result.stdout[-2000:]
