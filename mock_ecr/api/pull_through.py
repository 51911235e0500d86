"""Pull through cache rules: Create/Describe/Update/Delete/ValidatePullThroughCacheRule.

The rules and the import a pull sets off are ``domain.pull_through``; BatchGetImage and
GetDownloadUrlForLayer call it. Secrets: the mock keeps no Secrets Manager, so a
``credentialArn`` (the model checks its ``ecr-pullthroughcache/`` name) is found when it
is in the registry's account and region, as ECR requires: in another region it is not
found (SecretNotFoundException), in another account it cannot be accessed
(UnableToAccessSecretException). ValidatePullThroughCacheRule reports the rule invalid
while the test makes its upstream fail (``m.set_upstream_failure``).
"""

from __future__ import annotations

from typing import Any

from .. import messages
from ..domain import pagination
from ..domain.pull_through import NEEDS_SECRET, PullThroughCacheRule, upstream_kind
from ..domain.store import RegistryStore
from ..domain.templates import ROOT, template_key
from ..errors import (
    InvalidParameterException,
    LimitExceededException,
    PullThroughCacheRuleAlreadyExistsException,
    PullThroughCacheRuleNotFoundException,
    SecretNotFoundException,
    UnableToAccessSecretException,
    UnsupportedUpstreamRegistryException,
    invalid_parameter,
)
from .handlers import RequestContext, operation
from .templates import role_arn

_TOKEN_KIND = "DescribePullThroughCacheRules"
DEFAULT_PAGE_SIZE = 100


def _rule(store: RegistryStore, prefix: str) -> PullThroughCacheRule:
    rule = store.pull_through_rules.get(template_key(prefix))
    if rule is None:
        raise PullThroughCacheRuleNotFoundException(messages.pull_through_rule_not_found(prefix, store.account_id))
    return rule


def _secret(store: RegistryStore, arn: str) -> str:
    """``arn`` if the registry can read it: in its account and region."""
    parts = arn.split(":")
    region, account = (parts[3], parts[4]) if len(parts) > 5 else ("", "")
    if account != store.account_id:
        raise UnableToAccessSecretException(messages.SECRET_INACCESSIBLE)
    if region != store.region:
        raise SecretNotFoundException(messages.SECRET_NOT_FOUND)
    return arn


def _credential(store: RegistryStore, kind: str, arn: str | None) -> str | None:
    if kind in NEEDS_SECRET:
        if not arn:
            raise UnsupportedUpstreamRegistryException(messages.UPSTREAM_NEEDS_SECRET)
        return _secret(store, arn)
    if arn:
        raise invalid_parameter("credentialArn", messages.credential_not_supported(kind))
    return None


@operation("CreatePullThroughCacheRule")
def create_pull_through_cache_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    store = ctx.store
    prefix, url = params["ecrRepositoryPrefix"], params["upstreamRegistryUrl"]
    key = template_key(prefix)
    if key in store.pull_through_rules:
        raise PullThroughCacheRuleAlreadyExistsException(messages.pull_through_rule_exists(prefix, store.account_id))
    found = upstream_kind(url)
    if found is None:
        raise UnsupportedUpstreamRegistryException(messages.unsupported_upstream_url(url))
    kind, upstream_key = found
    declared = params.get("upstreamRegistry")
    if declared is not None and declared != kind:
        raise UnsupportedUpstreamRegistryException(messages.upstream_registry_mismatch(declared, url))
    credential = _credential(store, kind, params.get("credentialArn"))
    role, upstream_prefix = params.get("customRoleArn"), params.get("upstreamRepositoryPrefix")
    if upstream_key is None:
        for member, value in (("customRoleArn", role), ("upstreamRepositoryPrefix", upstream_prefix)):
            if value:
                raise invalid_parameter(member, messages.option_only_for_ecr(member))
    else:
        role = role_arn(role or "", store.account_id)
        if role is None and upstream_key[0] != store.account_id:
            raise invalid_parameter("customRoleArn", messages.CROSS_ACCOUNT_NEEDS_ROLE)
        if upstream_prefix and template_key(upstream_prefix) != ROOT and key == ROOT:
            raise invalid_parameter("upstreamRepositoryPrefix", messages.UPSTREAM_PREFIX_WITH_ROOT)
        upstream_prefix = upstream_prefix or ROOT
    limit = ctx.backend.quotas.pull_through_cache_rules_per_registry
    if len(store.pull_through_rules) >= limit:
        raise LimitExceededException(messages.limit_exceeded("Pull through cache rules per registry", limit))
    rule = PullThroughCacheRule(
        prefix=prefix,
        upstream_registry=kind,
        upstream_url=url,
        created_at=ctx.now,
        updated_at=ctx.now,
        credential_arn=credential,
        custom_role_arn=role,
        upstream_prefix=upstream_prefix,
        upstream_key=upstream_key,
    )
    store.pull_through_rules[key] = rule
    return {
        "ecrRepositoryPrefix": rule.prefix,
        "upstreamRegistryUrl": rule.upstream_url,
        "createdAt": rule.created_at,
        "registryId": store.account_id,
        "upstreamRegistry": rule.upstream_registry,
        **rule.credentials(),
    }


