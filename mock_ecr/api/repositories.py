"""Repositories: CreateRepository, DescribeRepositories, DeleteRepository."""

from __future__ import annotations

import uuid
from typing import Any

from ..domain import naming, pagination
from ..domain.repositories import Repository, get_repository
from ..domain.store import RegistryStore
from ..errors import (
    InvalidParameterException,
    RepositoryAlreadyExistsException,
    RepositoryNotEmptyException,
    invalid_parameter,
)
from . import tagging
from .handlers import RequestContext, operation

DEFAULT_PAGE_SIZE = 100
_EXCLUSION_MODES = ("IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION")


def _encryption(params: dict[str, Any], account_id: str, region: str) -> dict[str, str]:
    config = params.get("encryptionConfiguration")
    if not config:
        return {"encryptionType": "AES256"}
    kind = config["encryptionType"]
    key = config.get("kmsKey")
    if kind == "AES256":
        if key:
            raise invalid_parameter(
                "encryptionConfiguration.kmsKey", "kmsKey can only be specified when encryptionType is KMS or KMS_DSSE"
            )
        return {"encryptionType": kind}
    if not key:
        # the account's AWS managed key for ECR, the same for every repository of the region
        key_id = uuid.uuid5(uuid.NAMESPACE_URL, f"aws/ecr/{account_id}/{region}")
        key = f"arn:{naming.partition_of(region)[0]}:kms:{region}:{account_id}:key/{key_id}"
    return {"encryptionType": kind, "kmsKey": key}


def _mutability(params: dict[str, Any]) -> tuple[str, list[dict[str, str]]]:
    mode = params.get("imageTagMutability", "MUTABLE")
    filters = params.get("imageTagMutabilityExclusionFilters") or []
    if mode in _EXCLUSION_MODES and not filters:
        raise InvalidParameterException(
            f"Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: "
            f"'must be specified when imageTagMutability is {mode}'"
        )
    if filters and mode not in _EXCLUSION_MODES:
        raise InvalidParameterException(
            "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: "
            "'can only be specified when imageTagMutability is IMMUTABLE_WITH_EXCLUSION or "
            "MUTABLE_WITH_EXCLUSION'"
        )
    return mode, [dict(f) for f in filters]


@operation("CreateRepository")
def create_repository(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    store = ctx.store
    name = params["repositoryName"]
    if name in store.repositories:
        raise RepositoryAlreadyExistsException(
            f"The repository with name '{name}' already exists in the registry with id '{store.account_id}'"
        )
    tags = tagging.validate_new_tags(params.get("tags") or [], {}, ctx.backend.quotas.tags_per_resource)
    mode, exclusions = _mutability(params)
    encryption = _encryption(params, store.account_id, store.region)
    ctx.backend.quotas.check_repository_count(store)
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
    store.repositories[name] = repository
    store.extra.pop("sorted_repository_names", None)
    return {"repository": repository.describe()}


def _sorted_names(store: RegistryStore) -> list[str]:
    names = store.extra.get("sorted_repository_names")
    if names is None:
        names = store.extra["sorted_repository_names"] = sorted(store.repositories)
    return names


@operation("DescribeRepositories")
def describe_repositories(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    store = ctx.store
    names = params.get("repositoryNames")
    if names is not None:
        pagination.refuse_paging_with("repositoryNames", params)
        found = [get_repository(store, name) for name in dict.fromkeys(names)]
        return {"repositories": [repository.describe() for repository in found]}
    ordered = _sorted_names(store)
    start, stop, next_token = pagination.page(
        ordered, "DescribeRepositories", params.get("nextToken"), params.get("maxResults", DEFAULT_PAGE_SIZE)
    )
    result: dict[str, Any] = {
        "repositories": [store.repositories[name].describe() for name in ordered[start:stop]]
    }
    if next_token:
        result["nextToken"] = next_token
    return result


#: callbacks ``(store, repository)`` run when a repository is deleted (images, uploads...)
ON_DELETE: list[Any] = []


@operation("DeleteRepository")
def delete_repository(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    store = ctx.store
    repository = get_repository(store, params["repositoryName"])
    if repository.image_count() and not params.get("force"):
        raise RepositoryNotEmptyException(
            f"The repository with name '{repository.name}' in registry with id '{store.account_id}' "
            "cannot be deleted because it still contains images"
        )
    del store.repositories[repository.name]
    store.extra.pop("sorted_repository_names", None)
    for callback in ON_DELETE:
        callback(store, repository)
    return {"repository": repository.describe()}
