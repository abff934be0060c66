"""Listings: Swift's page size limit and following ``marker`` from page to page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

__all__ = ["MAX_PAGE_SIZE", "check_page_size", "paginate"]

#: Swift's largest listing page.
MAX_PAGE_SIZE = 10_000


class _Named(Protocol):
    @property
    def name(self) -> str | None: ...


_Entry = TypeVar("_Entry", bound=_Named)


def check_page_size(page_size: int) -> None:
    """Refuse a listing page size Swift would not honour."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}, not {page_size}")


def paginate(
    page: Callable[[str | None], list[_Entry]], marker: str | None, page_size: int
) -> Iterator[_Entry]:
    """The entries of ``page(marker)``, then of the pages after each page's last name."""
    while True:
        items = page(marker)
        yield from items
        if len(items) < page_size:
            return
        marker = items[-1].name
