"""Fault injection: ``m.inject_error`` / ``m.clear_errors`` and how botocore's retries meet them."""

from __future__ import annotations

import threading

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from mock_ecr import mock_ecr
from mock_ecr.tooling.faults import COMMON_ERRORS

ACCOUNT = "123456789012"
NO_RETRIES = Config(retries={"total_max_attempts": 1})


@pytest.fixture
def no_sleep(monkeypatch):
    """botocore sleeps between retries; the tests only count attempts (with botocore's default mode)."""
    for name in ("AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS"):
        monkeypatch.delenv(name, raising=False)
    slept: list[float] = []
    monkeypatch.setattr("time.sleep", slept.append)
    return slept


@pytest.fixture
def client(ecr_mock):
    return boto3.client("ecr", region_name="us-east-1", config=NO_RETRIES)


def _error(info: pytest.ExceptionInfo) -> tuple[str, str, int]:
    response = info.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_next_call_answers_the_error_then_calls_run_again(ecr_mock, client):
    ecr_mock.inject_error("CreateRepository", "ServerException")
    with pytest.raises(ClientError) as info:
        client.create_repository(repositoryName="app")
    assert _error(info) == ("ServerException", "These errors are usually caused by a server-side issue.", 500)
    # the failed call changed nothing, and the fault is used up
    assert client.describe_repositories()["repositories"] == []
    client.create_repository(repositoryName="app")
    assert [r["repositoryName"] for r in client.describe_repositories()["repositories"]] == ["app"]


def test_injected_errors_change_no_state(ecr_mock, client):
    client.create_repository(repositoryName="app")
    ecr_mock.inject_error("DeleteRepository", "ServerException")
    with pytest.raises(ClientError):
        client.delete_repository(repositoryName="app")
    assert [r["repositoryName"] for r in client.describe_repositories()["repositories"]] == ["app"]


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        ("ServerException", 500, "These errors are usually caused by a server-side issue."),
        ("ServiceUnavailable", 503, "The request has failed due to a temporary failure of the server."),
        ("ThrottlingException", 400, "Rate exceeded"),
        ("InternalFailure", 500, COMMON_ERRORS["InternalFailure"][1]),
        ("InvalidClientTokenId", 403, "The security token included in the request is invalid."),
        ("RequestExpired", 400, COMMON_ERRORS["RequestExpired"][1]),
        ("UnrecognizedClientException", 400, "The security token included in the request is invalid."),
    ],
)
def test_status_and_default_message(ecr_mock, client, code, status, message):
    ecr_mock.inject_error("DescribeRepositories", code)
    with pytest.raises(ClientError) as info:
        client.describe_repositories()
    assert _error(info) == (code, message, status)


def test_messages_use_the_request_where_real_ecr_does(ecr_mock, client):
    ecr_mock.inject_error("DeleteRepository", "RepositoryNotFoundException")
    ecr_mock.inject_error("GetRepositoryPolicy", "AccessDeniedException")
    ecr_mock.inject_error("GetAuthorizationToken", "AccessDeniedException")
    with pytest.raises(ClientError) as info:
        client.delete_repository(repositoryName="team/app", registryId="210987654321")
    assert _error(info)[1] == (
        "The repository with name 'team/app' does not exist in the registry with id '210987654321'"
    )
    with pytest.raises(ClientError) as info:
        client.get_repository_policy(repositoryName="app")
    assert _error(info)[1] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/mock-ecr is not authorized to perform: ecr:GetRepositoryPolicy on "
        f"resource: arn:aws:ecr:us-east-1:{ACCOUNT}:repository/app because no identity-based policy allows the "
        "ecr:GetRepositoryPolicy action"
    )
    with pytest.raises(ClientError) as info:
        client.get_authorization_token()
    assert "ecr:GetAuthorizationToken on resource: * because" in _error(info)[1]


def test_modeled_error_without_known_text_uses_the_model_documentation(ecr_mock, client):
    ecr_mock.inject_error("CreateRepository", "LimitExceededException")
    with pytest.raises(ClientError) as info:
        client.create_repository(repositoryName="app")
    code, message, status = _error(info)
    assert (code, status) == ("LimitExceededException", 400)
    assert message.startswith("The operation did not succeed because it would have exceeded a service limit")
    assert "<" not in message


