"""Pulls through a pull through cache rule, as BatchGetImage and GetDownloadUrlForLayer meet them.

The import is ``domain.pull_through``; this turns its refusals into ECR's answers. A pull
that creates the cache repository and gets nothing from the upstream is refused whole
(UnableToGetUpstreamImageException / UnableToGetUpstreamLayerException, and no repository
is left); once the repository exists, an image the upstream cannot give is one of
BatchGetImage's failures, with the ImageFailureCode the upstream's answer maps to.
"""

from __future__ import annotations

from typing import Any

from .. import messages
from ..domain import pull_through
from ..domain.blobs.storage import repository_blob
from ..errors import UnableToGetUpstreamImageException, UnableToGetUpstreamLayerException
from . import shapes
from .handlers import RequestContext


def import_missing(ctx: RequestContext, name: str, image_ids: list[dict[str, str]]) -> dict[int, dict[str, Any]]:
    """Import the tagged images ``image_ids`` asks for that the registry lacks; returns the
    BatchGetImage failure of each id (by position) the upstream could not give."""
    store = ctx.store
    if pull_through.rule_for(store, name) is None:
        return {}
    failures: dict[int, dict[str, Any]] = {}
    refused: pull_through.UpstreamError | None = None
    for number, image_id in enumerate(image_ids):
        tag = image_id.get("imageTag")
        if tag is None:
            continue  # a first pull by digest imports nothing
        try:
            pull_through.import_for_pull(ctx.backend, store, name, tag, ctx.now)
        except pull_through.UpstreamError as error:
            refused = error
            reason = messages.UPSTREAM_FAILURE_TEXT.get(error.code)
            failures[number] = shapes.failure(image_id, error.code, reason)
    if refused is not None and name not in store.repositories:
        raise UnableToGetUpstreamImageException(
            messages.upstream_image_unavailable(refused.reference, refused.upstream, name, store.account_id)
        )
    return failures


def import_layer(ctx: RequestContext, name: str, digest: str) -> None:
    """Import the upstream image holding layer ``digest`` if the repository lacks it."""
    store = ctx.store
    repository = store.repositories.get(name)
    if repository is not None and repository_blob(store, repository, digest) is not None:
        return
    try:
        pull_through.import_for_layer(ctx.backend, store, name, digest, ctx.now)
    except pull_through.UpstreamError as error:
        raise UnableToGetUpstreamLayerException(
            messages.upstream_layer_unavailable(digest, error.upstream, name, store.account_id)
        ) from None
