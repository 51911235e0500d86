"""Pull-time update exclusions: principals whose pulls leave ``lastRecordedPullTime`` alone.

BatchGetImage (and the registry's manifest GET) consult them through
``domain.principals.records_pulls_of``; the caller's principal is ``mock_ecr(caller_arn=...)``.
"""

from __future__ import annotations

from typing import Any

from ..domain import pagination, principals
from .handlers import RequestContext, operation


@operation("RegisterPullTimeUpdateExclusion")
def register(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    limit = ctx.backend.quotas.pull_time_update_exclusions_per_registry
    arn = params["principalArn"]
    created = principals.register_exclusion(ctx.store.settings, ctx.store.account_id, arn, limit, ctx.now)
    return {"principalArn": arn, "createdAt": created}


@operation("DeregisterPullTimeUpdateExclusion")
def deregister(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    principals.deregister_exclusion(ctx.store.settings, ctx.store.account_id, params["principalArn"])
    return {"principalArn": params["principalArn"]}


@operation("ListPullTimeUpdateExclusions")
def list_exclusions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Oldest first (ties by ARN); a page resumes after the last principal the previous one held."""
    paging = pagination.paging("ListPullTimeUpdateExclusions")
    token, max_results = paging.requested(params)
    exclusions = ctx.store.settings.pull_exclusions
    keys = sorted((created.timestamp(), arn) for arn, created in exclusions.items())
    start, stop, next_token = pagination.page(keys, "ListPullTimeUpdateExclusions", token, max_results)
    return paging.answer({"pullTimeUpdateExclusions": [arn for _, arn in keys[start:stop]]}, next_token)