def test_custom_message(ecr_mock, client):
    ecr_mock.inject_error("ListImages", "ServerException", message="disk on fire")
    with pytest.raises(ClientError) as info:
        client.list_images(repositoryName="app")
    assert _error(info) == ("ServerException", "disk on fire", 500)


def test_count_and_count_none(ecr_mock, client):
    ecr_mock.inject_error("DescribeRepositories", "ThrottlingException", count=2)
    for _ in range(2):
        with pytest.raises(ClientError):
            client.describe_repositories()
    client.describe_repositories()

    ecr_mock.inject_error("DescribeRepositories", "ThrottlingException", count=None)
    for _ in range(5):
        with pytest.raises(ClientError):
            client.describe_repositories()
    ecr_mock.clear_errors()
    client.describe_repositories()


def test_the_returned_fault_counts_what_it_answered(ecr_mock, client):
    fault = ecr_mock.inject_error("DescribeRepositories", "ServerException", count=2)
    assert (fault.fired, fault.remaining, fault.active) == (0, 2, True)
    with pytest.raises(ClientError):
        client.describe_repositories()
    assert (fault.fired, fault.remaining, fault.active) == (1, 1, True)
    with pytest.raises(ClientError):
        client.describe_repositories()
    assert (fault.fired, fault.remaining, fault.active) == (2, 0, False)


def test_faults_apply_in_the_order_injected(ecr_mock, client):
    ecr_mock.inject_error("DescribeRepositories", "ThrottlingException")
    ecr_mock.inject_error("DescribeRepositories", "ServerException")
    codes = []
    for _ in range(2):
        with pytest.raises(ClientError) as info:
            client.describe_repositories()
        codes.append(_error(info)[0])
    assert codes == ["ThrottlingException", "ServerException"]


def test_operation_names_in_boto3_spelling(ecr_mock, client):
    ecr_mock.inject_error("describe_repositories", "ServerException")
    with pytest.raises(ClientError) as info:
        client.describe_repositories()
    assert _error(info)[0] == "ServerException"


def test_any_operation(ecr_mock, client):
    ecr_mock.inject_error("*", "ServiceUnavailable", count=2)
    with pytest.raises(ClientError):
        client.describe_repositories()
    with pytest.raises(ClientError):
        client.get_authorization_token()
    client.describe_repositories()


def test_any_operation_takes_only_codes_every_operation_can_answer(ecr_mock):
    ecr_mock.inject_error("*", "ServerException")
    with pytest.raises(ValueError, match="every operation cannot answer 'RepositoryNotFoundException'"):
        ecr_mock.inject_error("*", "RepositoryNotFoundException")


def test_unknown_codes_and_operations_fail_at_the_inject_call(ecr_mock):
    with pytest.raises(ValueError, match="CreateRepository cannot answer 'ImageNotFoundException'"):
        ecr_mock.inject_error("CreateRepository", "ImageNotFoundException")
    with pytest.raises(ValueError, match="cannot answer 'Throttling'"):
        ecr_mock.inject_error("CreateRepository", "Throttling")
    with pytest.raises(ValueError, match="unknown ECR operation 'CreateRepo'"):
        ecr_mock.inject_error("CreateRepo", "ServerException")
    with pytest.raises(ValueError, match="count"):
        ecr_mock.inject_error("CreateRepository", "ServerException", count=0)
    with pytest.raises(ValueError, match="rate"):
        ecr_mock.inject_error("CreateRepository", "ServerException", rate=1.5)
    with pytest.raises(ValueError, match="seed"):
        ecr_mock.inject_error("CreateRepository", "ServerException", seed=3)
    assert not ecr_mock._activation.session.fault_rules  # nothing was injected
    assert ecr_mock.calls.operations() == []


