"""Managed signing: a registry's signing rules, and the signature a matching push gets.

A push to a repository that a signing rule matches ("If no filters are specified, all images
pushed to the registry are signed"; a WILDCARD_MATCH filter matches the whole repository name,
``*`` standing for any run of characters) is signed once per signing profile of the matching
rules, inside the push, under the registry's lock. The signature is what Notation with the
AWS Signer plugin stores: an OCI artifact manifest of type ``application/vnd.cncf.notary.signature``
whose ``subject`` is the image, with a JWS envelope as its one layer, so it is a referrer of the
image (ListImageReferrers, the registry's referrers API) and counts as an image of the repository.

Signing completes at once: DescribeImageSigningStatus answers COMPLETE for each profile, or
FAILED with the failure a test configured for the profile (``MockECR.fail_signing``). A
signature is never signed itself. Deleting the configuration leaves existing signatures alone.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from .blobs.buffer import BlobBuffer
from .blobs.storage import link_blob, reference_blobs
from .images import manifests
from .images.index import Image
from .images.referrers import artifact_type
from .lifecycle.engine import tag_pattern_matches  # linear time: filters are user-controlled
from .registry_settings import RegistrySettings
from .repositories import Repository
from .store import RegistryStore

NOTATION_SIGNATURE = "application/vnd.cncf.notary.signature"
JWS_ENVELOPE = "application/jose+json"
EMPTY_CONFIG = "application/vnd.oci.empty.v1+json"
_PAYLOAD = "application/vnd.cncf.notary.payload.v1+json"


@dataclass(frozen=True)
class SigningStatus:
    """How signing ``image`` with one profile went (DescribeImageSigningStatus)."""

    profile_arn: str
    #: COMPLETE or FAILED
    status: str
    failure_code: str | None = None
    failure_reason: str | None = None
    #: the signature manifest's digest (COMPLETE only)
    signature_digest: str | None = None


def rule_matches(rule: dict[str, Any], repository_name: str) -> bool:
    filters = rule.get("repositoryFilters")
    if not filters:
        return True
    return any(tag_pattern_matches(f["filter"], repository_name) for f in filters)


def profiles_for(settings: RegistrySettings, repository_name: str) -> list[str]:
    """The signing profiles a push to ``repository_name`` is signed with, in rule order."""
    rules = settings.signing_rules or []
    return list(dict.fromkeys(r["signingProfileArn"] for r in rules if rule_matches(r, repository_name)))


def sign(store: RegistryStore, repository: Repository, image: Image, now: _dt.datetime) -> list[Image]:
    """Sign a pushed ``image`` with each matching profile it has no status for yet; returns
    the signature images newly stored (each of them a push of its own)."""
    if not store.settings.signing_rules or artifact_type(image) == NOTATION_SIGNATURE:
        return []
    done = {status.profile_arn for status in image.signing}
    statuses: list[SigningStatus] = []
    stored: list[Image] = []
    for profile in profiles_for(store.settings, repository.name):
        if profile in done:
            continue
        failure = store.settings.signing_failures.get(profile)
        if failure is not None:
            statuses.append(SigningStatus(profile, "FAILED", failure[0], failure[1]))
            continue
        signature, new = _store_signature(store, repository, image, profile, now)
        statuses.append(SigningStatus(profile, "COMPLETE", signature_digest=signature.digest))
        if new:
            stored.append(signature)
    image.signing = (*image.signing, *statuses)
    return stored


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _blob(store: RegistryStore, repository: Repository, data: bytes, media_type: str) -> dict[str, Any]:
    buffer = BlobBuffer()
    buffer.append(data)
    link_blob(store, repository, buffer.seal(media_type))
    return {"mediaType": media_type, "digest": manifests.manifest_digest(data), "size": len(data)}


def _store_signature(
    store: RegistryStore, repository: Repository, image: Image, profile: str, now: _dt.datetime
) -> tuple[Image, bool]:
    """Store the signature of ``image`` by ``profile``; returns it and whether it is new."""
    subject = {"mediaType": image.media_type, "digest": image.digest, "size": len(image.manifest_text.encode())}
    signed_at = now.isoformat().replace("+00:00", "Z")
    payload = json.dumps({"targetArtifact": subject}, separators=(",", ":")).encode()
    protected = {
        "alg": "PS384",
        "crit": ["io.cncf.notary.signingScheme"],
        "cty": _PAYLOAD,
        "io.cncf.notary.signingScheme": "notary.x509.signingAuthority",
        "io.cncf.notary.signingTime": signed_at,
    }
    header = _b64(json.dumps(protected, separators=(",", ":")).encode())
    signature = hashlib.sha384(f"{profile}\n{header}.{_b64(payload)}".encode()).digest()
    envelope = {"payload": _b64(payload), "protected": header, "header": {"x5chain": []}, "signature": _b64(signature)}
    thumbprint = hashlib.sha256(profile.encode()).hexdigest()
    document = {
        "schemaVersion": 2,
        "mediaType": manifests.OCI_MANIFEST,
        "artifactType": NOTATION_SIGNATURE,
        "config": _blob(store, repository, b"{}", EMPTY_CONFIG),
        "layers": [_blob(store, repository, json.dumps(envelope, separators=(",", ":")).encode(), JWS_ENVELOPE)],
        "subject": subject,
        "annotations": {
            "io.cncf.notary.x509chain.thumbprint#S256": json.dumps([thumbprint]),
            "org.opencontainers.image.created": signed_at,
        },
    }
    text = json.dumps(document, separators=(",", ":"))
    manifest = manifests.parse(text)
    index = repository.images
    existing = index.get(manifest.digest)
    if existing is not None:
        return existing, False
    stored = index.add(manifest.digest, text, manifest, now, manifest.layers_size())
    reference_blobs(repository, manifest.blob_digests())
    return stored, True


def fail_signing(settings: RegistrySettings, profile_arn: str, code: str, reason: str) -> None:
    """Make signing with ``profile_arn`` fail from now on with ``code`` / ``reason``."""
    settings.signing_failures[profile_arn] = (code, reason)
