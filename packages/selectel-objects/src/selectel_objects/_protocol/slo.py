"""Static Large Object (SLO) helpers: segment plan, segment names, manifest in and out.

Pure functions, no HTTP. The upload itself (segment PUTs, the manifest
``PUT ...?multipart-manifest=put``) belongs to the client. Bad names raise
:class:`~selectel_objects.errors.InvalidNameError` (a :class:`ValueError`), other bad arguments
:class:`ValueError`, and a malformed manifest from the server
:class:`~selectel_objects.errors.ObjectStorageError`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from selectel_objects._protocol.codec import MD5_HEX
from selectel_objects._protocol.names import (
    MAX_OBJECT_NAME_BYTES,
    check_container_name,
    check_object_name,
)
from selectel_objects.errors import InvalidNameError, ObjectStorageError

__all__ = [
    "DEFAULT_MAX_MANIFEST_SIZE",
    "DEFAULT_MAX_SEGMENTS",
    "MAX_SEGMENT_SIZE",
    "ManifestEntry",
    "SegmentInfo",
    "build_manifest",
    "manifest_etag",
    "parse_manifest",
    "plan_segments",
    "segment_name",
    "segment_prefix",
    "segments_container",
]

#: Swift's ``max_file_size``: the largest single object, hence the largest segment.
MAX_SEGMENT_SIZE = 5 * 1024**3 + 2
#: Swift's default ``slo.max_manifest_segments``.
DEFAULT_MAX_SEGMENTS = 1000
#: Swift's default ``slo.max_manifest_size`` (older clusters: 2 MiB; ``/info`` says).
DEFAULT_MAX_MANIFEST_SIZE = 8 * 1024**2
_RANGE = re.compile(r"(\d*)-(\d*)")


def plan_segments(
    total_size: int, segment_size: int, max_segments: int = DEFAULT_MAX_SEGMENTS
) -> list[int]:
    """Sizes of the segments of a ``total_size``-byte object cut every ``segment_size`` bytes.

    Every segment is ``segment_size`` bytes except a shorter last one; each is at least one
    byte. Raises :class:`ValueError` when the object needs more than ``max_segments``
    segments (the message names the smallest segment size that fits) or when
    ``segment_size`` exceeds Swift's single-object limit.
    """
    _check_int("total_size", total_size, minimum=1)
    _check_int("segment_size", segment_size, minimum=1)
    _check_int("max_segments", max_segments, minimum=1)
    if segment_size > MAX_SEGMENT_SIZE:
        raise ValueError(
            f"segment_size {segment_size} exceeds the largest object Swift accepts "
            f"({MAX_SEGMENT_SIZE} bytes)"
        )
    count = -(-total_size // segment_size)
    if count > max_segments:
        smallest = -(-total_size // max_segments)
        if smallest > MAX_SEGMENT_SIZE:
            raise ValueError(
                f"{total_size} bytes do not fit in one manifest of {max_segments} segments "
                f"of at most {MAX_SEGMENT_SIZE} bytes"
            )
        raise ValueError(
            f"{total_size} bytes in segments of {segment_size} bytes need {count} segments, "
            f"more than the {max_segments} a manifest may have; "
            f"use segment_size >= {smallest}"
        )
    last = total_size - (count - 1) * segment_size
    return [segment_size] * (count - 1) + [last]


def segments_container(container: str) -> str:
    """The conventional container for ``container``'s segments: ``<container>_segments``."""
    return f"{check_container_name(container)}_segments"


def segment_prefix(name: str, *, upload_id: str, total_size: int, segment_size: int) -> str:
    """The common prefix of one upload's segment names (list it to resume or clean up).

    ``<name>/slo/<upload_id>/<total_size>/<segment_size>/``: the same object, upload id and
    plan always give the same names, so an interrupted upload can find the segments it
    already stored. ``total_size`` is 0 when unknown (a stream).
    """
    check_object_name(name)
    if not isinstance(upload_id, str) or not upload_id:
        raise ValueError("upload_id must be a non-empty str")
    if "/" in upload_id or not upload_id.isprintable():
        raise ValueError(f"upload_id must be printable and contain no '/': {upload_id!r}")
    _check_int("total_size", total_size, minimum=0)
    _check_int("segment_size", segment_size, minimum=1)
    return f"{name}/slo/{upload_id}/{total_size}/{segment_size}/"


