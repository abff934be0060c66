"""Text and ``--json`` output. The JSON fields are a stable interface (README, CLI section).

Listings are one JSON array, written as the pages arrive (a huge listing is never held in
memory); ``stat`` prints one JSON object. Dates are ISO 8601 UTC; sizes are bytes.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import Any, TextIO

from selectel_objects import (
    AccountInfo,
    ContainerEntry,
    ContainerInfo,
    ObjectEntry,
    ObjectInfo,
    SubdirEntry,
)
from selectel_objects.cli._progress import human_bytes

__all__ = [
    "account_fields",
    "container_entry_fields",
    "container_fields",
    "iso",
    "object_entry_fields",
    "object_fields",
    "write_json_array",
    "write_text_stat",
]


def iso(moment: datetime | float | None) -> str | None:
    """``2026-12-02T17:06:14.123456Z`` (UTC), or ``None``."""
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def account_fields(info: AccountInfo, storage_url: str | None) -> dict[str, Any]:
    """``stat`` of the account."""
    return {
        "storage_url": storage_url,
        "containers": info.container_count,
        "objects": info.object_count,
        "bytes": info.bytes_used,
        "metadata": dict(info.metadata),
    }


def container_fields(name: str, info: ContainerInfo) -> dict[str, Any]:
    """``stat`` of a container."""
    return {
        "container": name,
        "objects": info.object_count,
        "bytes": info.bytes_used,
        "read_acl": info.read_acl,
        "write_acl": info.write_acl,
        "storage_policy": info.storage_policy,
        "metadata": dict(info.metadata),
    }


def object_fields(container: str, name: str, info: ObjectInfo) -> dict[str, Any]:
    """``stat`` of an object; ``etag`` is the content's (a large object's own ETag)."""
    return {
        "container": container,
        "name": name,
        "size": info.content_length,
        "content_type": info.content_type,
        "etag": info.etag,
        "last_modified": iso(info.last_modified),
        "large": info.static_large_object or info.object_manifest is not None,
        "delete_at": info.delete_at,
        "cache_control": info.cache_control,
        "content_disposition": info.content_disposition,
        "content_encoding": info.content_encoding,
        "metadata": dict(info.metadata),
    }


def container_entry_fields(entry: ContainerEntry) -> dict[str, Any]:
    """One container of ``list``."""
    return {
        "name": entry.name,
        "objects": entry.object_count,
        "bytes": entry.bytes_used,
        "last_modified": iso(entry.last_modified),
    }


def object_entry_fields(entry: ObjectEntry | SubdirEntry) -> dict[str, Any]:
    """One object of ``list`` (``{"subdir": ...}`` for a folded prefix)."""
    if isinstance(entry, SubdirEntry):
        return {"subdir": entry.name}
    return {
        "name": entry.name,
        "size": entry.size,
        "etag": entry.slo_etag or entry.etag,
        "content_type": entry.content_type,
        "last_modified": iso(entry.last_modified),
        "large": entry.slo_etag is not None,
    }


def write_json_array(out: TextIO, items: Iterable[Mapping[str, Any]]) -> int:
    """Write ``items`` as a JSON array, one item per line; returns how many."""
    count = 0
    iterator = iter(items)
    # The first page is fetched before anything is written: a missing container then
    # leaves stdout empty instead of a half JSON document.
    first = next(iterator, None)
    out.write("[")
    for item in itertools.chain([first] if first is not None else [], iterator):
        out.write(("\n" if not count else ",\n") + json.dumps(item, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def _text_lines(fields: Mapping[str, Any]) -> Iterator[str]:
    width = max(len(k) for k in fields)
    for key, value in fields.items():
        if key == "metadata":
            for meta_key, meta_value in sorted(value.items()):
                yield f"{'meta ' + meta_key:>{width}}: {meta_value}"
            continue
        if value is None:
            continue
        shown = f"{value} ({human_bytes(value)})" if key in {"bytes", "size"} else value
        yield f"{key:>{width}}: {shown}"


def write_text_stat(out: TextIO, fields: Mapping[str, Any]) -> None:
    """``key: value`` lines, right-aligned keys, metadata last."""
    for line in _text_lines(fields):
        out.write(line + "\n")
