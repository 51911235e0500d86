"""Every in-process door, side by side with the tools test suites already use, and a safe stop.

* A suite's own ``Endpoint._send`` / ``make_request`` patch keeps working under and after the mock.
* Calls in flight when the mock stops (in a retry back-off, in other threads) never reach the
  network and never sign with real credentials; ``stop()``/``reset()`` complete under load.
* ``responses`` in any order, moto's ``mock_aws`` in either nesting order.
* boto3's default session, ``AWS_REGION``, ``boto3.Session(profile_name=...)``.
"""

from __future__ import annotations

import socket
import sys
import textwrap
import threading
from typing import Any

import boto3
import botocore.exceptions
import pytest
import requests
import responses
from botocore.config import Config
from botocore.endpoint import Endpoint
from requests.adapters import HTTPAdapter

from mock_ecr import mock_ecr
from mock_ecr.transports.botocore import MockECRStoppedError
from mock_ecr.transports.inprocess import FAKE_CREDENTIALS

from .ecr_helpers import digest_of, push_image

FAKE_KEY = FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"]


def _client(**kwargs: Any) -> Any:
    return boto3.client("ecr", region_name="us-east-1", **kwargs)


# -- a suite's own patches -----------------------------------------------------------------------
class _NoNetwork(Exception):
    pass


def _refuse_send(self: Any, request: Any) -> Any:
    raise _NoNetwork(request.url)


@pytest.mark.parametrize("installed", ["before", "during"])
def test_a_suites_own_send_patch_keeps_working_under_and_after_the_mock(monkeypatch, installed):
    sqs = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="AKIAX", aws_secret_access_key="x")
    if installed == "before":
        monkeypatch.setattr(Endpoint, "_send", _refuse_send)
    with mock_ecr() as m:
        if installed == "during":
            monkeypatch.setattr(Endpoint, "_send", _refuse_send)
        _client().create_repository(repositoryName="app")  # ECR is answered by the mock
        assert [call.operation for call in m.calls] == ["CreateRepository"]
        with pytest.raises(_NoNetwork):  # every other service still meets the suite's patch
            sqs.list_queues()
    assert Endpoint._send is _refuse_send
    with pytest.raises(_NoNetwork):
        _client(aws_access_key_id="AKIAX", aws_secret_access_key="x").describe_repositories()


def test_make_request_is_chained_and_put_back_in_any_nesting_order(monkeypatch):
    original = Endpoint.__dict__["make_request"]
    seen: list[str] = []

    def tracing(self: Any, operation_model: Any, request_dict: Any) -> Any:
        seen.append(operation_model.name)
        return original(self, operation_model, request_dict)

    monkeypatch.setattr(Endpoint, "make_request", tracing)
    with mock_ecr():
        _client().describe_repositories()
    assert seen == ["DescribeRepositories"]  # the mock called through the patch it found
    assert Endpoint.__dict__["make_request"] is tracing

    monkeypatch.undo()
    # a patch made while the mock is active (chaining to the mock's), undone after it stopped
    mock = mock_ecr().start()
    under = Endpoint.__dict__["make_request"]

    def late(self: Any, operation_model: Any, request_dict: Any) -> Any:
        seen.append("late")
        return under(self, operation_model, request_dict)

    monkeypatch.setattr(Endpoint, "make_request", late)
    mock.stop()
    with mock_ecr() as again:  # started again under it: no recursion, still answered
        _client().describe_repositories()
        assert [call.operation for call in again.calls] == ["DescribeRepositories"]
    assert seen[-1] == "late"
    monkeypatch.undo()  # puts back what ``late`` replaced: the mock's own function...
    with mock_ecr():
        pass  # ...which the next stop removes
    assert Endpoint.__dict__["make_request"] is original


