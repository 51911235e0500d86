"""Hostile and malformed input: every bad request gets a modeled error and changes nothing.

Requests are sent straight at the interception layer (``client._endpoint._send``), so they
can be anything: bodies and members botocore would never produce. Each must be answered
with HTTP 400 and a JSON error whose ``__type`` is a modeled ECR error (or one of the
protocol errors every AWS JSON service answers), never a Python exception or a 500, and
must leave the mock's state exactly as it was. Validation of user-controlled patterns must
take time linear in the input.
"""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.awsrequest import AWSPreparedRequest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_ecr import mock_ecr
from mock_ecr.api import shapes
from mock_ecr.api.lifecycle import apply_lifecycle_policies
from mock_ecr.wire.patterns import compile_fullmatch, is_linear

from .ecr_helpers import DOCKER_MANIFEST, DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED, digest_of, push_image, send_raw

TARGET = "AmazonEC2ContainerRegistry_V20150921."
MODEL = botocore.session.get_session().get_service_model("ecr")
MODELED_ERRORS = {shape.name for shape in MODEL.error_shapes} | {"SerializationException", "UnknownOperationException"}
#: an answer this slow is a failure: adversarial input must not make validation super-linear
LINEAR_BUDGET = 0.5
POLICY = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]})


# -- sending raw requests and checking the answers ----------------------------------------------
#: requests sent through ``raw``, for the closing report
SENT = [0]


