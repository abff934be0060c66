"""Listings: Swift's page size limit and following ``marker`` from page to page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from selectel_objects._pipeline.pipeline import Pipeline
    from selectel_objects._protocol.http import HttpRequest

__all__ = ["MAX_PAGE_SIZE", "listing"]

#: Swift's largest listing page.
MAX_PAGE_SIZE = 10_000


class _Named(Protocol):
    @property
    def name(self) -> str | None: ...


_Entry = TypeVar("_Entry", bound=_Named)


def listing(
    pipeline: Pipeline,
    build: Callable[[str | None], HttpRequest],
    parse: Callable[[bytes], list[_Entry]],
    *,
    marker: str | None,
    page_size: int,
) -> Iterator[_Entry]:
    """A lazy listing: ``build(marker)`` requests a page, ``parse`` reads it.

    Pages follow one another from each page's last name until one comes back short.
    ``page_size`` is checked at once, not on the first ``next()``.
    """
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}, not {page_size}")

    def pages(marker: str | None) -> Iterator[_Entry]:
        while True:
            items = parse(pipeline.send(build(marker)).read())
            yield from items
            if len(items) < page_size:
                return
            marker = items[-1].name

    return pages(marker)