# -- stopping with calls in flight ------------------------------------------------------------------
@pytest.fixture
def no_network(monkeypatch):
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("the network is forbidden in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_a_call_in_a_retry_back_off_when_the_mock_stops_is_not_sent(no_network, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKINGKEY00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-looking-secret")
    client = _client(config=Config(retries={"mode": "standard", "max_attempts": 5}))
    signed: list[str] = []
    client.meta.events.register(
        "before-send.ecr",
        lambda request, **_: signed.append(
            request.headers["Authorization"].decode()
            if isinstance(request.headers["Authorization"], bytes)
            else request.headers["Authorization"]
        ),
    )
    mock = mock_ecr().start()
    mock.inject_error("DescribeRepositories", "ThrottlingException", count=1)
    stopped = False

    def stop_during_back_off(attempts: int, **_: Any) -> None:
        nonlocal stopped
        if attempts == 1 and not stopped:
            stopped = True
            mock.stop()  # the first answer was a throttle: botocore will wait, then retry

    client.meta.events.register("needs-retry.ecr.DescribeRepositories", stop_during_back_off)
    try:
        with pytest.raises(MockECRStoppedError) as raised:
            client.describe_repositories()
    finally:
        if mock.active:
            mock.stop()
    assert isinstance(raised.value, botocore.exceptions.BotoCoreError)
    assert stopped and no_network == []
    assert len(signed) == 1 and f"Credential={FAKE_KEY}/" in signed[0]  # the retry was never sent


def test_calls_in_other_threads_when_the_mock_stops(no_network):
    """Threads keep calling while the mock stops: each call begun under the mock is answered,
    or fails with a botocore error; none of them reaches the network; ``stop()`` completes.
    (A call a thread begins after the stop is an ordinary call, and meets ``no_network``.)"""
    mock = mock_ecr().start()
    began = threading.local()

    def note_start(request: Any, **_: Any) -> None:  # the mock gave this call its credentials
        began.under_mock = bool((request.context.get("signing") or {}).get("request_credentials"))

    clients = [_client(config=Config(retries={"mode": "standard", "max_attempts": 3})) for _ in range(4)]
    for client in clients:
        client.meta.events.register("request-created.ecr", note_start)
        client.describe_repositories()  # warm the clients before racing
    errors: list[BaseException] = []
    answered = [0] * len(clients)
    start, stopped = threading.Barrier(len(clients) + 1), threading.Event()

    def work(index: int) -> None:
        client = clients[index]
        start.wait()
        number = 0
        while not stopped.is_set():
            number += 1
            began.under_mock = None
            try:
                client.create_repository(repositoryName=f"t{index}-{number}")
                client.describe_repositories(maxResults=5)
                answered[index] += 1
            except MockECRStoppedError:
                return
            except botocore.exceptions.EndpointConnectionError as error:
                if began.under_mock:  # a call of the mock's went for the network: a defect
                    errors.append(error)
                return
            except BaseException as error:  # anything else is a defect
                errors.append(error)
                return

    threads = [threading.Thread(target=work, args=(index,)) for index in range(len(clients))]
    for thread in threads:
        thread.start()
    start.wait()
    while sum(answered) < 20:
        threading.Event().wait(0.001)
    mock.stop()  # completes while the threads call
    stopped.set()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert not mock.active


