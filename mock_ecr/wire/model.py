"""botocore's ECR model, loaded once: operations, shapes and paginator configuration."""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

import botocore.session
from botocore.model import OperationModel, ServiceModel

TARGET_PREFIX = "AmazonEC2ContainerRegistry_V20150921."


@lru_cache(maxsize=1)
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@lru_cache(maxsize=1)
def service_model() -> ServiceModel:
    """The ECR model of the installed botocore (loaded once per process)."""
    return _session().get_service_model("ecr")


@lru_cache(maxsize=1)
def operation_names() -> frozenset[str]:
    return frozenset(service_model().operation_names)


def operation_model(name: str) -> OperationModel:
    return service_model().operation_model(name)


@cache
def paginator(name: str) -> dict[str, Any] | None:
    """botocore's paginator configuration of operation ``name`` (input_token, limit_key,
    result_key...), or None for an operation that does not page."""
    config: dict[str, Any] = _session().get_paginator_model("ecr")._paginator_config  # type: ignore[attr-defined]
    return config.get(name)
