"""Large request bodies (a layer part of MiBs) take a shorter way through the JSON and base64
decoding: every body, well-formed or hostile, gets exactly the answer, the call record and
the stored bytes it gets the ordinary way."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_ecr import mock_ecr
from mock_ecr.gateway import Headers, HttpRequest, route
from mock_ecr.session import Session
from mock_ecr.wire import body as wire_body

TARGET = "AmazonEC2ContainerRegistry_V20150921."
DATA = os.urandom(200 * 1024)  # past wire_body.LARGE_BODY once in base64
B64 = base64.b64encode(DATA).decode()
LARGE_BODY = wire_body.LARGE_BODY


def _request(operation: str, body: bytes) -> HttpRequest:
    headers = Headers(
        {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": TARGET + operation,
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/ecr/aws4_request, "
            "SignedHeaders=host, Signature=0",
        }
    )
    return HttpRequest("POST", "https://api.ecr.us-east-1.amazonaws.com/", headers, body)


def _members(upload_id: str) -> str:
    last = len(DATA) - 1
    return f'"repositoryName":"app","uploadId":"{upload_id}","partFirstByte":0,"partLastByte":{last}'


#: name -> body text, ``{members}`` standing for the members of a valid part but the blob
BODIES = {
    "valid": '{{{members},"layerPartBlob":"{b64}"}}',
    "blob first": '{{"layerPartBlob":"{b64}",{members}}}',
    "whitespace around the colon": '{{ {members} ,\n\t"layerPartBlob" \r\n:  "{b64}" }}',
    "utf-8 byte order mark": '\ufeff{{{members},"layerPartBlob":"{b64}"}}',
    "not base64 midway": '{{{members},"layerPartBlob":"{head}!{tail}"}}',
    "padding midway": '{{{members},"layerPartBlob":"{head}=={tail}"}}',
    "a newline in the base64": '{{{members},"layerPartBlob":"{head}\\n{tail}"}}',
    "a raw control character": '{{{members},"layerPartBlob":"{head}\x01{tail}"}}',
    "non-ascii in the base64": '{{{members},"layerPartBlob":"{head}\u00e9{tail}"}}',
    "an escaped slash": '{{{members},"layerPartBlob":"{escaped}"}}',
    "the member twice": '{{{members},"layerPartBlob":"{b64}","layerPartBlob":"QUJD"}}',
    "the member twice, empty": '{{{members},"layerPartBlob":"{b64}","layerPartBlob":""}}',
    "the member again in escapes": '{{{members},"layerPartBlob":"{b64}","layerPart\\u0042lob":"QUJD"}}',
    "the member again in escapes, empty": '{{{members},"layerPartBlob":"{b64}","layerPart\\u0042lob":""}}',
    "the name inside a string": '{{"note":"\\"layerPartBlob\\":\\"{b64}\\"",{members}}}',
    "only in a nested object": '{{{members},"nested":{{"layerPartBlob":"{b64}"}}}}',
    "trailing text": '{{{members},"layerPartBlob":"{b64}"}} x',
    "an array around it": '[{{{members},"layerPartBlob":"{b64}"}}]',
    "unterminated": '{{{members},"layerPartBlob":"{b64}',
    "a member of the wrong type": '{{"repositoryName":"app","uploadId":"{upload_id}","partFirstByte":"0",'
    '"partLastByte":1,"layerPartBlob":"{b64}"}}',
    "a number for the blob": '{{{members},"layerPartBlob":12,"padding":"{b64}"}}',
    "nested past the recursion limit": '{{{members},"layerPartBlob":"{b64}","deep":'
    + "[" * 100_000
    + "]" * 100_000
    + "}}",
    "unknown repository": '{{"repositoryName":"none","uploadId":"{upload_id}","partFirstByte":0,'
    '"partLastByte":1,"layerPartBlob":"{b64}"}}',
}


def _answer(session: Session, name: str) -> tuple[int, dict[str, object], list[object], str | None]:
    route(session, _request("CreateRepository", b'{"repositoryName":"app"}'))
    upload_id = json.loads(route(session, _request("InitiateLayerUpload", b'{"repositoryName":"app"}')).read())[
        "uploadId"
    ]
    half = len(B64) // 2
    text = BODIES[name].format(
        members=_members(upload_id),
        b64=B64,
        head=B64[:half],
        tail=B64[half:],
        escaped=B64.replace("/", "\\/"),
        upload_id=upload_id,
    )
    body = text.encode("utf-8")
    assert len(body) >= LARGE_BODY
    response = route(session, _request("UploadLayerPart", body))
    answer = json.loads(response.read())
    answer.pop("uploadId", None)
    call = session.calls[-1]
    recorded = [call.operation, {k: v for k, v in call.params.items() if k != "uploadId"}, call.error_code]
    recorded.append(call.error_message)
    digest = None
    if response.status == 200:
        completed = route(
            session,
            _request(
                "CompleteLayerUpload",
                json.dumps({"repositoryName": "app", "uploadId": upload_id, "layerDigests": [_digest(DATA)]}).encode(),
            ),
        )
        digest = json.loads(completed.read()).get("layerDigest")
    return response.status, answer, recorded, digest


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


#: the bodies the short way decodes (all others it leaves to the ordinary way)
SHORT = {
    "valid",
    "blob first",
    "whitespace around the colon",
    "utf-8 byte order mark",
    "unknown repository",
    "a member of the wrong type",
}


@pytest.mark.parametrize("name", list(BODIES))
def test_a_large_body_gets_the_answer_of_the_ordinary_way(name, monkeypatch):
    taken: list[object] = []
    with_blob = wire_body._with_blob
    monkeypatch.setattr(wire_body, "_with_blob", lambda *args: taken.append(with_blob(*args)) or taken[-1])
    short = _answer(Session(), name)
    assert any(isinstance(d, dict) for d in taken) == (name in SHORT)
    monkeypatch.setattr(wire_body, "LARGE_BODY", 1 << 62)  # every body the ordinary way
    ordinary = _answer(Session(), name)
    assert short == ordinary
    if name in ("valid", "blob first", "whitespace around the colon", "utf-8 byte order mark", "an escaped slash"):
        assert short[0] == 200 and short[3] == _digest(DATA)
    else:
        assert short[0] == 400 or name.startswith("the member")


def test_the_short_way_is_taken_for_a_large_part():
    document = wire_body.parse(json.dumps({"layerPartBlob": B64, "repositoryName": "app"}).encode(), ("layerPartBlob",))
    assert isinstance(document["layerPartBlob"], wire_body.DecodedBlob)
    assert document["layerPartBlob"].data == DATA
    assert document["repositoryName"] == "app"
    small = wire_body.parse(json.dumps({"layerPartBlob": "QUJD"}).encode(), ("layerPartBlob",))
    assert small == {"layerPartBlob": "QUJD"}


def test_parts_of_mebibytes_through_boto3_keep_every_byte():
    parts = [os.urandom(5 * 1024 * 1024 + 7), os.urandom(1024 * 1024)]  # all but the last at least 5 MiB
    with mock_ecr() as m:
        ecr = boto3.client("ecr", region_name="us-east-1")
        ecr.create_repository(repositoryName="big")
        upload_id = ecr.initiate_layer_upload(repositoryName="big")["uploadId"]
        first = 0
        for part in parts:
            ecr.upload_layer_part(
                repositoryName="big",
                uploadId=upload_id,
                partFirstByte=first,
                partLastByte=first + len(part) - 1,
                layerPartBlob=part,
            )
            first += len(part)
        digest = _digest(b"".join(parts))
        # the digest of every byte received is what CompleteLayerUpload checks
        done = ecr.complete_layer_upload(repositoryName="big", uploadId=upload_id, layerDigests=[digest])
        assert done["layerDigest"] == digest
        assert m.calls.last("UploadLayerPart").params["layerPartBlob"] == f"<{len(parts[1])} bytes>"


SMALL_BODIES = [
    b"{}",
    b'{"repositoryName":"app"}',
    b'{"a":1} ',
    b' {"a":1}',
    b'{"a":1}\n',
    b'{"a":1} x',
    b'{"a":1}{"b":2}',
    b'{"a":',
    b"{",
    b'{"a":"\\ud800"}',
    b'{"a":"\x01"}',
    b'{"a":"\xc3\xa9"}',
    b'{"a":"\xff"}',
    b'{"a":NaN,"b":-Infinity}',
    b'{"a":1,"a":2}',
    b'{"a":[' + b"[" * 50_000 + b"]" * 50_000 + b"]}",
    "\ufeff{}".encode(),
    '{"a":1}'.encode("utf-16-le"),
    '{"a":1}'.encode("utf-16"),
    '{"a":1}'.encode("utf-32"),
    b"[]",
    b"12",
    b"",
]


@pytest.mark.parametrize("data", SMALL_BODIES, ids=range(len(SMALL_BODIES)))
def test_a_body_parses_as_json_loads_parses_it(data):
    try:
        expected: object = json.loads(data)
    except (ValueError, RecursionError) as error:
        expected = type(error)
    try:
        found: object = wire_body.parse(data)
    except (ValueError, RecursionError) as error:
        found = type(error)
    if isinstance(expected, type) and isinstance(found, type):
        assert issubclass(found, ValueError) == issubclass(expected, ValueError)
    else:
        assert found == expected and repr(found) == repr(expected)


@pytest.mark.skipif(wire_body._fast_b64decode is None, reason="the fast extra (pybase64) is not installed")
@given(
    st.text(alphabet="AQY+/=\n \u00e9-_", max_size=16)
    | st.binary(max_size=12).map(lambda b: base64.b64encode(b).decode())
)
def test_the_fast_decoder_accepts_and_refuses_exactly_what_strict_binascii_does(text):
    """pybase64 (the ``fast`` extra) stands in for binascii's strict mode: same bytes, same refusals."""
    try:
        expected: bytes | None = binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        expected = None
    for given_as in (text, text.encode("utf-8"), memoryview(text.encode("utf-8"))):
        try:
            got: bytes | None = wire_body.strict_b64decode(given_as)
        except (binascii.Error, ValueError):
            got = None
        assert got == expected, (given_as, got, expected)
