"""Registry-level settings: scanning configuration, registry policy, DescribeRegistry, account settings.

GetRegistryScanningConfiguration, PutRegistryScanningConfiguration,
BatchGetRepositoryScanningConfiguration, PutRegistryPolicy, GetRegistryPolicy,
DeleteRegistryPolicy, DescribeRegistry, GetAccountSetting, PutAccountSetting. State and
rules live in ``domain/registry_settings.py``.
"""

from __future__ import annotations

from typing import Any

from .. import messages
from ..domain import registry_settings as settings_rules
from ..domain import replication
from ..errors import InvalidParameterException, RegistryPolicyNotFoundException, invalid_parameter
from .handlers import RequestContext, operation
from .policies import validate_policy_text


def _caller_registry(ctx: RequestContext, params: dict[str, Any]) -> tuple[str, str]:
    """These actions take no ``registryId``: they address the caller's own registry."""
    return ctx.account_id, ctx.region


# -- scanning configuration ------------------------------------------------------------------------
@operation("GetRegistryScanningConfiguration", locate=_caller_registry)
def get_registry_scanning_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"registryId": ctx.store.account_id, "scanningConfiguration": ctx.store.settings.scanning_configuration()}


@operation("PutRegistryScanningConfiguration", locate=_caller_registry)
def put_registry_scanning_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    settings = ctx.store.settings
    scan_type = params.get("scanType", "BASIC")
    rules = [
        {"scanFrequency": rule["scanFrequency"], "repositoryFilters": [dict(f) for f in rule["repositoryFilters"]]}
        for rule in params.get("rules") or []
    ]
    settings_rules.check_scanning_configuration(scan_type, rules)
    settings.scan_type, settings.scan_rules = scan_type, rules
    return {"registryScanningConfiguration": settings.scanning_configuration()}


@operation("BatchGetRepositoryScanningConfiguration", locate=_caller_registry)
def batch_get_repository_scanning_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    store = ctx.store
    configurations: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for name in dict.fromkeys(params["repositoryNames"]):
        repository = store.repositories.get(name)
        if repository is None:
            failures.append(
                {"repositoryName": name, "failureCode": "REPOSITORY_NOT_FOUND", "failureReason": "REPOSITORY_NOT_FOUND"}
            )
            continue
        frequency, applied = settings_rules.effective_scanning(store.settings, name)
        if frequency == "MANUAL" and store.settings.scan_type == "BASIC" and repository.scan_on_push:
            frequency = "SCAN_ON_PUSH"  # the repository's own (deprecated) scanOnPush setting
        configurations.append(
            {
                "repositoryArn": repository.arn,
                "repositoryName": name,
                "scanOnPush": repository.scan_on_push,
                "scanFrequency": frequency,
                "appliedScanFilters": applied,
            }
        )
    return {"scanningConfigurations": configurations, "failures": failures}


# -- registry policy -----------------------------------------------------------------------------
def _policy_not_found(registry_id: str) -> RegistryPolicyNotFoundException:
    return RegistryPolicyNotFoundException(messages.registry_policy_not_found(registry_id))


def _stored_policy(ctx: RequestContext) -> str:
    text = ctx.store.settings.policy_text
    if text is None:
        raise _policy_not_found(ctx.store.account_id)
    return text


@operation("PutRegistryPolicy", locate=_caller_registry)
def put_registry_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    text = params["policyText"]
    try:
        validate_policy_text(text)
    except InvalidParameterException:
        raise invalid_parameter("PolicyText", messages.INVALID_REGISTRY_POLICY) from None
    ctx.store.settings.policy_text = text
    return {"registryId": ctx.store.account_id, "policyText": text}


@operation("GetRegistryPolicy", locate=_caller_registry)
def get_registry_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"registryId": ctx.store.account_id, "policyText": _stored_policy(ctx)}


@operation("DeleteRegistryPolicy", locate=_caller_registry)
def delete_registry_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    text = _stored_policy(ctx)
    ctx.store.settings.policy_text = None
    return {"registryId": ctx.store.account_id, "policyText": text}


# -- DescribeRegistry ------------------------------------------------------------------------------
@operation("DescribeRegistry", locate=_caller_registry)
def describe_registry(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"registryId": ctx.store.account_id, "replicationConfiguration": replication.described(ctx.store.settings)}


# -- account settings ----------------------------------------------------------------------------
@operation("GetAccountSetting", locate=_caller_registry)
def get_account_setting(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["name"]
    return {"name": name, "value": ctx.store.settings.account_setting(name)}


@operation("PutAccountSetting", locate=_caller_registry)
def put_account_setting(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, value = params["name"], params["value"]
    settings_rules.check_account_setting(name, value)
    ctx.store.settings.account_settings[name] = value
    return {"name": name, "value": value}
