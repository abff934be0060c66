"""The base of :class:`~selectel_objects.Container`: name, pipeline, shared helpers."""

from __future__ import annotations

import functools
import mimetypes
from typing import TYPE_CHECKING

from selectel_objects._pipeline.pipeline import Pipeline
from selectel_objects._protocol.names import (
    check_container_name,
)

if TYPE_CHECKING:
    from typing import Self

__all__ = ["ByteRange", "ContainerBase", "guess_type", "range_value"]


ByteRange = tuple[int | None, int | None]


def range_value(byte_range: ByteRange | None) -> str | None:
    if byte_range is None:
        return None
    first, last = byte_range
    if first is None and last is None:
        raise ValueError("range needs a start, an end, or both")
    if first is None:
        assert last is not None
        if last <= 0:
            raise ValueError("a suffix range (None, n) needs n > 0")
        return f"bytes=-{last}"
    if first < 0 or (last is not None and last < first):
        raise ValueError(f"invalid byte range {byte_range!r}: want 0 <= start <= end")
    return f"bytes={first}-" if last is None else f"bytes={first}-{last}"


def guess_type(name: str) -> str:
    """The content type an object name suggests, ``application/octet-stream`` if none."""
    # The type depends on the name's extensions only: look each one up once.
    base = name.rpartition("/")[2].lstrip(".")
    dot = base.find(".")
    return _type_of_extensions(base[dot:] if dot >= 0 else "")


@functools.lru_cache(maxsize=512)
def _type_of_extensions(extensions: str) -> str:
    guessed, _encoding = mimetypes.guess_type(f"x{extensions}", strict=False)
    return guessed or "application/octet-stream"


class ContainerBase:
    """What every part of :class:`~selectel_objects.Container` shares: the pipeline, the
    name, where its objects are served."""

    def __init__(self, pipeline: Pipeline, name: str, *, public_base_url: str | None) -> None:
        self._pipeline = pipeline
        self._name = check_container_name(name)
        self._public_base_url = public_base_url.rstrip("/") if public_base_url else None

    def __repr__(self) -> str:
        return f"Container({self._name!r})"

    @property
    def name(self) -> str:
        """The container name."""
        return self._name

    def _sibling(self, name: str) -> Self:
        """Another container of the same account (large objects put segments there)."""
        raise NotImplementedError
