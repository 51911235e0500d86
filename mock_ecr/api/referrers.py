"""ListImageReferrers: the artifacts (signatures, SBOMs, attestations) whose ``subject`` is an image.

``domain.images.referrers`` answers for both faces; this handler filters by artifact type and
status ("If no filter is specified, only artifacts with ACTIVE status are returned") and pages
in push order with the model's page size.
"""

from __future__ import annotations

import re
from typing import Any

from .. import messages
from ..domain import pagination
from ..domain.images import archive, referrers
from ..domain.images.index import Image
from ..domain.repositories import Repository
from ..errors import invalid_parameter
from .handlers import RequestContext, repository_operation

_DIGEST = re.compile(messages.IMAGE_DIGEST_PATTERN)


def referrer(image: Image, status: str) -> dict[str, Any]:
    """The ``ImageReferrer`` shape: the referrer's OCI descriptor and its status."""
    out: dict[str, Any] = {
        "digest": image.digest,
        "mediaType": image.media_type,
        "size": len(image.manifest_text.encode()),
    }
    kind = referrers.artifact_type(image)
    if kind:
        out["artifactType"] = kind
    if image.manifest.annotations:
        out["annotations"] = dict(image.manifest.annotations)
    out["artifactStatus"] = status
    return out


@repository_operation("ListImageReferrers")
def list_image_referrers(ctx: RequestContext, repository: Repository, params: dict[str, Any]) -> dict[str, Any]:
    digest = params["subjectId"]["imageDigest"]
    if _DIGEST.fullmatch(digest) is None:
        raise invalid_parameter(
            "subjectId.imageDigest", messages.CONSTRAINTS["pattern"].format(messages.IMAGE_DIGEST_PATTERN)
        )
    paging = pagination.paging("ListImageReferrers")
    token, max_results = paging.requested(params)
    types = (params.get("filter") or {}).get("artifactTypes")
    wanted = (params.get("filter") or {}).get("artifactStatus", "ACTIVE")
    kept = []
    for image in referrers.referrers(repository.images, digest, frozenset(types) if types else None):
        status = archive.status(image, ctx.now)
        if wanted in ("ANY", status):
            kept.append((image, status))
    keys = [image.seq for image, _ in kept]
    start, stop, next_token = pagination.page(keys, "ListImageReferrers", token, max_results)
    return paging.answer({"referrers": [referrer(image, status) for image, status in kept[start:stop]]}, next_token)
