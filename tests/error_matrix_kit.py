"""What the error-matrix tests share: how a declared (action, error code) pair is chosen a way
to be reached, and the check that reaching it through boto3 gives ECR's code and status from
the action itself. Each test module keeps only its own tables and provokers.

A provoker is ``provoke(mock, client, action)`` and makes the failing call; it runs in a fresh
mock, with a boto3 client that neither retries nor validates parameters, after one repository
(``REPO``) has been created.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError

from mock_ecr import mock_ecr
from mock_ecr.wire.model import service_model

REPO = "app"
Pair = tuple[str, str]
Provoker = Callable[[Any, Any, str], Any]


def call(client: Any, action: str, **params: Any) -> Any:
    return getattr(client, xform_name(action))(**params)


def declared_pairs(actions: Iterable[str]) -> list[Pair]:
    """Every (action, error code) the installed ECR model declares for ``actions``."""
    model = service_model()
    return [(action, shape.name) for action in actions for shape in model.operation_model(action).error_shapes]


def check_reached(action: str, code: str, provoke: Provoker, quotas: Mapping[str, int] | None = None) -> None:
    """``provoke`` fails with ``code`` and ECR's status, and the failing call recorded is ``action``'s."""
    with mock_ecr(quotas=dict(quotas or {})) as mock:
        client = boto3.client(
            "ecr", region_name="us-east-1",
            config=Config(retries={"total_max_attempts": 1}, parameter_validation=False),
        )  # fmt: skip
        client.create_repository(repositoryName=REPO)
        with pytest.raises(ClientError) as info:
            provoke(mock, client, action)
        failing = mock.calls[-1]
    response = info.value.response
    assert response["Error"]["Code"] == code
    assert response["ResponseMetadata"]["HTTPStatusCode"] == (500 if code == "ServerException" else 400)
    assert (failing.operation, failing.error_code) == (action, code)


@dataclass(frozen=True)
class Matrix:
    """One area's pairs and the ways to reach them, tried in order: ``injected_pairs`` through
    ``inject_error``, then ``specific`` provokers, then ``generic`` ones (by code, for every
    action), then ``inject_error`` for the ``injected`` codes; a pair with none fails.
    """

    pairs: list[Pair]
    valid_params: Callable[[str], dict[str, Any]]
    specific: Mapping[Pair, Provoker]
    generic: Mapping[str, Provoker]
    injected: Collection[str]
    injected_pairs: Collection[Pair] = ()
    #: quotas the mock starts with for a provoker that reaches a limit
    quotas: Mapping[Provoker, Mapping[str, int]] = field(default_factory=dict)
    #: state a valid request of an action needs, set up before the injected call
    arrange: Callable[[Any, Any, str], None] | None = None

    def inject(self, code: str) -> Provoker:
        def provoke(mock: Any, client: Any, action: str) -> Any:
            mock.inject_error(action, code)
            if self.arrange is not None:
                self.arrange(mock, client, action)
            return call(client, action, **self.valid_params(action))

        return provoke

    def way(self, action: str, code: str) -> tuple[str, Provoker]:
        if (action, code) in self.injected_pairs:
            return "inject_error", self.inject(code)
        if (action, code) in self.specific:
            return "natural", self.specific[(action, code)]
        if code in self.generic:
            return "natural", self.generic[code]
        if code in self.injected:
            return "inject_error", self.inject(code)
        raise AssertionError(f"no way to reach {code} from {action}")

    def cases(self) -> list[Any]:
        return [pytest.param(a, c, id=f"{a}-{c}") for a, c in self.pairs]

    def reach(self, action: str, code: str) -> None:
        _, provoke = self.way(action, code)
        check_reached(action, code, provoke, self.quotas.get(provoke))

    def injected_reached(self) -> set[Pair]:
        """The pairs reached through ``inject_error``."""
        return {(a, c) for a, c in self.pairs if self.way(a, c)[0] == "inject_error"}