def test_every_modeled_error_of_an_operation_can_be_injected(ecr_mock, client):
    for code in (
        "InvalidParameterException",
        "KmsException",
        "RepositoryNotEmptyException",
        "RepositoryNotFoundException",
        "ServerException",
    ):
        ecr_mock.inject_error("DeleteRepository", code)
        with pytest.raises(ClientError) as info:
            client.delete_repository(repositoryName="app")
        assert _error(info)[0] == code


def test_inject_needs_an_active_mock():
    m = mock_ecr()
    with pytest.raises(RuntimeError, match="not active"):
        m.inject_error("CreateRepository", "ServerException")
    with m:
        m.inject_error("CreateRepository", "ServerException")
    with pytest.raises(RuntimeError, match="not active"):
        m.clear_errors()


def test_faults_end_with_the_activation():
    with mock_ecr() as m:
        m.inject_error("DescribeRepositories", "ServerException", count=None)
    with mock_ecr():
        boto3.client("ecr", region_name="us-east-1", config=NO_RETRIES).describe_repositories()


def test_region_restriction(ecr_mock):
    ecr_mock.inject_error("DescribeRepositories", "ServiceUnavailable", region="eu-west-1", count=None)
    boto3.client("ecr", region_name="us-east-1", config=NO_RETRIES).describe_repositories()
    with pytest.raises(ClientError):
        boto3.client("ecr", region_name="eu-west-1", config=NO_RETRIES).describe_repositories()


def test_account_restriction_follows_the_addressed_registry(ecr_mock, client):
    other = "210987654321"
    ecr_mock.inject_error("DescribeRepositories", "AccessDeniedException", account_id=other, count=None)
    client.describe_repositories()
    with pytest.raises(ClientError):
        client.describe_repositories(registryId=other)
    repo = client.create_repository(repositoryName="app", registryId=other)["repository"]
    ecr_mock.inject_error("ListTagsForResource", "AccessDeniedException", account_id=other)
    with pytest.raises(ClientError):  # tag actions address the registry of the ARN
        client.list_tags_for_resource(resourceArn=repo["repositoryArn"])


def test_rate_is_reproducible_with_a_seed(ecr_mock, client):
    def pattern(seed: int) -> list[bool]:
        ecr_mock.clear_errors()
        ecr_mock.inject_error("DescribeRepositories", "ThrottlingException", rate=0.3, seed=seed)
        outcome = []
        for _ in range(60):
            try:
                client.describe_repositories()
                outcome.append(True)
            except ClientError:
                outcome.append(False)
        return outcome

    first, again, other = pattern(7), pattern(7), pattern(8)
    assert first == again
    assert first != other
    assert 5 < first.count(False) < 35  # rate without count: every matching call may fail


def test_rate_with_a_count_stops_after_count_failures(ecr_mock, client):
    fault = ecr_mock.inject_error("DescribeRepositories", "ThrottlingException", rate=0.5, seed=1, count=3)
    failures = 0
    for _ in range(100):
        try:
            client.describe_repositories()
        except ClientError:
            failures += 1
    assert failures == 3 == fault.fired


def test_counted_faults_are_exact_across_threads(ecr_mock):
    ecr_mock.inject_error("DescribeRepositories", "ServerException", count=25)
    failures = []

    def work():
        local = boto3.session.Session().client("ecr", region_name="us-east-1", config=NO_RETRIES)
        for _ in range(20):
            try:
                local.describe_repositories()
            except ClientError:
                failures.append(1)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(failures) == 25
    assert ecr_mock.calls.count("DescribeRepositories", error_code="ServerException") == 25