def test_reset_and_stop_complete_while_threads_push_and_download():
    mock = mock_ecr().start()
    client = _client()
    client.create_repository(repositoryName="base")
    (layer,) = push_image(client, "base", layers=[b"x" * 4096]).layers
    url = client.get_download_url_for_layer(repositoryName="base", layerDigest=digest_of(layer))["downloadUrl"]
    problems: list[BaseException] = []
    done = threading.Event()

    def pusher(index: int) -> None:
        # a call a pusher begins after the stop is an ordinary call: it meets a closed local
        # port at once, instead of resolving AWS and retrying after this test has ended
        own = _client(endpoint_url="http://127.0.0.1:9", config=Config(retries={"max_attempts": 1}))
        number = 0
        while not done.is_set():
            number += 1
            try:
                own.create_repository(repositoryName=f"p{index}-{number}")
                push_image(own, f"p{index}-{number}", layers=[f"{index}-{number}".encode() * 100])
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
                pass  # the repository vanished under a reset, or the mock stopped: both clean
            except BaseException as error:
                problems.append(error)
                return

    def downloader() -> None:
        while not done.is_set():
            try:
                requests.get(url, timeout=5).content  # noqa: B018
            except requests.RequestException:
                pass  # released mid-download, or the mock stopped: a requests error
            except BaseException as error:
                problems.append(error)
                return

    threads = [threading.Thread(target=pusher, args=(n,)) for n in range(2)] + [threading.Thread(target=downloader)]
    for thread in threads:
        thread.start()
    for _ in range(20):
        threading.Event().wait(0.005)
        mock.reset()  # no "dictionary changed size during iteration"
    mock.stop()
    done.set()
    for thread in threads:
        thread.join(10)
    assert problems == []
    assert not mock.active


def test_a_download_started_before_stop_finishes_or_fails_with_a_requests_error():
    with mock_ecr():
        client = _client()
        client.create_repository(repositoryName="big")
        (layer,) = push_image(client, "big", layers=[b"z" * (3 * 1024 * 1024)]).layers
        url = client.get_download_url_for_layer(repositoryName="big", layerDigest=digest_of(layer))["downloadUrl"]
        response = requests.get(url, stream=True, timeout=5)
        chunks = response.iter_content(1024 * 1024)
        first = next(chunks)
    assert len(first) == 1024 * 1024
    with pytest.raises(requests.RequestException):
        b"".join(chunks)  # the blob was released when the mock stopped


# -- responses ---------------------------------------------------------------------------------------
@responses.activate
def test_responses_activate_with_the_fixture_downloads_a_layer(ecr_mock, ecr_client):
    responses.add(responses.GET, "https://config.example.test/settings", json={"from": "responses"})
    ecr_client.create_repository(repositoryName="app")
    (layer,) = push_image(ecr_client, "app", layers=[b"layer bytes"]).layers
    url = ecr_client.get_download_url_for_layer(repositoryName="app", layerDigest=digest_of(layer))["downloadUrl"]
    assert requests.get(url).content == b"layer bytes"
    assert requests.get("https://config.example.test/settings").json() == {"from": "responses"}


@pytest.mark.parametrize("order", ["responses-first", "mock-first"])
@pytest.mark.parametrize("stops", ["lifo", "fifo"])
def test_responses_and_the_router_in_any_order(order, stops):
    send, get_adapter = HTTPAdapter.send, requests.Session.get_adapter
    user = responses.RequestsMock(assert_all_requests_are_fired=False)
    user.add(responses.GET, "https://config.example.test/x", body="user's")
    mock = mock_ecr()
    starts = [user.start, mock.start] if order == "responses-first" else [mock.start, user.start]
    for start in starts:
        start()
    client = _client()
    client.create_repository(repositoryName="app")
    (layer,) = push_image(client, "app", layers=[b"abc"]).layers
    url = client.get_download_url_for_layer(repositoryName="app", layerDigest=digest_of(layer))["downloadUrl"]
    assert requests.get(url).content == b"abc"
    assert requests.get("https://config.example.test/x").text == "user's"
    stoppers = [user.stop, mock.stop] if order == "responses-first" else [mock.stop, user.stop]
    for stop in reversed(stoppers) if stops == "lifo" else stoppers:
        stop()
    assert HTTPAdapter.send is send
    assert requests.Session.get_adapter is get_adapter


# -- moto ----------------------------------------------------------------------------------------------
moto = pytest.importorskip("moto")


