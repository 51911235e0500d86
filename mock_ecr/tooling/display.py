"""How the mock's objects show themselves: short text reprs and HTML tables for Jupyter.

Reprs stay short whatever the state holds: lists are cut after ``TEXT_ROWS`` lines (HTML
tables after ``HTML_ROWS`` rows) with a last line that counts what was left out. Digests
show in docker's short form (``sha256:`` and 12 hex digits), sizes in binary units, times
in UTC to the second. Nothing here touches the store: every function formats values a
snapshot or a record already holds.
"""

from __future__ import annotations

import datetime as _dt
import html
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any, TypeVar

T = TypeVar("T")

#: lines of a text repr list, and rows of an HTML table, shown before the rest is counted
TEXT_ROWS = 10
HTML_ROWS = 50
#: a request member longer than this shows cut (manifests, policies, layer parts)
VALUE_CHARS = 40

IMAGE_COLUMNS = ("repository", "tags", "digest", "size", "pushed at")
CALL_COLUMNS = ("#", "operation", "repository", "region", "result")


def short_digest(digest: str | None) -> str:
    if not digest:
        return "-"
    algorithm, _, value = digest.partition(":")
    return f"{algorithm}:{value[:12]}" if value else digest[:19]


def size(count: int) -> str:
    amount = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if amount < 1024 or unit == "GiB":
            return f"{count} B" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    raise AssertionError("unreachable")


def when(moment: _dt.datetime | None) -> str:
    if moment is None:
        return "-"
    if moment.tzinfo is not None:
        moment = moment.astimezone(_dt.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%SZ")


def plural(count: int, noun: str) -> str:
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun[:-1] + 'ies' if noun.endswith('y') else noun + 's'}"


def more(count: int, noun: str) -> str:
    """``3 more images``: what a cut list leaves out."""
    number, _, nouns = plural(count, noun).partition(" ")
    return f"{number} more {nouns}"


def tags(names: Sequence[str], limit: int = 3) -> str:
    if not names:
        return "<untagged>"
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, +{len(names) - limit}"


def value(item: Any) -> str:
    text = repr(item)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 3] + "..."


def first(items: Iterable[T]) -> Iterator[T]:
    """The first ``TEXT_ROWS`` of ``items``, without walking the rest."""
    return islice(items, TEXT_ROWS)


def lines(rows: Iterable[str], total: int, noun: str, indent: str = "  ") -> list[str]:
    """Up to ``TEXT_ROWS`` of ``rows``, then one line counting the ``noun``s left out."""
    out = []
    for index, row in enumerate(rows):
        if index == TEXT_ROWS:
            break
        out.append(indent + row)
    if total > len(out):
        out.append(f"{indent}... {more(total - len(out), noun)}")
    return out


def columns(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows of cells as aligned text columns."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]


def table(caption: str, headers: Sequence[str], rows: Iterable[Sequence[str]], total: int, noun: str) -> str:
    """An HTML table of up to ``HTML_ROWS`` rows; a last row counts the ``noun``s left out."""
    out = [
        "<table>",
        f"<caption style='text-align:left'>{html.escape(caption)}</caption>",
        "<thead><tr>"
        + "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in headers)
        + "</tr></thead>",
        "<tbody>",
    ]
    shown = 0
    for row in rows:
        if shown == HTML_ROWS:
            break
        out.append("<tr>" + "".join(f"<td style='text-align:left'>{html.escape(cell)}</td>" for cell in row) + "</tr>")
        shown += 1
    if total > shown:
        out.append(f"<tr><td colspan='{len(headers)}'>... {more(total - shown, noun)}</td></tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


# -- images -----------------------------------------------------------------------------------


def image_row(repository: str, image: Any) -> tuple[str, str, str, str, str]:
    """The cells of one ``ImageState`` under ``IMAGE_COLUMNS``."""
    return (repository, tags(image.tags), short_digest(image.digest), size(image.size), when(image.pushed_at))


def image_rows(repositories: Iterable[Any]) -> Iterable[tuple[str, str, str, str, str]]:
    for repository in repositories:
        for image in repository.images:
            yield image_row(repository.name, image)


def image_lines(repository: Any) -> list[str]:
    rows = [row[1:] for row in first(image_rows([repository]))]
    return lines(columns(rows), len(repository.images), "image", indent="    ")


# -- calls ------------------------------------------------------------------------------------


def call_summary(call: Any) -> str:
    params = ", ".join(f"{name}={value(item)}" for name, item in call.params.items())
    outcome = "ok" if call.error_code is None else f"{call.error_code} ({call.status})"
    return f"{call.operation}({params}) -> {outcome} [{call.region}]"


def call_row(number: int, call: Any) -> tuple[str, str, str, str, str]:
    repository = call.params.get("repositoryName")
    outcome = "ok" if call.error_code is None else f"{call.error_code} ({call.status})"
    return (str(number), call.operation, repository if isinstance(repository, str) else "-", call.region, outcome)


def call_rows(calls: Sequence[Any]) -> Iterable[tuple[str, str, str, str, str]]:
    for number, call in enumerate(calls, 1):
        yield call_row(number, call)


def failed(calls: Sequence[Any]) -> int:
    return sum(1 for call in calls if call.error_code is not None)


def counts(registries: Sequence[Any]) -> Mapping[str, int]:
    repositories = [repository for registry in registries for repository in registry.repositories.values()]
    return {
        "registries": len(registries),
        "repositories": len(repositories),
        "images": sum(len(repository.images) for repository in repositories),
    }


def holdings(registries: Sequence[Any]) -> str:
    """``1 registry, 5 repositories, 60 images``."""
    count = counts(registries)
    return ", ".join(
        plural(count[key], noun)
        for key, noun in (("registries", "registry"), ("repositories", "repository"), ("images", "image"))
    )
