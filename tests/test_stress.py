"""Concurrency and paging under change: walks while the repository changes, many threads at once."""

from __future__ import annotations

from typing import Any

import boto3

from mock_ecr import mock_ecr

from .ecr_helpers import digest_of, image_manifest, upload_blob


def _three_images(client: Any, repository: str) -> list[str]:
    """Upload the blobs of three image manifests to ``repository``; returns the manifests."""
    client.create_repository(repositoryName=repository)
    manifests = []
    for number in range(3):
        config, layer = f"config {number}".encode(), f"layer {number}".encode()
        for data in (config, layer):
            upload_blob(client, repository, data)
        manifests.append(image_manifest(config, [layer]))
    return manifests


def _rest_of_walk(client: Any, action: str, key: str, page: dict[str, Any]) -> list[Any]:
    found = []
    token = page["nextToken"]
    while token:
        page = getattr(client, action)(repositoryName="walk", maxResults=1, nextToken=token)
        found += page[key]
        token = page.get("nextToken")
    return found


def test_a_list_images_walk_never_returns_an_image_id_twice():
    """A tag that leaves an image and returns mid-walk, and an image untagged twice, are listed once."""
    with mock_ecr():
        client = boto3.client("ecr", region_name="us-east-1")
        a, b, c = _three_images(client, "walk")
        client.put_image(repositoryName="walk", imageManifest=a, imageTag="t")
        client.put_image(repositoryName="walk", imageManifest=b, imageTag="u")
        client.put_image(repositoryName="walk", imageManifest=c)
        page = client.list_images(repositoryName="walk", maxResults=1)
        client.put_image(repositoryName="walk", imageManifest=b, imageTag="t")  # t leaves a: a is untagged
        client.put_image(repositoryName="walk", imageManifest=a, imageTag="t")  # and comes back
        client.put_image(repositoryName="walk", imageManifest=c, imageTag="v")  # c tagged, deleted, pushed back
        client.batch_delete_image(repositoryName="walk", imageIds=[{"imageTag": "v"}])
        client.put_image(repositoryName="walk", imageManifest=c)
        found = page["imageIds"] + _rest_of_walk(client, "list_images", "imageIds", page)
        seen = [(i["imageDigest"], i.get("imageTag")) for i in found]
        assert len(seen) == len(set(seen)), seen
        assert {(digest_of(b.encode()), "u"), (digest_of(c.encode()), None)} <= set(seen)


def test_a_describe_images_walk_never_returns_an_image_twice():
    """An image deleted and pushed back mid-walk keeps its place: a walk past it does not meet it again."""
    with mock_ecr():
        client = boto3.client("ecr", region_name="us-east-1")
        a, b, c = _three_images(client, "walk")
        for manifest in (a, b, c):
            client.put_image(repositoryName="walk", imageManifest=manifest)
        page = client.describe_images(repositoryName="walk", maxResults=1)
        first = page["imageDetails"][0]["imageDigest"]
        pushed_back = next(m for m in (a, b, c) if digest_of(m.encode()) == first)
        client.batch_delete_image(repositoryName="walk", imageIds=[{"imageDigest": first}])
        client.put_image(repositoryName="walk", imageManifest=pushed_back)
        found = page["imageDetails"] + _rest_of_walk(client, "describe_images", "imageDetails", page)
        digests = [d["imageDigest"] for d in found]
        assert sorted(digests) == sorted(digest_of(m.encode()) for m in (a, b, c))
