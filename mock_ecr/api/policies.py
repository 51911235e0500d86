"""Repository policies: SetRepositoryPolicy, GetRepositoryPolicy, DeleteRepositoryPolicy."""

from __future__ import annotations

import json
from typing import Any

from .. import messages
from ..domain.repositories import Repository
from ..errors import InvalidParameterException, RepositoryPolicyNotFoundException, invalid_parameter
from .handlers import RequestContext, repository_operation

_EFFECTS = ("Allow", "Deny")
_VERSIONS = ("2012-10-17", "2008-10-17")


def _invalid_policy() -> InvalidParameterException:
    return invalid_parameter("PolicyText", messages.INVALID_POLICY)


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


def _policy_answer(repository: Repository, text: str) -> dict[str, Any]:
    """The shape all three policy actions answer with."""
    return {"registryId": repository.registry_id, "repositoryName": repository.name, "policyText": text}


def _policy_of(repository: Repository) -> str:
    if repository.policy_text is None:
        raise RepositoryPolicyNotFoundException(messages.policy_not_found(repository.name, repository.registry_id))
    return repository.policy_text


@repository_operation("SetRepositoryPolicy")
def set_repository_policy(ctx: RequestContext, repository: Repository, params: dict[str, Any]) -> dict[str, Any]:
    text = params["policyText"]
    ctx.backend.quotas.check_text_length("policyText", text, "repository_policy_length")
    validate_policy_text(text)
    repository.policy_text = text
    return _policy_answer(repository, text)


@repository_operation("GetRepositoryPolicy")
def get_repository_policy(ctx: RequestContext, repository: Repository, params: dict[str, Any]) -> dict[str, Any]:
    return _policy_answer(repository, _policy_of(repository))


@repository_operation("DeleteRepositoryPolicy")
def delete_repository_policy(ctx: RequestContext, repository: Repository, params: dict[str, Any]) -> dict[str, Any]:
    text = _policy_of(repository)
    repository.policy_text = None
    return _policy_answer(repository, text)