def raw(
    client: Any,
    target: str | None,
    body: bytes | str,
    content_type: str | None = "application/x-amz-json-1.1",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """POST ``body`` to the ECR endpoint through the interception layer; ``(status, JSON body)``."""
    sent = dict(headers or {})
    if content_type is not None:
        sent["Content-Type"] = content_type
    if target is not None:
        sent["X-Amz-Target"] = target
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    request = AWSPreparedRequest("POST", "https://api.ecr.us-east-1.amazonaws.com/", sent, body, False)
    SENT[0] += 1
    response = send_raw(client, request)
    return response.status_code, json.loads(response.content)


def refused(status: int, body: dict[str, Any]) -> bool:
    """A modeled client error: HTTP 400 and a JSON error body with a modeled ``__type``."""
    return status == 400 and body.get("__type") in MODELED_ERRORS and isinstance(body.get("message"), str)


def fingerprint(mock: Any) -> list[Any]:
    """Everything a request could change, read straight from the backend."""
    out: list[Any] = []
    for store in sorted(mock.backend.stores(), key=lambda s: (s.account_id, s.region)):
        with store.lock:
            for name, repository in sorted(store.repositories.items()):
                images = repository.images if repository.image_count() else None
                preview = repository.lifecycle_preview
                out.append(
                    (
                        store.account_id,
                        store.region,
                        name,
                        json.dumps(shapes.repository(repository), default=str, sort_keys=True),
                        sorted(repository.tags.items()),
                        repository.policy_text,
                        repository.lifecycle_policy_text,
                        sorted((i.digest, tuple(i.tags), str(i.last_pulled_at)) for i in images) if images else [],
                        sorted(repository.blob_links),
                        getattr(preview, "status", None),
                        getattr(preview, "policy_text", None),
                    )
                )
            uploads = store.uploads
            out.append(sorted((upload_id, upload.buffer.size) for upload_id, upload in uploads.items()))
    return out


@pytest.fixture
def hostile():
    """An active mock and client; repository ``hostile`` has tags, a policy, two images and an upload."""
    with mock_ecr() as mock:
        client = boto3.client("ecr", region_name="us-east-1")
        client.create_repository(repositoryName="hostile", tags=[{"Key": "k", "Value": "v"}])
        pushed = push_image(client, "hostile", tag="v1")
        push_image(client, "hostile", tag="v2", layers=[b"another layer"])
        client.set_repository_policy(repositoryName="hostile", policyText=POLICY)
        upload_id = client.initiate_layer_upload(repositoryName="hostile")["uploadId"]
        client.upload_layer_part(
            repositoryName="hostile", uploadId=upload_id, partFirstByte=0, partLastByte=2, layerPartBlob=b"abc"
        )
        mock.hostile = {
            "digest": pushed.digest,
            "manifest": pushed.manifest,
            "upload_id": upload_id,
            "layer": digest_of(pushed.layers[0]),
        }
        yield mock, client


# -- user-controlled patterns are matched in linear time --------------------------------------------
def _model_patterns() -> dict[str, str]:
    found: dict[str, str] = {}

    def walk(shape: Any, seen: frozenset[str]) -> None:
        if shape.type_name == "string" and "pattern" in shape.metadata:
            found[shape.name] = shape.metadata["pattern"]
        if shape.name in seen:
            return
        seen = seen | {shape.name}
        children = {
            "structure": lambda: shape.members.values(),
            "list": lambda: [shape.member],
            "map": lambda: [shape.key, shape.value],
        }.get(shape.type_name, lambda: [])()
        for child in children:
            walk(child, seen)

    for name in MODEL.operation_names:
        if MODEL.operation_model(name).input_shape is not None:
            walk(MODEL.operation_model(name).input_shape, frozenset())
    return found


PATTERNS = _model_patterns()


def adversarial(length: int = 10_000) -> list[str]:
    """Inputs that make backtracking matchers explode: long runs that almost match, then fail."""
    runs = ["a", "a-", "a.", "a/", "a_", "a__", "0", "a:", "a*", "a-a", "a/a.", "-", "arn:aws-", ":"]
    found = [(run * (length // len(run) + 1))[: length - 1] + "!" for run in runs]
    found += ["arn:aws" + "-a" * (length // 2), "a" * length, "\u0430" * length]
    return found


@pytest.mark.parametrize("shape", sorted(PATTERNS))
def test_every_model_pattern_is_matched_by_the_linear_automaton(shape):
    assert is_linear(PATTERNS[shape])


@pytest.mark.parametrize("shape", sorted(PATTERNS))
def test_model_patterns_answer_adversarial_input_in_linear_time(shape):
    matcher = compile_fullmatch(PATTERNS[shape])
    for text in adversarial():
        started = time.perf_counter()
        matcher(text)
        assert time.perf_counter() - started < LINEAR_BUDGET, (shape, text[:20])


@pytest.mark.parametrize("shape", sorted({pattern: shape for shape, pattern in PATTERNS.items()}.values()))
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_the_automaton_agrees_with_re(shape, data):
    """Strings built from the pattern, and small edits of them, match exactly when ``re`` says so."""
    pattern = PATTERNS[shape]
    matcher = compile_fullmatch(pattern)
    text = data.draw(st.from_regex(pattern, fullmatch=True))
    assert matcher(text)
    position = data.draw(st.integers(0, len(text)))
    insert = data.draw(st.sampled_from(["", "a", "-", "/", ".", ":", "*", "!", "\n", "é", "aa", "--"]))
    cut = data.draw(st.integers(0, 2))
    edited = text[:position] + insert + text[position + cut :]
    if len(edited) <= 24:  # ``re`` itself backtracks exponentially on some of these patterns
        assert matcher(edited) == (re.fullmatch(pattern, edited) is not None), edited


def test_exponential_model_pattern_through_the_wire(hostile):
    """PutRegistryScanningConfiguration's filter pattern takes ``re`` minutes on 30 characters."""
    mock, client = hostile
    before = fingerprint(mock)
    for text in ["a" * 254 + "!", "a" * 40 + "!", "a-" * 100 + "!", "a" * 255]:
        rule = {"scanFrequency": "MANUAL", "repositoryFilters": [{"filter": text, "filterType": "WILDCARD"}]}
        body = {"rules": [rule]}
        started = time.perf_counter()
        status, answer = raw(client, TARGET + "PutRegistryScanningConfiguration", json.dumps(body))
        assert time.perf_counter() - started < LINEAR_BUDGET
        assert refused(status, answer), answer
        if text.endswith("!"):
            assert "failed to satisfy constraint" in answer["message"]
    assert fingerprint(mock) == before


@pytest.mark.parametrize(
    "mode,expected",
    [
        ("IMMUTABLE_WITH_EXCLUSION", "ImageTagAlreadyExistsException"),  # the filter does not match: immutable
        ("MUTABLE_WITH_EXCLUSION", None),
    ],
)
def test_tag_mutability_exclusion_filters_match_in_linear_time(hostile, mode, expected):
    """A filter of 63 wildcards against a 300-character tag: a backtracking regex never finishes."""
    mock, client = hostile
    worst = "a*" * 63 + "b"
    client.create_repository(
        repositoryName="filtered",
        imageTagMutability=mode,
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": worst}],
    )
    tag = "a" * 300
    push_image(client, "filtered", tag=tag)
    other = push_image(client, "filtered", layers=[b"other"])  # an image to move the tag to
    before = fingerprint(mock)
    body = {"repositoryName": "filtered", "imageTag": tag, "imageManifest": other.manifest}
    started = time.perf_counter()
    status, answer = raw(client, TARGET + "PutImage", json.dumps(body))
    assert time.perf_counter() - started < LINEAR_BUDGET
    if expected:
        assert refused(status, answer) and answer["__type"] == expected, answer
        assert fingerprint(mock) == before
    else:
        assert status == 200, answer


def _adversarial_documents(limit: int) -> list[str]:
    """10,000-character texts (or the member's limit) built to slow parsers and validators down."""
    size = min(limit, 10_000)
    rule = (
        '{"rulePriority": 1, "selection": {"tagStatus": "tagged", "tagPatternList": ["*a*a*a*a"], '
        '"countType": "imageCountMoreThan", "countNumber": 1}, "action": {"type": "expire"}}'
    )
    return [
        "[" * (size // 2) + "]" * (size // 2),
        '{"Statement": [' + ",".join(['{"Effect": "Allow"}'] * (size // 20)) + "]}",
        '{"a": "' + "\\" * (size // 2 - 4) + '"}',
        '{"rules": [' + ",".join([rule] * (size // (len(rule) + 1))) + "]}",
        "{" + '"k": 1, ' * (size // 8 - 1) + '"k": 1}',
        " " * (size - 2) + "{}",
        '{"Statement": "' + "\u00e9" * (size // 7) + '"}',
    ]


@pytest.mark.parametrize(
    "operation,member,limit",
    [
        ("SetRepositoryPolicy", "policyText", 10_240),
        ("PutLifecyclePolicy", "lifecyclePolicyText", 30_720),
        ("StartLifecyclePolicyPreview", "lifecyclePolicyText", 30_720),
    ],
)
def test_policy_documents_are_validated_in_linear_time(hostile, operation, member, limit):
    mock, client = hostile
    for text in _adversarial_documents(limit):
        before = fingerprint(mock)
        started = time.perf_counter()
        status, answer = raw(client, TARGET + operation, json.dumps({"repositoryName": "hostile", member: text}))
        assert time.perf_counter() - started < LINEAR_BUDGET, text[:40]
        assert status == 200 or refused(status, answer), answer
        if status != 200:
            assert fingerprint(mock) == before


def test_lifecycle_tag_patterns_match_long_tags_in_linear_time(hostile):
    """The most wildcards a pattern may have, against the longest tags, through preview and apply."""
    mock, client = hostile
    for number in range(20):
        push_image(
            client,
            "hostile",
            tag="a" * 299 + str(number % 10) if number < 10 else "a" * 280 + f"x{number}",
            layers=[f"layer {number}".encode()],
        )
    text = json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": "d",
                    "selection": {
                        "tagStatus": "tagged",
                        "tagPatternList": ["*a*a*a*b"],
                        "countType": "imageCountMoreThan",
                        "countNumber": 1,
                    },
                    "action": {"type": "expire"},
                }
            ]
        }
    )
    started = time.perf_counter()
    client.put_lifecycle_policy(repositoryName="hostile", lifecyclePolicyText=text)
    client.start_lifecycle_policy_preview(repositoryName="hostile")
    assert client.get_lifecycle_policy_preview(repositoryName="hostile")["previewResults"] == []
    assert mock.backend and not apply_lifecycle_policies(mock.backend)
    assert time.perf_counter() - started < LINEAR_BUDGET


# -- forged pagination tokens ------------------------------------------------------------------------
def _token(kind: str, key: Any) -> str:
    return base64.urlsafe_b64encode(("mock-ecr:" + json.dumps([kind, key])).encode()).decode()


FORGED_KEYS = [5, "x", None, {"a": 1}, [1, 2, 3], ["x", 1], [[1], "x"], 1.5, True, "9" * 5000]


@pytest.mark.parametrize(
    "operation,kind,extra",
    [
        ("DescribeRepositories", "DescribeRepositories", {}),
        ("ListImages", "ListImages", {"repositoryName": "hostile"}),
        ("DescribeImages", "DescribeImages", {"repositoryName": "hostile"}),
        ("GetLifecyclePolicyPreview", "GetLifecyclePolicyPreview", {"repositoryName": "hostile"}),
    ],
)
def test_forged_next_tokens_are_refused(hostile, operation, kind, extra):
    mock, client = hostile
    client.put_lifecycle_policy(
        repositoryName="hostile",
        lifecyclePolicyText=json.dumps(
            {
                "rules": [
                    {
                        "rulePriority": 1,
                        "description": "x" * 60,
                        "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
                        "action": {"type": "expire"},
                    }
                ]
            }
        ),
    )
    client.start_lifecycle_policy_preview(repositoryName="hostile")
    client.get_lifecycle_policy_preview(repositoryName="hostile")  # COMPLETE from here on
    before = fingerprint(mock)
    tokens = [_token(kind, key) for key in FORGED_KEYS]
    tokens += [
        base64.urlsafe_b64encode(b"mock-ecr:" + b"[" * 100_000).decode(),  # nested past the recursion limit
        base64.urlsafe_b64encode(  # a key nested deep within the limit
            b'mock-ecr:["' + kind.encode() + b'",' + b"[" * 500 + b"]" * 500 + b"]"
        ).decode(),
        _token("OtherKind", 1),
        "%%%",
        "",
        "\u0000",
        "a" * 100_000,
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ]
    incomparable = {_token(kind, None), _token(kind, {"a": 1}), *tokens[len(FORGED_KEYS) :]} - {""}
    for token in tokens:
        status, body = raw(client, TARGET + operation, json.dumps({**extra, "nextToken": token, "maxResults": 1}))
        # a forged key of the collection's own kind is as good as a real one: it names a place to resume
        assert status == 200 or refused(status, body), (token[:40], body)
        if token in incomparable:
            assert body.get("__type") == "InvalidParameterException", (token[:40], body)
    assert fingerprint(mock) == before


# -- JSON nested past the recursion limit, wherever JSON is parsed ------------------------------------
def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


#: depths around and far past Python's recursion limit (how deep json may go depends on the stack)
DEPTHS = [*range(880, 1020, 7), 100_000]


def test_deeply_nested_request_bodies_are_refused(hostile):
    mock, client = hostile
    before = fingerprint(mock)
    for depth in DEPTHS:
        for body in ('{"repositoryName": "hostile", "x": NESTED}'.replace("NESTED", _nested(depth)), _nested(depth)):
            status, answer = raw(client, TARGET + "DescribeRepositories", body)
            assert refused(status, answer) or status == 200, (depth, answer)
    assert fingerprint(mock) == before


@pytest.mark.parametrize(
    "operation,member,template",
    [
        ("SetRepositoryPolicy", "policyText", '{"Statement": NESTED}'),
        (
            "PutLifecyclePolicy",
            "lifecyclePolicyText",
            '{"rules": [{"rulePriority": 1, "selection": NESTED, "action": {"type": "expire"}}]}',
        ),
        ("PutLifecyclePolicy", "lifecyclePolicyText", '{"rules": [{"rulePriority": NESTED}]}'),
        ("StartLifecyclePolicyPreview", "lifecyclePolicyText", '{"rules": NESTED}'),
        ("PutImage", "imageManifest", '{"schemaVersion": 2, "mediaType": "' + DOCKER_MANIFEST + '", "config": NESTED}'),
        (
            "PutImage",
            "imageManifest",
            '{"schemaVersion": 1, "mediaType": "' + DOCKER_SCHEMA1 + '", "fsLayers": NESTED}',
        ),
    ],
)
def test_deeply_nested_documents_inside_members_are_refused(hostile, operation, member, template):
    mock, client = hostile
    before = fingerprint(mock)
    for depth in DEPTHS:
        text = template.replace("NESTED", _nested(depth)).ljust(100)
        if len(text) > 10240 and member == "policyText":
            text = template.replace("NESTED", _nested(5000))
        status, answer = raw(client, TARGET + operation, json.dumps({"repositoryName": "hostile", member: text}))
        assert refused(status, answer), (depth, answer)
        assert answer["__type"] == "InvalidParameterException"
    assert fingerprint(mock) == before


def test_signed_schema1_manifest_with_nested_protected_header(hostile):
    mock, client = hostile
    before = fingerprint(mock)
    for depth in (5000, 100_000):
        header = base64.urlsafe_b64encode(_nested(depth).encode()).decode().rstrip("=")
        manifest = json.dumps(
            {"schemaVersion": 1, "fsLayers": [{"blobSum": digest_of(b"x")}], "signatures": [{"protected": header}]}
        )
        body = {"repositoryName": "hostile", "imageManifest": manifest, "imageManifestMediaType": DOCKER_SCHEMA1_SIGNED}
        status, answer = raw(client, TARGET + "PutImage", json.dumps(body))
        assert refused(status, answer) and answer["__type"] == "InvalidParameterException", answer
    assert fingerprint(mock) == before


def test_manifest_with_a_lone_surrogate_is_refused(hostile):
    """JSON may escape a lone surrogate ("\\ud800"); such a manifest has no UTF-8 bytes to digest."""
    mock, client = hostile
    before = fingerprint(mock)
    for text in ("\ud800", '{"schemaVersion": 2, "x": "\udfff"}'):
        body = json.dumps({"repositoryName": "hostile", "imageManifest": text})
        status, answer = raw(client, TARGET + "PutImage", body)
        assert refused(status, answer) and answer["__type"] == "InvalidParameterException", answer
        assert "Invalid JSON syntax" in answer["message"]
    assert fingerprint(mock) == before


def _padded(text: str, length: int) -> str:
    """``text`` (a JSON object) padded with insignificant whitespace to exactly ``length`` characters."""
    return text[:-1] + " " * (length - len(text)) + "}"


@pytest.mark.parametrize(
    "operation,member,limit",
    [
        ("SetRepositoryPolicy", "policyText", 10_240),
        ("PutLifecyclePolicy", "lifecyclePolicyText", 30_720),
        ("StartLifecyclePolicyPreview", "lifecyclePolicyText", 30_720),
        ("PutImage", "imageManifest", 4 * 1024 * 1024),
    ],
)
def test_documents_at_and_over_their_size_limits(hostile, operation, member, limit):
    mock, client = hostile
    document = {
        "imageManifest": mock.hostile["manifest"],
        "policyText": POLICY,
        "lifecyclePolicyText": KNOWN_MEMBERS["lifecyclePolicyText"],
    }[member]
    extra = {"imageTag": "big"} if operation == "PutImage" else {}
    at_limit = {"repositoryName": "hostile", member: _padded(document, limit), **extra}
    over = {**at_limit, member: _padded(document, limit + 1)}
    before = fingerprint(mock)
    status, answer = raw(client, TARGET + operation, json.dumps(over))
    assert refused(status, answer) and answer["__type"] == "InvalidParameterException", answer
    assert f"less than or equal to {limit}" in answer["message"]
    assert fingerprint(mock) == before
    status, answer = raw(client, TARGET + operation, json.dumps(at_limit))
    assert status == 200, answer
    for text in ("not json", "[]", "{", '"string"', "{}" + " " * 200):
        before = fingerprint(mock)
        body = json.dumps({"repositoryName": "hostile", member: text.ljust(100)})
        status, answer = raw(client, TARGET + operation, body)
        assert refused(status, answer) and answer["__type"] == "InvalidParameterException", (text, answer)
        assert fingerprint(mock) == before


def test_huge_manifests_answer_promptly(hostile):
    """4 MiB manifests of 25,000 layer descriptors: accepted when the layers exist, else refused."""
    mock, client = hostile
    document = json.loads(mock.hostile["manifest"])
    layer = document["layers"][0]
    count = (4 * 1024 * 1024 - 2000) // (len(json.dumps(layer)) + 2)
    cases = [
        ("present", [dict(layer, size=n) for n in range(count)], None),
        ("missing", [dict(layer, digest=f"sha256:{n:064x}") for n in range(count)], "LayersNotFoundException"),
    ]
    for label, layers, expected in cases:
        text = json.dumps({**document, "layers": layers}, separators=(",", ":"))
        assert len(text) <= 4 * 1024 * 1024
        body = json.dumps({"repositoryName": "hostile", "imageManifest": text})
        before = fingerprint(mock)
        started = time.perf_counter()
        status, answer = raw(client, TARGET + "PutImage", body)
        assert time.perf_counter() - started < 5 * LINEAR_BUDGET, label
        if expected is None:
            assert status == 200, answer
        else:
            assert refused(status, answer) and answer["__type"] == expected
            assert fingerprint(mock) == before


# -- every operation of the model, every member, every way to get it wrong ---------------------------
#: a value that satisfies each pattern of the model (the generator's baseline)
PATTERN_EXAMPLES = {
    "[0-9]{12}": "123456789012",
    "[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*": "hostile",
    "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}": "0e0e0e0e-0000-4000-8000-000000000000",  # noqa: E501 - a pattern of the model, verbatim
    "[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+": "sha256:" + "ab" * 32,
    "[0-9a-z-]{2,25}": "us-west-2",
}
#: baseline values by member name, so requests reach the semantic checks of existing resources
KNOWN_MEMBERS = {
    "repositoryName": "hostile",
    "policyText": POLICY,
    "lifecyclePolicyText": json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": "d" * 40,
                    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 5},
                    "action": {"type": "expire"},
                }
            ]
        }
    ),
    "resourceArn": "arn:aws:ecr:us-east-1:123456789012:repository/hostile",
    "imageTag": "fresh",
    "imageManifestMediaType": DOCKER_MANIFEST,
}
ODD_UNICODE = [
    "\u202eevil",
    "zero\u200bwidth",
    "\U0001f600" * 3,
    "nul\u0000byte",
    "e\u0301",
    "\ufeffbom",
    "\uffff",
    "\U0001d518\U0001d52b\U0001d526",
    "line\nbreak",
    "tab\there",
    "\u0430\u0440\u0441",
]
LONE_SURROGATES = ["\ud800", "a\udfffb"]


def _pattern_example(pattern: str) -> str:
    if pattern in PATTERN_EXAMPLES:
        return PATTERN_EXAMPLES[pattern]
    for example in (
        "a",
        "ab",
        "arn:aws:iam::123456789012:role/x",
        "ROOT",
        "abc/def",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/example-AbCdEf",
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:signer:us-east-1:123456789012:/signing-profiles/MyProfile",
    ):
        if compile_fullmatch(pattern)(example):
            return example
    raise AssertionError(f"no example for {pattern}")


def baseline(shape: Any, name: str = "", known: dict[str, str] = KNOWN_MEMBERS) -> Any:
    """A value of ``shape`` the wire layer accepts; string members named in ``known`` (or whose
    list is, as ``layerDigests`` for ``layerDigest``) take the value given there."""
    kind = shape.type_name
    if kind == "string" and (name in known or name[:-1] in known):
        return known.get(name) or known[name[:-1]]
    if kind == "structure":
        return {member: baseline(shape.members[member], member, known) for member in shape.required_members}
    if kind == "list":
        return [baseline(shape.member, name, known) for _ in range(max(shape.metadata.get("min", 1), 1))]
    if kind == "map":
        return {"key": baseline(shape.value, name, known)}
    if kind == "string":
        if shape.enum:
            return shape.enum[0]
        if "pattern" in shape.metadata:
            return _pattern_example(shape.metadata["pattern"])
        return "x" * max(shape.metadata.get("min", 1), 1)
    if kind in ("integer", "long"):
        return max(shape.metadata.get("min", 1), 1)
    if kind == "boolean":
        return True
    if kind == "blob":
        return base64.b64encode(b"x" * max(shape.metadata.get("min", 1), 1)).decode()
    if kind in ("float", "double", "timestamp"):
        return 1
    raise AssertionError(kind)


WRONG_TYPES = {
    "string": [5, True, [], {}, 1.5],
    "integer": ["5", True, 1.5, [], {}],
    "long": ["5", False, 2.5, [1], {}],
    "boolean": ["true", 1, 0, [], {}],
    "list": ["x", {}, 5, True],
    "map": ["x", [], 5],
    "structure": ["x", [], 5, False],
    "blob": [5, [], {}, True],
    "float": ["1.5", [], {}],
    "double": ["1.5", [], {}],
    "timestamp": ["yesterday", [], {}],
}


def mutations(shape: Any, value: Any, required: bool) -> list[tuple[str, Any, bool]]:
    """``(label, bad value, must be refused)`` for one member; ``_MISSING`` removes the member."""
    kind, meta = shape.type_name, shape.metadata
    found: list[tuple[str, Any, bool]] = [("null", None, required)]
    if required:
        found.append(("missing", _MISSING, True))
    found += [(f"type {type(bad).__name__}", bad, True) for bad in WRONG_TYPES[kind]]
    if kind == "string":
        if meta.get("min", 0) > 0:
            found.append(("too short", "x" * (meta["min"] - 1) if meta["min"] > 1 else "", True))
        if "max" in meta:
            found.append(("too long", "a" * (meta["max"] + 1), True))
        if shape.enum:
            found += [("not in enum", "NOT_A_VALUE", True), ("enum lowercase", shape.enum[0].lower(), True)]
        if "pattern" in meta:
            for bad in ("UPPER CASE", "../..", "a" * 10_000 + "!", "\u0430", "-", ":::"):
                if not compile_fullmatch(meta["pattern"])(bad):
                    found.append(("bad pattern", bad, True))
        if not shape.enum and "pattern" not in meta:
            found += [("odd unicode", text, False) for text in ODD_UNICODE]
            found += [("long unicode", "\U0001f600" * 5000, False)]
        found += [("lone surrogate", text, False) for text in LONE_SURROGATES]
    elif kind in ("integer", "long"):
        if "min" in meta:
            found.append(("below min", meta["min"] - 1, True))
        if "max" in meta:
            found.append(("above max", meta["max"] + 1, True))
        found += [("huge", 2**63, False), ("huge negative", -(2**63), "min" in meta), ("enormous", 10**300, False)]
        found += [("nan", float("nan"), True), ("infinity", float("inf"), True)]
    elif kind == "list":
        if meta.get("min", 0) > 0:
            found.append(("empty list", [], True))
        item = value[0] if value else baseline(shape.member)
        if "max" in meta:
            found.append(("too many items", [item] * (meta["max"] + 1), True))
        found.append(("150 items", [item] * 150, "max" in meta and meta["max"] < 150))
        found += [(f"item of type {type(bad).__name__}", [bad], True) for bad in WRONG_TYPES[shape.member.type_name]]
    elif kind == "map":
        found.append(("empty map", {}, meta.get("min", 0) > 0))
    elif kind == "blob":
        found += [
            (label, bad, True)
            for label, bad in [
                ("not base64", "not base64!!"),
                ("bad padding", "YQ"),
                ("only padding", "===="),
                ("non-ascii base64", "\u00e9\u00e9\u00e9\u00e9"),
                ("url-safe alphabet", "-_-_"),
            ]
        ]
        if "max" in meta and meta["max"] < 64 * 1024 * 1024:
            found.append(("blob too big", base64.b64encode(b"\0" * (meta["max"] + 1)).decode(), True))
    return found


_MISSING = object()


def member_cases(
    shape: Any, value: dict[str, Any], known: dict[str, str], path: tuple[Any, ...] = (), depth: int = 0
) -> list[tuple[tuple[Any, ...], str, Any, bool]]:
    """Every mutation of every member of structure ``shape`` (nested structures and list items included)."""
    found = []
    for name, member in shape.members.items():
        required = name in shape.required_members
        current = value.get(name)
        if current is None:
            current = baseline(member, name, known)
        for label, bad, must_fail in mutations(member, current, required):
            found.append(((*path, name), label, bad, must_fail))
        if depth < 4 and member.type_name == "structure":
            found += member_cases(member, current, known, (*path, name), depth + 1)
        if depth < 4 and member.type_name == "list" and member.member.type_name == "structure":
            found += member_cases(member.member, current[0] if current else {}, known, (*path, name, 0), depth + 1)
    return found


def _with(body: dict[str, Any], path: tuple[Any, ...], bad: Any, shape: Any) -> dict[str, Any]:
    """A copy of ``body`` with the member at ``path`` set to ``bad`` (or removed); parents are created."""
    body = json.loads(json.dumps(body))
    node: Any = body
    for step in path[:-1]:
        if isinstance(step, int):
            while len(node) <= step:
                node.append({})
            node = node[step]
        else:
            if step not in node or node[step] is None:
                node[step] = [] if isinstance(path[path.index(step) + 1], int) else {}
            node = node[step]
    if bad is _MISSING:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = bad
    return body


def _json_for_wire(body: Any) -> str:
    """JSON as a careless client would send it: NaN/Infinity allowed, surrogates escaped."""
    return json.dumps(body, allow_nan=True)


#: malformed requests sent per operation, for the closing report
SWEEP_COUNTS: dict[str, int] = {}


@pytest.mark.parametrize("operation", sorted(MODEL.operation_names))
def test_every_malformed_member_is_refused_and_changes_nothing(hostile, operation):
    mock, client = hostile
    known = {
        **KNOWN_MEMBERS,
        "uploadId": mock.hostile["upload_id"],
        "layerDigest": mock.hostile["layer"],
        "imageDigest": mock.hostile["digest"],
        "imageManifest": mock.hostile["manifest"],
    }
    shape = MODEL.operation_model(operation).input_shape
    valid = baseline(shape, known=known)
    cases = member_cases(shape, valid, known)
    for path, label, bad, must_fail in cases:
        body = _with(valid, path, bad, shape)
        before = fingerprint(mock)
        status, answer = raw(client, TARGET + operation, _json_for_wire(body))
        where = f"{operation} {'.'.join(map(str, path))} {label}"
        if must_fail:
            assert refused(status, answer), (where, status, answer)
        else:
            assert status == 200 or refused(status, answer), (where, status, answer)
        if status != 200:
            assert fingerprint(mock) == before, where
    SWEEP_COUNTS[operation] = len(cases)


# -- raw requests botocore would never send ----------------------------------------------------------------
NOT_JSON_OBJECTS = [
    b"{",
    b"{not json",
    b"nul",
    b"[]",
    b'"a string"',
    b"5",
    b"null",
    b"true",
    b"{}{}",
    b'{"a": 1} trailing',
    b"\xff\xfe{}",
    b"\x00" * 64,
    b"{'single': 'quotes'}",
    b'{"a": }',
    b"\xc3\x28",
    b'{"maxResults": 1' + b"0" * 5000 + b"}",  # past int's digit limit
]
ODD_BUT_READABLE = [
    b"",
    b"{}",
    b"  {}  ",
    b"\xef\xbb\xbf{}",
    b'{"repositoryName": "hostile", "repositoryName": "hostile"}',
    b'{"maxResults": NaN}',
    b'{"maxResults": Infinity}',
    b'{"maxResults": 1e999}',
    b'{"maxResults": -0}',
    b'{"x": "\\ud800"}',
    b'{"unknown": ' + b'"' + b"y" * (5 * 1024 * 1024) + b'"}',
]
WRONG_CONTENT_TYPES = [
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "",
    None,
    "application/x-amz-json-1.1-evil",
    "multipart/form-data; boundary=x",
]
RIGHT_CONTENT_TYPES = [
    "application/x-amz-json-1.1",
    "application/x-amz-json-1.0",
    "Application/X-Amz-Json-1.1; charset=UTF-8",
]
BAD_TARGETS = [
    None,
    "",
    TARGET,
    TARGET + "NoSuchAction",
    TARGET.lower() + "ListImages",
    "DynamoDB_20120810.ListTables",
    TARGET + "ListImages\u0000",
    TARGET + "ListImages ",
    TARGET + "__init__",
    TARGET + "a" * 10_000,
    "AmazonEC2ContainerRegistry_V20150921",
    "." + "ListImages",
    TARGET + "\u202eListImages",
    "AmazonEC2ContainerRegistry_V20150921.ListImages.ListImages",
    TARGET + "list_images",
]
RAW_COUNTS: dict[str, int] = {}


@pytest.mark.parametrize("operation", sorted(MODEL.operation_names))
def test_bodies_that_are_not_json_objects_are_refused(hostile, operation):
    mock, client = hostile
    before = fingerprint(mock)
    for body in NOT_JSON_OBJECTS:
        status, answer = raw(client, TARGET + operation, body)
        assert refused(status, answer) and answer["__type"] == "SerializationException", (body[:30], answer)
    assert fingerprint(mock) == before
    for body in ODD_BUT_READABLE:
        before = fingerprint(mock)
        status, answer = raw(client, TARGET + operation, body)
        assert status == 200 or refused(status, answer), (body[:30], answer)
        if status != 200:
            assert fingerprint(mock) == before, body[:30]
    RAW_COUNTS[f"bodies {operation}"] = len(NOT_JSON_OBJECTS) + len(ODD_BUT_READABLE)


def test_unknown_targets_are_refused(hostile):
    mock, client = hostile
    before = fingerprint(mock)
    for target in BAD_TARGETS:
        status, answer = raw(client, target, b'{"repositoryName": "hostile"}')
        assert refused(status, answer) and answer["__type"] == "UnknownOperationException", (target, answer)
    assert fingerprint(mock) == before
    RAW_COUNTS["targets"] = len(BAD_TARGETS)


def test_wrong_content_types_are_refused(hostile):
    """AWS JSON services pick the protocol by Content-Type; any other is an unknown operation."""
    mock, client = hostile
    body = json.dumps({"repositoryName": "hostile", "imageTag": "moved", "imageManifest": mock.hostile["manifest"]})
    before = fingerprint(mock)
    for content_type in WRONG_CONTENT_TYPES:
        status, answer = raw(client, TARGET + "PutImage", body, content_type=content_type)
        assert refused(status, answer) and answer["__type"] == "UnknownOperationException", (content_type, answer)
    assert fingerprint(mock) == before
    for content_type in RIGHT_CONTENT_TYPES:
        status, answer = raw(client, TARGET + "DescribeRepositories", b"{}", content_type=content_type)
        assert status == 200 and answer["repositories"], (content_type, answer)
    RAW_COUNTS["content types"] = len(WRONG_CONTENT_TYPES) + len(RIGHT_CONTENT_TYPES)


def test_hostile_authorization_headers_are_read_in_linear_time(hostile):
    mock, client = hostile
    for header in [
        "Credential=" * 10_000,
        "Credential=a/" * 10_000,
        "Credential=a/20240101/" * 5_000,
        "AWS4-HMAC-SHA256 Credential=" + "a" * 100_000,
        "\u00e9" * 100_000,
    ]:
        started = time.perf_counter()
        status, answer = raw(client, TARGET + "DescribeRepositories", b"{}", headers={"Authorization": header})
        assert time.perf_counter() - started < LINEAR_BUDGET, header[:30]
        assert status == 200, answer
    RAW_COUNTS["authorization headers"] = 5


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    print(
        f"\nhostile input: {sum(SWEEP_COUNTS.values())} malformed members over {len(SWEEP_COUNTS)} operations, "
        f"{sum(RAW_COUNTS.values())} malformed bodies, targets and headers; {SENT[0]} raw requests in all"
    )
