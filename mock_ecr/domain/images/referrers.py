"""Referrers (OCI 1.1): the manifests of a repository whose ``subject`` names a digest.

One answer for both faces: ListImageReferrers and the registry's ``/v2/<name>/referrers/<digest>``.
"""

from __future__ import annotations

from .index import Image, ImageIndex


def artifact_type(image: Image) -> str | None:
    """The referrer's artifact type: ``artifactType``, else its config's media type (OCI rule)."""
    manifest = image.manifest
    if manifest.artifact_type is not None:
        return manifest.artifact_type
    return manifest.config.media_type if manifest.config is not None else None


def referrers(index: ImageIndex, digest: str, artifact_types: frozenset[str] | None = None) -> list[Image]:
    """The images whose manifest's ``subject`` is ``digest``, in push order, filtered by
    artifact type when ``artifact_types`` is given. Callers hold the registry lock."""
    found = [image for image in index if image.manifest.subject_digest == digest]
    if artifact_types is not None:
        found = [image for image in found if artifact_type(image) in artifact_types]
    return sorted(found, key=lambda image: image.seq)
