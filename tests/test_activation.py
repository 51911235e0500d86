"""Every way to activate the mock, state scoping, accounts, and the environment it sets."""

from __future__ import annotations

import asyncio
import os
import unittest

import boto3
import botocore.session
import pytest

from mock_ecr import MockECR, mock_ecr
from mock_ecr.transports.inprocess import FAKE_CREDENTIALS


def _names(client) -> list[str]:
    return [r["repositoryName"] for r in client.describe_repositories()["repositories"]]


def _client(region: str = "us-east-1"):
    return boto3.client("ecr", region_name=region)


# -- usage forms ----------------------------------------------------------------------


@mock_ecr
def test_bare_decorator():
    client = _client()
    client.create_repository(repositoryName="bare")
    assert _names(client) == ["bare"]


@mock_ecr(account_id="111122223333")
def test_decorator_with_arguments():
    repo = _client().create_repository(repositoryName="args")["repository"]
    assert repo["registryId"] == "111122223333"


def test_decorated_function_gets_fresh_state_on_every_call():
    @mock_ecr
    def create_and_count():
        client = _client()
        client.create_repository(repositoryName="again")
        return len(_names(client))

    assert create_and_count() == 1
    assert create_and_count() == 1  # no RepositoryAlreadyExistsException from the first call


def test_decorator_keeps_return_value_and_metadata():
    @mock_ecr
    def documented():
        """doc"""
        return 42

    assert documented() == 42
    assert documented.__name__ == "documented"
    assert documented.__doc__ == "doc"


def test_async_function_decorator():
    @mock_ecr
    async def create():
        _client().create_repository(repositoryName="async-repo")
        return _names(_client())

    assert asyncio.run(create()) == ["async-repo"]


def test_context_manager_yields_the_mock():
    with mock_ecr() as m:
        assert isinstance(m, MockECR)
        assert m.active
        _client().create_repository(repositoryName="ctx")
        assert [c.operation for c in m.calls] == ["CreateRepository"]
    assert not m.active


def test_start_stop():
    m = mock_ecr()
    m.start()
    try:
        _client().create_repository(repositoryName="started")
        assert _names(_client()) == ["started"]
    finally:
        m.stop()
    with pytest.raises(RuntimeError):
        m.stop()


@mock_ecr
class TestPlainClass:
    def test_one(self):
        _client().create_repository(repositoryName="one")
        assert _names(_client()) == ["one"]

    def test_two(self):
        assert _names(_client()) == []


@mock_ecr
class TestPlainClassWithSetupMethod:
    def setup_method(self, method):
        _client().create_repository(repositoryName="from-setup")

    def test_setup_state_visible(self):
        assert _names(_client()) == ["from-setup"]

    def teardown_method(self, method):
        assert _names(_client()) == ["from-setup"]


@mock_ecr
class TestUnittestCase(unittest.TestCase):
    def setUp(self):
        self.client = _client()
        self.client.create_repository(repositoryName="set-up")

    def tearDown(self):
        # still mocked: the repository created in setUp is there
        assert "set-up" in _names(self.client)

    def test_state_from_setup_is_visible(self):
        self.assertEqual(_names(self.client), ["set-up"])

    def test_each_test_starts_fresh(self):
        self.client.create_repository(repositoryName="extra")
        self.assertEqual(sorted(_names(self.client)), ["extra", "set-up"])


def test_pytest_fixtures(ecr_mock, ecr_client):
    assert isinstance(ecr_mock, MockECR) and ecr_mock.active
    ecr_client.create_repository(repositoryName="fixture")
    assert ecr_client.meta.region_name == "us-east-1"
    assert [c.operation for c in ecr_mock.calls] == ["CreateRepository"]


def test_plugin_is_registered_through_entry_point(pytestconfig):
    assert pytestconfig.pluginmanager.has_plugin("mock_ecr")


# -- state scoping ----------------------------------------------------------------------


def test_outermost_activation_starts_empty_and_drops_state():
    with mock_ecr():
        _client().create_repository(repositoryName="gone")
    with mock_ecr():
        assert _names(_client()) == []


def test_nested_activations_share_state():
    with mock_ecr():
        _client().create_repository(repositoryName="outer")
        with mock_ecr():
            assert _names(_client()) == ["outer"]
            _client().create_repository(repositoryName="inner")
        assert sorted(_names(_client())) == ["inner", "outer"]


