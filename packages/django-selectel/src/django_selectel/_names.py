"""The one path every Django file name takes before it becomes a Swift object name."""

from __future__ import annotations

import re
from typing import Final

from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation

__all__ = ["MAX_OBJECT_NAME_BYTES", "clean_name", "join_location", "normalise_location"]

# Swift's limit on an object name, in UTF-8 bytes.
MAX_OBJECT_NAME_BYTES: Final = 1024
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")


def _check_text(name: object, what: str) -> str:
    if not isinstance(name, str):
        raise SuspiciousFileOperation(f"{what} must be a string, not {type(name).__name__}")
    if _CONTROL.search(name):
        raise SuspiciousFileOperation(f"{what} {name!r} contains a NUL or control character")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise SuspiciousFileOperation(f"{what} {name!r} is not valid Unicode") from None
    return name


def clean_name(name: object, *, allow_empty: bool = False) -> str:
    """Validate and canonicalise a name relative to the storage's location.

    Backslashes count as separators (as in Django's own checks), ``.`` segments and repeated
    slashes collapse, and a trailing slash is dropped. ``..`` segments, absolute names, NUL
    and control characters raise :class:`~django.core.exceptions.SuspiciousFileOperation`.
    """
    text = _check_text(name, "File name").replace("\\", "/")
    if text.startswith("/"):
        raise SuspiciousFileOperation(f"Absolute file name {text!r} is not allowed")
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise SuspiciousFileOperation(f"Detected path traversal attempt in {text!r}")
    if not parts and not allow_empty:
        raise SuspiciousFileOperation(f"Could not derive a file name from {text!r}")
    return "/".join(parts)


def join_location(location: str, name: str) -> str:
    """The object name for ``name`` under ``location``, checked against Swift's length limit."""
    full = f"{location}/{name}" if location and name else location or name
    size = len(full.encode("utf-8"))
    if size > MAX_OBJECT_NAME_BYTES:
        raise SuspiciousFileOperation(
            f"File name is too long: {size} bytes as an object name (the limit is "
            f"{MAX_OBJECT_NAME_BYTES} UTF-8 bytes including the location prefix)"
        )
    return full


def normalise_location(location: str, source: str) -> str:
    """The ``location`` option: a prefix such as ``media/2024``; must not escape upwards."""
    try:
        return clean_name(location, allow_empty=True)
    except SuspiciousFileOperation as exc:
        raise ImproperlyConfigured(f"{source}: option 'location' is invalid: {exc}") from None
