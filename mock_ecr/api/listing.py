"""Listing images: ListImages and DescribeImages, in the index's stable paging orders.

``domain.images.index`` keeps the orders (see its docstring for why walks stay stable);
these handlers pick one by ``filter.tagStatus``, skip what ``filter.imageStatus`` leaves
out (ACTIVE images only when no filter names a status), and page with the members and
default size botocore's paginators use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import messages
from ..domain import pagination
from ..domain.images import service
from ..domain.images.index import Image
from ..domain.repositories import Repository
from ..errors import ImageNotFoundException
from . import shapes
from .handlers import RequestContext, repository_operation


def _tag_status(params: dict[str, Any]) -> str:
    return (params.get("filter") or {}).get("tagStatus", "ANY")


def _status_filter(params: dict[str, Any]) -> str | None:
    """The ``imageStatus`` a listing keeps, or None for every image: "If not specified, only
    images with ACTIVE status are returned"."""
    status = (params.get("filter") or {}).get("imageStatus", "ACTIVE")
    return None if status == "ANY" else status


def _page(
    keys: list[Any], kind: str, how: pagination.Paging, params: dict[str, Any], keep: Callable[[Any], bool] | None
) -> tuple[list[Any], str | None]:
    """The keys of one page and the next token; with ``keep``, only keys it accepts count."""
    token, max_results = how.requested(params)
    if keep is None:
        start, stop, next_token = pagination.page(keys, kind, token, max_results)
        return keys[start:stop], next_token
    start, _, _ = pagination.page(keys, kind, token, 1)
    chosen: list[Any] = []
    position = start
    # the keys after ``start`` that ``keep`` accepts, up to a page of them: looked at as many
    # at a time as the page still lacks (all of them at once when every key is kept)
    while position < len(keys) and len(chosen) < max_results:
        looked = keys[position : position + max_results - len(chosen)]
        chosen.extend([key for key in looked if keep(key)])
        position += len(looked)
    next_token = pagination.encode_token(kind, keys[position - 1]) if position < len(keys) else None
    return chosen, next_token


@repository_operation("ListImages")
def list_images(ctx: RequestContext, repository: Repository, params: dict[str, Any]) -> dict[str, Any]:
    paging = pagination.paging("ListImages")
    index = repository.images
    status = _status_filter(params)
    now = ctx.now
    keep = None if status is None else (lambda key: shapes.image_status(index.entry(key)[0], now) == status)
    keys, token = _page(index.entry_keys(_tag_status(params)), "ListImages", paging, params, keep)
    image_ids = []
    for key in keys:
        image, tag = index.entry(key)
        image_ids.append(shapes.image_id(image, tag))
    return paging.answer({"imageIds": image_ids}, token)


@repository_operation("DescribeImages")
def describe_images(ctx: RequestContext, repository: Repository, params: dict[str, Any]) -> dict[str, Any]:
    paging = pagination.paging("DescribeImages")
    index = repository.images
    image_ids = params.get("imageIds")
    if image_ids is not None:
        pagination.refuse_paging_with("imageIds", params, paging)
        found: dict[str, Image] = {}
        for image_id in image_ids:
            image, _ = service.resolve(index, image_id.get("imageDigest"), image_id.get("imageTag"))
            if image is None:
                raise _image_not_found(repository, image_id)
            found.setdefault(image.digest, image)
        return {"imageDetails": [shapes.image_detail(repository, image, ctx.now) for image in found.values()]}
    status = _status_filter(params)
    images, now = index.images_by_seq, ctx.now
    keep = None if status is None else (lambda key: shapes.image_status(images[key], now) == status)
    keys, token = _page(index.image_keys(_tag_status(params)), "DescribeImages", paging, params, keep)
    details = [shapes.image_detail(repository, images[key], now) for key in keys]
    return paging.answer({"imageDetails": details}, token)


def _image_not_found(repository: Repository, image_id: dict[str, str]) -> ImageNotFoundException:
    digest, tag = image_id.get("imageDigest", "null"), image_id.get("imageTag", "null")
    return ImageNotFoundException(messages.image_not_found(digest, tag, repository.name, repository.registry_id))
