"""Container and object names: validation (before any request) and URL encoding."""

from __future__ import annotations

import functools
from urllib.parse import quote

from selectel_objects.errors import InvalidNameError

__all__ = [
    "MAX_CONTAINER_NAME_BYTES",
    "MAX_OBJECT_NAME_BYTES",
    "check_container_name",
    "check_object_name",
    "object_path",
    "quote_container",
    "quote_object",
]

MAX_OBJECT_NAME_BYTES = 1024
MAX_CONTAINER_NAME_BYTES = 256


def _check(kind: str, name: object, limit: int) -> bytes:
    if not isinstance(name, str):
        raise TypeError(f"{kind} name must be str, not {type(name).__name__}")
    if not name:
        raise InvalidNameError(f"{kind} name is empty")
    if "\x00" in name:
        raise InvalidNameError(f"{kind} name {name!r} contains a NUL character")
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidNameError(
            f"{kind} name {name!r} is not valid Unicode (a lone surrogate?); "
            "decode file names with errors='strict' or fix them first"
        ) from None
    if len(encoded) > limit:
        raise InvalidNameError(
            f"{kind} name is {len(encoded)} bytes in UTF-8; Swift allows at most {limit}"
        )
    return encoded


def check_object_name(name: object) -> str:
    """``name`` if Swift can store an object under it, else :class:`InvalidNameError`."""
    _check("object", name, MAX_OBJECT_NAME_BYTES)
    assert isinstance(name, str)
    return name


def check_container_name(name: object) -> str:
    """``name`` if it is a valid container name (no ``/``, at most 256 bytes)."""
    _check("container", name, MAX_CONTAINER_NAME_BYTES)
    assert isinstance(name, str)
    if "/" in name:
        raise InvalidNameError(f"container name {name!r} contains '/'")
    if name in {".", ".."}:
        raise InvalidNameError(f"container name {name!r} is a path step, not a name")
    return name


@functools.lru_cache(maxsize=1024)
def quote_container(name: str) -> str:
    """The URL path segment for a container."""
    return _protect_dots(quote(name, safe=""))


def quote_object(name: str) -> str:
    """The URL path for an object name: UTF-8, percent-encoded, ``/`` kept literal.

    ``.`` and ``..`` segments are encoded (``%2E``) because HTTP libraries would otherwise
    collapse them and address another object.
    """
    quoted = quote(name, safe="/")
    if "/." not in f"/{quoted}":  # no segment starts with a dot: nothing to protect
        return quoted
    return "/".join(_protect_dots(part) for part in quoted.split("/"))


def object_path(container: str, name: str) -> str:
    """``/<container>/<object>``, URL-encoded, as ``Destination`` and ``X-Copy-From`` want."""
    return f"/{quote_container(container)}/{quote_object(name)}"


def _protect_dots(segment: str) -> str:
    return segment.replace(".", "%2E") if segment in {".", ".."} else segment
