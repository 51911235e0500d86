"""Repositories: CreateRepository, DescribeRepositories, DeleteRepository (settings are read here,
the repository's lifetime is ``domain.repositories``)."""

from __future__ import annotations

from typing import Any

from .. import messages
from ..domain import naming, pagination
from ..domain import repositories as service
from ..domain.repositories import Repository, get_repository
from ..errors import invalid_parameter
from . import shapes, tagging
from .handlers import RequestContext, operation, repository_operation

_EXCLUSION_MODES = ("IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION")
_FILTERS = "imageTagMutabilityExclusionFilters"


def _encryption(params: dict[str, Any], account_id: str, region: str) -> dict[str, str]:
    config = params.get("encryptionConfiguration")
    if not config:
        return {"encryptionType": "AES256"}
    kind = config["encryptionType"]
    key = config.get("kmsKey")
    if kind == "AES256":
        if key:
            raise invalid_parameter("encryptionConfiguration.kmsKey", messages.KMS_KEY_NEEDS_KMS)
        return {"encryptionType": kind}
    if not key:
        key = naming.aws_managed_kms_key(account_id, region)
    return {"encryptionType": kind, "kmsKey": key}


def _mutability(params: dict[str, Any]) -> tuple[str, list[dict[str, str]]]:
    mode = params.get("imageTagMutability", "MUTABLE")
    filters = params.get("imageTagMutabilityExclusionFilters") or []
    if mode in _EXCLUSION_MODES and not filters:
        raise invalid_parameter(_FILTERS, messages.exclusion_filters_required(mode))
    if filters and mode not in _EXCLUSION_MODES:
        raise invalid_parameter(_FILTERS, messages.EXCLUSION_FILTERS_NOT_ALLOWED)
    return mode, [dict(f) for f in filters]


@operation("CreateRepository")
def create_repository(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    store = ctx.store
    name = params["repositoryName"]
    service.refuse_existing(store, name)  # before any setting is looked at, as ECR does
    tags = tagging.validate_new_tags(params.get("tags") or [], {}, ctx.backend.quotas.tags_per_resource)
    mode, exclusions = _mutability(params)
    encryption = _encryption(params, store.account_id, store.region)
    repository = Repository(
        registry_id=store.account_id,
        region=store.region,
        name=name,
        created_at=ctx.now,
        tag_mutability=mode,
        mutability_exclusions=exclusions,
        scan_on_push=bool((params.get("imageScanningConfiguration") or {}).get("scanOnPush", False)),
        encryption=encryption,
        tags=tags,
    )
    service.create_repository(store, ctx.backend.quotas, repository)
    return {"repository": shapes.repository(repository)}


@operation("DescribeRepositories")
def describe_repositories(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    store = ctx.store
    paging = pagination.paging("DescribeRepositories")
    names = params.get("repositoryNames")
    if names is not None:
        pagination.refuse_paging_with("repositoryNames", params, paging)
        found = [get_repository(store, name) for name in dict.fromkeys(names)]
        return {"repositories": [shapes.repository(repository) for repository in found]}
    ordered = service.sorted_names(store)
    start, stop, next_token = pagination.page(ordered, "DescribeRepositories", *paging.requested(params))
    repositories = store.repositories
    result = {"repositories": [shapes.repository(repositories[name]) for name in ordered[start:stop]]}
    return paging.answer(result, next_token)


@repository_operation("DeleteRepository")
def delete_repository(ctx: RequestContext, repository: Repository, params: dict[str, Any]) -> dict[str, Any]:
    service.delete_repository(ctx.store, repository, force=bool(params.get("force")))
    return {"repository": shapes.repository(repository)}
