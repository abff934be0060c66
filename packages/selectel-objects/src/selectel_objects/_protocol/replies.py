"""The JSON bodies Swift's middleware answers with, whatever the HTTP status.

Bulk delete, extract archive and SLO manifest PUT/DELETE answer ``200`` (or ``202`` with
heartbeats, after keep-alive whitespace); the real outcome is the ``"Response Status"`` and
the ``"Errors"`` inside the body. Pure functions; a body that is not the documented JSON raises
:class:`~selectel_objects.errors.ObjectStorageError`.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import attrs

from selectel_objects.errors import ObjectStorageError

__all__ = ["BulkError", "count", "load_document", "parse_errors", "response_status", "text"]


@attrs.frozen
class BulkError:
    """One entry of ``"Errors"``: the (decoded) path Swift names and its status.

    ``status`` is ``None`` when Swift gave only a message (then in ``reason``).
    """

    path: str
    status: int | None
    reason: str


def load_document(body: bytes | str, what: str) -> dict[str, Any]:
    """The JSON object of a bulk-style answer, after any keep-alive whitespace."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    # Heartbeat keep-alive whitespace comes before the JSON document.
    text = text.strip()
    try:
        document = json.loads(text)
    except ValueError:
        raise ObjectStorageError(f"the {what} answer is not JSON: {text[:120]!r}") from None
    if not isinstance(document, dict):
        raise ObjectStorageError(f"the {what} answer is not a JSON object: {text[:120]!r}")
    return document


def response_status(document: dict[str, Any], http_status: int | None) -> tuple[int, str]:
    """``"Response Status"`` as (code, reason); ``http_status`` when the body has none."""
    raw = document.get("Response Status")
    if raw is None:
        if http_status is None:
            raise ObjectStorageError("the answer has no 'Response Status' (and no http_status)")
        return http_status, ""
    code, reason = _split_status(raw)
    if code is None:
        raise ObjectStorageError(f"unreadable 'Response Status': {raw!r}")
    return code, reason


def _split_status(raw: object) -> tuple[int | None, str]:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw, ""
    if isinstance(raw, str):
        head, _, tail = raw.strip().partition(" ")
        if head.isdigit() and len(head) == 3:
            return int(head), tail
        return None, raw
    return None, str(raw)


def count(document: dict[str, Any], key: str) -> int:
    value = document.get(key, 0)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ObjectStorageError(f"{key!r} must be a non-negative integer; got {value!r}")
    return value


def parse_errors(document: dict[str, Any]) -> tuple[BulkError, ...]:
    """The ``"Errors"`` list as :class:`BulkError` objects (names decoded)."""
    raw = document.get("Errors") or []
    if not isinstance(raw, list):
        raise ObjectStorageError(f"'Errors' must be a list; got {raw!r}")
    errors = []
    for entry in raw:
        if not isinstance(entry, list) or len(entry) != 2 or not isinstance(entry[0], str):
            raise ObjectStorageError(f"an 'Errors' entry must be [name, status]; got {entry!r}")
        status, reason = _split_status(entry[1])
        errors.append(BulkError(path=unquote(entry[0]), status=status, reason=reason))
    return tuple(errors)


def text(value: object) -> str:
    return value if isinstance(value, str) else ""
