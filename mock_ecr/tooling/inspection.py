"""A read-only view of the mock's state, for assertions.

``m.state()`` snapshots one registry under its lock: repositories with their settings,
images (tags, push and pull times, manifest, layers), the layers uploaded to each
repository, and uploads in progress. Every object in a snapshot is immutable (frozen
dataclasses, tuples, frozensets, read-only mappings) and is a copy, so a test can neither
change the store through it nor see it change under its feet: take a new snapshot to see
later state.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..domain import replication
from ..domain.images import archive
from ..domain.images.index import Image
from ..domain.repositories import Repository
from ..domain.store import Backend, RegistryStore, utcnow
from . import display


@dataclass(frozen=True)
class ImageState:
    digest: str
    #: in the order they were put on the image
    tags: tuple[str, ...]
    pushed_at: _dt.datetime
    last_pulled_at: _dt.datetime | None
    #: ``imageSizeInBytes`` as DescribeImages answers it
    size: int
    media_type: str
    manifest: str
    config_digest: str | None
    layer_digests: tuple[str, ...]
    #: digests of the child manifests of a manifest list / index
    child_digests: tuple[str, ...]
    #: "STANDARD" or "ARCHIVE" (an image being restored stays in ARCHIVE until it is ACTIVE)
    storage_class: str = "STANDARD"
    #: ``imageStatus``: ACTIVE, ARCHIVED or ACTIVATING
    status: str = "ACTIVE"
    #: the digest of the manifest this one refers to (a signature's image), if any
    subject_digest: str | None = None
    #: signing profile ARN -> COMPLETE or FAILED (managed signing)
    signing: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    #: its replication to each destination: ``region``, ``registryId``, ``status`` (the
    #: outcome once the copy ran: COMPLETE or FAILED, else IN_PROGRESS) and ``failureCode``
    replication_statuses: tuple[Mapping[str, str], ...] = ()

    def __repr__(self) -> str:
        return (
            f"<ImageState {display.short_digest(self.digest)} {display.tags(self.tags)} "
            f"{display.size(self.size)} pushed {display.when(self.pushed_at)}>"
        )

    def _repr_html_(self) -> str:
        return display.table("image", display.IMAGE_COLUMNS[1:], [display.image_row("", self)[1:]], 1, "image")


@dataclass(frozen=True)
class UploadState:
    upload_id: str
    repository_name: str
    bytes_received: int
    parts: int


@dataclass(frozen=True)
class ScanState:
    """The latest scan of one image."""

    #: "BASIC" or "ENHANCED"
    kind: str
    #: IN_PROGRESS, COMPLETE, FAILED or ACTIVE
    status: str | None
    description: str | None
    started_at: _dt.datetime | None
    completed_at: _dt.datetime | None
    findings: tuple[Mapping[str, Any], ...]
    severity_counts: Mapping[str, int]


_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class RepositoryState:
    name: str
    registry_id: str
    region: str
    arn: str
    uri: str
    created_at: _dt.datetime
    tag_mutability: str
    scan_on_push: bool
    encryption: Mapping[str, str]
    #: the repository's resource tags (TagResource), not image tags
    resource_tags: Mapping[str, str]
    policy_text: str | None
    lifecycle_policy_text: str | None
    #: in push order
    images: tuple[ImageState, ...]
    #: digests of the blobs (layers and configs) uploaded to the repository
    layer_digests: frozenset[str]
    uploads: tuple[UploadState, ...]
    #: image digest -> its latest scan (images never scanned are absent)
    scan_findings: Mapping[str, ScanState] = field(default_factory=lambda: _EMPTY)

    @property
    def image_tags(self) -> Mapping[str, str]:
        """Image tag -> digest of the image it is on."""
        return MappingProxyType({tag: image.digest for image in self.images for tag in image.tags})

    def image(self, reference: str) -> ImageState:
        """The image with this tag or digest; KeyError if there is none."""
        for image in self.images:
            if image.digest == reference or reference in image.tags:
                return image
        raise KeyError(f"no image tagged or with digest {reference!r} in repository {self.name!r}")

    def _headline(self) -> str:
        total = sum(image.size for image in self.images)
        extra = f", {display.plural(len(self.uploads), 'upload')} in progress" if self.uploads else ""
        return f"{display.plural(len(self.images), 'image')}, {display.size(total)}{extra}"

    def __repr__(self) -> str:
        head = f"RepositoryState {self.name} ({self.registry_id}, {self.region}): {self._headline()}"
        return "\n".join([head, *display.image_lines(self)])

    def _repr_html_(self) -> str:
        caption = f"repository {self.name} ({self.registry_id}, {self.region}): {self._headline()}"
        rows = display.image_rows([self])
        return display.table(caption, display.IMAGE_COLUMNS, rows, len(self.images), "image")


@dataclass(frozen=True)
class RegistryState:
    account_id: str
    region: str
    #: by name, in creation order
    repositories: Mapping[str, RepositoryState]
    #: RegistryScanningConfiguration as GetRegistryScanningConfiguration answers it
    scanning_configuration: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType({"scanType": "BASIC", "rules": ()})
    )
    registry_policy_text: str | None = None
    #: account settings that were put (the others have their default)
    account_settings: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    #: repository creation templates by prefix, in the RepositoryCreationTemplate shape
    templates: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: _EMPTY)
    #: pull through cache rules by ecrRepositoryPrefix, in the PullThroughCacheRule shape
    pull_through_rules: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: _EMPTY)
    #: what the seeded public upstreams hold (the same for every registry):
    #: host -> repository -> tag -> digest
    upstreams: Mapping[str, Mapping[str, Mapping[str, str]]] = field(default_factory=lambda: _EMPTY)
    #: SigningConfiguration as GetSigningConfiguration answers it (None: none is configured)
    signing_configuration: Mapping[str, Any] | None = None
    #: principal ARN -> when its pull-time update exclusion was registered
    pull_time_update_exclusions: Mapping[str, _dt.datetime] = field(default_factory=lambda: _EMPTY)
    #: ReplicationConfiguration as DescribeRegistry answers it
    replication_configuration: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({"rules": ()}))
    #: replication backfills by id, in start order: ``destination``, ``status``, ``startedAt``,
    #: ``endedAt``, ``progress`` and the per-image ``results`` (as the backfill actions word them)
    replication_backfills: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: _EMPTY)

    @property
    def uploads(self) -> tuple[UploadState, ...]:
        """Uploads in progress in every repository."""
        return tuple(upload for repository in self.repositories.values() for upload in repository.uploads)

    def repository(self, name: str) -> RepositoryState:
        try:
            return self.repositories[name]
        except KeyError:
            raise KeyError(
                f"no repository {name!r} in registry {self.account_id} ({self.region}); "
                f"repositories: {list(self.repositories)}"
            ) from None

    def _headline(self) -> str:
        count = display.counts([self])
        return (
            f"{self.account_id} {self.region}: {display.plural(count['repositories'], 'repository')}, "
            f"{display.plural(count['images'], 'image')}"
        )

    def __repr__(self) -> str:
        rows = []
        for repository in display.first(self.repositories.values()):
            images = repository.images
            newest_tags = [tag for image in reversed(images) for tag in image.tags]
            size = display.size(sum(image.size for image in images))
            shown = display.tags(newest_tags) if images else "-"
            rows.append((repository.name, display.plural(len(images), "image"), size, shown))
        listed = display.lines(display.columns(rows), len(self.repositories), "repository")
        return "\n".join([f"RegistryState {self._headline()}", *listed])

    def _repr_html_(self) -> str:
        total = display.counts([self])["images"]
        rows = display.image_rows(self.repositories.values())
        return display.table(f"registry {self._headline()}", display.IMAGE_COLUMNS, rows, total, "image")


def registry_state(backend: Backend, account_id: str, region: str) -> RegistryState:
    upstreams = _upstreams(backend)
    for store in backend.stores():
        if store.account_id == account_id and store.region == region:
            return _snapshot(store, upstreams)
    return RegistryState(account_id, region, MappingProxyType({}), upstreams=upstreams)


def all_registries(backend: Backend) -> tuple[RegistryState, ...]:
    upstreams = _upstreams(backend)
    return tuple(_snapshot(store, upstreams) for store in backend.stores() if store.repositories)


def _upstreams(backend: Backend) -> Mapping[str, Mapping[str, Mapping[str, str]]]:
    upstreams = backend.upstreams
    with upstreams.lock:
        return MappingProxyType(
            {
                host: MappingProxyType(
                    {name: MappingProxyType(dict(repo.tags)) for name, repo in registry.repositories.items()}
                )
                for host, registry in upstreams.registries.items()
                if registry.repositories
            }
        )


def _snapshot(store: RegistryStore, upstreams: Mapping[str, Any]) -> RegistryState:
    with store.lock:
        uploads: dict[int, list[UploadState]] = {}
        for upload in store.uploads.values():
            buffer = upload.buffer
            uploads.setdefault(id(upload.repository), []).append(
                UploadState(upload.upload_id, upload.repository.name, buffer.size, len(buffer.part_sizes))
            )
        repositories = {
            name: _repository(repository, tuple(uploads.get(id(repository), ())))
            for name, repository in store.repositories.items()
        }
        settings = store.settings
        scanning_configuration = settings.scanning_configuration()
        frozen_config = MappingProxyType(
            {
                "scanType": scanning_configuration["scanType"],
                "rules": tuple(_freeze(rule) for rule in scanning_configuration["rules"]),
            }
        )
        templates = {t.prefix: _freeze(t.describe()) for t in store.templates.values()}
        cache_rules = {r.prefix: _freeze(r.describe(store.account_id)) for r in store.pull_through_rules.values()}
        replication_configuration = _freeze(replication.described(settings))
        backfills = {key: _freeze(_backfill(backfill)) for key, backfill in store.backfills.items()}
        policy_text, account_settings = settings.policy_text, dict(settings.account_settings)
        rules = settings.signing_rules
        signing = _freeze({"rules": rules}) if rules is not None else None
        exclusions = MappingProxyType(dict(settings.pull_exclusions))
    return RegistryState(
        store.account_id,
        store.region,
        MappingProxyType(repositories),
        frozen_config,
        policy_text,
        MappingProxyType(account_settings),
        MappingProxyType(templates),
        MappingProxyType(cache_rules),
        upstreams,
        signing,
        exclusions,
        replication_configuration,
        MappingProxyType(backfills),
    )


def _backfill(backfill: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "destination": backfill.destination_shape,
        "status": backfill.status,
        "startedAt": backfill.started_at,
        "endedAt": backfill.ended_at,
        "progress": backfill.progress(),
        "results": [
            {
                "repositoryName": r.repository_name,
                "imageDigest": r.digest,
                "imageTag": r.tag,
                "status": r.status,
                "failureCode": r.failure_code,
            }
            for r in backfill.results
        ],
    }
    return out


def _freeze(value: Any) -> Any:
    """A read-only deep copy of a JSON-like value."""
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def _scans(repository: Any) -> Mapping[str, ScanState]:
    out = {}
    for digest, record in repository.scans.items():
        if not record.exists or repository.images.get(digest) is not record.image:
            continue  # never scanned, or the image was deleted since
        out[digest] = ScanState(
            kind=record.kind,
            status=record.status,
            description=record.description,
            started_at=record.started_at,
            completed_at=record.completed_at,
            findings=tuple(_freeze(f) for f in record.findings),
            severity_counts=MappingProxyType(record.counts()),
        )
    return MappingProxyType(out)


def _repository(repository: Repository, uploads: tuple[UploadState, ...]) -> RepositoryState:
    return RepositoryState(
        name=repository.name,
        registry_id=repository.registry_id,
        region=repository.region,
        arn=repository.arn,
        uri=repository.uri,
        created_at=repository.created_at,
        tag_mutability=repository.tag_mutability,
        scan_on_push=repository.scan_on_push,
        encryption=MappingProxyType(dict(repository.encryption)),
        resource_tags=MappingProxyType(dict(repository.tags)),
        policy_text=repository.policy_text,
        lifecycle_policy_text=repository.lifecycle_policy_text,
        images=tuple(_image(image) for image in repository.images) if repository.image_count() else (),
        layer_digests=frozenset(repository.blob_links),
        uploads=uploads,
        scan_findings=_scans(repository),
    )


def _image(image: Image) -> ImageState:
    manifest = image.manifest
    return ImageState(
        digest=image.digest,
        tags=tuple(image.tags),
        pushed_at=image.pushed_at,
        last_pulled_at=image.last_pulled_at,
        size=image.size,
        media_type=image.media_type,
        manifest=image.manifest_text,
        config_digest=manifest.config.digest if manifest.config is not None else None,
        layer_digests=tuple(layer.digest for layer in manifest.layers),
        child_digests=tuple(manifest.child_digests()),
        status=archive.status(image, utcnow()),  # first: a restore that completed settles
        storage_class=image.storage_class,
        subject_digest=manifest.subject_digest,
        signing=MappingProxyType({status.profile_arn: status.status for status in image.signing}),
        replication_statuses=tuple(
            MappingProxyType(
                {
                    "region": r.region,
                    "registryId": r.registry_id,
                    "status": r.outcome or "IN_PROGRESS",
                    **({"failureCode": r.failure_code} if r.failure_code else {}),
                }
            )
            for r in image.replications
        ),
    )