def test_starting_a_started_mock_again_changes_nothing():
    # a notebook cell that calls m.start() may run twice: one stop() still ends the mock
    m = mock_ecr()
    assert m.start() is m
    _client().create_repository(repositoryName="kept")
    assert m.start() is m
    assert _names(_client()) == ["kept"]  # the second start did not start over
    m.stop()
    assert not m.active
    assert os.environ.get("AWS_ACCESS_KEY_ID") != FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"]
    with pytest.raises(RuntimeError, match="not started"):
        m.stop()


def test_with_entries_of_one_mock_nest():
    m = mock_ecr()
    with m:
        with m:
            _client().create_repository(repositoryName="inner")
        assert m.active and _names(_client()) == ["inner"]
    assert not m.active


def test_with_block_inside_a_start_leaves_it_started():
    m = mock_ecr().start()
    try:
        with m:
            _client().create_repository(repositoryName="kept")
        assert m.active and _names(_client()) == ["kept"]
    finally:
        m.stop()
    assert not m.active


def test_stop_inside_a_with_block_ends_the_start_not_the_block():
    m = mock_ecr()
    with m:
        m.start()
        m.stop()
        assert m.active  # the with entry still holds it
    assert not m.active


def test_regions_are_isolated(ecr_mock):
    _client("us-east-1").create_repository(repositoryName="east")
    _client("eu-west-1").create_repository(repositoryName="west")
    assert _names(_client("us-east-1")) == ["east"]
    assert _names(_client("eu-west-1")) == ["west"]


# -- accounts ---------------------------------------------------------------------------


def test_default_account(ecr_client):
    repo = ecr_client.create_repository(repositoryName="acct")["repository"]
    assert repo["registryId"] == "123456789012"


def test_account_from_environment(monkeypatch):
    monkeypatch.setenv("MOCK_ECR_ACCOUNT_ID", "444455556666")
    with mock_ecr():
        assert _client().create_repository(repositoryName="env")["repository"]["registryId"] == "444455556666"


def test_explicit_account_beats_environment(monkeypatch):
    monkeypatch.setenv("MOCK_ECR_ACCOUNT_ID", "444455556666")
    with mock_ecr(account_id="777788889999"):
        assert _client().create_repository(repositoryName="arg")["repository"]["registryId"] == "777788889999"


def test_registry_id_addresses_another_accounts_registry(ecr_client):
    other = "210987654321"
    repo = ecr_client.create_repository(repositoryName="cross", registryId=other)["repository"]
    assert repo["registryId"] == other
    assert repo["repositoryArn"] == f"arn:aws:ecr:us-east-1:{other}:repository/cross"
    assert _names(ecr_client) == []
    described = ecr_client.describe_repositories(registryId=other)["repositories"]
    assert [r["repositoryName"] for r in described] == ["cross"]


# -- environment ------------------------------------------------------------------------