@operation("DescribePullThroughCacheRules")
def describe_pull_through_cache_rules(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    store = ctx.store
    prefixes = params.get("ecrRepositoryPrefixes")
    if prefixes:
        keys = sorted({template_key(_rule(store, prefix).prefix) for prefix in prefixes})
    else:
        keys = sorted(store.pull_through_rules)
    start, stop, token = pagination.page(
        keys, _TOKEN_KIND, params.get("nextToken"), params.get("maxResults", DEFAULT_PAGE_SIZE)
    )
    rules = store.pull_through_rules
    result: dict[str, Any] = {"pullThroughCacheRules": [rules[k].describe(store.account_id) for k in keys[start:stop]]}
    if token:
        result["nextToken"] = token
    return result


@operation("UpdatePullThroughCacheRule")
def update_pull_through_cache_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    store = ctx.store
    rule = _rule(store, params["ecrRepositoryPrefix"])
    credential, role = params.get("credentialArn"), params.get("customRoleArn")
    if not credential and not role:
        raise InvalidParameterException(messages.UPDATE_NEEDS_CREDENTIALS)
    if credential:
        credential = _credential(store, rule.upstream_registry, credential)
    if role:
        if rule.upstream_key is None:
            raise invalid_parameter("customRoleArn", messages.option_only_for_ecr("customRoleArn"))
        role = role_arn(role, store.account_id)
    if credential:
        rule.credential_arn = credential
    if role:
        rule.custom_role_arn = role
    rule.updated_at = ctx.now
    return {
        "ecrRepositoryPrefix": rule.prefix,
        "registryId": store.account_id,
        "updatedAt": rule.updated_at,
        **rule.credentials(),
    }


@operation("DeletePullThroughCacheRule")
def delete_pull_through_cache_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    store = ctx.store
    rule = _rule(store, params["ecrRepositoryPrefix"])
    del store.pull_through_rules[template_key(rule.prefix)]
    return {
        "ecrRepositoryPrefix": rule.prefix,
        "upstreamRegistryUrl": rule.upstream_url,
        "createdAt": rule.created_at,
        "registryId": store.account_id,
        **rule.credentials(),
    }


@operation("ValidatePullThroughCacheRule")
def validate_pull_through_cache_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    store = ctx.store
    rule = _rule(store, params["ecrRepositoryPrefix"])
    failure = None
    if rule.upstream_key is None:
        upstreams = ctx.backend.upstreams
        with upstreams.lock:
            upstream = upstreams.registries.get(rule.upstream_url)
            code = upstream.failure if upstream is not None else None
        if code is not None:
            failure = messages.UPSTREAM_FAILURE_TEXT[code]
    result = {
        "ecrRepositoryPrefix": rule.prefix,
        "registryId": store.account_id,
        "upstreamRegistryUrl": rule.upstream_url,
        **rule.credentials(),
        "isValid": failure is None,
    }
    if failure is not None:
        result["failure"] = failure
    return result
