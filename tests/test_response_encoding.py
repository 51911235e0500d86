"""Response bodies: orjson (the ``fast`` extra), where installed, encodes every answer to the
same JSON document the standard library's encoder gives, and what it cannot encode takes
the standard way."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_ecr import mock_ecr
from mock_ecr.wire import encoding

orjson = pytest.importorskip("orjson", reason="the fast extra (orjson) is not installed")

UTC = dt.timezone.utc
_datetimes = st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(UTC))
_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)  # past 64 bits too
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()  # lone surrogates and non-ASCII included
    | _datetimes
)
_values = st.recursive(
    _leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        | st.dictionaries(st.integers(), inner, max_size=2)  # keys that are not strings
        | st.frozensets(st.integers(), max_size=3)
        | st.tuples(inner, inner)
    ),
    max_leaves=12,
)


def _reference(value: object) -> object:
    """The document the standard library's encoder makes of ``value``, read back."""
    return json.loads(json.dumps(value, default=encoding._encode_extra))


@given(st.dictionaries(st.text(max_size=8), _values, max_size=5))
def test_every_result_encodes_to_the_document_the_standard_encoder_gives(result):
    assert json.loads(encoding.encode_result(result)) == _reference(result)


def test_orjson_is_the_encoder_in_use():
    # UTF-8 as it is, not \u escapes: what only orjson writes here
    assert encoding.encode_result({"text": "caf\u00e9"}) == '{"text":"caf\u00e9"}'.encode()
    # a lone surrogate has no UTF-8: the standard way escapes it
    assert encoding.encode_result({"text": "\ud800"}) == b'{"text":"\\ud800"}'


def test_datetimes_become_epoch_seconds_and_unencodable_values_still_fail():
    pushed = dt.datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)
    assert encoding.encode_result({"imagePushedAt": pushed}) == b'{"imagePushedAt":1767225600.123456}'
    with pytest.raises(TypeError, match="cannot encode object"):
        encoding.encode_result({"x": object()})


def test_answers_carry_non_ascii_text_through_the_api():
    with mock_ecr():
        client = boto3.client("ecr", region_name="us-east-1")
        arn = client.create_repository(repositoryName="app")["repository"]["repositoryArn"]
        client.tag_resource(resourceArn=arn, tags=[{"Key": "team", "Value": "\u00e9quipe donn\u00e9es"}])
        tags = client.list_tags_for_resource(resourceArn=arn)["tags"]
    assert tags == [{"Key": "team", "Value": "\u00e9quipe donn\u00e9es"}]
