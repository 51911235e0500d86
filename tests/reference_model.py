"""A small, obviously-correct model of one ECR registry, for model-based and stress tests.

Written from ECR's documentation and the answers real ECR gives, independently of
``mock_ecr.backend``: plain dicts and lists, no indexes, no pagination, no shared code.
Each method takes the request as boto3 does (keyword arguments, blobs as bytes) and
returns what the answer must contain in a normalized form, or raises ``ModelError`` with
the error code ECR answers. Nothing is changed by a call that raises.

Normalized answers (what tests compare against the real response):

* image ids are ``(digest, tag)`` pairs, ``tag`` None when the id has no tag;
* lists whose order ECR does not define are compared as sorted lists.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"
PART_SIZE = 10 * 1024 * 1024
MIN_PART_SIZE = 5 * 1024 * 1024
MAX_TAGS = 50

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_TYPE = "application/vnd.docker.container.image.v1+json"
LAYER_TYPE = "application/vnd.docker.image.rootfs.diff.tar.gzip"

# ImageIdentifier.imageDigest as ECR checks it in the batch image actions
_DIGEST_RE = re.compile(r"[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+")


class ModelError(Exception):
    """The call fails with ECR error ``code``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def manifest_for(config: bytes, layers: list[bytes]) -> str:
    """A Docker v2 schema 2 image manifest naming ``config`` and ``layers``."""
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST,
            "config": {"mediaType": CONFIG_TYPE, "size": len(config), "digest": sha256(config)},
            "layers": [{"mediaType": LAYER_TYPE, "size": len(layer), "digest": sha256(layer)} for layer in layers],
        }
    )


@dataclass
class ModelImage:
    digest: str
    manifest: str
    #: digests of config and layers
    blobs: list[str]
    size: int
    tags: list[str] = field(default_factory=list)


@dataclass
class ModelUpload:
    repository: "ModelRepository"
    received: bytearray = field(default_factory=bytearray)
    parts: list[int] = field(default_factory=list)


@dataclass
class ModelRepository:
    name: str
    mutability: str = "MUTABLE"
    tags: dict[str, str] = field(default_factory=dict)
    policy: str | None = None
    lifecycle: str | None = None
    #: every image of the repository, in push order
    images: list[ModelImage] = field(default_factory=list)
    #: digest -> bytes of every layer uploaded to the repository
    layers: dict[str, bytes] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{self.name}"

    def image_with_digest(self, digest: str) -> ModelImage | None:
        return next((image for image in self.images if image.digest == digest), None)

    def image_with_tag(self, tag: str) -> ModelImage | None:
        return next((image for image in self.images if tag in image.tags), None)