def segment_name(
    name: str, *, upload_id: str, total_size: int, segment_size: int, index: int
) -> str:
    """Name of segment ``index`` (0-based): ``<prefix><index:08d>``; see :func:`segment_prefix`."""
    _check_int("index", index, minimum=0)
    prefix = segment_prefix(
        name, upload_id=upload_id, total_size=total_size, segment_size=segment_size
    )
    full = f"{prefix}{index:08d}"
    if len(full.encode("utf-8")) > MAX_OBJECT_NAME_BYTES:
        raise InvalidNameError(
            f"segment name would be {len(full.encode('utf-8'))} bytes, over Swift's "
            f"{MAX_OBJECT_NAME_BYTES}-byte limit; use a shorter object name or upload id"
        )
    return full


def _normalise_etag(value: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"etag must be a str, not {type(value).__name__}")
    etag = value.strip().strip('"').lower()
    if not MD5_HEX.fullmatch(etag):
        raise ValueError(f"etag must be an MD5 hex digest; got {value!r}")
    return etag


@attrs.frozen
class SegmentInfo:
    """A stored segment as the manifest references it: where, its MD5 and its size.

    ``etag`` is the segment PUT's ``ETag`` (quotes are removed). ``range`` (``"a-b"``) uses
    only part of the segment.
    """

    container: str
    name: str
    etag: str = attrs.field(converter=_normalise_etag)
    size_bytes: int
    range: str | None = None

    @property
    def path(self) -> str:
        """``/<container>/<name>``, not percent-encoded: Swift quotes manifest paths itself."""
        return f"/{self.container}/{self.name}"


