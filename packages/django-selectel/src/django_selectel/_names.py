"""The one path every Django file name takes before it becomes a Swift object name."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Final

from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from selectel_objects import MAX_OBJECT_NAME_BYTES

__all__ = [
    "MAX_OBJECT_NAME_BYTES",
    "alternative_name",
    "clean_name",
    "fit_name",
    "join_location",
    "normalise_location",
    "split_ext",
]

# Swift's limit on an object name, in UTF-8 bytes.
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


def split_ext(file_name: str) -> tuple[str, str]:
    """``(root, extension)`` as Django splits them: every suffix is the extension.

    ``"a.tar.gz"`` gives ``("a", ".tar.gz")``.
    """
    ext = "".join(PurePosixPath(file_name).suffixes)
    return file_name.removesuffix(ext), ext


def fit_name(name: str, max_length: int | None) -> str:
    """``name`` cut to ``max_length`` characters at the end of its root (the extension stays)."""
    if max_length is None or len(name) <= max_length:
        return name
    dir_name, file_name = posixpath.split(name)
    root, ext = split_ext(file_name)
    cut = len(name) - max_length
    if cut >= len(root):
        raise SuspiciousFileOperation(
            f"Storage can not fit {name!r} into {max_length} characters; allow a longer "
            "max_length on the field"
        )
    return posixpath.join(dir_name, root[:-cut] + ext)


def alternative_name(
    name: str, max_length: int | None, alternative: Callable[[str, str], str]
) -> str:
    """Another name for ``name`` from Django's ``get_alternative_name(root, ext)``, fitted."""
    dir_name, file_name = posixpath.split(name)
    root, ext = split_ext(file_name)
    candidate = posixpath.join(dir_name, alternative(root, ext))
    if max_length is not None and len(candidate) > max_length:
        cut = len(candidate) - max_length
        if cut >= len(root):
            raise SuspiciousFileOperation(
                f"Storage can not find an available name for {name!r} within {max_length} "
                "characters; allow a longer max_length on the field"
            )
        candidate = posixpath.join(dir_name, alternative(root[:-cut], ext))
    return candidate