class ReferenceECR:
    """One registry (account 123456789012, us-east-1)."""

    def __init__(self) -> None:
        self.repositories: dict[str, ModelRepository] = {}
        self.uploads: dict[str, ModelUpload] = {}
        self._upload_numbers = itertools.count()

    # -- helpers ------------------------------------------------------------------------
    def _repository(self, name: str) -> ModelRepository:
        if name not in self.repositories:
            raise ModelError("RepositoryNotFoundException")
        return self.repositories[name]

    def _repository_by_arn(self, arn: str) -> ModelRepository:
        prefix = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/"
        name = arn[len(prefix) :] if arn.startswith(prefix) else None
        if name is None or name not in self.repositories:
            raise ModelError("InvalidParameterException")
        return self.repositories[name]

    @staticmethod
    def _check_tags(existing: dict[str, str], tags: list[dict[str, str]]) -> dict[str, str]:
        merged = dict(existing)
        for tag in tags:
            if tag["Key"].lower().startswith("aws:"):
                raise ModelError("InvalidTagParameterException")
            merged[tag["Key"]] = tag["Value"]
        if len(merged) > MAX_TAGS:
            raise ModelError("TooManyTagsException")
        return merged

    # -- repositories ---------------------------------------------------------------------
    def create_repository(
        self, repositoryName: str, tags: list[dict[str, str]] | None = None, imageTagMutability: str = "MUTABLE"
    ) -> dict[str, Any]:
        if repositoryName in self.repositories:
            raise ModelError("RepositoryAlreadyExistsException")
        checked = self._check_tags({}, tags or [])
        repository = ModelRepository(repositoryName, imageTagMutability, checked)
        self.repositories[repositoryName] = repository
        return {
            "repositoryName": repositoryName,
            "repositoryArn": repository.arn,
            "registryId": ACCOUNT,
            "repositoryUri": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{repositoryName}",
            "imageTagMutability": imageTagMutability,
        }

    def describe_repositories(self, repositoryNames: list[str] | None = None) -> list[str]:
        """Names of the repositories described (all of them when no names are given)."""
        if repositoryNames is None:
            return sorted(self.repositories)
        found = []
        for name in repositoryNames:
            self._repository(name)
            if name not in found:
                found.append(name)
        return sorted(found)

    def delete_repository(self, repositoryName: str, force: bool = False) -> str:
        repository = self._repository(repositoryName)
        if repository.images and not force:
            raise ModelError("RepositoryNotEmptyException")
        del self.repositories[repositoryName]
        for upload_id, upload in list(self.uploads.items()):
            if upload.repository is repository:
                del self.uploads[upload_id]
        return repositoryName

    # -- repository policies ----------------------------------------------------------------
    def set_repository_policy(self, repositoryName: str, policyText: str) -> str:
        repository = self._repository(repositoryName)
        repository.policy = policyText
        return policyText

    def get_repository_policy(self, repositoryName: str) -> str:
        repository = self._repository(repositoryName)
        if repository.policy is None:
            raise ModelError("RepositoryPolicyNotFoundException")
        return repository.policy

    def delete_repository_policy(self, repositoryName: str) -> str:
        text = self.get_repository_policy(repositoryName)
        self.repositories[repositoryName].policy = None
        return text

    # -- tags -----------------------------------------------------------------------------
    def tag_resource(self, resourceArn: str, tags: list[dict[str, str]]) -> None:
        repository = self._repository_by_arn(resourceArn)
        repository.tags = self._check_tags(repository.tags, tags)

    def untag_resource(self, resourceArn: str, tagKeys: list[str]) -> None:
        repository = self._repository_by_arn(resourceArn)
        for key in tagKeys:
            repository.tags.pop(key, None)

    def list_tags_for_resource(self, resourceArn: str) -> dict[str, str]:
        return dict(self._repository_by_arn(resourceArn).tags)

    # -- authorization ---------------------------------------------------------------------
    def get_authorization_token(self, registryIds: list[str] | None = None) -> list[str]:
        """The proxy endpoints of the tokens, one per distinct registry."""
        ids = list(dict.fromkeys(registryIds or [ACCOUNT]))
        return [f"https://{registry}.dkr.ecr.{REGION}.amazonaws.com" for registry in ids]

    # -- layer uploads ------------------------------------------------------------------------
    def initiate_layer_upload(self, repositoryName: str) -> str:
        """A model-side handle of the new upload (tests map it to the real uploadId)."""
        repository = self._repository(repositoryName)
        handle = f"upload-{next(self._upload_numbers)}"
        self.uploads[handle] = ModelUpload(repository)
        return handle

    def _upload(self, repositoryName: str, handle: str) -> ModelUpload:
        repository = self._repository(repositoryName)
        upload = self.uploads.get(handle)
        if upload is None or upload.repository is not repository:
            raise ModelError("UploadNotFoundException")
        return upload

    def upload_layer_part(
        self, repositoryName: str, handle: str, partFirstByte: int, partLastByte: int, layerPartBlob: bytes
    ) -> int:
        """``lastByteReceived`` after the part."""
        upload = self._upload(repositoryName, handle)
        if partFirstByte != len(upload.received):
            raise ModelError("InvalidLayerPartException")
        if not layerPartBlob or partLastByte != partFirstByte + len(layerPartBlob) - 1:
            raise ModelError("InvalidLayerPartException")
        upload.received.extend(layerPartBlob)
        upload.parts.append(len(layerPartBlob))
        return len(upload.received) - 1

    def complete_layer_upload(self, repositoryName: str, handle: str, layerDigests: list[str]) -> str:
        upload = self._upload(repositoryName, handle)
        if not upload.parts:
            raise ModelError("EmptyUploadException")
        if any(size < MIN_PART_SIZE for size in upload.parts[:-1]):
            raise ModelError("LayerPartTooSmallException")
        digest = sha256(bytes(upload.received))
        if digest not in layerDigests:
            raise ModelError("InvalidLayerException")
        if digest in upload.repository.layers:
            raise ModelError("LayerAlreadyExistsException")
        upload.repository.layers[digest] = bytes(upload.received)
        del self.uploads[handle]
        return digest

    def batch_check_layer_availability(
        self, repositoryName: str, layerDigests: list[str]
    ) -> tuple[list[tuple[str, int]], list[tuple[str, str]]]:
        """``(available (digest, size) pairs, (digest, failure code) pairs)``, sorted."""
        repository = self._repository(repositoryName)
        available, failures = set(), set()
        for digest in layerDigests:
            if digest in repository.layers:
                available.add((digest, len(repository.layers[digest])))
            else:
                failures.add((digest, "MissingLayerDigest"))
        return sorted(available), sorted(failures)

    def get_download_url_for_layer(self, repositoryName: str, layerDigest: str) -> bytes:
        """The bytes the download URL serves."""
        repository = self._repository(repositoryName)
        if layerDigest not in repository.layers:
            raise ModelError("LayersNotFoundException")
        if not any(layerDigest in image.blobs for image in repository.images):
            raise ModelError("LayerInaccessibleException")
        return repository.layers[layerDigest]

    # -- images -------------------------------------------------------------------------------
    def put_image(self, repositoryName: str, imageManifest: str, imageTag: str | None = None) -> tuple[str, str | None]:
        """``(digest, tag)`` of the put image.

        The manifests tests send are well-formed Docker v2 manifests (see ``manifest_for``).
        """
        repository = self._repository(repositoryName)
        document = json.loads(imageManifest)
        digest = sha256(imageManifest.encode())
        blobs = [document["config"]["digest"]] + [layer["digest"] for layer in document["layers"]]
        image = repository.image_with_digest(digest)
        if image is not None and (imageTag is None or imageTag in image.tags):
            if imageTag is not None:
                raise ModelError("ImageAlreadyExistsException")
            return digest, None
        holder = repository.image_with_tag(imageTag) if imageTag is not None else None
        if holder is not None and repository.mutability == "IMMUTABLE":
            raise ModelError("ImageTagAlreadyExistsException")
        if image is None:
            if any(blob not in repository.layers for blob in blobs):
                raise ModelError("LayersNotFoundException")
            size = sum(layer["size"] for layer in document["layers"])
            image = ModelImage(digest, imageManifest, blobs, size)
            repository.images.append(image)
        if imageTag is not None:
            if holder is not None:
                holder.tags.remove(imageTag)
            image.tags.append(imageTag)
        return digest, imageTag

    def _resolve(self, repository: ModelRepository, image_id: dict[str, str]) -> tuple[ModelImage | None, str | None]:
        digest, tag = image_id.get("imageDigest"), image_id.get("imageTag")
        if digest is None and tag is None:
            return None, "MissingDigestAndTag"
        if digest is not None and not _DIGEST_RE.fullmatch(digest):
            return None, "InvalidImageDigest"
        if tag is None:
            image = repository.image_with_digest(digest)
            return (image, None) if image else (None, "ImageNotFound")
        image = repository.image_with_tag(tag)
        if image is None:
            return None, "ImageNotFound"
        if digest is not None and image.digest != digest:
            if repository.image_with_digest(digest) is not None:
                return None, "ImageTagDoesNotMatchDigest"
            return None, "ImageNotFound"
        return image, None

    @staticmethod
    def _key(image_id: dict[str, str]) -> tuple[str | None, str | None]:
        return image_id.get("imageDigest"), image_id.get("imageTag")

    def batch_get_image(
        self, repositoryName: str, imageIds: list[dict[str, str]]
    ) -> tuple[list[tuple[str, str | None, str]], list[tuple[Any, Any, str]]]:
        """``(images as (digest, tag, manifest), failures as (digest, tag, code))``, sorted."""
        repository = self._repository(repositoryName)
        images, failures = [], []
        seen = set()
        for image_id in imageIds:
            key = self._key(image_id)
            if key in seen:
                continue
            seen.add(key)
            image, code = self._resolve(repository, image_id)
            if image is None:
                failures.append((*key, code))
            else:
                images.append((image.digest, image_id.get("imageTag"), image.manifest))
        return sorted(images, key=repr), sorted(failures, key=repr)

    def batch_delete_image(
        self, repositoryName: str, imageIds: list[dict[str, str]]
    ) -> tuple[list[tuple[str, str | None]], list[tuple[Any, Any, str]]]:
        """``(deleted ids, failures as (digest, tag, code))``, sorted; ids are handled in order."""
        repository = self._repository(repositoryName)
        deleted, failures = [], []
        seen = set()
        for image_id in imageIds:
            key = self._key(image_id)
            if key in seen:
                continue
            seen.add(key)
            image, code = self._resolve(repository, image_id)
            if image is None:
                failures.append((*key, code))
                continue
            tag = image_id.get("imageTag")
            if tag is not None and len(image.tags) > 1:
                image.tags.remove(tag)
                deleted.append((image.digest, tag))
                continue
            repository.images.remove(image)
            if tag is not None:
                deleted.append((image.digest, tag))
            elif image.tags:
                deleted.extend((image.digest, t) for t in image.tags)
            else:
                deleted.append((image.digest, None))
        return sorted(deleted, key=repr), sorted(failures, key=repr)

    def list_images(self, repositoryName: str, tagStatus: str = "ANY") -> list[tuple[str, str | None]]:
        repository = self._repository(repositoryName)
        found = []
        for image in repository.images:
            if image.tags and tagStatus in ("ANY", "TAGGED"):
                found.extend((image.digest, tag) for tag in image.tags)
            if not image.tags and tagStatus in ("ANY", "UNTAGGED"):
                found.append((image.digest, None))
        return sorted(found, key=repr)

    def describe_images(
        self, repositoryName: str, imageIds: list[dict[str, str]] | None = None, tagStatus: str = "ANY"
    ) -> list[tuple[str, tuple[str, ...], int]]:
        """``(digest, sorted tags, size)`` of each image described, sorted."""
        repository = self._repository(repositoryName)
        if imageIds is None:
            chosen = [
                image
                for image in repository.images
                if tagStatus == "ANY" or (tagStatus == "TAGGED") == bool(image.tags)
            ]
        else:
            chosen = []
            for image_id in imageIds:
                image, _ = self._resolve(repository, image_id)
                if image is None:
                    raise ModelError("ImageNotFoundException")
                if image not in chosen:
                    chosen.append(image)
        return sorted((image.digest, tuple(sorted(image.tags)), image.size) for image in chosen)

    # -- lifecycle policies ------------------------------------------------------------------
    def put_lifecycle_policy(self, repositoryName: str, lifecyclePolicyText: str) -> str:
        repository = self._repository(repositoryName)
        repository.lifecycle = lifecyclePolicyText
        return lifecyclePolicyText

    def get_lifecycle_policy(self, repositoryName: str) -> str:
        repository = self._repository(repositoryName)
        if repository.lifecycle is None:
            raise ModelError("LifecyclePolicyNotFoundException")
        return repository.lifecycle

    def delete_lifecycle_policy(self, repositoryName: str) -> str:
        text = self.get_lifecycle_policy(repositoryName)
        self.repositories[repositoryName].lifecycle = None
        return text

    # -- whole-state views (for end-of-run comparisons) -------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {
            name: {
                "tags": dict(sorted(repository.tags.items())),
                "policy": repository.policy,
                "lifecycle": repository.lifecycle,
                "images": self.list_images(name),
                "layers": sorted(repository.layers),
            }
            for name, repository in sorted(self.repositories.items())
        }