def test_fake_credentials_set_and_environment_restored(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKINGKEY00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_SECURITY_TOKEN", raising=False)
    before = dict(os.environ)
    with mock_ecr():
        for name, value in FAKE_CREDENTIALS.items():
            assert os.environ[name] == value
        credentials = boto3.Session().get_credentials()
        assert credentials.access_key == FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"]
    assert dict(os.environ) == before


def test_environment_restored_after_exception(monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    before = dict(os.environ)
    with pytest.raises(ZeroDivisionError), mock_ecr():
        raise ZeroDivisionError
    assert dict(os.environ) == before


def test_default_region_set_only_when_none_is(monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    with mock_ecr():
        assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1"
        assert boto3.client("ecr").meta.region_name == "us-east-1"
    assert "AWS_DEFAULT_REGION" not in os.environ

    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-2")
    with mock_ecr():
        assert os.environ["AWS_DEFAULT_REGION"] == "ap-southeast-2"
        repo = boto3.client("ecr").create_repository(repositoryName="syd")["repository"]
        assert repo["repositoryUri"] == "123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/syd"
    assert os.environ["AWS_DEFAULT_REGION"] == "ap-southeast-2"


# -- every client is intercepted -----------------------------------------------------------


def test_client_created_before_activation_is_intercepted():
    client = boto3.client(
        "ecr", region_name="us-east-1", aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="secret"
    )
    with mock_ecr():
        client.create_repository(repositoryName="early")
        assert _names(client) == ["early"]


def test_custom_boto3_session_and_plain_botocore_session(ecr_mock):
    session_client = boto3.Session(region_name="eu-central-1").client("ecr")
    session_client.create_repository(repositoryName="from-session")
    core_client = botocore.session.get_session().create_client("ecr", region_name="eu-central-1")
    assert _names(core_client) == ["from-session"]


@pytest.mark.parametrize(
    "config",
    [
        {"use_fips_endpoint": True},
        {"use_dualstack_endpoint": True},
    ],
)
def test_fips_and_dualstack_endpoints(ecr_mock, config):
    from botocore.config import Config

    client = boto3.client("ecr", region_name="us-west-2", config=Config(**config))
    client.create_repository(repositoryName="special-endpoint")
    assert _names(_client("us-west-2")) == ["special-endpoint"]


def test_custom_endpoint_url_uses_the_signing_region(ecr_mock):
    client = boto3.client("ecr", region_name="eu-north-1", endpoint_url="https://ecr.internal.example:8443")
    client.create_repository(repositoryName="custom")
    assert _names(_client("eu-north-1")) == ["custom"]
    assert [c.region for c in ecr_mock.calls] == ["eu-north-1", "eu-north-1"]


def test_china_and_govcloud_partitions(ecr_mock):
    cn = boto3.client("ecr", region_name="cn-north-1").create_repository(repositoryName="cn")["repository"]
    assert cn["repositoryUri"] == "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/cn"
    assert cn["repositoryArn"] == "arn:aws-cn:ecr:cn-north-1:123456789012:repository/cn"
    gov = boto3.client("ecr", region_name="us-gov-west-1").create_repository(repositoryName="gov")["repository"]
    assert gov["repositoryUri"] == "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/gov"
    assert gov["repositoryArn"] == "arn:aws-us-gov:ecr:us-gov-west-1:123456789012:repository/gov"


def test_no_ecr_request_reaches_the_network(monkeypatch, ecr_mock):
    # Any request that really left the process would fail on this dead proxy.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    client = boto3.client("ecr", region_name="us-east-1")
    client.create_repository(repositoryName="offline")
    assert _names(client) == ["offline"]
    # ... and the proxy really is dead: a service the mock does not answer fails on it
    from botocore.config import Config

    sts = boto3.client("sts", region_name="us-east-1", config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(Exception) as info:
        sts.get_caller_identity()
    assert "Connect" in type(info.value).__name__ or "proxy" in str(info.value).lower()


def test_other_services_are_left_alone(ecr_mock):
    from botocore.awsrequest import AWSResponse

    seen = []

    def answer_sts(request, **_):
        seen.append(request.url)
        body = (
            b"<GetCallerIdentityResponse><GetCallerIdentityResult><Account>999999999999</Account>"
            b"<Arn>arn:aws:iam::999999999999:user/x</Arn><UserId>X</UserId></GetCallerIdentityResult>"
            b"</GetCallerIdentityResponse>"
        )

        class Raw:
            def stream(self, **_):
                yield body

        return AWSResponse(request.url, 200, {}, Raw())

    sts = boto3.client("sts", region_name="us-east-1")
    sts.meta.events.register("before-send.sts.GetCallerIdentity", answer_sts)
    assert sts.get_caller_identity()["Account"] == "999999999999"
    assert seen and "sts" in seen[0]
    assert list(ecr_mock.calls) == []


def _authorizations(client) -> list[str]:
    seen: list[str] = []

    def capture(request, **_):
        value = request.headers["Authorization"]
        seen.append(value.decode() if isinstance(value, bytes) else value)

    client.meta.events.register("before-send.ecr.*", capture)
    return seen


def test_client_created_without_credentials_before_activation(monkeypatch, tmp_path):
    for name in (*FAKE_CREDENTIALS, "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    client = botocore.session.Session().create_client("ecr", region_name="us-east-1")
    assert client._request_signer._credentials is None  # e.g. a module-level client in CI
    seen = _authorizations(client)
    with mock_ecr():
        client.create_repository(repositoryName="no-credentials")
        assert _names(client) == ["no-credentials"]
    assert all(f"Credential={FAKE_CREDENTIALS['AWS_ACCESS_KEY_ID']}/" in a for a in seen)
    assert client._request_signer._credentials is None  # nothing of the mock stays behind


def test_client_with_real_credentials_signs_ecr_calls_with_fake_ones_while_active():
    client = boto3.client(
        "ecr", region_name="us-east-1", aws_access_key_id="AKIAREALKEY000000000", aws_secret_access_key="real"
    )
    seen = _authorizations(client)
    with mock_ecr():
        client.create_repository(repositoryName="signed")
    assert seen and all("AKIAREALKEY" not in a for a in seen)
    assert client._request_signer._credentials.access_key == "AKIAREALKEY000000000"
