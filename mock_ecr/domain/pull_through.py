"""Pull through cache: the rules, and the import a pull of an uncached image sets off.

A rule maps a repository namespace of the registry (``ecrRepositoryPrefix``, or ``ROOT``
for every repository no other rule covers) to an upstream registry. A pull (BatchGetImage,
GetDownloadUrlForLayer, the registry API's manifest GET) of ``PREFIX/upstream-repo:tag``
that the registry does not hold creates the repository (with the PULL_THROUGH_CACHE
creation template covering its name, if any) and imports the image from the upstream:
manifest (an index with its child manifests), blobs and tag. Only a tag is imported: a
first pull by digest is not (as in ECR). A tag cached 24 hours ago or more is checked
against the upstream on its next pull and follows it if it moved (the cached image answers
when the upstream cannot).

Upstreams: an ``ecr`` upstream is another registry of the same backend, read holding both
registries' locks, taken in the global order (``Backend.locked``; a handler holding only
its own lock is run again by ``api.handlers.handle`` when the upstream sorts first, so the
import asks for the lock before it changes anything). Every other upstream is what the test
seeded (``domain.upstreams``). Blobs of a public upstream are shared with the registry that
imports them (blobs are immutable); blobs of another registry are copied, as
``images.copy`` does (registries share no files).
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import ECRError
from .blobs.blob import Blob
from .blobs.buffer import copy_blob
from .blobs.storage import link_blob, repository_blob, unlink_blob
from .images import service
from .images.index import Image
from .repositories import Repository, create_repository, delete_repository
from .store import Backend, RegistryKey, RegistryStore
from .templates import ROOT, matching_template, new_repository, template_key

#: upstreamRegistry -> the upstreamRegistryUrl ECR expects (azure and ecr: patterns below)
UPSTREAM_HOSTS = {
    "ecr-public": "public.ecr.aws",
    "docker-hub": "registry-1.docker.io",
    "quay": "quay.io",
    "k8s": "registry.k8s.io",
    "github-container-registry": "ghcr.io",
    "gitlab-container-registry": "registry.gitlab.com",
    "chainguard": "cgr.dev",
}
_KIND_OF_HOST = {host: kind for kind, host in UPSTREAM_HOSTS.items()}
#: an Azure container registry's login server (registry names are 5-50 letters and digits)
_AZURE = re.compile(r"[a-z0-9]{5,50}\.azurecr\.io")
#: an ECR private registry
_ECR = re.compile(r"([0-9]{12})\.dkr\.ecr\.([a-z]{2}(?:-[a-z]+)+-[0-9])\.amazonaws\.com(?:\.cn)?")
#: how long a cached tag answers before a pull asks the upstream whether the tag moved
REFRESH = _dt.timedelta(hours=24)
#: upstreams that authenticate with a Secrets Manager secret (``credentialArn``)
NEEDS_SECRET = frozenset(
    {"docker-hub", "github-container-registry", "azure-container-registry", "gitlab-container-registry", "chainguard"}
)


def upstream_kind(url: str) -> tuple[str, RegistryKey | None] | None:
    """The upstreamRegistry an upstreamRegistryUrl names, and for ``ecr`` the registry's
    (account, region); None for a URL ECR does not support."""
    kind = _KIND_OF_HOST.get(url)
    if kind is not None:
        return kind, None
    if _AZURE.fullmatch(url):
        return "azure-container-registry", None
    match = _ECR.fullmatch(url)
    if match is not None:
        return "ecr", (match.group(1), match.group(2))
    return None


@dataclass
class PullThroughCacheRule:
    prefix: str
    upstream_registry: str
    upstream_url: str
    created_at: _dt.datetime
    updated_at: _dt.datetime
    credential_arn: str | None = None
    custom_role_arn: str | None = None
    #: ``ecr`` upstreams only: the upstream namespace the prefix maps to (ROOT: none)
    upstream_prefix: str | None = None
    #: ``ecr`` upstreams: the upstream registry's (account, region)
    upstream_key: RegistryKey | None = field(default=None, repr=False)

    def describe(self, registry_id: str) -> dict[str, Any]:
        """The ``PullThroughCacheRule`` shape."""
        out: dict[str, Any] = {
            "ecrRepositoryPrefix": self.prefix,
            "upstreamRegistryUrl": self.upstream_url,
            "createdAt": self.created_at,
            "registryId": registry_id,
        }
        out.update(self.credentials())
        out["upstreamRegistry"] = self.upstream_registry
        out["updatedAt"] = self.updated_at
        return out

    def credentials(self) -> dict[str, str]:
        """credentialArn, customRoleArn and upstreamRepositoryPrefix, those the rule has."""
        out = {}
        if self.credential_arn is not None:
            out["credentialArn"] = self.credential_arn
        if self.custom_role_arn is not None:
            out["customRoleArn"] = self.custom_role_arn
        if self.upstream_prefix is not None:
            out["upstreamRepositoryPrefix"] = self.upstream_prefix
        return out

    def upstream_repository(self, name: str) -> str:
        """The upstream repository the cache repository ``name`` (covered by the rule) maps to:
        ``ecr-public/my-app/image1`` -> ``my-app/image1``; with an upstream prefix
        ``upstream-app``, ``my-app/image1`` -> ``upstream-app/image1``."""
        key = template_key(self.prefix)
        rest = name if key == ROOT else name[len(key) + 1 :]
        upstream = self.upstream_prefix
        if upstream is None or upstream == ROOT:
            return rest
        return f"{template_key(upstream)}/{rest}"


def rule_for(store: RegistryStore, name: str) -> PullThroughCacheRule | None:
    """The rule covering repository ``name``: the longest prefix, else ROOT (as templates)."""
    rules = store.pull_through_rules
    if not rules:
        return None
    parts = name.split("/")
    for length in range(len(parts) - 1, 0, -1):
        rule = rules.get("/".join(parts[:length]))
        if rule is not None:
            return rule
    return rules.get(ROOT)


class UpstreamError(Exception):
    """The upstream could not give the image or layer asked for; ``code`` is the
    ImageFailureCode BatchGetImage reports (``ImageNotFound`` when the upstream lacks it)."""

    def __init__(self, code: str, upstream: str, reference: str) -> None:
        super().__init__(code)
        self.code = code
        #: ``host/repository``, as the image is known upstream
        self.upstream = upstream
        self.reference = reference


@dataclass
class _Found:
    """What the import copies: manifests (children first) and blobs by digest."""

    manifests: list[tuple[str, str]]
    blobs: dict[str, Blob]
    tags: list[str]
    #: whether the blobs belong to another registry (copied) or to a public upstream (shared)
    copy_blobs: bool


def import_for_pull(
    backend: Backend, store: RegistryStore, repository_name: str, reference: str, now: _dt.datetime
) -> Image | None:
    """The image tagged ``reference`` in ``repository_name``, imported from the upstream of
    the rule covering the name if the registry does not hold it; None when no rule covers
    the name (or ``reference`` is a digest the registry does not hold). Raises
    ``UpstreamError`` when the upstream cannot give it (nothing changes then).
    Called holding ``store``'s lock."""
    rule = rule_for(store, repository_name)
    repository = store.repositories.get(repository_name)
    local = None
    if repository is not None:
        local = repository.images.tagged(reference) or repository.images.get(reference)
        if local is not None and (rule is None or reference not in local.tags or now - local.pushed_at < REFRESH):
            return local
    if rule is None or (local is None and reference.startswith("sha256:")):
        return None

    def pick(images: dict[str, Any], tags: dict[str, str]) -> tuple[str, list[str]] | None:
        digest = tags.get(reference)
        if digest is None or (local is not None and digest == local.digest):
            return None
        return digest, [reference]

    if local is None:
        return _import(backend, store, rule, repository_name, reference, pick, now)
    try:  # a tag cached a day ago or more: the upstream may have moved it since
        return _import(backend, store, rule, repository_name, reference, pick, now, move_tags=True)
    except (UpstreamError, ECRError):
        return local  # unchanged, unreachable or refused: the cached image answers