def build_manifest(
    segments: Sequence[SegmentInfo], *, max_manifest_size: int = DEFAULT_MAX_MANIFEST_SIZE
) -> bytes:
    """The JSON body of ``PUT <object>?multipart-manifest=put`` for ``segments`` in order.

    Each entry is ``{"path": "/<container>/<name>", "etag": <md5>, "size_bytes": <int>}``
    (plus ``"range"`` when set). Paths are *not* percent-encoded: Swift encodes them itself.
    """
    if not segments:
        raise ValueError("a manifest needs at least one segment")
    entries: list[dict[str, Any]] = []
    for index, segment in enumerate(segments):
        if not isinstance(segment, SegmentInfo):
            raise ValueError(f"segment {index} is a {type(segment).__name__}, not a SegmentInfo")
        check_container_name(segment.container)
        check_object_name(segment.name)
        _check_int("size_bytes", segment.size_bytes, minimum=1)
        entry: dict[str, Any] = {
            "path": segment.path,
            "etag": segment.etag,
            "size_bytes": segment.size_bytes,
        }
        if segment.range is not None:
            _check_range(segment.range)
            entry["range"] = segment.range
        entries.append(entry)
    body = json.dumps(entries, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if len(body) > max_manifest_size:
        raise ValueError(
            f"the manifest is {len(body)} bytes, over the {max_manifest_size}-byte limit; "
            "use fewer, larger segments or shorter segment names"
        )
    return body


@attrs.frozen
class ManifestEntry:
    """One entry of a stored SLO manifest (``GET <object>?multipart-manifest=get``).

    Object-backed entries have ``path`` (``/<container>/<name>``, decoded), ``etag`` and
    ``size_bytes`` (the whole segment object's size, even with a ``range``). Inline-data
    entries have ``data`` and no path.
    """

    path: str | None
    etag: str | None
    size_bytes: int
    range: str | None = None
    content_type: str | None = None
    last_modified: str | None = None
    sub_slo: bool = False
    data: bytes | None = attrs.field(default=None, repr=False)

    @property
    def container(self) -> str | None:
        """The segment's container, or ``None`` for inline data."""
        return None if self.path is None else self.path.lstrip("/").split("/", 1)[0]

    @property
    def name(self) -> str | None:
        """The segment's object name, or ``None`` for inline data."""
        return None if self.path is None else self.path.lstrip("/").split("/", 1)[1]

    @property
    def length(self) -> int:
        """Bytes this entry contributes to the large object."""
        if self.data is not None:
            return len(self.data)
        if self.range is not None:
            start, end = _range_bounds(self.range, self.size_bytes)
            return end - start + 1
        return self.size_bytes


def parse_manifest(body: bytes | str) -> list[ManifestEntry]:
    """Parse a stored manifest, as ``?multipart-manifest=get`` returns it.

    Accepts the stored form (``name``/``hash``/``bytes``) and the ``format=raw`` form
    (``path``/``etag``/``size_bytes``). Raises
    :class:`~selectel_objects.errors.ObjectStorageError` on anything else.
    """
    document = _load_json(body, "manifest")
    if not isinstance(document, list):
        raise ObjectStorageError("a manifest must be a JSON list")
    entries = []
    for index, item in enumerate(document):
        try:
            entries.append(_parse_entry(index, item))
        except ValueError as exc:  # a bad etag or range inside the server's document
            raise ObjectStorageError(f"manifest entry {index}: {exc}") from None
    return entries


def manifest_etag(segments: Iterable[SegmentInfo | ManifestEntry]) -> str:
    """The ETag Swift gives the large object: MD5 over the segments' ETags, as hex.

    A ranged segment contributes ``<etag>:<range>;`` and inline data the MD5 of the data.
    Send it as the manifest PUT's ``ETag`` to have Swift check the assembly.
    """
    total = hashlib.md5(usedforsecurity=False)
    count = 0
    for segment in segments:
        count += 1
        if isinstance(segment, ManifestEntry) and segment.data is not None:
            piece = hashlib.md5(segment.data, usedforsecurity=False).hexdigest()
        elif segment.etag is None:
            raise ValueError("every segment needs an etag to compute the manifest ETag")
        elif segment.range is not None:
            # Swift stores (and hashes) the range resolved against the segment's size.
            start, end = _range_bounds(segment.range, segment.size_bytes)
            piece = f"{segment.etag}:{start}-{end};"
        else:
            piece = segment.etag
        total.update(piece.encode("ascii"))
    if not count:
        raise ValueError("a manifest needs at least one segment")
    return total.hexdigest()


def _parse_entry(index: int, item: object) -> ManifestEntry:
    if not isinstance(item, dict):
        raise ObjectStorageError(f"manifest entry {index} is not a JSON object")
    if "data" in item:
        encoded = item["data"]
        if not isinstance(encoded, str):
            raise ObjectStorageError(f"manifest entry {index}: data must be a base64 string")
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ObjectStorageError(f"manifest entry {index}: data is not valid base64") from None
        return ManifestEntry(path=None, etag=None, size_bytes=len(data), data=data)
    path = item.get("name", item.get("path"))
    etag = item.get("hash", item.get("etag"))
    size = item.get("bytes", item.get("size_bytes"))
    if not isinstance(path, str) or "/" not in path.strip("/"):
        raise ObjectStorageError(f"manifest entry {index}: path must be /<container>/<object>")
    if etag is not None and not isinstance(etag, str):
        raise ObjectStorageError(f"manifest entry {index}: etag must be a string")
    if isinstance(size, str) and size.isdigit():
        size = int(size)
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ObjectStorageError(f"manifest entry {index}: size must be a non-negative integer")
    seg_range = item.get("range")
    if seg_range is not None:
        if not isinstance(seg_range, str):
            raise ObjectStorageError(f"manifest entry {index}: range must be a string")
        _check_range(seg_range)
    content_type = item.get("content_type")
    last_modified = item.get("last_modified")
    return ManifestEntry(
        path="/" + path.lstrip("/"),
        etag=None if etag is None else _normalise_etag(etag),
        size_bytes=size,
        range=seg_range,
        content_type=content_type if isinstance(content_type, str) else None,
        last_modified=last_modified if isinstance(last_modified, str) else None,
        sub_slo=item.get("sub_slo") in (True, "true", "True", "1", 1),
    )


def _check_range(value: str) -> None:
    match = _RANGE.fullmatch(value)
    if not match or not (match.group(1) or match.group(2)):
        raise ValueError(f"range must look like 'a-b', 'a-' or '-n'; got {value!r}")
    if match.group(1) and match.group(2) and int(match.group(1)) > int(match.group(2)):
        raise ValueError(f"range start is after its end: {value!r}")


def _range_bounds(value: str, size: int) -> tuple[int, int]:
    first, _, last = value.partition("-")
    if not first:  # suffix range "-n": the last n bytes
        return max(size - int(last), 0), size - 1
    return int(first), min(int(last), size - 1) if last else size - 1


def _load_json(body: bytes | str, what: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        snippet = body[:80] if isinstance(body, str) else body[:80].decode("utf-8", "replace")
        raise ObjectStorageError(f"the {what} is not valid JSON: {snippet!r}") from None


def _check_int(name: str, value: int, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an int; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