def test_faults_are_not_consulted_when_none_is_configured(ecr_mock, client, monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("the hot path asked the fault table")

    activation = ecr_mock._activation.session
    monkeypatch.setattr(activation.faults, "check", boom)
    client.describe_repositories()
    fault = ecr_mock.inject_error("DescribeRepositories", "ServerException")
    monkeypatch.undo()
    with pytest.raises(ClientError):
        client.describe_repositories()
    assert not fault.active and not activation.fault_rules


def test_injected_errors_are_recorded(ecr_mock, client):
    ecr_mock.inject_error("CreateRepository", "ServiceUnavailable")
    with pytest.raises(ClientError):
        client.create_repository(repositoryName="app")
    call = ecr_mock.calls.last("CreateRepository")
    assert (call.error_code, call.status, call.params) == ("ServiceUnavailable", 503, {"repositoryName": "app"})


def test_works_through_the_fixture(ecr_client, ecr_mock):
    ecr_mock.inject_error("CreateRepository", "ValidationError", count=1)
    with pytest.raises(ClientError) as info:
        ecr_client.create_repository(repositoryName="app")
    assert _error(info)[0] == "ValidationError"


# -- botocore's retries ----------------------------------------------------------------------
#
# botocore's "legacy" retry mode (the default of older releases) makes up to 5 attempts of a
# call answered with a 5xx status or a throttling code; "standard" mode (the default of current
# releases) up to 3, also for LimitExceededException. Tests that count attempts pin the mode.


def test_one_server_exception_is_absorbed_by_botocore_retry(ecr_mock, no_sleep):
    ecr = boto3.client("ecr", region_name="us-east-1")  # default retry configuration
    ecr_mock.inject_error("CreateRepository", "ServerException")
    ecr.create_repository(repositoryName="app")  # no error: botocore retried
    assert [c.error_code for c in ecr_mock.calls.filter("CreateRepository")] == ["ServerException", None]
    assert len(no_sleep) == 1


def test_more_failures_than_the_retry_budget_reach_the_caller(ecr_mock, no_sleep):
    ecr = boto3.client("ecr", region_name="us-east-1", config=Config(retries={"mode": "legacy"}))
    ecr_mock.inject_error("CreateRepository", "ServerException", count=5)
    with pytest.raises(ClientError) as info:
        ecr.create_repository(repositoryName="app")
    assert _error(info)[0] == "ServerException"
    assert info.value.response["ResponseMetadata"]["RetryAttempts"] == 4
    assert ecr_mock.calls.count("CreateRepository") == 5


@pytest.mark.parametrize("code", ["ServiceUnavailable", "ThrottlingException", "InternalFailure"])
def test_botocore_retries_transient_codes(ecr_mock, no_sleep, code):
    ecr = boto3.client("ecr", region_name="us-east-1")
    ecr_mock.inject_error("DescribeRepositories", code, count=2)
    ecr.describe_repositories()
    assert ecr_mock.calls.count("DescribeRepositories") == 3


def test_client_errors_are_not_retried(ecr_mock, no_sleep):
    ecr = boto3.client("ecr", region_name="us-east-1")
    ecr_mock.inject_error("DescribeRepositories", "AccessDeniedException")
    with pytest.raises(ClientError):
        ecr.describe_repositories()
    assert ecr_mock.calls.count("DescribeRepositories") == 1


def test_standard_mode_retries_three_times_and_also_limit_exceeded(ecr_mock, no_sleep):
    ecr = boto3.client("ecr", region_name="us-east-1", config=Config(retries={"mode": "standard"}))
    ecr_mock.inject_error("CreateRepository", "LimitExceededException", count=3)
    with pytest.raises(ClientError) as info:
        ecr.create_repository(repositoryName="app")
    assert _error(info)[0] == "LimitExceededException"
    assert ecr_mock.calls.count("CreateRepository") == 3


def test_retry_logic_of_code_under_test(ecr_mock, no_sleep):
    """Code with its own retry loop, tested with botocore's retries off."""

    def create_with_retries(client, name, attempts=3):
        for attempt in range(attempts):
            try:
                return client.create_repository(repositoryName=name)
            except ClientError as error:
                if error.response["Error"]["Code"] != "ServerException" or attempt == attempts - 1:
                    raise

    ecr = boto3.client("ecr", region_name="us-east-1", config=NO_RETRIES)
    ecr_mock.inject_error("CreateRepository", "ServerException", count=2)
    assert create_with_retries(ecr, "app")["repository"]["repositoryName"] == "app"
    ecr_mock.inject_error("CreateRepository", "ServerException", count=3)
    with pytest.raises(ClientError):
        create_with_retries(ecr, "other")
