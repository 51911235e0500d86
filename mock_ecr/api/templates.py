"""Repository creation templates: Create/Describe/Update/DeleteRepositoryCreationTemplate.

Templates are validated with the checks the repository actions make: tag mutability as
CreateRepository, the repository policy as SetRepositoryPolicy, the lifecycle policy as
PutLifecyclePolicy. The template a repository gets is ``domain.templates.matching_template``.
"""

from __future__ import annotations

import re
from typing import Any

from .. import messages
from ..domain import pagination
from ..domain.lifecycle.rules import parse_lifecycle_policy
from ..domain.store import RegistryStore
from ..domain.templates import RepositoryCreationTemplate, template_key
from ..errors import (
    LimitExceededException,
    TemplateAlreadyExistsException,
    TemplateNotFoundException,
    invalid_parameter,
)
from .handlers import RequestContext, operation
from .policies import validate_policy_text
from .repositories import _mutability

DEFAULT_PAGE_SIZE = 100
_TOKEN_KIND = "DescribeRepositoryCreationTemplates"
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::([0-9]{12}):role/[\w+=,.@/-]+")


def _not_found(prefix: str, registry_id: str) -> TemplateNotFoundException:
    return TemplateNotFoundException(messages.template_not_found(prefix, registry_id))


def _template(store: RegistryStore, prefix: str) -> RepositoryCreationTemplate:
    template: RepositoryCreationTemplate | None = store.templates.get(template_key(prefix))
    if template is None:
        raise _not_found(prefix, store.account_id)
    return template


def _encryption(config: dict[str, Any]) -> dict[str, str]:
    kind, key = config["encryptionType"], config.get("kmsKey")
    if kind == "AES256" and key:
        raise invalid_parameter("encryptionConfiguration.kmsKey", messages.KMS_KEY_ONLY_WITH_KMS)
    return {"encryptionType": kind, "kmsKey": key} if key else {"encryptionType": kind}


def _tags(tags: list[dict[str, str]], limit: int) -> list[dict[str, str]]:
    merged: dict[str, str] = {}
    for tag in tags:
        if tag["Key"].lower().startswith("aws:"):
            raise invalid_parameter("resourceTags", messages.RESERVED_TAG_KEY)
        merged[tag["Key"]] = tag["Value"]
    if len(merged) > limit:
        raise invalid_parameter("resourceTags", messages.max_length(limit))
    return [{"Key": key, "Value": value} for key, value in merged.items()]


def role_arn(arn: str, registry_id: str) -> str | None:
    """A checked IAM role ARN in the registry's account ("" for none)."""
    if arn == "":
        return None
    match = _ROLE_ARN.fullmatch(arn)
    if match is None:
        raise invalid_parameter("customRoleArn", messages.INVALID_ROLE_ARN)
    if match.group(1) != registry_id:
        raise invalid_parameter("customRoleArn", messages.ROLE_OTHER_ACCOUNT)
    return arn


def _applied_for(values: list[str]) -> list[str]:
    if not values:
        raise invalid_parameter("appliedFor", messages.min_length(1))
    return list(dict.fromkeys(values))


def _settings(
    ctx: RequestContext, params: dict[str, Any], current: RepositoryCreationTemplate | None
) -> dict[str, Any]:
    """The template fields ``params`` sets, checked (``current``: the template an update changes)."""
    quotas = ctx.backend.quotas
    out: dict[str, Any] = {}
    if "description" in params:
        out["description"] = params["description"]
    if "encryptionConfiguration" in params:
        out["encryption"] = _encryption(params["encryptionConfiguration"])
    if "resourceTags" in params:
        out["resource_tags"] = _tags(params["resourceTags"], quotas.tags_per_resource)
    if "imageTagMutability" in params or "imageTagMutabilityExclusionFilters" in params or current is None:
        mode = params.get("imageTagMutability", current.tag_mutability if current else "MUTABLE")
        filters = params.get("imageTagMutabilityExclusionFilters")
        if filters is None and current is not None and mode == current.tag_mutability:
            filters = current.mutability_exclusions
        out["tag_mutability"], out["mutability_exclusions"] = _mutability(
            {"imageTagMutability": mode, "imageTagMutabilityExclusionFilters": filters}
        )
    if "repositoryPolicy" in params:
        text = params["repositoryPolicy"]
        if text:
            quotas.check_text_length("repositoryPolicy", text, "repository_policy_length")
            validate_policy_text(text)
        out["repository_policy"] = text or None
    if "lifecyclePolicy" in params:
        text = params["lifecyclePolicy"]
        if text:
            quotas.check_text_length("lifecyclePolicy", text, "lifecycle_policy_length")
            parse_lifecycle_policy(text, member="lifecyclePolicy")
        out["lifecycle_policy"] = text or None
    if "appliedFor" in params:
        out["applied_for"] = _applied_for(params["appliedFor"])
    if "customRoleArn" in params:
        out["custom_role_arn"] = role_arn(params["customRoleArn"], ctx.store.account_id)
    return out


def _answer(store: RegistryStore, template: RepositoryCreationTemplate) -> dict[str, Any]:
    return {"registryId": store.account_id, "repositoryCreationTemplate": template.describe()}


@operation("CreateRepositoryCreationTemplate")
def create_repository_creation_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    store = ctx.store
    prefix = params["prefix"]
    key = template_key(prefix)
    if key in store.templates:
        raise TemplateAlreadyExistsException(messages.template_exists(prefix, store.account_id))
    fields = _settings(ctx, params, None)
    limit = ctx.backend.quotas.repository_creation_templates_per_registry
    if len(store.templates) >= limit:
        raise LimitExceededException(messages.limit_exceeded("Repository creation templates per registry", limit))
    template = RepositoryCreationTemplate(prefix=prefix, created_at=ctx.now, updated_at=ctx.now, **fields)
    store.templates[key] = template
    return _answer(store, template)


@operation("UpdateRepositoryCreationTemplate")
def update_repository_creation_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    template = _template(ctx.store, params["prefix"])
    fields = _settings(ctx, params, template)
    for name, value in fields.items():
        setattr(template, name, value)
    template.updated_at = ctx.now
    return _answer(ctx.store, template)


@operation("DeleteRepositoryCreationTemplate")
def delete_repository_creation_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    store = ctx.store
    template = _template(store, params["prefix"])
    del store.templates[template_key(template.prefix)]
    return _answer(store, template)


@operation("DescribeRepositoryCreationTemplates")
def describe_repository_creation_templates(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    store = ctx.store
    prefixes = params.get("prefixes")
    if prefixes:
        # prefixes without a template are left out, as ECR does
        keys = sorted({template_key(p) for p in prefixes} & store.templates.keys())
    else:
        keys = sorted(store.templates)
    start, stop, token = pagination.page(
        keys, _TOKEN_KIND, params.get("nextToken"), params.get("maxResults", DEFAULT_PAGE_SIZE)
    )
    result: dict[str, Any] = {
        "registryId": store.account_id,
        "repositoryCreationTemplates": [store.templates[k].describe() for k in keys[start:stop]],
    }
    if token:
        result["nextToken"] = token
    return result
