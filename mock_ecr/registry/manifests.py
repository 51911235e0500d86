"""Manifests: PUT, GET, HEAD and DELETE ``/v2/<name>/manifests/<tag or digest>``.

A PUT is a push through ``domain.images.service.put_image``, the function PutImage runs, so
both faces check the same things (blobs present, immutable tags, the image quota, the
digest) and store the manifest bytes as pushed: a pull answers exactly those bytes, with
``Docker-Content-Digest`` their sha256. A pull answers the stored format when the request's
``Accept`` allows it (no ``Accept``, or ``*/*``, allows any); ECR converts no format here, so
a stored format the client does not accept is MANIFEST_UNKNOWN, as BatchGetImage reports
it with ``acceptedMediaTypes``. DELETE by digest deletes the image and its tags, as
BatchDeleteImage by digest does; by tag it is refused with UNSUPPORTED (405).

Call log: PUT as PutImage, GET and HEAD as BatchGetImage, DELETE as BatchDeleteImage.
"""

from __future__ import annotations

import re

from .. import messages
from ..api import shapes
from ..domain import pull_through, pushes
from ..domain.images import manifests, service
from ..domain.images.index import Image
from ..domain.repositories import Repository
from ..domain.store import RegistryStore
from ..errors import ImageAlreadyExistsException
from ..gateway.http import HttpResponse
from ..messages import registry as texts
from .calls import Call, Outcome, body_chunks, response
from .errors import RegistryError

#: the largest manifest ECR stores (PutImage's ``imageManifest``: 4 MiB)
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
DIGEST = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")
#: a tag: the distribution grammar, up to ECR's 300 characters
TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,299}")
#: Content-Types that name no manifest format: the manifest's own ``mediaType`` decides
_GENERIC_TYPES = frozenset({"", "application/json", "application/octet-stream", "text/plain"})


def pull_through_hook(store: RegistryStore, name: str, reference: str, call: Call) -> bool:
    """Called under the registry lock when a pull names a repository or image the registry
    does not hold, before MANIFEST_UNKNOWN / NAME_UNKNOWN is answered: a pull-through cache
    rule whose prefix covers ``name`` imports the image from its upstream here, as
    BatchGetImage does. Returns whether it found anything (the pull then looks again)."""
    try:
        return pull_through.import_for_pull(call.session.backend, store, name, reference, call.now) is not None
    except pull_through.UpstreamError:
        return False  # nothing upstream: the registry's MANIFEST_UNKNOWN


def reference_of(reference: str) -> tuple[str | None, str | None]:
    """(digest, tag) a path's reference names; a malformed one is refused (400)."""
    if ":" in reference:
        if DIGEST.fullmatch(reference) is None:
            raise RegistryError("DIGEST_INVALID", 400, texts.reference_invalid(reference))
        return reference, None
    if TAG.fullmatch(reference) is None:
        raise RegistryError("TAG_INVALID", 400, texts.reference_invalid(reference))
    return None, reference


def _image_id(digest: str | None, tag: str | None) -> dict[str, str]:
    return {"imageDigest": digest} if digest is not None else {"imageTag": tag or ""}


# -- pulling -----------------------------------------------------------------------------------------


def pull(call: Call, reference: str) -> HttpResponse:
    """GET or HEAD: the manifest bytes as pushed, in the stored format if ``Accept`` allows it."""
    accepted = accepted_types(call.request.header("Accept"))
    params = call.params(imageIds=[{"imageTag" if ":" not in reference else "imageDigest": reference}])
    if accepted is not None:
        params["acceptedMediaTypes"] = list(accepted)

    def work(store: RegistryStore) -> Outcome:
        digest, tag = reference_of(reference)
        image = _find(call, store, digest, tag, reference)
        repository = call.repository(store)
        if accepted is not None and not acceptable(image.media_type, accepted):
            raise _manifest_unknown()
        if call.head:
            if image.storage_class == "ARCHIVE":
                raise _manifest_unknown()
        elif not service.pull(image, call.now):
            raise _manifest_unknown()  # archived images cannot be pulled
        body = image.manifest_text.encode("utf-8")
        headers = {
            "Content-Type": image.media_type,
            "Content-Length": str(len(body)),
            "Docker-Content-Digest": image.digest,
            "ETag": f'"{image.digest}"',
        }
        recorded = {"images": [shapes.image(repository, image, tag)], "failures": []}
        return response(200, headers, b"" if call.head else body), recorded

    return call.run("BatchGetImage", params, work)


