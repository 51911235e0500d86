"""Every (action, error code) pair of the error matrix, reached through boto3.

``tests/data/error-matrix.json`` is a copy of the project's matrix (``/work/shared/error-matrix.json``;
``test_the_copy_is_current`` checks it when that file exists). Each pair is reached the way
a test author would: **naturally** where some state or request causes the error (including
the 4,200 parts of the default "Layer parts" quota), through a **quota** set small with
``mock_ecr(quotas=...)`` where a limit would take too much state to reach, and through
**inject_error** where nothing the mock models can (``ServerException``). Each case checks
the code, the HTTP status, and that the failing call is the action itself. A pair with no
way to reach it fails.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mock_ecr import MockECR
from mock_ecr.domain.quotas import Quotas

from .error_matrix_kit import REPO, call, check_reached

MATRIX_FILE = Path(__file__).parent / "data" / "error-matrix.json"
SHARED_MATRIX = Path("/work/shared/error-matrix.json")
MATRIX: dict[str, list[str]] = json.loads(MATRIX_FILE.read_text())
PAIRS = [(action, code) for action, codes in MATRIX.items() for code in codes]

MISSING = "no-such-repository"
BAD_NAME = "Bad_Name!"
POLICY = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]})
LIFECYCLE = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
                "action": {"type": "expire"},
            }
        ]
    }
)


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


UNKNOWN_DIGEST = _digest(b"never uploaded")


def _manifest(config: bytes, layers: list[bytes]) -> str:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": len(config),
                "digest": _digest(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": len(layer),
                    "digest": _digest(layer),
                }
                for layer in layers
            ],
        }
    )


@dataclass
class World:
    """The mock, a boto3 client without retries or client-side validation, and one repository."""

    mock: MockECR
    client: Any

    def call(self, action: str, **params: Any) -> Any:
        return call(self.client, action, **params)

    def upload(self, data: bytes, repository: str = REPO) -> str:
        """Upload ``data`` as a blob of ``repository`` through the layer-upload API."""
        upload_id = self.client.initiate_layer_upload(repositoryName=repository)["uploadId"]
        self.client.upload_layer_part(
            repositoryName=repository,
            uploadId=upload_id,
            partFirstByte=0,
            partLastByte=len(data) - 1,
            layerPartBlob=data,
        )
        self.client.complete_layer_upload(repositoryName=repository, uploadId=upload_id, layerDigests=[_digest(data)])
        return _digest(data)


def valid_params(action: str, repository: str = REPO) -> dict[str, Any]:
    """A well-formed request of ``action`` on ``repository``."""
    where = {"repositoryName": repository}
    image_ids = {"imageIds": [{"imageTag": "v1"}]}
    return {
        "BatchCheckLayerAvailability": {**where, "layerDigests": [UNKNOWN_DIGEST]},
        "BatchDeleteImage": {**where, **image_ids},
        "BatchGetImage": {**where, **image_ids},
        "CompleteLayerUpload": {**where, "uploadId": str(uuid.uuid4()), "layerDigests": [UNKNOWN_DIGEST]},
        "CreateRepository": where,
        "DeleteLifecyclePolicy": where,
        "DeleteRepository": where,
        "DeleteRepositoryPolicy": where,
        "DescribeImages": where,
        "DescribeRepositories": {"repositoryNames": [repository]},
        "GetAuthorizationToken": {},
        "GetDownloadUrlForLayer": {**where, "layerDigest": UNKNOWN_DIGEST},
        "GetLifecyclePolicy": where,
        "GetLifecyclePolicyPreview": where,
        "GetRepositoryPolicy": where,
        "InitiateLayerUpload": where,
        "ListImages": where,
        "PutImage": {**where, "imageManifest": _manifest(b"{}", [b"layer"])},
        "PutLifecyclePolicy": {**where, "lifecyclePolicyText": LIFECYCLE},
        "SetRepositoryPolicy": {**where, "policyText": POLICY},
        "StartLifecyclePolicyPreview": {**where, "lifecyclePolicyText": LIFECYCLE},
        "UploadLayerPart": {
            **where,
            "uploadId": str(uuid.uuid4()),
            "partFirstByte": 0,
            "partLastByte": 0,
            "layerPartBlob": b"x",
        },
    }[action]


@dataclass
class Reach:
    """How a pair is reached: ``natural``, ``quota`` or ``inject_error``; ``provoke`` makes the failing call."""

    how: str
    provoke: Callable[[World, str], Any]
    quotas: dict[str, int] = field(default_factory=dict)


# -- generic ways, for codes many actions share --------------------------------------------------


def _server_exception(world: World, action: str) -> Any:
    world.mock.inject_error(action, "ServerException")
    return world.call(action, **valid_params(action))


def _invalid_parameter(world: World, action: str) -> Any:
    if action == "GetAuthorizationToken":
        return world.call(action, registryIds=["not-an-account"])
    if action == "DescribeRepositories":
        return world.call(action, repositoryNames=[BAD_NAME])
    return world.call(action, **valid_params(action, BAD_NAME))


def _repository_not_found(world: World, action: str) -> Any:
    return world.call(action, **valid_params(action, MISSING))


GENERIC = {
    "ServerException": Reach("inject_error", _server_exception),
    "InvalidParameterException": Reach("natural", _invalid_parameter),
    "RepositoryNotFoundException": Reach("natural", _repository_not_found),
}


# -- action-specific ways ------------------------------------------------------------------------


def _empty_upload(world: World, action: str) -> Any:
    upload_id = world.client.initiate_layer_upload(repositoryName=REPO)["uploadId"]
    return world.client.complete_layer_upload(repositoryName=REPO, uploadId=upload_id, layerDigests=[UNKNOWN_DIGEST])


def _invalid_layer(world: World, action: str) -> Any:
    upload_id = world.client.initiate_layer_upload(repositoryName=REPO)["uploadId"]
    world.client.upload_layer_part(
        repositoryName=REPO, uploadId=upload_id, partFirstByte=0, partLastByte=2, layerPartBlob=b"abc"
    )
    return world.client.complete_layer_upload(repositoryName=REPO, uploadId=upload_id, layerDigests=[UNKNOWN_DIGEST])


def _layer_already_exists(world: World, action: str) -> Any:
    world.upload(b"layer")
    return world.upload(b"layer")


def _layer_part_too_small(world: World, action: str) -> Any:
    upload_id = world.client.initiate_layer_upload(repositoryName=REPO)["uploadId"]
    for first in (0, 1):  # two one-byte parts: the first is under the 5 MiB minimum
        world.client.upload_layer_part(
            repositoryName=REPO, uploadId=upload_id, partFirstByte=first, partLastByte=first, layerPartBlob=b"x"
        )
    return world.client.complete_layer_upload(repositoryName=REPO, uploadId=upload_id, layerDigests=[_digest(b"xx")])


def _unknown_upload(world: World, action: str) -> Any:
    return world.call(action, **valid_params(action))


def _second_repository(world: World, action: str) -> Any:
    return world.client.create_repository(repositoryName="second")


def _same_repository(world: World, action: str) -> Any:
    return world.client.create_repository(repositoryName=REPO)


def _no_lifecycle_policy(world: World, action: str) -> Any:
    params = valid_params(action)
    params.pop("lifecyclePolicyText", None)  # StartLifecyclePolicyPreview then needs a stored policy
    return world.call(action, **params)


def _not_empty(world: World, action: str) -> Any:
    world.mock.push_image(REPO, "v1")
    return world.client.delete_repository(repositoryName=REPO)


def _no_repository_policy(world: World, action: str) -> Any:
    return world.call(action, repositoryName=REPO)


def _image_not_found(world: World, action: str) -> Any:
    world.mock.push_image(REPO, "v1")
    return world.client.describe_images(repositoryName=REPO, imageIds=[{"imageTag": "v2"}])


def _layer_inaccessible(world: World, action: str) -> Any:
    digest = world.upload(b"uploaded, in no image")
    return world.client.get_download_url_for_layer(repositoryName=REPO, layerDigest=digest)


def _layer_not_found(world: World, action: str) -> Any:
    return world.client.get_download_url_for_layer(repositoryName=REPO, layerDigest=UNKNOWN_DIGEST)


def _preview_not_found(world: World, action: str) -> Any:
    world.client.put_lifecycle_policy(repositoryName=REPO, lifecyclePolicyText=LIFECYCLE)
    return world.client.get_lifecycle_policy_preview(repositoryName=REPO)


def _preview_in_progress(world: World, action: str) -> Any:
    world.client.put_lifecycle_policy(repositoryName=REPO, lifecyclePolicyText=LIFECYCLE)
    world.client.start_lifecycle_policy_preview(repositoryName=REPO)
    return world.client.start_lifecycle_policy_preview(repositoryName=REPO)


def _image_already_exists(world: World, action: str) -> Any:
    pushed = world.mock.push_image(REPO, "v1")
    return world.client.put_image(repositoryName=REPO, imageManifest=pushed.manifest, imageTag="v1")


def _manifest_blobs_missing(world: World, action: str) -> Any:
    return world.client.put_image(repositoryName=REPO, imageManifest=_manifest(b"{}", [b"never uploaded"]))


def _too_many_images(world: World, action: str) -> Any:
    world.mock.push_image(REPO, "v1")
    config, layer = b'{"architecture":"arm64"}', b"another layer"
    for blob in (config, layer):
        world.upload(blob)
    return world.client.put_image(repositoryName=REPO, imageManifest=_manifest(config, [layer]), imageTag="v2")


def _part_not_consecutive(world: World, action: str) -> Any:
    upload_id = world.client.initiate_layer_upload(repositoryName=REPO)["uploadId"]
    return world.client.upload_layer_part(
        repositoryName=REPO, uploadId=upload_id, partFirstByte=5, partLastByte=5, layerPartBlob=b"x"
    )


def _too_many_parts(world: World, action: str) -> Any:
    """One-byte parts up to the default "Layer parts" quota (4,200), then one more (about a second)."""
    upload_id = world.client.initiate_layer_upload(repositoryName=REPO)["uploadId"]
    for first in range(Quotas().layer_parts_per_upload):
        world.client.upload_layer_part(
            repositoryName=REPO, uploadId=upload_id, partFirstByte=first, partLastByte=first, layerPartBlob=b"x"
        )
    last = Quotas().layer_parts_per_upload
    return world.client.upload_layer_part(
        repositoryName=REPO, uploadId=upload_id, partFirstByte=last, partLastByte=last, layerPartBlob=b"x"
    )


SPECIFIC: dict[tuple[str, str], Reach] = {
    ("CompleteLayerUpload", "EmptyUploadException"): Reach("natural", _empty_upload),
    ("CompleteLayerUpload", "InvalidLayerException"): Reach("natural", _invalid_layer),
    ("CompleteLayerUpload", "LayerAlreadyExistsException"): Reach("natural", _layer_already_exists),
    ("CompleteLayerUpload", "LayerPartTooSmallException"): Reach("natural", _layer_part_too_small),
    ("CompleteLayerUpload", "UploadNotFoundException"): Reach("natural", _unknown_upload),
    ("CreateRepository", "LimitExceededException"): Reach(
        "quota", _second_repository, {"repositories_per_registry": 1}
    ),
    ("CreateRepository", "RepositoryAlreadyExistsException"): Reach("natural", _same_repository),
    ("DeleteLifecyclePolicy", "LifecyclePolicyNotFoundException"): Reach("natural", _no_lifecycle_policy),
    ("DeleteRepository", "RepositoryNotEmptyException"): Reach("natural", _not_empty),
    ("DeleteRepositoryPolicy", "RepositoryPolicyNotFoundException"): Reach("natural", _no_repository_policy),
    ("DescribeImages", "ImageNotFoundException"): Reach("natural", _image_not_found),
    ("GetDownloadUrlForLayer", "LayerInaccessibleException"): Reach("natural", _layer_inaccessible),
    ("GetDownloadUrlForLayer", "LayersNotFoundException"): Reach("natural", _layer_not_found),
    ("GetLifecyclePolicy", "LifecyclePolicyNotFoundException"): Reach("natural", _no_lifecycle_policy),
    ("GetLifecyclePolicyPreview", "LifecyclePolicyPreviewNotFoundException"): Reach("natural", _preview_not_found),
    ("GetRepositoryPolicy", "RepositoryPolicyNotFoundException"): Reach("natural", _no_repository_policy),
    ("PutImage", "ImageAlreadyExistsException"): Reach("natural", _image_already_exists),
    ("PutImage", "LayersNotFoundException"): Reach("natural", _manifest_blobs_missing),
    ("PutImage", "LimitExceededException"): Reach("quota", _too_many_images, {"images_per_repository": 1}),
    ("StartLifecyclePolicyPreview", "LifecyclePolicyNotFoundException"): Reach("natural", _no_lifecycle_policy),
    ("StartLifecyclePolicyPreview", "LifecyclePolicyPreviewInProgressException"): Reach(
        "natural", _preview_in_progress
    ),
    ("UploadLayerPart", "InvalidLayerPartException"): Reach("natural", _part_not_consecutive),
    ("UploadLayerPart", "LimitExceededException"): Reach("natural", _too_many_parts),
    ("UploadLayerPart", "UploadNotFoundException"): Reach("natural", _unknown_upload),
}


def reach(action: str, code: str) -> Reach | None:
    return SPECIFIC.get((action, code)) or GENERIC.get(code)


@pytest.mark.parametrize(("action", "code"), [pytest.param(a, c, id=f"{a}-{c}") for a, c in PAIRS])
def test_pair_is_reached_through_boto3(action: str, code: str) -> None:
    way = reach(action, code)
    if way is None:
        pytest.fail(f"no way to reach {code} from {action}: add one to SPECIFIC")
    check_reached(action, code, lambda mock, client, action: way.provoke(World(mock, client), action), way.quotas)


def test_the_matrix_has_the_88_pairs_of_the_issue():
    assert len(PAIRS) == 88 and len(set(PAIRS)) == 88


def test_every_action_of_the_matrix_is_an_ecr_operation():
    from mock_ecr.wire.model import service_model

    assert set(MATRIX) <= set(service_model().operation_names)


@pytest.mark.skipif(not SHARED_MATRIX.exists(), reason="the project's shared matrix is not on this machine")
def test_the_copy_is_current():
    assert json.loads(SHARED_MATRIX.read_text()) == MATRIX


def test_how_pairs_are_reached():
    """Only what no state can cause is injected: ServerException."""
    injected = {(a, c) for a, c in PAIRS if reach(a, c) is not None and reach(a, c).how == "inject_error"}
    assert {code for _, code in injected} == {"ServerException"}
    assert {(a, c) for a, c in PAIRS if reach(a, c) is not None and reach(a, c).how == "quota"} == {
        ("CreateRepository", "LimitExceededException"),
        ("PutImage", "LimitExceededException"),
    }
