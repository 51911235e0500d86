"""Resource tags: validation shared by CreateRepository and TagResource, and the tag actions."""

from __future__ import annotations

import re
from typing import Any

from .. import messages
from ..domain.repositories import Repository
from ..errors import InvalidTagParameterException, TooManyTagsException, invalid_parameter
from .handlers import RequestContext, operation

MAX_TAGS = 50
_ARN = re.compile(r"arn:aws[a-z-]*:ecr:([a-z0-9-]+):([0-9]{12}):repository/(.+)")


def validate_new_tags(tags: list[dict[str, str]], existing: dict[str, str], limit: int = MAX_TAGS) -> dict[str, str]:
    """``existing`` with ``tags`` applied, or the error ECR gives for them."""
    merged = dict(existing)
    for tag in tags:
        key, value = tag["Key"], tag["Value"]
        if not 1 <= len(key) <= 128:
            raise InvalidTagParameterException(messages.TAG_KEY_LENGTH)
        if len(value) > 256:
            raise InvalidTagParameterException(messages.TAG_VALUE_LENGTH)
        if key.lower().startswith("aws:"):
            raise InvalidTagParameterException(messages.TAG_KEY_RESERVED)
        merged[key] = value
    if len(merged) > limit:
        raise TooManyTagsException(messages.too_many_tags(limit))
    return merged


def _arn_registry(ctx: RequestContext, params: dict[str, Any]) -> tuple[str, str]:
    match = _ARN.fullmatch(params.get("resourceArn", ""))
    if match is None:
        return ctx.account_id, ctx.region
    return match.group(2), match.group(1)


def _repository_of(ctx: RequestContext, arn: str) -> Repository:
    match = _ARN.fullmatch(arn)
    if match is None:
        raise invalid_parameter("resourceArn", messages.INVALID_ARN)
    repository = ctx.store.repositories.get(match.group(3))
    if repository is None:
        raise invalid_parameter("resourceArn", messages.repository_not_found(match.group(3), match.group(2)))
    return repository


@operation("ListTagsForResource", _arn_registry)
def list_tags_for_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    repository = _repository_of(ctx, params["resourceArn"])
    return {"tags": [{"Key": k, "Value": v} for k, v in repository.tags.items()]}


@operation("TagResource", _arn_registry)
def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    repository = _repository_of(ctx, params["resourceArn"])
    repository.tags = validate_new_tags(params["tags"], repository.tags, ctx.backend.quotas.tags_per_resource)
    return {}


@operation("UntagResource", _arn_registry)
def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    repository = _repository_of(ctx, params["resourceArn"])
    for key in params["tagKeys"]:
        repository.tags.pop(key, None)
    return {}