def import_for_layer(
    backend: Backend, store: RegistryStore, repository_name: str, digest: str, now: _dt.datetime
) -> Image | None:
    """Import the upstream image that references the layer ``digest`` (with the upstream
    tags the registry lacks), when the registry does not hold the layer and a rule covers
    the name; None when no rule covers it. Raises ``UpstreamError`` like ``import_for_pull``."""
    rule = rule_for(store, repository_name)
    if rule is None:
        return None

    def pick(images: dict[str, Any], tags: dict[str, str]) -> tuple[str, list[str]] | None:
        for image_digest, image in images.items():
            if digest in image.manifest.blob_digests():
                return image_digest, [tag for tag, named in tags.items() if named == image_digest]
        return None

    return _import(backend, store, rule, repository_name, digest, pick, now)


def _import(
    backend: Backend,
    store: RegistryStore,
    rule: PullThroughCacheRule,
    name: str,
    reference: str,
    pick: Any,
    now: _dt.datetime,
    *,
    move_tags: bool = False,
) -> Image:
    upstream_name = rule.upstream_repository(name)
    if rule.upstream_key is not None:
        with backend.locked(store.key, rule.upstream_key) as stores:
            found = _from_registry(stores[rule.upstream_key], rule, upstream_name, reference, pick)
            return _store(backend, store, name, found, now, move_tags)
    found = _from_public(backend, rule, upstream_name, reference, pick)
    return _store(backend, store, name, found, now, move_tags)


