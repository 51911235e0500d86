"""Scan results a test chooses: ``MockECR.set_scan_findings`` and ``MockECR.fail_scan``.

Scans report no findings (a clean image) unless a test sets them here. Both functions
work on the registry's state directly, under its lock, like any handler; they make no ECR
call, so nothing is recorded in ``m.calls``.
"""

from __future__ import annotations

from typing import Any

from ..domain import scanning
from ..domain.repositories import get_repository
from ..domain.store import Backend, utcnow


def _image(repository: Any, tag_or_digest: str) -> Any:
    index = repository.images
    image = index.get(tag_or_digest) or index.tagged(tag_or_digest)
    if image is None:
        raise KeyError(f"no image tagged or with digest {tag_or_digest!r} in repository {repository.name!r}")
    return image


def set_scan_findings(
    backend: Backend,
    account_id: str,
    region: str,
    repository_name: str,
    tag_or_digest: str,
    findings: list[dict[str, Any]] | None = None,
    severity_counts: dict[str, int] | None = None,
) -> None:
    """Make the image's scans report ``findings`` (ImageScanFinding dicts: ``name``,
    ``severity``, optional ``description``, ``uri``, ``attributes``), or findings made up to
    match ``severity_counts`` (e.g. ``{"HIGH": 2}``). A scan under way completes with them."""
    if findings is not None and severity_counts is not None:
        raise ValueError("give findings or severity_counts, not both")
    if findings is None and severity_counts is None:
        raise ValueError("give findings or severity_counts")
    store = backend.store(account_id, region)
    with store.lock:
        repository = get_repository(store, repository_name)
        record = scanning.record_for(repository, _image(repository, tag_or_digest))
        scanning.configure_findings(record, findings, severity_counts, utcnow())


def fail_scan(
    backend: Backend, account_id: str, region: str, repository_name: str, tag_or_digest: str, description: str
) -> None:
    """Make the image's scan FAILED with ``description`` (a scan is recorded if none was)."""
    store = backend.store(account_id, region)
    with store.lock:
        repository = get_repository(store, repository_name)
        record = scanning.record_for(repository, _image(repository, tag_or_digest))
        scanning.configure_failure(record, description, utcnow())