def _find(call: Call, store: RegistryStore, digest: str | None, tag: str | None, reference: str) -> Image:
    for attempt in range(2):
        repository = store.repositories.get(call.name)
        image = service.resolve(repository.images, digest, tag)[0] if repository is not None else None
        if image is not None:
            return image
        if attempt or not pull_through_hook(store, call.name, reference, call):
            break
    call.repository(store)  # NAME_UNKNOWN when the repository is missing
    raise _manifest_unknown()


def accepted_types(header: str | None) -> tuple[str, ...] | None:
    """The media types an ``Accept`` header lists, in its order; None when it allows any."""
    if not header:
        return None
    types = tuple(dict.fromkeys(part.split(";", 1)[0].strip().lower() for part in header.split(",")))
    types = tuple(kind for kind in types if kind)
    if not types or "*/*" in types:
        return None
    return types


def acceptable(media_type: str, accepted: tuple[str, ...]) -> bool:
    if media_type in accepted:
        return True
    # the two schema 1 types are one format (signed or not)
    return media_type in manifests.SCHEMA1_TYPES and not manifests.SCHEMA1_TYPES.isdisjoint(accepted)


def _manifest_unknown() -> RegistryError:
    return RegistryError("MANIFEST_UNKNOWN", 404, texts.MANIFEST_UNKNOWN, ecr_code="ImageNotFoundException")


# -- pushing -------------------------------------------------------------------------------------------


def push(call: Call, reference: str) -> HttpResponse:
    """PUT: the manifest is stored as PutImage stores it, tagged when the reference is a tag."""
    declared = (call.request.header("Content-Type") or "").split(";", 1)[0].strip().lower()
    media_type = None if declared in _GENERIC_TYPES else declared
    data = _manifest_bytes(call)
    params = call.params(**_image_id(*_split_for_log(reference)))
    if media_type is not None:
        params["imageManifestMediaType"] = media_type

    def work(store: RegistryStore) -> Outcome:
        digest, tag = reference_of(reference)
        if len(data) > MAX_MANIFEST_BYTES:
            raise RegistryError("MANIFEST_INVALID", 400, texts.MANIFEST_TOO_LARGE)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise RegistryError("MANIFEST_INVALID", 400, texts.MANIFEST_NOT_UTF8) from None
        with pushes.pushing_to(store, call.name, call.now, call.session.quotas) as repository:
            image = _put(call, store, repository, text, media_type, digest, tag)
        headers = {
            "Location": f"/v2/{call.name}/manifests/{image.digest}",
            "Docker-Content-Digest": image.digest,
        }
        return response(201, headers), {"image": shapes.image(repository, image, tag)}

    return call.run("PutImage", params, work)


def _put(
    call: Call,
    store: RegistryStore,
    repository: Repository,
    text: str,
    media_type: str | None,
    digest: str | None,
    tag: str | None,
) -> Image:
    try:
        return service.put_image(
            store, call.session.quotas, repository, text, media_type=media_type, digest=digest, tag=tag, now=call.now
        )
    except ImageAlreadyExistsException:
        # the same manifest pushed to the same tag again: the registry answers it as stored
        image = repository.images.tagged(tag) if tag is not None else None
        if image is None:
            raise
        return image


def _split_for_log(reference: str) -> tuple[str | None, str | None]:
    return (reference, None) if ":" in reference else (None, reference)


def _manifest_bytes(call: Call) -> bytes:
    """The request body, read up to one byte past the largest manifest ECR stores."""
    parts: list[bytes] = []
    size = 0
    for chunk in body_chunks(call.request):
        parts.append(chunk)
        size += len(chunk)
        if size > MAX_MANIFEST_BYTES:
            break
    return b"".join(parts)


# -- deleting ------------------------------------------------------------------------------------------


def delete(call: Call, reference: str) -> HttpResponse:
    """DELETE by digest: the image and all its tags go (202); by tag: UNSUPPORTED (405)."""
    params = call.params(imageIds=[_image_id(*_split_for_log(reference))])

    def work(store: RegistryStore) -> Outcome:
        digest, tag = reference_of(reference)
        repository = call.repository(store)
        if digest is None:
            raise RegistryError("UNSUPPORTED", 405, texts.UNSUPPORTED)
        deleted, failed = service.delete_ids(repository, [(digest, None)])
        for _, code, reason in failed:
            if code == "ImageReferencedByManifestList":
                raise RegistryError("DENIED", 403, reason or messages.FAILURE_TEXT[code])
            raise _manifest_unknown()
        return response(202), {"imageIds": shapes.image_ids(deleted), "failures": []}

    return call.run("BatchDeleteImage", params, work)
