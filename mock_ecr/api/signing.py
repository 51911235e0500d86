"""Managed signing: Put/Get/DeleteSigningConfiguration and DescribeImageSigningStatus.

What a push matching a rule does is ``domain.signing`` (called from ``domain.pushes.after_push``).
"""

from __future__ import annotations

from typing import Any

from .. import messages
from ..domain.repositories import Repository
from ..domain.signing import SigningStatus
from ..errors import SigningConfigurationNotFoundException
from .handlers import RequestContext, operation, repository_operation
from .image_ids import answered_id, named_image


def _rule(rule: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"signingProfileArn": rule["signingProfileArn"]}
    if rule.get("repositoryFilters"):
        out["repositoryFilters"] = [dict(f) for f in rule["repositoryFilters"]]
    return out


def _configuration(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {"rules": [_rule(rule) for rule in rules]}


def _existing(ctx: RequestContext) -> list[dict[str, Any]]:
    rules = ctx.store.settings.signing_rules
    if rules is None:
        raise SigningConfigurationNotFoundException(messages.signing_configuration_not_found(ctx.store.account_id))
    return rules


@operation("PutSigningConfiguration")
def put_signing_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    rules = [_rule(rule) for rule in params["signingConfiguration"]["rules"]]
    ctx.store.settings.signing_rules = rules
    return {"signingConfiguration": _configuration(rules)}


@operation("GetSigningConfiguration")
def get_signing_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"registryId": ctx.store.account_id, "signingConfiguration": _configuration(_existing(ctx))}


@operation("DeleteSigningConfiguration")
def delete_signing_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    rules = _existing(ctx)
    ctx.store.settings.signing_rules = None
    return {"registryId": ctx.store.account_id, "signingConfiguration": _configuration(rules)}


def _status(status: SigningStatus) -> dict[str, Any]:
    out = {"signingProfileArn": status.profile_arn, "status": status.status}
    if status.status == "FAILED":
        out["failureCode"] = status.failure_code or ""
        out["failureReason"] = status.failure_reason or ""
    return out


@repository_operation("DescribeImageSigningStatus")
def describe_image_signing_status(
    ctx: RequestContext, repository: Repository, params: dict[str, Any]
) -> dict[str, Any]:
    image = named_image(repository, params["imageId"])
    return {
        "repositoryName": repository.name,
        "imageId": answered_id(image, params["imageId"]),
        "registryId": repository.registry_id,
        "signingStatuses": [_status(status) for status in image.signing],
    }