def _from_public(backend: Backend, rule: PullThroughCacheRule, name: str, reference: str, pick: Any) -> _Found:
    upstreams = backend.upstreams
    where = f"{rule.upstream_url}/{name}"
    with upstreams.lock:
        registry = upstreams.registries.get(rule.upstream_url)
        if registry is not None and registry.failure is not None:
            raise UpstreamError(registry.failure, where, reference)
        repository = registry.repositories.get(name) if registry is not None else None
        chosen = pick(repository.images, repository.tags) if repository is not None else None
        if registry is None or repository is None or chosen is None:
            raise UpstreamError("ImageNotFound", where, reference)
        digest, tags = chosen
        top = repository.images[digest]
        children = [repository.images[d] for d in top.manifest.child_digests() if d in repository.images]
        manifests = [(image.manifest_text, image.manifest.media_type) for image in (*children, top)]
        wanted = {d for image in (*children, top) for d in image.manifest.blob_digests()}
        blobs = {d: registry.blobs.blobs[d] for d in wanted if d in registry.blobs.blobs}
    return _Found(manifests, blobs, tags, copy_blobs=False)


def _from_registry(source: RegistryStore, rule: PullThroughCacheRule, name: str, reference: str, pick: Any) -> _Found:
    where = f"{rule.upstream_url}/{name}"
    origin = source.repositories.get(name)
    if origin is None:
        raise UpstreamError("ImageNotFound", where, reference)
    index = origin.images
    chosen = pick(index.by_digest, {tag: index.images_by_seq[seq].digest for tag, seq in index.seqs_by_tag.items()})
    if chosen is None:
        raise UpstreamError("ImageNotFound", where, reference)
    digest, tags = chosen
    top = index.by_digest[digest]
    children = [child for d in top.manifest.child_digests() if (child := index.get(d)) is not None]
    manifests = [(image.manifest_text, image.media_type) for image in (*children, top)]
    blobs = {}
    for image in (*children, top):
        for blob_digest in image.manifest.blob_digests():
            blob = repository_blob(source, origin, blob_digest)
            if blob is not None:
                blobs[blob_digest] = blob
    return _Found(manifests, blobs, tags, copy_blobs=True)


def _store(
    backend: Backend, store: RegistryStore, name: str, found: _Found, now: _dt.datetime, move_tags: bool
) -> Image:
    """Put what was found into the cache repository, creating it; a refusal undoes it all."""
    quotas = backend.quotas
    repository = store.repositories.get(name)
    created = repository is None
    if repository is None:
        template = matching_template(store, name, "PULL_THROUGH_CACHE")
        repository = create_repository(store, quotas, new_repository(store, name, template, now))
    linked: list[str] = []
    try:
        for digest, blob in found.blobs.items():
            if repository_blob(store, repository, digest) is None:
                held = store.blobs.blobs.get(digest)
                link_blob(store, repository, held or (copy_blob(blob) if found.copy_blobs else blob))
                linked.append(digest)
        *children, (text, media_type) = found.manifests
        for child_text, child_type in children:
            service.put_image(store, quotas, repository, child_text, media_type=child_type, now=now)
        tags: list[str | None] = [tag for tag in found.tags if move_tags or repository.images.tagged(tag) is None] or [
            None
        ]
        for tag in tags:
            image = service.put_image(store, quotas, repository, text, media_type=media_type, tag=tag, now=now)
    except BaseException:
        _undo(store, repository, created, linked)
        raise
    return image


def _undo(store: RegistryStore, repository: Repository, created: bool, linked: list[str]) -> None:
    if created:
        delete_repository(store, repository, force=True)
        return
    for digest in linked:
        if not repository.blob_refs[digest]:
            unlink_blob(store, repository, digest)
