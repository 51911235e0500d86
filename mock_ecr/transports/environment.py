"""The process environment under the mock: fake credentials in, real ones out, then exactly back.

``enter()`` sets ``FAKE_CREDENTIALS``, a region, AWS config files made by the mock (the
profile names and nothing else of the real ones) and removes what would point botocore's
credential chain elsewhere; it returns what ``leave()`` needs to put every variable back as
it was. Only variables whose value changes are written, either way: most are unset before
and after, and every write is a ``putenv``.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["CLEARED_VARS", "FAKE_CREDENTIALS", "enter", "leave"]

#: environment the mock sets while active so no real credentials are read or used
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIAMOCKECRTESTING00",
    "AWS_SECRET_ACCESS_KEY": "mock-ecr-secret-access-key",
    "AWS_SESSION_TOKEN": "mock-ecr-session-token",
    "AWS_SECURITY_TOKEN": "mock-ecr-session-token",
}
#: environment the mock removes while active: an expiry exported with real credentials
#: (aws-vault, SSO helpers) would make botocore treat the fake ones as expired, and the
#: others point the credential chain at web identity, container or assume-role credentials
CLEARED_VARS = (
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
)
#: every variable the mock gives a value to or removes, in the order it writes them
_MANAGED = (
    *FAKE_CREDENTIALS,
    "AWS_DEFAULT_REGION",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_EC2_METADATA_DISABLED",
    *CLEARED_VARS,
)
#: ``HOME`` and ``USERPROFILE``: where ``~`` points, for the default config file paths
_READ_VARS = (*_MANAGED, "AWS_REGION", "HOME", "USERPROFILE")
#: the mock's values, but for the region and the config files (None: unset)
_WANTED: dict[str, str | None] = {
    **FAKE_CREDENTIALS,
    "AWS_DEFAULT_REGION": None,
    "AWS_CONFIG_FILE": None,
    "AWS_SHARED_CREDENTIALS_FILE": None,
    "AWS_EC2_METADATA_DISABLED": "true",  # never ask an instance metadata service
    **dict.fromkeys(CLEARED_VARS),
}

#: what ``leave`` puts back: every variable ``enter`` read, as it was (None: unset)
Saved = dict[str, "str | None"]


def enter(default_region: str) -> tuple[Saved, str]:
    """Put the mock's environment in place; returns (what ``leave`` restores, the region)."""
    before = read(_READ_VARS)
    # boto3 reads AWS_DEFAULT_REGION only; other SDKs (and many CI setups) set AWS_REGION
    region = before["AWS_DEFAULT_REGION"] or before["AWS_REGION"] or default_region
    home = (before["HOME"], before["USERPROFILE"])
    config, credentials = _profiles.files(
        _expanded(before["AWS_CONFIG_FILE"] or "~/.aws/config", home),
        _expanded(before["AWS_SHARED_CREDENTIALS_FILE"] or "~/.aws/credentials", home),
    )
    wanted = _WANTED.copy()
    wanted["AWS_DEFAULT_REGION"] = region
    wanted["AWS_CONFIG_FILE"] = config
    wanted["AWS_SHARED_CREDENTIALS_FILE"] = credentials
    _write(wanted, before)
    return before, region


def leave(saved: Saved) -> None:
    """Put every variable ``enter`` manages back to its value before (even one changed since)."""
    _write(saved, read(_MANAGED))


def _write(values: Saved, current: Saved) -> None:
    """Give each managed variable its value in ``values`` (None: unset), where ``current`` differs."""
    env = os.environ
    for name in _MANAGED:
        value = values[name]
        if current[name] == value:
            continue
        if value is None:
            try:
                del env[name]
            except KeyError:  # unset by another thread meanwhile
                pass
        else:
            env[name] = value


_expansions: dict[tuple[str, tuple[str | None, str | None]], str] = {}


