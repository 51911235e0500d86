"""What a registry policy (PutRegistryPolicy) lets another account do in this registry.

ECR reads a destination registry's policy before it replicates into it from another
account (``ecr:ReplicateImage``, and ``ecr:CreateRepository`` when the repository does not
exist yet). The evaluation is IAM's for resource policies, reduced to what a registry policy
holds: an explicit Deny wins over an Allow; a statement applies when its principal names
the account (``"*"``, the account id, or an ARN in that account), its action matches
(``ecr:*`` and ``*`` wildcards, case-insensitive) and its resource matches the repository
ARN (``*`` wildcards; ``?`` is taken literally). ``Condition`` blocks are not evaluated: a statement with
one applies as if its conditions held.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .lifecycle.engine import tag_pattern_matches  # linear time: policies are user-controlled

#: ARNs whose account is the fifth field: arn:partition:service:region:account:...
_ARN_ACCOUNT = re.compile(r"arn:[a-z-]+:[a-z0-9-]*:[a-z0-9-]*:([0-9]{12}):")


def allows(policy_text: str | None, account_id: str, action: str, resource_arn: str) -> bool:
    """Whether the policy lets ``account_id`` perform ``action`` on ``resource_arn``."""
    if not policy_text:
        return False
    try:
        document = json.loads(policy_text)
    except (ValueError, RecursionError):
        return False
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return False
    allowed = False
    for statement in statements:
        if not isinstance(statement, dict) or not _applies(statement, account_id, action, resource_arn):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def _applies(statement: dict[str, Any], account_id: str, action: str, resource_arn: str) -> bool:
    if "NotPrincipal" in statement:
        if _principal_matches(statement["NotPrincipal"], account_id):
            return False
    elif not _principal_matches(statement.get("Principal"), account_id):
        return False
    if "NotAction" in statement:
        if _any_matches(statement["NotAction"], action, fold=True):
            return False
    elif not _any_matches(statement.get("Action"), action, fold=True):
        return False
    if "NotResource" in statement:
        return not _any_matches(statement["NotResource"], resource_arn, fold=False)
    return "Resource" not in statement or _any_matches(statement["Resource"], resource_arn, fold=False)


def _principal_matches(principal: Any, account_id: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    names = principal.get("AWS")
    for name in names if isinstance(names, list) else [names]:
        if not isinstance(name, str):
            continue
        if name in ("*", account_id):
            return True
        found = _ARN_ACCOUNT.match(name)
        if found is not None and found.group(1) == account_id:
            return True
    return False


def _any_matches(patterns: Any, value: str, *, fold: bool) -> bool:
    if fold:
        value = value.lower()
    for pattern in patterns if isinstance(patterns, list) else [patterns]:
        if isinstance(pattern, str) and tag_pattern_matches(pattern.lower() if fold else pattern, value):
            return True
    return False
