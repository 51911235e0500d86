"""Repository policies: SetRepositoryPolicy, GetRepositoryPolicy, DeleteRepositoryPolicy."""

from __future__ import annotations

import json
from typing import Any

from ..domain.repositories import get_repository
from ..errors import InvalidParameterException, RepositoryPolicyNotFoundException
from .handlers import RequestContext, operation

_EFFECTS = ("Allow", "Deny")
_VERSIONS = ("2012-10-17", "2008-10-17")


def _invalid_policy() -> InvalidParameterException:
    return InvalidParameterException(
        "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'"
    )


def _valid_statement(statement: Any) -> bool:
    if not isinstance(statement, dict):
        return False
    if statement.get("Effect") not in _EFFECTS:
        return False
    if ("Principal" in statement) == ("NotPrincipal" in statement):
        return False  # a resource policy names exactly one of them
    if ("Action" in statement) == ("NotAction" in statement):
        return False
    actions = statement.get("Action", statement.get("NotAction"))
    if isinstance(actions, str):
        actions = [actions]
    return isinstance(actions, list) and bool(actions) and all(isinstance(a, str) and a for a in actions)


def validate_policy_text(text: str) -> None:
    """Accept a syntactically valid IAM resource policy document, as ECR does."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise _invalid_policy() from None
    if not isinstance(document, dict) or document.get("Version", _VERSIONS[0]) not in _VERSIONS:
        raise _invalid_policy()
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements or not all(map(_valid_statement, statements)):
        raise _invalid_policy()


def _policy_not_found(name: str, registry_id: str) -> RepositoryPolicyNotFoundException:
    return RepositoryPolicyNotFoundException(
        f"Repository policy does not exist for the repository with name '{name}' "
        f"in the registry with id '{registry_id}'"
    )


def _policy_answer(repository: Any, text: str) -> dict[str, Any]:
    """The shape all three policy actions answer with."""
    return {"registryId": repository.registry_id, "repositoryName": repository.name, "policyText": text}


def _repository_with_policy(ctx: RequestContext, params: dict[str, Any]) -> Any:
    repository = get_repository(ctx.store, params["repositoryName"])
    if repository.policy_text is None:
        raise _policy_not_found(repository.name, repository.registry_id)
    return repository


@operation("SetRepositoryPolicy")
def set_repository_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    repository = get_repository(ctx.store, params["repositoryName"])
    ctx.backend.quotas.check_text_length("policyText", params["policyText"], "repository_policy_length")
    validate_policy_text(params["policyText"])
    repository.policy_text = params["policyText"]
    return _policy_answer(repository, repository.policy_text)


@operation("GetRepositoryPolicy")
def get_repository_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    repository = _repository_with_policy(ctx, params)
    return _policy_answer(repository, repository.policy_text)


@operation("DeleteRepositoryPolicy")
def delete_repository_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    repository = _repository_with_policy(ctx, params)
    text, repository.policy_text = repository.policy_text, None
    return _policy_answer(repository, text)
