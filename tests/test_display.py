"""Reprs and Jupyter tables: short, readable, and cut with a count however much the mock holds."""

from __future__ import annotations

import re

import pytest
from freezegun import freeze_time

from mock_ecr import mock_ecr
from mock_ecr.tooling import display


@pytest.fixture
def seeded(ecr_mock, ecr_client):
    """5 repositories of 12 images each (every fourth untagged), plus one failed call."""
    with freeze_time("2024-06-01 12:30:00"):
        for repo in range(5):
            for number in range(12):
                ecr_mock.push_image(f"repo-{repo}", f"v{number}" if number % 4 else None, layer_size=1536)
    with pytest.raises(ecr_client.exceptions.RepositoryNotFoundException):
        ecr_client.describe_images(repositoryName="missing")
    return ecr_mock


def test_mock_repr_says_whether_it_is_active_and_what_it_holds(ecr_client):
    m = mock_ecr(account_id="111122223333")
    assert repr(m) == "<MockECR inactive, account 111122223333>"
    with m:
        m.push_image("app", "v1")
        ecr_client.describe_repositories()
        assert repr(m) == (
            "<MockECR active, account 111122223333, region us-east-1: 1 registry, 1 repository, 1 image, 1 call>"
        )
    assert repr(m) == "<MockECR inactive, account 111122223333>"


def test_state_repr_is_short_and_lists_repositories(seeded):
    text = repr(seeded.state())
    assert len(text) < 1000  # 60 images with manifests, once a 62,000-character line
    lines = text.splitlines()
    assert lines[0] == "RegistryState 123456789012 us-east-1: 5 repositories, 60 images"
    assert lines[1].split() == ["repo-0", "12", "images", "36.0", "KiB", "v11,", "v10,", "v9,", "+6"]
    assert len(lines) == 6


def test_long_lists_are_cut_with_a_count_of_what_is_left_out(ecr_mock):
    for number in range(display.TEXT_ROWS + 3):
        ecr_mock.push_image(f"repo-{number:02}", layers=1, layer_size=1)
    lines = repr(ecr_mock.state()).splitlines()
    assert len(lines) == 1 + display.TEXT_ROWS + 1
    assert lines[-1].strip() == "... 3 more repositories"
    assert lines[-2].split()[0] == f"repo-{display.TEXT_ROWS - 1:02}"


def test_repository_and_image_reprs(seeded):
    repository = seeded.state().repository("repo-1")
    lines = repr(repository).splitlines()
    assert lines[0] == "RepositoryState repo-1 (123456789012, us-east-1): 12 images, 36.0 KiB"
    first = repository.images[0]
    assert lines[1].split() == ["<untagged>", first.digest[:19], "3.0", "KiB", "2024-06-01", "12:30:00Z"]
    assert lines[-1].strip() == "... 2 more images"
    tagged = repository.image("v1")
    assert repr(tagged) == f"<ImageState {tagged.digest[:19]} v1 3.0 KiB pushed 2024-06-01 12:30:00Z>"


def test_call_log_and_call_reprs(seeded, ecr_client):
    with pytest.raises(ecr_client.exceptions.InvalidParameterException):
        ecr_client.put_image(repositoryName="repo-0", imageManifest="{" + "x" * 500, imageTag="bad")
    calls = seeded.calls
    lines = repr(calls).splitlines()
    assert lines[0] == "CallLog: 2 calls, 2 failed"
    assert lines[1].split() == ["1", "DescribeImages", "missing", "us-east-1", "RepositoryNotFoundException", "(400)"]
    assert lines[2].split()[:3] == ["2", "PutImage", "repo-0"]
    text = repr(calls[-1])
    assert text.startswith("<Call PutImage(repositoryName='repo-0', imageManifest='{xxx")
    assert len(text) < 200  # the manifest member is cut
    assert text.endswith("-> InvalidParameterException (400) [us-east-1]>")


def test_call_log_repr_is_cut(ecr_mock, ecr_client):
    for _ in range(25):
        ecr_client.describe_repositories()
    lines = repr(ecr_mock.calls).splitlines()
    assert lines[0] == "CallLog: 25 calls"
    assert lines[-1].strip() == "... 15 more calls"


def test_fault_repr_tracks_what_it_did(ecr_mock, ecr_client):
    fault = ecr_mock.inject_error("DescribeRepositories", "ServerException", count=1, region="us-east-1")
    assert repr(fault) == "<Fault DescribeRepositories -> ServerException: 1 left, fired 0, region us-east-1, active>"
    ecr_client.describe_repositories()  # botocore retries the 500 once
    assert repr(fault) == "<Fault DescribeRepositories -> ServerException: 0 left, fired 1, region us-east-1, inactive>"
    chaos = ecr_mock.inject_error("ListImages", "ThrottlingException", rate=0.25, seed=1)
    assert repr(chaos) == "<Fault ListImages -> ThrottlingException: no limit, fired 0, rate 0.25, active>"


def test_pushed_image_repr_leaves_the_manifest_out(ecr_mock):
    pushed = ecr_mock.push_image("app", "v1", layers=[b"abc", b"de"])
    assert repr(pushed) == f"<PushedImage app:v1 {pushed.digest[:19]} 2 layers, 5 bytes (123456789012, us-east-1)>"


def _rows(html: str) -> list[list[str]]:
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row) for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)]


def test_html_tables_show_repository_tags_digest_size_and_push_time(seeded):
    rows = _rows(seeded.state()._repr_html_())
    assert rows[0] == ["repository", "tags", "digest", "size", "pushed at"]
    first = seeded.state().repository("repo-0").images[1]
    assert rows[2] == ["repo-0", "v1", first.digest[:19], "3.0 KiB", "2024-06-01 12:30:00Z"]
    assert len(rows) == 1 + display.HTML_ROWS + 1
    assert rows[-1] == ["... 10 more images"]

    repository_rows = _rows(seeded.state().repository("repo-2")._repr_html_())
    assert len(repository_rows) == 1 + 12 and repository_rows[1][0] == "repo-2"
    assert _rows(seeded._repr_html_())[:3] == rows[:3]
    assert "repository repo-2 (123456789012, us-east-1): 12 images" in seeded.state().repository("repo-2")._repr_html_()


def test_html_escapes_what_requests_put_in(ecr_mock, ecr_client):
    with pytest.raises(ecr_client.exceptions.InvalidParameterException):
        ecr_client.describe_images(repositoryName="<b>app</b>")
    html = ecr_mock.calls._repr_html_()
    assert "<b>" not in html
    rows = _rows(html)
    assert rows[0] == ["#", "operation", "repository", "region", "result"]
    assert rows[1] == ["1", "DescribeImages", "&lt;b&gt;app&lt;/b&gt;", "us-east-1", "InvalidParameterException (400)"]


def test_inactive_mock_html():
    assert mock_ecr()._repr_html_() == "<p>&lt;MockECR inactive, account 123456789012&gt;</p>"
