"""Bulk middleware helpers: bulk-delete request bodies and the bodies Swift answers with.

Swift answers ``POST ?bulk-delete`` and ``PUT ?extract-archive=...`` with ``200`` (or ``202``
with heartbeats) whatever happened, possibly after whitespace sent as keep-alive; the real
outcome is the ``"Response Status"`` inside the JSON body. Pure functions, no HTTP. Bad
names raise :class:`~selectel_objects.errors.InvalidNameError` (a :class:`ValueError`), other
bad arguments :class:`ValueError`, and a body that is not the documented JSON
:class:`~selectel_objects.errors.ObjectStorageError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from urllib.parse import quote

import attrs

from selectel_objects._protocol.names import check_container_name, check_object_name
from selectel_objects._protocol.replies import (
    BulkError,
    count,
    load_document,
    parse_errors,
    response_status,
    text,
)

__all__ = [
    "MAX_DELETES_PER_REQUEST",
    "BulkDeleteResult",
    "BulkError",
    "ExtractArchiveResult",
    "bulk_delete_bodies",
    "bulk_delete_line",
    "parse_bulk_delete",
    "parse_extract_archive",
]

#: Swift's default ``bulk_delete.max_deletes_per_request`` (``/info`` says the real value).
MAX_DELETES_PER_REQUEST = 10000


def bulk_delete_line(container: str, name: str | None = None) -> str:
    """One line of a bulk-delete body: ``/<container>/<name>`` URL-encoded, no newline.

    Without ``name`` the line deletes the container itself (it must be empty by then; Swift
    deletes the objects of a request before its containers).
    """
    line = "/" + quote(check_container_name(container), safe="")
    if name is not None:
        check_object_name(name)
        # Everything but '/' is escaped, so names with spaces or newlines survive the
        # line split and the whitespace strip Swift applies to each line.
        line += "/" + quote(name, safe="/")
    return line


def bulk_delete_bodies(
    items: Iterable[tuple[str, str | None]], *, max_per_request: int = MAX_DELETES_PER_REQUEST
) -> Iterator[bytes]:
    """Request bodies (``Content-Type: text/plain``) deleting ``items``, in order, lazily.

    ``items`` are ``(container, object name)`` pairs, or ``(container, None)`` for a
    container. Each body holds at most ``max_per_request`` newline-terminated lines, so a
    huge listing is never materialised. Nothing is yielded for no items.
    """
    if isinstance(max_per_request, bool) or not isinstance(max_per_request, int):
        raise ValueError(f"max_per_request must be an int; got {max_per_request!r}")
    if max_per_request < 1:
        raise ValueError(f"max_per_request must be >= 1; got {max_per_request}")
    batch: list[str] = []
    for container, name in items:
        batch.append(bulk_delete_line(container, name))
        if len(batch) == max_per_request:
            yield _body(batch)
            batch = []
    if batch:
        yield _body(batch)


@attrs.frozen
class BulkDeleteResult:
    """Outcome of one bulk-delete request, from its body.

    ``deleted`` and ``not_found`` count the entries (Swift reports no names for them);
    ``errors`` name every entry that failed. ``status`` is the ``"Response Status"`` code.
    """

    status: int
    reason: str
    deleted: int
    not_found: int
    errors: tuple[BulkError, ...]
    response_body: str = ""

    @property
    def ok(self) -> bool:
        """True when the request succeeded as a whole and no entry failed."""
        return 200 <= self.status < 300 and not self.errors


@attrs.frozen
class ExtractArchiveResult:
    """Outcome of one ``?extract-archive`` upload, from its body."""

    status: int
    reason: str
    files_created: int
    errors: tuple[BulkError, ...]
    response_body: str = ""

    @property
    def ok(self) -> bool:
        """True when the extraction succeeded as a whole and no file failed."""
        return 200 <= self.status < 300 and not self.errors


def parse_bulk_delete(body: bytes | str, *, http_status: int | None = None) -> BulkDeleteResult:
    """Parse the JSON body of a bulk-delete answer (``Accept: application/json``).

    ``http_status`` is used only when the body carries no ``"Response Status"`` (clusters
    older than heartbeating bulk middleware put the outcome in the HTTP status).
    """
    document = load_document(body, "bulk-delete")
    status, reason = response_status(document, http_status)
    return BulkDeleteResult(
        status=status,
        reason=reason,
        deleted=count(document, "Number Deleted"),
        not_found=count(document, "Number Not Found"),
        errors=parse_errors(document),
        response_body=text(document.get("Response Body")),
    )


def parse_extract_archive(
    body: bytes | str, *, http_status: int | None = None
) -> ExtractArchiveResult:
    """Parse the JSON body of an ``?extract-archive`` answer (``Accept: application/json``)."""
    document = load_document(body, "extract-archive")
    status, reason = response_status(document, http_status)
    return ExtractArchiveResult(
        status=status,
        reason=reason,
        files_created=count(document, "Number Files Created"),
        errors=parse_errors(document),
        response_body=text(document.get("Response Body")),
    )


def _body(lines: list[str]) -> bytes:
    return "".join(line + "\n" for line in lines).encode("ascii")
