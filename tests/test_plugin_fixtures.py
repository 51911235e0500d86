"""The pytest fixtures as a user's suite meets them (run in an inner pytest session)."""

from __future__ import annotations

import sys

pytest_plugins = ["pytester"]


def _plugin_args(pytestconfig) -> list[str]:
    # installed, the plugin loads through its entry point; from a source tree, by name
    return [] if pytestconfig.pluginmanager.has_plugin("mock_ecr") else ["-p", "mock_ecr.pytest_plugin"]


def test_ecr_client_without_boto3_says_to_install_it(pytester, pytestconfig, monkeypatch):
    monkeypatch.setitem(sys.modules, "boto3", None)  # ``import boto3`` raises ImportError
    pytester.makepyfile(
        """
        def test_uses_the_client(ecr_client):
            pass

        def test_mock_alone_still_works(ecr_mock):
            assert ecr_mock.active
        """
    )
    result = pytester.runpytest_inprocess(*_plugin_args(pytestconfig))
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*the ecr_client fixture needs boto3, which is not installed: pip install boto3*"])