def _expanded(path: str, home: tuple[str | None, str | None]) -> str:
    """``os.path.expanduser(path)``, remembered for the home directory it was expanded in."""
    key = (path, home)
    expanded = _expansions.get(key)
    if expanded is None:
        if len(_expansions) >= 64:
            _expansions.clear()
        expanded = _expansions[key] = os.path.expanduser(path)
    return expanded


# -- reading -------------------------------------------------------------------------------
#: (the ``encodekey`` of ``os.environ``, name -> its key in the underlying dict)
_keys: tuple[Any, dict[str, Any]] = (None, {})


def read(names: tuple[str, ...]) -> dict[str, str | None]:
    """The values of ``names`` in ``os.environ`` (None where unset).

    Most of these names are unset, and looking up an unset name through the mapping raises
    and catches two ``KeyError``; CPython's ``os.environ`` keeps its data in a dict, read
    here directly when it is there (what ``os.environ.get`` reads, without the exceptions).
    """
    global _keys
    env = os.environ
    data = getattr(env, "_data", None)
    encode: Callable[[str], Any] | None = getattr(env, "encodekey", None)
    decode: Callable[[Any], str] | None = getattr(env, "decodevalue", None)
    if type(data) is not dict or encode is None or decode is None:
        return {name: env.get(name) for name in names}
    encoder, keys = _keys
    if encoder is not encode:
        _keys = (encode, keys := {})
    out: dict[str, str | None] = {}
    for name in names:
        key = keys.get(name)
        if key is None:
            key = keys[name] = encode(name)
        value = data.get(key)
        out[name] = None if value is None else decode(value)
    return out


# -- the mock's AWS config files ---------------------------------------------------------------
class _Profiles:
    """AWS config files for the mock: a profile for each profile name of the real files, each
    with the fake keys and nothing else (no ``credential_process``, role, SSO or region).

    Only the section headers of the real files are read; the files made are reused while the
    real ones are unchanged, and removed when the process exits.
    """

    _SECTION = re.compile(r"^\s*\[\s*(?:profile\s+)?([^\]]+?)\s*\]")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._directory: str | None = None
        self._made: tuple[Any, tuple[str, str]] | None = None

    def files(self, config: str, credentials: str) -> tuple[str, str]:
        """(config file, credentials file) for the real files at these paths."""
        key = (config, _stamp(config), credentials, _stamp(credentials))
        with self._lock:
            if self._made is not None and self._made[0] == key:
                return self._made[1]
            names = {"default": None}
            for path in (credentials, config):
                names.update(
                    dict.fromkeys(
                        name for name in self._names(path) if not name.startswith(("sso-session ", "services "))
                    )
                )
            lines = []
            for name in names:
                lines.append("[default]" if name == "default" else f"[profile {name}]")
                lines.append(f"aws_access_key_id = {FAKE_CREDENTIALS['AWS_ACCESS_KEY_ID']}")
                lines.append(f"aws_secret_access_key = {FAKE_CREDENTIALS['AWS_SECRET_ACCESS_KEY']}")
                lines.append(f"aws_session_token = {FAKE_CREDENTIALS['AWS_SESSION_TOKEN']}")
            if self._directory is None:
                self._directory = tempfile.mkdtemp(prefix="mock-ecr-aws-")
                atexit.register(shutil.rmtree, self._directory, True)
            made = (os.path.join(self._directory, "config"), os.path.join(self._directory, "credentials"))
            with open(made[0], "w") as file:
                file.write("\n".join(lines) + "\n")
            with open(made[1], "w"):
                pass
            self._made = (key, made)
            return made

    def _names(self, path: str) -> list[str]:
        try:
            with open(path, encoding="utf-8", errors="replace") as file:
                return [match.group(1) for match in map(self._SECTION.match, file) if match]
        except OSError:
            return []


def _stamp(path: str) -> tuple[int, int] | None:
    if not os.access(path, os.F_OK):  # no exception to make for a file that is not there
        return None
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


_profiles = _Profiles()
