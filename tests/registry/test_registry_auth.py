"""Authentication as ECR does it: Basic AWS:<GetAuthorizationToken password>, 12 hours, one region."""

from __future__ import annotations

import base64
import datetime as dt
import json

import boto3
import requests
from freezegun import freeze_time

from mock_ecr import mock_ecr

from .conftest import ACCOUNT, HOST, errors, password

CHALLENGE = f'Basic realm="https://{HOST}/",service="ecr.amazonaws.com"'


def test_no_credentials_get_ecrs_challenge(reg):
    for method in ("GET", "HEAD"):
        answer = requests.request(method, reg.url("/v2/"))
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"] == CHALLENGE
        assert answer.headers["Docker-Distribution-Api-Version"] == "registry/2.0"
        assert answer.text == ("Not Authorized\n" if method == "GET" else "")
    # every path asks first, before it looks at the repository
    assert requests.get(reg.url("/v2/app/tags/list")).status_code == 401


def test_the_issued_password_is_accepted(reg):
    answer = reg.get("/v2/")
    assert (answer.status_code, answer.json()) == (200, {})
    assert answer.headers["Docker-Distribution-Api-Version"] == "registry/2.0"


def test_password_has_ecrs_shape(ecr):
    with freeze_time("2025-05-05 10:00:00"):
        document = json.loads(base64.b64decode(password(ecr)))
    assert set(document) == {"payload", "datakey", "version", "type", "expiration"}
    assert (document["version"], document["type"]) == ("2", "DATA_KEY")
    assert document["expiration"] == int(dt.datetime(2025, 5, 5, 22, tzinfo=dt.timezone.utc).timestamp())


def test_a_made_up_password_and_other_users_get_401(reg):
    for auth in [("AWS", "not-a-token"), ("AWS", ""), ("admin", reg.http.auth[1])]:
        answer = requests.get(reg.url("/v2/"), auth=auth)
        assert answer.status_code == 401, auth
        assert answer.headers["WWW-Authenticate"] == CHALLENGE
    bearer = requests.get(reg.url("/v2/"), headers={"Authorization": f"Bearer {reg.http.auth[1]}"})
    assert bearer.status_code == 401


def test_an_altered_token_is_denied_as_invalid(reg):
    document = json.loads(base64.b64decode(reg.http.auth[1]))
    payload = bytearray(base64.b64decode(document["payload"]))
    payload[20] ^= 1
    document["payload"] = base64.b64encode(bytes(payload)).decode()
    forged = base64.b64encode(json.dumps(document).encode()).decode()
    answer = requests.get(reg.url("/v2/"), auth=("AWS", forged))
    assert answer.status_code == 403
    assert errors(answer) == [("DENIED", "Your Authorization Token is invalid.")]


def test_a_token_from_another_region_is_invalid_here(reg):
    other = password(boto3.client("ecr", region_name="eu-west-1"))
    answer = requests.get(reg.url("/v2/"), auth=("AWS", other))
    assert answer.status_code == 403
    assert errors(answer) == [("DENIED", "Your Authorization Token is invalid.")]


def test_a_token_expires_after_12_hours(m, ecr):
    with freeze_time("2025-01-01 00:00:00") as clock:
        secret = password(ecr)
        url = f"https://{HOST}/v2/"
        assert requests.get(url, auth=("AWS", secret)).status_code == 200
        clock.tick(dt.timedelta(hours=12) - dt.timedelta(seconds=1))
        assert requests.get(url, auth=("AWS", secret)).status_code == 200
        clock.tick(dt.timedelta(seconds=1))
        answer = requests.get(url, auth=("AWS", secret))
        assert answer.status_code == 403
        assert errors(answer) == [("DENIED", "Your authorization token has expired. Reauthenticate and try again.")]
        fresh = password(ecr)
        assert requests.get(url, auth=("AWS", fresh)).status_code == 200


def test_a_token_of_another_account_reaches_this_registry_as_its_caller(m, ecr):
    ecr.create_repository(repositoryName="shared")
    with mock_ecr(account_id="210987654321"):  # a nested mock: calls come from that account
        theirs = password(boto3.client("ecr", region_name="us-east-1"))
    answer = requests.get(f"https://{HOST}/v2/shared/tags/list", auth=("AWS", theirs))
    assert answer.status_code == 200
    assert m.calls.last("ListImages").account_id == "210987654321"
    assert m.calls.last("ListImages").params["registryId"] == ACCOUNT


def test_passwords_stay_valid_across_reset(m, ecr):
    secret = password(ecr)
    m.reset()
    assert requests.get(f"https://{HOST}/v2/", auth=("AWS", secret)).status_code == 200


def test_cn_and_gov_hosts_are_served_in_process(m):
    for region, host in [
        ("cn-north-1", f"{ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn"),
        ("us-gov-west-1", f"{ACCOUNT}.dkr.ecr.us-gov-west-1.amazonaws.com"),
    ]:
        client = boto3.client("ecr", region_name=region)
        assert client.get_authorization_token()["authorizationData"][0]["proxyEndpoint"] == f"https://{host}"
        assert requests.get(f"https://{host}/v2/").headers["WWW-Authenticate"] == (
            f'Basic realm="https://{host}/",service="ecr.amazonaws.com"'
        )
        assert requests.get(f"https://{host}/v2/", auth=("AWS", password(client))).status_code == 200


def test_other_paths_of_the_registry_host_are_ecrs_404(reg):
    if reg.kind == "in-process":
        assert requests.get(f"https://{HOST}/").status_code == 401
    answer = reg.get("/v2/app/unknown/endpoint")
    assert (answer.status_code, answer.text) == (404, "404 page not found\n")