@pytest.mark.parametrize("outer", ["moto", "mock_ecr"])
def test_moto_side_by_side(outer):
    from moto import mock_aws

    first, second = (mock_aws(), mock_ecr()) if outer == "moto" else (mock_ecr(), mock_aws())
    with first, second:
        m = first if outer == "mock_ecr" else second
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="bucket")
        s3.put_object(Bucket="bucket", Key="k", Body=b"moto's")
        iam = boto3.client("iam", region_name="us-east-1")
        iam.create_role(RoleName="role", AssumeRolePolicyDocument="{}")
        ecr = _client()
        ecr.create_repository(repositoryName="from-mock-ecr")
        (layer,) = push_image(ecr, "from-mock-ecr", layers=[b"ecr layer"]).layers
        url = ecr.get_download_url_for_layer(repositoryName="from-mock-ecr", layerDigest=digest_of(layer))[
            "downloadUrl"
        ]
        assert requests.get(url).content == b"ecr layer"  # not moto's S3, though the host looks like S3
        assert s3.get_object(Bucket="bucket", Key="k")["Body"].read() == b"moto's"
        assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["role"]
        assert "CreateRepository" in [call.operation for call in m.calls]
        assert list(m.state().repositories) == ["from-mock-ecr"]
        from moto.backends import get_backend

        assert get_backend("ecr")["123456789012"]["us-east-1"].repositories == {}  # moto saw no ECR call


# -- boto3's default session, regions, profiles ---------------------------------------------------------
def test_each_outermost_activation_starts_from_a_clean_default_session():
    with mock_ecr():
        boto3.setup_default_session(region_name="eu-west-1", aws_access_key_id="AKIALEAK", aws_secret_access_key="x")
        assert boto3.client("ecr").meta.region_name == "eu-west-1"
    with mock_ecr():
        client = boto3.client("ecr")
        assert client.meta.region_name == "us-east-1"
        assert client._request_signer._credentials.access_key == FAKE_KEY


def test_only_aws_region_set(monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    with mock_ecr() as m:
        boto3.client("ecr").create_repository(repositoryName="app")
        assert m.calls[0].region == "eu-central-1"
    assert "AWS_DEFAULT_REGION" not in __import__("os").environ


@pytest.fixture
def profiles(tmp_path, monkeypatch):
    marker = tmp_path / "credential_process_ran"
    process = f"{sys.executable} -c \"open({str(marker)!r}, 'w').write('ran')\""
    (tmp_path / "config").write_text(
        textwrap.dedent(f"""\
        [default]
        region = us-west-2
        [profile proc]
        region = ap-south-1
        credential_process = {process}
        [profile role]
        role_arn = arn:aws:iam::111122223333:role/real
        source_profile = static
        """)
    )
    (tmp_path / "credentials").write_text(
        textwrap.dedent("""\
        [static]
        aws_access_key_id = AKIAREALSTATICKEY000
        aws_secret_access_key = real-static-secret
        """)
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return marker


@pytest.mark.parametrize("profile", ["proc", "role", "static", "default"])
def test_a_named_profile_under_the_mock_reads_no_real_keys_and_runs_nothing(profiles, no_network, profile):
    with mock_ecr():
        session = boto3.Session(profile_name=profile)
        credentials = session.get_credentials().get_frozen_credentials()
        assert credentials.access_key == FAKE_KEY
        client = session.client("ecr")
        client.create_repository(repositoryName="app")
        sts = session.client("sts")
        assert sts._request_signer._credentials.access_key == FAKE_KEY  # other services too
    assert not profiles.exists(), "a credential_process ran under the mock"
    assert no_network == []


def test_an_unknown_profile_is_still_unknown_and_real_profiles_return_after_the_mock(profiles):
    with mock_ecr():
        with pytest.raises(botocore.exceptions.ProfileNotFound):
            boto3.Session(profile_name="no-such-profile")
    assert boto3.Session(profile_name="static").get_credentials().access_key == "AKIAREALSTATICKEY000"


def test_ecr_public_is_not_mocked(ecr_mock, no_network):
    public = boto3.client("ecr-public", region_name="us-east-1", config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(botocore.exceptions.EndpointConnectionError):
        public.describe_repositories()
    assert no_network  # it went for the network: ECR Public is a service mock_ecr does not answer
    assert len(ecr_mock.calls) == 0
