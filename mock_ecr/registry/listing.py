"""Listings: ``/v2/<name>/tags/list`` (``n``/``last`` paging, ``Link``) and OCI 1.1 referrers.

Tags come in lexical order (the distribution spec's); a page of ``n`` that leaves tags
unlisted carries ``Link: </v2/<name>/tags/list?n=N&last=TAG>; rel="next"``. Referrers are the
manifests of the repository whose ``subject`` is the digest (``domain.images.referrers``, the
answer ListImageReferrers gives), as an OCI image index; an ``artifactType`` filter is
applied and announced with ``OCI-Filters-Applied: artifactType``.

Call log: tags/list as ListImages, referrers as ListImageReferrers.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from typing import Any
from urllib.parse import quote

from ..domain.images import manifests, referrers
from ..domain.store import RegistryStore
from ..gateway.http import HttpResponse
from ..messages import registry as texts
from .calls import Call, Outcome, response
from .errors import RegistryError
from .manifests import DIGEST


def tags(call: Call) -> HttpResponse:
    query = dict(call.request.query)
    size, last = query.get("n"), query.get("last")
    limit = int(size) if size is not None and size.isdigit() else None
    params = call.params(filter={"tagStatus": "TAGGED"})
    if size is not None:
        params["maxResults"] = limit if limit is not None else size

    def work(store: RegistryStore) -> Outcome:
        if size is not None and limit is None:
            raise RegistryError("PAGINATION_NUMBER_INVALID", 400, texts.page_size_invalid(size))
        repository = call.repository(store)
        names = sorted(repository.images.by_tag)
        if last is not None:
            names = names[bisect_right(names, last) :]
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if limit is not None:
            if limit < len(names) and limit > 0:
                headers["Link"] = f'</v2/{call.name}/tags/list?n={limit}&last={quote(names[limit - 1])}>; rel="next"'
            names = names[:limit]
        body = json.dumps({"name": call.name, "tags": names}).encode()
        images = repository.images.by_tag
        recorded = {"imageIds": [{"imageDigest": images[t].digest, "imageTag": t} for t in names]}
        return response(200, headers, body), recorded

    return call.run("ListImages", params, work)


def list_referrers(call: Call, digest: str) -> HttpResponse:
    query = call.request.query
    types = frozenset(value for key, value in query if key == "artifactType")
    params = call.params(subjectId={"imageDigest": digest})
    if types:
        params["filter"] = {"artifactTypes": sorted(types)}

    def work(store: RegistryStore) -> Outcome:
        if DIGEST.fullmatch(digest) is None:
            raise RegistryError("DIGEST_INVALID", 400, texts.digest_unparsable(digest))
        repository = call.repository(store)
        found = referrers.referrers(repository.images, digest, types or None)
        descriptors = [_descriptor(image) for image in found]
        body = json.dumps(
            {"schemaVersion": 2, "mediaType": manifests.OCI_INDEX, "manifests": descriptors}, separators=(",", ":")
        ).encode()
        headers = {"Content-Type": manifests.OCI_INDEX}
        if types:
            headers["OCI-Filters-Applied"] = "artifactType"
        return response(200, headers, body), {"referrers": descriptors}

    return call.run("ListImageReferrers", params, work)


def _descriptor(image: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "mediaType": image.media_type,
        "digest": image.digest,
        "size": len(image.manifest_text.encode("utf-8")),
    }
    kind = referrers.artifact_type(image)
    if kind is not None:
        out["artifactType"] = kind
    if image.manifest.annotations:
        out["annotations"] = dict(image.manifest.annotations)
    return out
