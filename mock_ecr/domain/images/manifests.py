"""Image manifests: media types, digests, and what a manifest references (pure; no state).

ECR stores five manifest formats:

* Docker image manifest v2 schema 2 and OCI image manifest: a ``config`` blob and
  ``layers`` blobs, each a descriptor ``{mediaType, digest, size[, urls]}``;
* Docker manifest list and OCI image index: ``manifests``, descriptors of child manifests;
* Docker schema 1 (``v1+json`` unsigned, ``v1+prettyjws`` signed): ``fsLayers`` blob sums.

The digest of a manifest is the sha256 of its exact bytes, except for signed schema 1,
whose digest covers the JWS payload: the manifest without its ``signatures``, rebuilt from
the signature's protected header as libtrust does (the first ``formatLength`` bytes, then
the base64url-decoded ``formatTail``). A manifest ECR cannot read is refused with the one
message real ECR uses for every such case: ``'Invalid JSON syntax'``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ... import messages
from ...errors import InvalidParameterException, invalid_parameter

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json"
DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"

IMAGE_TYPES = frozenset({DOCKER_MANIFEST, OCI_MANIFEST})
INDEX_TYPES = frozenset({DOCKER_MANIFEST_LIST, OCI_INDEX})
SCHEMA1_TYPES = frozenset({DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED})
SUPPORTED_TYPES = IMAGE_TYPES | INDEX_TYPES | SCHEMA1_TYPES

#: the digest grammar of the OCI image spec (algorithm ":" encoded)
_DIGEST = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")


#: one string object per media type seen (bounded): every manifest of a repository names the
#: same few types, and an image's manifest then holds no copies of its own to keep or free
_media_types: dict[str, str] = {}


def _shared(media_type: str) -> str:
    found = _media_types.get(media_type)
    if found is not None:
        return found
    if len(_media_types) < 1024 and len(media_type) <= 255:
        _media_types[media_type] = media_type
    return media_type


def invalid_manifest() -> InvalidParameterException:
    return invalid_parameter("ImageManifest", messages.INVALID_MANIFEST)


@dataclass(frozen=True, slots=True)
class Descriptor:
    """A reference from a manifest to a blob or a child manifest (slotted, as ``Manifest``)."""

    digest: str
    size: int | None
    media_type: str | None = None
    #: a foreign (non-distributable) layer lists where to fetch it; the registry holds no copy
    urls: tuple[str, ...] = ()


class SharedParts:
    """What the manifests of a registry share: one ``Descriptor`` per digest, and one tuple
    per list of them (``remember``). The images of a repository name the same base layers
    over and over, and a config stays described after its image goes: one object for each
    keeps a store small, and deleting an image frees only what is its own. A cache of
    immutable values: forgetting it changes no answer.
    """

    __slots__ = ("descriptors", "lists")

    def __init__(self) -> None:
        self.descriptors: dict[str, Descriptor] = {}
        #: the digests of a list -> the shared tuple of their descriptors
        self.lists: dict[tuple[str, ...], tuple[Descriptor, ...]] = {}

    def copy(self) -> SharedParts:
        twin = SharedParts()
        twin.descriptors = self.descriptors.copy()
        twin.lists = self.lists.copy()
        return twin


#: what ``parse`` may share with a registry's other manifests (None: nothing)
Known = SharedParts | None


@dataclass(frozen=True, slots=True)
class Manifest:
    """What ECR learns from a manifest it accepts.

    Slotted, as its descriptors are: every image holds one, and a repository of many images
    is smaller and quicker to delete without a ``__dict__`` per manifest and descriptor."""

    media_type: str
    digest: str
    #: config blob (image manifests only)
    config: Descriptor | None
    #: layer blobs, in manifest order (schema 1 ``fsLayers`` have no size)
    layers: tuple[Descriptor, ...]
    #: child manifests (manifest lists and indexes only)
    manifests: tuple[Descriptor, ...]
    #: the OCI ``subject`` this manifest refers to, if any
    subject_digest: str | None = None
    #: the OCI 1.1 top-level ``artifactType``, if any
    artifact_type: str | None = None
    #: the top-level ``annotations`` (OCI) of a manifest with a ``subject``: only referrers
    #: report them, so a manifest without one keeps none (they stay in its text)
    annotations: tuple[tuple[str, str], ...] = ()
    #: worked out from the fields above (``__post_init__``)
    _blob_digests: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _child_digests: tuple[str, ...] = field(init=False, repr=False, compare=False)

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES

    @property
    def artifact_media_type(self) -> str | None:
        """DescribeImages' ``artifactMediaType``: the config's media type."""
        return self.config.media_type if self.config is not None else None

    def __post_init__(self) -> None:
        # computed once: PutImage, BatchDeleteImage and the lifecycle engine ask repeatedly
        found = [self.config] if self.config is not None else []
        found.extend(layer for layer in self.layers if not layer.urls)
        object.__setattr__(self, "_blob_digests", tuple(dict.fromkeys(d.digest for d in found)))
        object.__setattr__(self, "_child_digests", tuple(dict.fromkeys(d.digest for d in self.manifests)))

    def blob_digests(self) -> tuple[str, ...]:
        """Digests of the blobs the repository must hold: config and layers, except foreign
        layers (those with ``urls``); each digest once, in manifest order."""
        return self._blob_digests

    def child_digests(self) -> tuple[str, ...]:
        return self._child_digests

    def layers_size(self) -> int:
        """Sum of the layer sizes the manifest declares (compressed, as pushed)."""
        return sum(layer.size or 0 for layer in self.layers)


def manifest_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def parse(text: str, declared_media_type: str | None = None, known: Known = None) -> Manifest:
    """Parse ``text`` as PutImage does; ``declared_media_type`` is ``imageManifestMediaType``.

    The media type is the declared one, else the manifest's own ``mediaType``. A manifest
    that is not JSON, has no media type, declares one that disagrees with its own, has an
    unsupported media type or lacks the members its type requires is refused with
    InvalidParameterException ``'Invalid JSON syntax'``.

    ``known``: the descriptors a store's manifests already hold (``remember``); a descriptor
    equal to one of them is that object, not a copy.
    """
    try:
        data = text.encode("utf-8")  # a lone surrogate (sent as "\ud800") has no bytes to digest
        document = json.loads(text)
    except (ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        raise invalid_manifest() from None
    if not isinstance(document, dict):
        raise invalid_manifest()
    own = document.get("mediaType")
    if own is not None and not isinstance(own, str):
        raise invalid_manifest()
    media_type = declared_media_type or own
    if media_type is None or media_type not in SUPPORTED_TYPES:
        raise invalid_manifest()
    if own is not None and own != media_type:
        raise invalid_manifest()
    media_type = _shared(media_type)
    if media_type in IMAGE_TYPES:
        return _image_manifest(document, media_type, manifest_digest(data), known)
    if media_type in INDEX_TYPES:
        return _index(document, media_type, manifest_digest(data), known)
    return _schema1(document, data, media_type, known)


def remember(known: SharedParts, manifest: Manifest) -> None:
    """Let later manifests share ``manifest``'s descriptors and lists of them (``parse``'s
    ``known``); called once its image is stored. A descriptor with ``urls`` is not shared;
    for a digest described two ways, the first description is."""
    descriptors = known.descriptors
    if manifest.config is not None and not manifest.config.urls:
        descriptors.setdefault(manifest.config.digest, manifest.config)
    for found in (manifest.layers, manifest.manifests):
        if found:
            for descriptor in found:
                if not descriptor.urls:
                    descriptors.setdefault(descriptor.digest, descriptor)
            known.lists.setdefault(tuple([d.digest for d in found]), found)


def _descriptor(value: Any, known: Known = None, *, sized: bool = True) -> Descriptor:
    if not isinstance(value, dict):
        raise invalid_manifest()
    digest, size, media_type = value.get("digest"), value.get("size"), value.get("mediaType")
    if not isinstance(digest, str) or _DIGEST.fullmatch(digest) is None:
        raise invalid_manifest()
    if sized and (type(size) is not int or size < 0):
        raise invalid_manifest()
    if media_type is not None:
        if not isinstance(media_type, str):
            raise invalid_manifest()
        media_type = _shared(media_type)
    urls = value.get("urls") or ()
    if urls:  # (most descriptors have none: no generator for them)
        if not isinstance(urls, (list, tuple)) or not all(isinstance(url, str) for url in urls):
            raise invalid_manifest()
        return Descriptor(digest, size, media_type, tuple(urls))
    if known is not None:
        found = known.descriptors.get(digest)
        if found is not None and found.size == size and found.media_type == media_type:  # (never one with urls)
            return found
    return Descriptor(digest, size, media_type)


def _descriptor_list(value: Any, known: Known) -> tuple[Descriptor, ...]:
    if not isinstance(value, list):
        raise invalid_manifest()
    found = tuple([_descriptor(item, known) for item in value])
    if known is not None and found:
        shared = known.lists.get(tuple([d.digest for d in found]))
        if shared == found:  # (the same descriptor objects: compared by identity first)
            return shared
    return found


def _schema_version(document: dict[str, Any], expected: int) -> None:
    if document.get("schemaVersion") != expected:
        raise invalid_manifest()


def _subject(document: dict[str, Any]) -> str | None:
    subject = document.get("subject")
    return _descriptor(subject).digest if subject is not None else None


def _image_manifest(document: dict[str, Any], media_type: str, digest: str, known: Known) -> Manifest:
    _schema_version(document, 2)
    config = _descriptor(document.get("config"), known)
    layers = _descriptor_list(document.get("layers", [] if media_type == OCI_MANIFEST else None), known)
    subject = _subject(document)
    return Manifest(media_type, digest, config, layers, (), subject, *_artifact(document, subject))


def _index(document: dict[str, Any], media_type: str, digest: str, known: Known) -> Manifest:
    _schema_version(document, 2)
    manifests = _descriptor_list(document.get("manifests"), known)
    subject = _subject(document)
    return Manifest(media_type, digest, None, (), manifests, subject, *_artifact(document, subject))


def _artifact(document: dict[str, Any], subject: str | None) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    """``artifactType`` and ``annotations``, as the OCI referrers API reports them (the
    annotations of a manifest with a ``subject`` only: no other answer shows them)."""
    kind = document.get("artifactType")
    notes = document.get("annotations")
    if kind is not None and not isinstance(kind, str):
        raise invalid_manifest()
    if notes is None:
        return kind, ()
    if not (isinstance(notes, dict) and all(isinstance(v, str) for v in notes.values())):
        raise invalid_manifest()
    return kind, tuple(sorted(notes.items())) if subject is not None else ()


def _schema1(document: dict[str, Any], data: bytes, media_type: str, known: Known) -> Manifest:
    _schema_version(document, 1)
    fs_layers = document.get("fsLayers")
    if not isinstance(fs_layers, list) or not fs_layers:
        raise invalid_manifest()
    layers = []
    for item in fs_layers:
        if not isinstance(item, dict):
            raise invalid_manifest()
        layers.append(_descriptor({"digest": item.get("blobSum")}, known, sized=False))
    signatures = document.get("signatures")
    if media_type == DOCKER_SCHEMA1_SIGNED or signatures is not None:
        payload = signed_payload(data, signatures)
    else:
        payload = data
    return Manifest(media_type, manifest_digest(payload), None, tuple(layers), ())


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signed_payload(data: bytes, signatures: Any) -> bytes:
    """The bytes a schema 1 JWS signature covers: the manifest without ``signatures``.

    Each signature's protected header records ``formatLength`` (how many leading bytes of
    the manifest are payload) and ``formatTail`` (base64url of the bytes that close the
    JSON object after the ``signatures`` member is cut away).
    """
    if not isinstance(signatures, list) or not signatures:
        raise invalid_manifest()
    payload = None
    for signature in signatures:
        try:
            header = json.loads(_b64url(signature["protected"]))
            length, tail = header["formatLength"], _b64url(header["formatTail"])
        except (KeyError, TypeError, ValueError, RecursionError, binascii.Error):
            raise invalid_manifest() from None
        if type(length) is not int or not 0 < length <= len(data):
            raise invalid_manifest()
        candidate = data[:length] + tail
        if payload is not None and candidate != payload:
            raise invalid_manifest()  # signatures must agree on what they sign
        payload = candidate
    assert payload is not None
    try:
        if not isinstance(json.loads(payload), dict):
            raise invalid_manifest()
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise invalid_manifest() from None
    return payload
