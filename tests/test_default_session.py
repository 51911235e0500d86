"""boto3's default session under the mock: new for each outermost activation, made as boto3
makes one (botocore's builtin handlers, the environment's region and the fake keys), and
``boto3.setup_default_session`` exactly as it was once the mock stops."""

from __future__ import annotations

import os

import boto3
import botocore.session
import pytest

from mock_ecr import mock_ecr
from mock_ecr.transports import boto3_session
from mock_ecr.transports.inprocess import FAKE_CREDENTIALS

FAKE_KEY = FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"]
EVENTS = [
    "before-parameter-build.ecr.PutImage",
    "before-call.ecr.DescribeRepositories",
    "choose-signer.ecr.CreateRepository",
    "needs-retry.ecr.PutImage",
    "after-call.ecr.GetAuthorizationToken",
    "before-parameter-build.s3.PutObject",
    "before-parse.s3.GetObject",  # botocore registers some handlers first, some last
    "needs-retry.s3.PutObject",
    "before-parameter-build.ec2.RunInstances",
    "docs.request-params.s3.PutObject.complete-section",
    "creating-client-class.sts",
    "service-data-loaded",
]


def _handlers(session: botocore.session.Session, event: str) -> list[object]:
    emitter = session.get_component("event_emitter")
    # the aliased name botocore's session registers under, then the handlers in call order
    return list(emitter._emitter._handlers.prefix_search(emitter._alias_event_name(event)))


def test_a_new_default_session_for_each_outermost_activation():
    with mock_ecr():
        first = boto3.client("ecr")
        session = boto3.DEFAULT_SESSION
        session.events.register("before-call.ecr", _fail)  # a test's own handler on the default session
        first.describe_repositories()  # the client was made before the handler: unaffected
        with mock_ecr():
            assert boto3.DEFAULT_SESSION is session  # nested: the same activation
    with mock_ecr():
        client = boto3.client("ecr")
        assert boto3.DEFAULT_SESSION is not session
        assert boto3.DEFAULT_SESSION._session is not session._session
        client.describe_repositories()  # the handler of the last activation's session is not here
        assert client._request_signer._credentials.access_key == FAKE_KEY


def _fail(**_: object) -> None:
    raise AssertionError("a handler registered on an earlier activation's default session ran")


def test_default_session_has_the_handlers_of_a_session_boto3_makes():
    plain = boto3.Session()._session
    with mock_ecr():
        made = boto3._get_default_session()._session
    assert made is not plain
    for event in EVENTS:
        assert _handlers(made, event) == _handlers(plain, event), event


def test_default_session_reads_the_region_of_each_activation(monkeypatch):
    monkeypatch.delenv("AWS_REGION", raising=False)
    for region in ("eu-west-1", "ap-south-1"):
        monkeypatch.setenv("AWS_DEFAULT_REGION", region)
        with mock_ecr() as m:
            boto3.client("ecr").create_repository(repositoryName="app")
            assert boto3.client("ecr").meta.region_name == region
            assert m.calls[0].region == region


def test_setup_default_session_with_arguments_under_the_mock():
    with mock_ecr():
        boto3.setup_default_session(region_name="eu-central-1")
        client = boto3.client("ecr")
        assert client.meta.region_name == "eu-central-1"
        assert client.create_repository(repositoryName="app")["repository"]["repositoryUri"].endswith(
            ".dkr.ecr.eu-central-1.amazonaws.com/app"
        )
        own = botocore.session.Session()
        boto3.setup_default_session(botocore_session=own)  # left to boto3
        assert boto3.DEFAULT_SESSION._session is own


def test_the_data_loader_paths_do_not_grow_with_activations():
    with mock_ecr():
        paths = list(boto3._get_default_session()._loader.search_paths)
    for _ in range(3):
        with mock_ecr():
            assert boto3._get_default_session()._loader.search_paths == paths
    assert len(paths) == len(set(paths))


def test_setup_default_session_is_restored_exactly():
    original = boto3.setup_default_session
    with mock_ecr():
        assert boto3.setup_default_session is not original
        with mock_ecr():
            pass
    assert boto3.setup_default_session is original


def test_a_setup_default_session_patched_before_the_mock_is_used(monkeypatch):
    made: list[dict[str, object]] = []
    original = boto3.setup_default_session

    def patched(**kwargs: object) -> None:
        made.append(kwargs)
        original(**kwargs)

    monkeypatch.setattr(boto3, "setup_default_session", patched)
    with mock_ecr():
        assert boto3.setup_default_session is patched
        boto3.client("ecr").describe_repositories()
    assert made == [{}]


def test_a_patch_made_over_ours_while_active_is_left_and_passes_on():
    original = boto3.setup_default_session
    with mock_ecr():
        ours = boto3.setup_default_session

        def theirs(**kwargs: object) -> None:
            ours(**kwargs)

        boto3.setup_default_session = theirs
    try:
        assert boto3.setup_default_session is theirs
        boto3.DEFAULT_SESSION = None
        boto3.setup_default_session()  # ours, still under theirs, is boto3's own again
        assert type(boto3.DEFAULT_SESSION) is boto3.Session
        assert boto3.DEFAULT_SESSION._loader not in boto3_session._loaders.values()
    finally:
        boto3.setup_default_session = original
        boto3.DEFAULT_SESSION = None


@pytest.mark.parametrize("data_path", [None, "extra-models"])
def test_aws_data_path_is_honoured(tmp_path, monkeypatch, data_path):
    if data_path is None:
        monkeypatch.delenv("AWS_DATA_PATH", raising=False)
    else:
        monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path / data_path))
    with mock_ecr():
        paths = boto3._get_default_session()._loader.search_paths
        assert [path for path in paths if path.startswith(str(tmp_path))] == (
            [str(tmp_path / data_path)] if data_path else []
        )
        assert os.environ["AWS_ACCESS_KEY_ID"] == FAKE_KEY
