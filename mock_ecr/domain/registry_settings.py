"""Registry-wide settings: scanning configuration, registry policy, replication, account settings.

Pure state and rules, no wire shapes beyond the plain dicts ECR's configuration members are.
Everything here is read and changed under the registry's lock.

Account settings (GetAccountSetting / PutAccountSetting, API reference of today): names
``BASIC_SCAN_TYPE_VERSION`` (value ``AWS_NATIVE``; CLAIR, which older documentation listed,
is no longer accepted), ``REGISTRY_POLICY_SCOPE`` (``V1`` or ``V2``) and ``BLOB_MOUNTING``
(``ENABLED`` or ``DISABLED``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import messages
from ..errors import invalid_parameter
from .lifecycle.engine import tag_pattern_matches

#: setting name -> (default value, accepted values)
ACCOUNT_SETTINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "BASIC_SCAN_TYPE_VERSION": ("AWS_NATIVE", ("AWS_NATIVE",)),
    "REGISTRY_POLICY_SCOPE": ("V2", ("V1", "V2")),
    "BLOB_MOUNTING": ("DISABLED", ("ENABLED", "DISABLED")),
}

#: scan frequencies in the order ECR applies them when a repository matches several rules
_FREQUENCY_ORDER = ("CONTINUOUS_SCAN", "SCAN_ON_PUSH")


@dataclass
class RegistrySettings:
    """The settings of one registry (an account in one region)."""

    scan_type: str = "BASIC"
    #: RegistryScanningRule dicts, as last put
    scan_rules: list[dict[str, Any]] = field(default_factory=list)
    policy_text: str | None = None
    #: ReplicationConfiguration, as DescribeRegistry answers it (filled by replication later)
    replication_configuration: dict[str, Any] = field(default_factory=lambda: {"rules": []})
    #: account settings that were put; others have their default
    account_settings: dict[str, str] = field(default_factory=dict)
    #: SigningRule dicts as last put (PutSigningConfiguration); None: no signing configuration
    signing_rules: list[dict[str, Any]] | None = None
    #: signing profile ARN -> (failureCode, failureReason) signing with it answers (test-configured)
    signing_failures: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: principal ARN -> when its pull-time update exclusion was registered
    pull_exclusions: dict[str, Any] = field(default_factory=dict)

    def scanning_configuration(self) -> dict[str, Any]:
        """The RegistryScanningConfiguration shape (BASIC without rules if never configured)."""
        return {"scanType": self.scan_type, "rules": [_copy_rule(rule) for rule in self.scan_rules]}

    def account_setting(self, name: str) -> str:
        known = ACCOUNT_SETTINGS.get(name)
        if known is None:
            raise unknown_setting(name)
        return self.account_settings.get(name, known[0])


def _copy_rule(rule: dict[str, Any]) -> dict[str, Any]:
    return {
        "scanFrequency": rule["scanFrequency"],
        "repositoryFilters": [dict(f) for f in rule["repositoryFilters"]],
    }


def unknown_setting(name: str) -> Exception:
    return invalid_parameter("name", messages.CONSTRAINTS["enum"].format(", ".join(ACCOUNT_SETTINGS)))


def check_account_setting(name: str, value: str) -> None:
    """Refuse a setting name or value ECR does not accept."""
    known = ACCOUNT_SETTINGS.get(name)
    if known is None:
        raise unknown_setting(name)
    if value not in known[1]:
        raise invalid_parameter("value", messages.setting_values(name, known[1]))


def blob_mounting_enabled(settings: RegistrySettings) -> bool:
    """Whether cross-repository blob mounts mount (the BLOB_MOUNTING account setting)."""
    return settings.account_setting("BLOB_MOUNTING") == "ENABLED"


def repository_filter_matches(pattern: str, repository_name: str) -> bool:
    """ECR's scanning filter rule: without ``*`` a filter matches every name containing it;
    with ``*``, the wildcard stands for zero or more characters of the whole name."""
    if "*" not in pattern:
        return pattern in repository_name
    return tag_pattern_matches(pattern, repository_name)


def check_scanning_configuration(scan_type: str, rules: list[dict[str, Any]]) -> None:
    """Refuse a registry scanning configuration ECR refuses."""
    seen: set[str] = set()
    for rule in rules:
        frequency = rule["scanFrequency"]
        if frequency in seen:
            raise invalid_parameter("rules", messages.duplicate_scan_frequency(frequency))
        seen.add(frequency)
        if scan_type == "BASIC" and frequency != "SCAN_ON_PUSH":
            raise invalid_parameter("rules.scanFrequency", messages.scan_frequency_unsupported(frequency, "BASIC"))
        if scan_type == "ENHANCED" and frequency == "MANUAL":
            raise invalid_parameter("rules.scanFrequency", messages.scan_frequency_unsupported("MANUAL", "ENHANCED"))


def effective_scanning(settings: RegistrySettings, repository_name: str) -> tuple[str, list[dict[str, str]]]:
    """``(scanFrequency, appliedScanFilters)`` the registry's rules give a repository."""
    for frequency in _FREQUENCY_ORDER:
        for rule in settings.scan_rules:
            if rule["scanFrequency"] != frequency:
                continue
            applied = [
                dict(f) for f in rule["repositoryFilters"] if repository_filter_matches(f["filter"], repository_name)
            ]
            if applied:
                return frequency, applied
    return "MANUAL", []


def scans_on_push(settings: RegistrySettings, repository_name: str, repository_scan_on_push: bool) -> str | None:
    """The kind of scan a push to the repository starts: ``"BASIC"``, ``"ENHANCED"`` or None.

    Under basic scanning the repository's own ``scanOnPush`` or a SCAN_ON_PUSH rule starts a
    basic scan; under enhanced scanning the registry's rules alone decide (continuous scanning
    scans a new image too).
    """
    frequency, _ = effective_scanning(settings, repository_name)
    if settings.scan_type == "ENHANCED":
        return "ENHANCED" if frequency in _FREQUENCY_ORDER else None
    return "BASIC" if repository_scan_on_push or frequency == "SCAN_ON_PUSH" else None
