"""Isolation: the mock never uses real credentials.

Real-looking credentials in the environment, a shared credentials file, a profile named by
``AWS_PROFILE`` (static keys or a ``credential_process``) and an expired
``AWS_CREDENTIAL_EXPIRATION`` are never used: requests are signed with the mock's fake
credentials, and after stop the environment is exactly as it was.
"""

from __future__ import annotations

import os
import sys
import textwrap
from typing import Any

import boto3
import botocore.session
import pytest

from mock_ecr import core, mock_ecr

FAKE_KEY = core.FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"]
FAKE_TOKEN = core.FAKE_CREDENTIALS["AWS_SESSION_TOKEN"]
REAL_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjEXAMPLEREALTOKEN",
    "AWS_SECURITY_TOKEN": "IQoJb3JpZ2luX2VjEXAMPLEREALTOKEN",
}


# -- never using real credentials --------------------------------------------------------------
@pytest.fixture
def real_looking_credentials(tmp_path, monkeypatch):
    """Real-looking keys in the environment and in a shared credentials file; a profile whose
    credential_process would leave a marker file if it ever ran."""
    marker = tmp_path / "credential_process_ran"
    credentials = tmp_path / "credentials"
    credentials.write_text(textwrap.dedent("""\
        [default]
        aws_access_key_id = AKIADEFAULTPROFILE00
        aws_secret_access_key = default-profile-secret
        [prod]
        aws_access_key_id = AKIAPRODPROFILE00000
        aws_secret_access_key = prod-profile-secret
        """))
    process = f"{sys.executable} -c \"open({str(marker)!r}, 'w').write('ran')\""
    config = tmp_path / "config"
    config.write_text(textwrap.dedent(f"""\
        [default]
        region = eu-west-1
        [profile prod]
        region = eu-west-1
        [profile proc]
        region = eu-west-1
        credential_process = {process}
        """))
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
        seen.append((headers["Authorization"].decode() if isinstance(headers["Authorization"], bytes)
                     else headers["Authorization"], token.decode() if isinstance(token, bytes) else token))

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
def test_calls_under_the_mock_sign_with_the_fake_credentials(real_looking_credentials, monkeypatch, profile,
                                                            expiration):
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
