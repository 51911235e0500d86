"""Model-based testing: random sequences of ECR actions, every answer checked against a reference.

A hypothesis ``RuleBasedStateMachine`` drives the 22 ECR actions (and the repository tag
actions) through boto3 against one mock, and runs each call against ``ReferenceECR``
(``tests/reference_model.py``), a deliberately naive model written without any code of the
backend. Every answer must agree: the same error code, or a success whose content matches
what the model computes. Hypothesis shrinks any divergence to a minimal sequence of calls.

The number of examples comes from the hypothesis profile (``conftest.py``): ``ci`` by
default, ``MOCK_ECR_HYPOTHESIS_PROFILE=soak`` for long runs.
"""

from __future__ import annotations

import base64
import json
import time
from collections import Counter
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError
from hypothesis import note, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, rule

from mock_ecr import mock_ecr
from mock_ecr.api.lifecycle import apply_lifecycle_policies

from .reference_model import ACCOUNT, PART_SIZE, ModelError, ReferenceECR, manifest_for, sha256

# -- the small worlds the machine picks from --------------------------------------------------
REPOSITORIES = ["alpha", "team/app"]
IMAGE_TAGS = ["latest", "v1", "v2"]
CONFIGS = [b'{"architecture":"amd64","os":"linux"}', b'{"architecture":"arm64","os":"linux"}']
LAYERS = [b"layer one", b"layer two!", b"layer three??"]
BLOBS = CONFIGS + LAYERS
#: every manifest the machine can push: a config and one or two layers
MANIFESTS = [manifest_for(c, [layer]) for c in CONFIGS for layer in LAYERS] + [
    manifest_for(c, [LAYERS[0], LAYERS[2]]) for c in CONFIGS
]
MANIFEST_DIGESTS = [sha256(text.encode()) for text in MANIFESTS]
UNKNOWN_DIGEST = "sha256:" + "0" * 64
DIGESTS = MANIFEST_DIGESTS + [UNKNOWN_DIGEST, "not-a-digest"]
RESOURCE_TAG_KEYS = [f"k{i}" for i in range(60)] + ["aws:reserved"]
REGISTRY_IDS = [ACCOUNT, "210987654321", "111122223333"]
REPOSITORY_POLICIES = [
    json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]}),
    json.dumps(
        {"Statement": [{"Sid": "pull", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": ["ecr:BatchGetImage"]}]}
    ),
]


def _lifecycle_policy(*rules: dict[str, Any]) -> str:
    body = [
        {
            "rulePriority": priority,
            "description": "model-based test rule " * 3,
            "selection": selection,
            "action": {"type": "expire"},
        }
        for priority, selection in rules
    ]
    return json.dumps({"rules": body})


def _count(n: int, status: str, **extra: Any) -> dict[str, Any]:
    return {"tagStatus": status, **extra, "countType": "imageCountMoreThan", "countNumber": n}


LIFECYCLE_POLICIES = [
    _lifecycle_policy((1, _count(1, "any"))),
    _lifecycle_policy((1, _count(2, "any"))),
    _lifecycle_policy((1, _count(1, "untagged"))),
    _lifecycle_policy((1, _count(1, "tagged", tagPrefixList=["v"])), (2, _count(3, "any"))),
    _lifecycle_policy((1, _count(1, "tagged", tagPatternList=["*"])), (5, _count(1, "untagged"))),
]

image_ids = st.lists(
    st.one_of(
        st.builds(lambda d: {"imageDigest": d}, st.sampled_from(DIGESTS)),
        st.builds(lambda t: {"imageTag": t}, st.sampled_from(IMAGE_TAGS)),
        st.builds(
            lambda d, t: {"imageDigest": d, "imageTag": t}, st.sampled_from(DIGESTS), st.sampled_from(IMAGE_TAGS)
        ),
    ),
    min_size=1,
    max_size=4,
)
repository_names = st.sampled_from(REPOSITORIES)
tag_statuses = st.sampled_from(["ANY", "TAGGED", "UNTAGGED"])


# -- the client: one for the whole module, created lazily (clients made before a mock work) ----
_client: Any = None


def client() -> Any:
    global _client
    if _client is None:
        _client = boto3.client(
            "ecr",
            region_name="us-east-1",
            aws_access_key_id="AKIAMODELBASED000000",
            aws_secret_access_key="x",
            # a 500 must surface as a divergence, not be retried away
            config=Config(retries={"total_max_attempts": 1}),
        )
    return _client


class Upload:
    """A model upload handle and the real uploadId, in the repository they were made in."""

    def __init__(self, handle: str, upload_id: str, repository: str) -> None:
        self.handle, self.upload_id, self.repository = handle, upload_id, repository

    def __repr__(self) -> str:
        return f"Upload({self.handle}, {self.repository})"


class ECRMachine(RuleBasedStateMachine):
    uploads = Bundle("uploads")

    def __init__(self) -> None:
        super().__init__()
        self.mock = mock_ecr().start()
        self.model = ReferenceECR()
        self.calls = 0
        #: repository name -> preview results the model computed at the last start
        self.previews: dict[str, dict[str, Any]] = {}

    def teardown(self) -> None:
        self.mock.stop()
        ECRMachine.calls_made += self.calls
        ECRMachine.examples += 1

    calls_made = 0
    examples = 0
    #: (action, "ok" or error code) -> how often the mock and the model agreed on it
    outcomes: Counter[tuple[str, str]] = Counter()

    # -- the comparison ------------------------------------------------------------------------
    def both(self, action: str, model_call: Any, **params: Any) -> tuple[Any, Any]:
        """Run ``action`` against the mock and ``model_call`` against the model.

        Returns ``(real response, model answer)`` when both succeed, ``(None, None)`` when both
        fail with the same code; anything else is a divergence.
        """
        self.calls += 1
        try:
            expected = ("ok", model_call())
        except ModelError as error:
            expected = ("error", error.code)
        try:
            response = getattr(client(), action)(**params)
            actual: tuple[str, Any] = ("ok", response)
        except ClientError as error:
            status = error.response["ResponseMetadata"]["HTTPStatusCode"]
            assert status == 400, f"{action} answered HTTP {status}: {error}"
            actual = ("error", error.response["Error"]["Code"])
        note(
            f"{action}({params!r}) -> model {expected[0]}:{expected[1] if expected[0] == 'error' else ''} "
            f"mock {actual[0]}:{actual[1] if actual[0] == 'error' else ''}"
        )
        if expected[0] == "error" or actual[0] == "error":
            assert actual == expected, f"{action}({params!r}): mock answered {actual}, model expects {expected}"
            ECRMachine.outcomes[action, actual[1]] += 1
            return None, None
        ECRMachine.outcomes[action, "ok"] += 1
        return actual[1], expected[1]

    # -- repositories ----------------------------------------------------------------------------
    @initialize(mutabilities=st.lists(st.sampled_from(["MUTABLE", "IMMUTABLE"]), min_size=2, max_size=2))
    def create_both_repositories(self, mutabilities: list[str]) -> None:
        """Start from existing repositories, so most sequences reach past RepositoryNotFound."""
        for name, mutability in zip(REPOSITORIES, mutabilities, strict=True):
            self.create_repository(name, mutability, [])

    @initialize(
        images=st.lists(st.tuples(st.sampled_from(MANIFESTS), st.none() | st.sampled_from(IMAGE_TAGS)), max_size=4)
    )
    def push_some_images(self, images: list[tuple[str, str | None]]) -> None:
        for manifest, tag in images:
            self.put_image(REPOSITORIES[0], manifest, tag, True, None)

    @rule(
        name=repository_names,
        mutability=st.sampled_from(["MUTABLE", "IMMUTABLE"]),
        tag_keys=st.lists(st.sampled_from(RESOURCE_TAG_KEYS), max_size=3),
    )
    def create_repository(self, name: str, mutability: str, tag_keys: list[str]) -> None:
        tags = [{"Key": key, "Value": "v"} for key in tag_keys]
        real, model = self.both(
            "create_repository",
            lambda: self.model.create_repository(name, tags, mutability),
            repositoryName=name,
            imageTagMutability=mutability,
            tags=tags,
        )
        if real is not None:
            repository = real["repository"]
            assert {key: repository[key] for key in model} == model
            self.previews.pop(name, None)

    @rule(name=repository_names, force=st.booleans())
    def delete_repository(self, name: str, force: bool) -> None:
        real, model = self.both(
            "delete_repository", lambda: self.model.delete_repository(name, force), repositoryName=name, force=force
        )
        if real is not None:
            assert real["repository"]["repositoryName"] == model
            self.previews.pop(name, None)

    @rule(names=st.none() | st.lists(repository_names, min_size=1, max_size=3), page=st.integers(1, 3))
    def describe_repositories(self, names: list[str] | None, page: int) -> None:
        if names is not None:
            real, model = self.both(
                "describe_repositories", lambda: self.model.describe_repositories(names), repositoryNames=names
            )
            if real is not None:
                found = [repository["repositoryName"] for repository in real["repositories"]]
                assert sorted(found) == model and len(set(found)) == len(found)
            return
        found = self.walk("describe_repositories", "repositories", maxResults=page)
        assert sorted(repository["repositoryName"] for repository in found) == self.model.describe_repositories()

    def walk(self, action: str, key: str, **params: Any) -> list[Any]:
        """Every item of a paginated action, page by page; no page may repeat an item."""
        items: list[Any] = []
        token = None
        while True:
            self.calls += 1
            response = getattr(client(), action)(**params, **({"nextToken": token} if token else {}))
            items.extend(response[key])
            token = response.get("nextToken")
            if not token:
                return items

    # -- repository policies -----------------------------------------------------------------------
    @rule(name=repository_names, policy=st.sampled_from(REPOSITORY_POLICIES))
    def set_repository_policy(self, name: str, policy: str) -> None:
        real, model = self.both(
            "set_repository_policy",
            lambda: self.model.set_repository_policy(name, policy),
            repositoryName=name,
            policyText=policy,
        )
        if real is not None:
            assert real["policyText"] == model

    @rule(name=repository_names, delete=st.booleans())
    def get_or_delete_repository_policy(self, name: str, delete: bool) -> None:
        action = "delete_repository_policy" if delete else "get_repository_policy"
        real, model = self.both(action, lambda: getattr(self.model, action)(name), repositoryName=name)
        if real is not None:
            assert real["policyText"] == model

    # -- resource tags ---------------------------------------------------------------------------
    @staticmethod
    def arn(name: str) -> str:
        return f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/{name}"

    @rule(
        name=repository_names,
        keys=st.lists(st.sampled_from(RESOURCE_TAG_KEYS), min_size=1, max_size=30),
        value=st.sampled_from(["a", "b"]),
    )
    def tag_resource(self, name: str, keys: list[str], value: str) -> None:
        tags = [{"Key": key, "Value": value} for key in keys]
        self.both(
            "tag_resource", lambda: self.model.tag_resource(self.arn(name), tags), resourceArn=self.arn(name), tags=tags
        )

    @rule(name=repository_names, keys=st.lists(st.sampled_from(RESOURCE_TAG_KEYS), min_size=25, max_size=45))
    def tag_resource_with_many_tags(self, name: str, keys: list[str]) -> None:
        """Enough tags that two calls may pass the 50-tag limit."""
        self.tag_resource(name, keys, "many")

    @rule(name=repository_names, keys=st.lists(st.sampled_from(RESOURCE_TAG_KEYS), min_size=1, max_size=10))
    def untag_resource(self, name: str, keys: list[str]) -> None:
        self.both(
            "untag_resource",
            lambda: self.model.untag_resource(self.arn(name), keys),
            resourceArn=self.arn(name),
            tagKeys=keys,
        )

    @rule(name=repository_names)
    def list_tags_for_resource(self, name: str) -> None:
        real, model = self.both(
            "list_tags_for_resource",
            lambda: self.model.list_tags_for_resource(self.arn(name)),
            resourceArn=self.arn(name),
        )
        if real is not None:
            tags = real["tags"]
            assert {tag["Key"]: tag["Value"] for tag in tags} == model and len(tags) == len(model)

    # -- authorization ---------------------------------------------------------------------------
    @rule(registry_ids=st.none() | st.lists(st.sampled_from(REGISTRY_IDS), min_size=1, max_size=3))
    def get_authorization_token(self, registry_ids: list[str] | None) -> None:
        params = {"registryIds": registry_ids} if registry_ids is not None else {}
        real, model = self.both(
            "get_authorization_token", lambda: self.model.get_authorization_token(registry_ids), **params
        )
        data = real["authorizationData"]
        assert [entry["proxyEndpoint"] for entry in data] == model
        for entry in data:
            user, _, password = base64.b64decode(entry["authorizationToken"]).decode().partition(":")
            assert user == "AWS" and password

    # -- layer uploads -----------------------------------------------------------------------------
    @rule(target=uploads, name=repository_names)
    def initiate_layer_upload(self, name: str):
        real, model = self.both(
            "initiate_layer_upload", lambda: self.model.initiate_layer_upload(name), repositoryName=name
        )
        if real is None:
            return multiple()
        assert real["partSize"] == PART_SIZE
        return Upload(model, real["uploadId"], name)

    @rule(
        upload=uploads,
        blob=st.sampled_from(BLOBS),
        cut=st.integers(0, 4),
        offset=st.sampled_from(["next", "next", "next", "zero", "ahead"]),
        elsewhere=st.booleans(),
        bad_last_byte=st.booleans(),
    )
    def upload_layer_part(
        self, upload: Upload, blob: bytes, cut: int, offset: str, elsewhere: bool, bad_last_byte: bool
    ) -> None:
        """Send a part: a whole blob, or its first ``cut`` bytes (to build multi-part uploads)."""
        part = blob[:cut] if cut else blob
        model_upload = self.model.uploads.get(upload.handle)
        received = len(model_upload.received) if model_upload is not None else 0
        first = {"next": received, "zero": 0, "ahead": received + 1}[offset]
        last = first + len(part) - 1 + (1 if bad_last_byte else 0)
        name = upload.repository
        if elsewhere:
            name = next(other for other in REPOSITORIES if other != upload.repository)
        real, model = self.both(
            "upload_layer_part",
            lambda: self.model.upload_layer_part(name, upload.handle, first, max(last, 0), part),
            repositoryName=name,
            uploadId=upload.upload_id,
            partFirstByte=first,
            partLastByte=max(last, 0),
            layerPartBlob=part,
        )
        if real is not None:
            assert real["lastByteReceived"] == model
            assert real["uploadId"] == upload.upload_id

    @rule(upload=uploads, guess=st.sampled_from(BLOBS), with_actual=st.booleans())
    def complete_layer_upload(self, upload: Upload, guess: bytes, with_actual: bool) -> None:
        digests = [sha256(guess)]
        model_upload = self.model.uploads.get(upload.handle)
        if with_actual and model_upload is not None:
            digests.append(sha256(bytes(model_upload.received)))
        real, model = self.both(
            "complete_layer_upload",
            lambda: self.model.complete_layer_upload(upload.repository, upload.handle, digests),
            repositoryName=upload.repository,
            uploadId=upload.upload_id,
            layerDigests=digests,
        )
        if real is not None:
            assert real["layerDigest"] == model

    @rule(name=repository_names, blob=st.sampled_from(BLOBS))
    def upload_blob(self, name: str, blob: bytes) -> None:
        """A whole upload in one step (initiate, one part, complete), as docker pushes a layer."""
        real, handle = self.both(
            "initiate_layer_upload", lambda: self.model.initiate_layer_upload(name), repositoryName=name
        )
        if real is None:
            return
        upload = Upload(handle, real["uploadId"], name)
        self.upload_layer_part(upload, blob, 0, "next", False, False)
        self.complete_layer_upload(upload, blob, False)

    @rule(name=repository_names, blobs=st.lists(st.sampled_from(BLOBS), min_size=1, max_size=4))
    def batch_check_layer_availability(self, name: str, blobs: list[bytes]) -> None:
        digests = [sha256(blob) for blob in blobs]
        real, model = self.both(
            "batch_check_layer_availability",
            lambda: self.model.batch_check_layer_availability(name, digests),
            repositoryName=name,
            layerDigests=digests,
        )
        if real is not None:
            available, failures = model
            assert sorted((layer["layerDigest"], layer["layerSize"]) for layer in real["layers"]) == available
            assert all(layer["layerAvailability"] == "AVAILABLE" for layer in real["layers"])
            assert sorted((f["layerDigest"], f["failureCode"]) for f in real["failures"]) == failures

    @rule(name=repository_names, blob=st.sampled_from(BLOBS))
    def get_download_url_for_layer(self, name: str, blob: bytes) -> None:
        digest = sha256(blob)
        real, model = self.both(
            "get_download_url_for_layer",
            lambda: self.model.get_download_url_for_layer(name, digest),
            repositoryName=name,
            layerDigest=digest,
        )
        if real is not None:
            assert real["layerDigest"] == digest
            download = requests.get(real["downloadUrl"], timeout=5)
            assert download.status_code == 200 and download.content == model

    # -- images ----------------------------------------------------------------------------------
    @rule(
        name=repository_names,
        manifest=st.sampled_from(MANIFESTS),
        tag=st.none() | st.sampled_from(IMAGE_TAGS),
        upload_first=st.sampled_from([True, True, True, False]),
        digest=st.sampled_from([None, None, "right", "wrong"]),
    )
    def put_image(self, name: str, manifest: str, tag: str | None, upload_first: bool, digest: str | None) -> None:
        if upload_first:
            document = json.loads(manifest)
            wanted = [document["config"]["digest"]] + [layer["digest"] for layer in document["layers"]]
            for blob in BLOBS:
                repository = self.model.repositories.get(name)
                if sha256(blob) in wanted and repository is not None and sha256(blob) not in repository.layers:
                    self.upload_blob(name, blob)
        params: dict[str, Any] = {"repositoryName": name, "imageManifest": manifest}
        if tag is not None:
            params["imageTag"] = tag
        if digest is not None:
            params["imageDigest"] = sha256(manifest.encode()) if digest == "right" else UNKNOWN_DIGEST

        def model_call() -> Any:
            if digest == "wrong" and name in self.model.repositories:
                raise ModelError("ImageDigestDoesNotMatchException")
            return self.model.put_image(name, manifest, tag)

        real, model = self.both("put_image", model_call, **params)
        if real is not None:
            image = real["image"]
            assert (image["imageId"]["imageDigest"], image["imageId"].get("imageTag")) == model
            assert image["imageManifest"] == manifest

    @rule(name=repository_names, manifest=st.sampled_from(MANIFESTS), tag=st.none() | st.sampled_from(IMAGE_TAGS))
    def push_image(self, name: str, manifest: str, tag: str | None) -> None:
        """Upload what the manifest needs and put it: new images, tag moves, repeated pushes."""
        self.put_image(name, manifest, tag, True, None)

    @rule(name=repository_names, ids=image_ids)
    def batch_get_image(self, name: str, ids: list[dict[str, str]]) -> None:
        real, model = self.both(
            "batch_get_image", lambda: self.model.batch_get_image(name, ids), repositoryName=name, imageIds=ids
        )
        if real is not None:
            images, failures = model
            got = [
                (i["imageId"]["imageDigest"], i["imageId"].get("imageTag"), i["imageManifest"]) for i in real["images"]
            ]
            assert sorted(got, key=repr) == images
            assert sorted(_failure_keys(real["failures"]), key=repr) == failures

    @rule(name=repository_names, ids=image_ids)
    def batch_delete_image(self, name: str, ids: list[dict[str, str]]) -> None:
        real, model = self.both(
            "batch_delete_image", lambda: self.model.batch_delete_image(name, ids), repositoryName=name, imageIds=ids
        )
        if real is not None:
            deleted, failures = model
            got = [(i["imageDigest"], i.get("imageTag")) for i in real["imageIds"]]
            assert sorted(got, key=repr) == deleted
            assert sorted(_failure_keys(real["failures"]), key=repr) == failures

    @rule(name=repository_names, page=st.integers(1, 3), status=tag_statuses)
    def list_images(self, name: str, page: int, status: str) -> None:
        real, model = self.both(
            "list_images",
            lambda: self.model.list_images(name, status),
            repositoryName=name,
            maxResults=page,
            filter={"tagStatus": status},
        )
        if real is None:
            return
        found = self.walk("list_images", "imageIds", repositoryName=name, maxResults=page, filter={"tagStatus": status})
        pairs = [(i["imageDigest"], i.get("imageTag")) for i in found]
        assert len(set(pairs)) == len(pairs), f"a walk returned an image twice: {pairs}"
        assert sorted(pairs, key=repr) == model

    @rule(name=repository_names, ids=st.none() | image_ids, page=st.integers(1, 3), status=tag_statuses)
    def describe_images(self, name: str, ids: list[dict[str, str]] | None, page: int, status: str) -> None:
        if ids is not None:
            real, model = self.both(
                "describe_images", lambda: self.model.describe_images(name, ids), repositoryName=name, imageIds=ids
            )
            details = real["imageDetails"] if real is not None else None
        else:
            real, model = self.both(
                "describe_images",
                lambda: self.model.describe_images(name, None, status),
                repositoryName=name,
                maxResults=page,
                filter={"tagStatus": status},
            )
            details = None
            if real is not None:
                details = self.walk(
                    "describe_images",
                    "imageDetails",
                    repositoryName=name,
                    maxResults=page,
                    filter={"tagStatus": status},
                )
        if details is not None:
            got = [(d["imageDigest"], tuple(sorted(d.get("imageTags", ()))), d["imageSizeInBytes"]) for d in details]
            assert len({g[0] for g in got}) == len(got), "an image was described twice"
            assert sorted(got) == model

    # -- lifecycle policies ------------------------------------------------------------------------
    @rule(name=repository_names, policy=st.sampled_from(LIFECYCLE_POLICIES))
    def put_lifecycle_policy(self, name: str, policy: str) -> None:
        real, model = self.both(
            "put_lifecycle_policy",
            lambda: self.model.put_lifecycle_policy(name, policy),
            repositoryName=name,
            lifecyclePolicyText=policy,
        )
        if real is not None:
            assert real["lifecyclePolicyText"] == model

    @rule(name=repository_names, delete=st.booleans())
    def get_or_delete_lifecycle_policy(self, name: str, delete: bool) -> None:
        action = "delete_lifecycle_policy" if delete else "get_lifecycle_policy"
        real, model = self.both(action, lambda: getattr(self.model, action)(name), repositoryName=name)
        if real is not None:
            assert real["lifecyclePolicyText"] == model

    @rule(name=repository_names, policy=st.none() | st.sampled_from(LIFECYCLE_POLICIES))
    def start_lifecycle_policy_preview(self, name: str, policy: str | None) -> None:
        params = {"lifecyclePolicyText": policy} if policy is not None else {}

        def model_call() -> dict[str, Any]:
            repository = self.model._repository(name)
            text = policy if policy is not None else self.model.get_lifecycle_policy(name)
            current = self.previews.get(name)
            if current is not None and current["status"] == "IN_PROGRESS":
                raise ModelError("LifecyclePolicyPreviewInProgressException")
            return {"status": "IN_PROGRESS", "text": text, "results": preview_of(text, repository)}

        real, model = self.both("start_lifecycle_policy_preview", model_call, repositoryName=name, **params)
        if real is not None:
            assert real["status"] == "IN_PROGRESS" and real["lifecyclePolicyText"] == model["text"]
            self.previews[name] = model

    @rule(name=repository_names)
    def get_lifecycle_policy_preview(self, name: str) -> None:
        def model_call() -> dict[str, Any]:
            self.model._repository(name)
            if name not in self.previews:
                raise ModelError("LifecyclePolicyPreviewNotFoundException")
            return self.previews[name]

        real, model = self.both("get_lifecycle_policy_preview", model_call, repositoryName=name)
        if real is not None:
            model["status"] = "COMPLETE"
            assert real["status"] == "COMPLETE"
            got = sorted(
                (r["imageDigest"], tuple(r.get("imageTags", ())), r["action"]["type"], r["appliedRulePriority"])
                for r in real["previewResults"]
            )
            assert got == model["results"]
            assert real["summary"]["expiringImageTotalCount"] == len(model["results"])

    @rule()
    def apply_lifecycle_policies(self) -> None:
        """Run every stored policy now, as ECR does in the background: the previewed images go."""
        self.calls += 1
        expected = []
        for name, repository in sorted(self.model.repositories.items()):
            if repository.lifecycle is None:
                continue
            doomed = {digest for digest, *_ in preview_of(repository.lifecycle, repository)}
            expected += [(name, digest) for digest in sorted(doomed)]
            repository.images = [image for image in repository.images if image.digest not in doomed]
        expired = apply_lifecycle_policies(self.mock.backend)
        assert sorted((e.repository_name, e.digest) for e in expired) == expected
        ECRMachine.outcomes["apply_lifecycle_policies", "ok"] += 1

    # -- whole-state check ---------------------------------------------------------------------------
    @invariant()
    def repositories_agree(self) -> None:
        """The registry holds exactly the model's repositories (read from the backend: no call counted)."""
        stores = self.mock.backend.stores()
        real = sorted(name for store in stores for name in store.repositories)
        assert real == sorted(self.model.repositories)


def _failure_keys(failures: list[dict[str, Any]]) -> list[tuple[Any, Any, str]]:
    return [(f["imageId"].get("imageDigest"), f["imageId"].get("imageTag"), f["failureCode"]) for f in failures]


def preview_of(text: str, repository: Any) -> list[tuple[str, tuple[str, ...], str, int]]:
    """What a lifecycle policy (imageCountMoreThan rules only) expires, per the ECR user guide.

    Rules apply in priority order; an image matched by a rule's selection is never acted on by
    a later rule, though later count rules still count it among the images they keep.
    """
    rules = sorted(json.loads(text)["rules"], key=lambda r: r["rulePriority"])
    newest_first = list(reversed(repository.images))
    claimed: set[str] = set()
    results = []
    for r in rules:
        selection = r["selection"]

        def selects(image: Any, selection: dict[str, Any] = selection) -> bool:
            status = selection["tagStatus"]
            if status == "any":
                return True
            if status == "untagged":
                return not image.tags
            if not image.tags:
                return False
            prefixes = selection.get("tagPrefixList")
            if prefixes is not None:
                return all(any(tag.startswith(p) for tag in image.tags) for p in prefixes)
            patterns = selection["tagPatternList"]
            assert patterns == ["*"], "the model knows only the match-all pattern"
            return True

        matching = [image for image in newest_first if selects(image)]
        for image in matching[selection["countNumber"] :]:
            if image.digest not in claimed:
                results.append((image.digest, tuple(sorted(image.tags)), "EXPIRE", r["rulePriority"]))
        claimed.update(image.digest for image in matching)
    return sorted(results)


ECRMachine.TestCase.settings = settings(stateful_step_count=40)
TestECRAgainstReferenceModel = ECRMachine.TestCase


@pytest.fixture(scope="module", autouse=True)
def _report_calls():
    started = time.perf_counter()
    yield
    elapsed = time.perf_counter() - started
    print(
        f"\nmodel-based: {ECRMachine.examples} sequences, {ECRMachine.calls_made} calls checked against the "
        f"reference model in {elapsed:.1f}s"
    )
    for (action, outcome), count in sorted(ECRMachine.outcomes.items()):
        print(f"  {action:32} {outcome:45} {count}")
