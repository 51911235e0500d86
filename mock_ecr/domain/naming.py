"""ARNs, registry hosts and repository URIs, partition-aware (aws, aws-cn, aws-us-gov...)."""

from __future__ import annotations

import re
from functools import lru_cache

import botocore.session


@lru_cache(maxsize=1)
def _partitions() -> list[tuple[str, str, re.Pattern[str], frozenset[str]]]:
    data = botocore.session.get_session().get_component("data_loader").load_data("endpoints")
    return [
        (p["partition"], p["dnsSuffix"], re.compile(p["regionRegex"]), frozenset(p.get("regions", {})))
        for p in data["partitions"]
    ]


@lru_cache(maxsize=256)
def partition_of(region: str) -> tuple[str, str]:
    """``(partition, dns_suffix)`` of a region, e.g. ``("aws-cn", "amazonaws.com.cn")``."""
    for name, suffix, _pattern, regions in _partitions():
        if region in regions:
            return name, suffix
    for name, suffix, pattern, _ in _partitions():
        if pattern.match(region):
            return name, suffix
    return "aws", "amazonaws.com"


def dns_suffixes() -> list[str]:
    """The DNS suffix of every partition (``amazonaws.com``, ``amazonaws.com.cn``, ...)."""
    return list(dict.fromkeys(suffix for _name, suffix, _pattern, _regions in _partitions()))


def registry_host(account_id: str, region: str) -> str:
    return f"{account_id}.dkr.ecr.{region}.{partition_of(region)[1]}"


def repository_uri(account_id: str, region: str, name: str) -> str:
    return f"{registry_host(account_id, region)}/{name}"


def repository_arn(account_id: str, region: str, name: str) -> str:
    return f"arn:{partition_of(region)[0]}:ecr:{region}:{account_id}:repository/{name}"
