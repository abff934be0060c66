"""Account and container listings: listing_formats (format=, Accept) and the listing walk."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from tests.fakeswift import symlink
from tests.fakeswift.constraints import LISTING_LIMIT, STORAGE_POLICY
from tests.fakeswift.replies import (
    PLAIN,
    TRUE_VALUES,
    Reply,
    best_match,
    error,
    json_reply,
    plain_error,
    text_reply,
)
from tests.fakeswift.store import format_listing_time, utf8_key

if TYPE_CHECKING:
    from tests.fakeswift.app import FakeSwift
    from tests.fakeswift.context import App, Ctx
    from tests.fakeswift.store import Container, StoredObject

__all__ = [
    "container_entry",
    "list_names",
    "listing_format",
    "listing_reply",
    "middleware",
    "object_entry",
    "vary",
]

_FORMAT_TYPES = {"json": "application/json", "xml": "application/xml", "plain": "text/plain"}
_LISTING_TYPES = ("text/plain", "application/json", "application/xml", "text/xml")
_XML_FIELDS = {
    "account": ("name", "count", "bytes", "last_modified", "storage_policy"),
    "container": ("name", "hash", "bytes", "content_type", "last_modified"),
}


def middleware(fake: FakeSwift, ctx: Ctx, app: App) -> Reply:
    """listing_formats: a listing in a format nobody can serve is refused up front."""
    if ctx.obj is None and ctx.method in ("GET", "HEAD"):
        if "format" in ctx.bad_params:
            return plain_error(400, '"format" parameter not valid UTF-8')
        if listing_format(ctx) is None:
            return error(406)
    return app(ctx)


def listing_format(ctx: Ctx) -> str | None:
    """Content type of a listing (``format=`` wins over ``Accept``); None: 406."""
    fmt = ctx.query.get("format")
    if fmt:
        return _FORMAT_TYPES.get(fmt.lower(), "text/plain")
    return best_match(ctx.header("Accept"), _LISTING_TYPES)


def vary(ctx: Ctx, reply: Reply) -> None:
    """listing_formats answers by Accept unless format= was given, and says so."""
    if "format" not in ctx.query and reply.status in (200, 204):
        reply.set("Vary", "Accept")


def listing_reply(
    ctx: Ctx,
    names: list[str],
    entry: Callable[[str], dict[str, object]],
    root: tuple[str, str],
    headers: Mapping[str, str],
) -> Reply:
    """A GET of an account or container: ``names`` walked by the query, in the asked format."""
    for param in ("path", "prefix", "delimiter", "marker", "end_marker"):
        if param in ctx.bad_params:
            return plain_error(400, f'"{param}" parameter not valid UTF-8')
    limit = LISTING_LIMIT
    given = ctx.query.get("limit")
    if given and given.isdigit():
        limit = int(given)
        if limit > LISTING_LIMIT:
            return error(412, f"Maximum limit is {LISTING_LIMIT}")
    prefix = ctx.query.get("prefix", "")
    delimiter = ctx.query.get("delimiter", "")
    path = ctx.query.get("path")
    if path is not None and root[0] == "container":
        # ``path``: the objects right inside a pseudo folder, without its subfolders.
        prefix = path.rstrip("/") + "/" if path else ""
        delimiter = "/"
    items = list_names(
        names,
        limit=limit,
        marker=ctx.query.get("marker", ""),
        end_marker=ctx.query.get("end_marker", ""),
        prefix=prefix,
        delimiter=delimiter,
        reverse=ctx.query.get("reverse", "").lower() in TRUE_VALUES,
    )
    if path is not None and root[0] == "container":
        items = [(name, is_subdir) for name, is_subdir in items if not is_subdir]
    fmt = listing_format(ctx) or "text/plain"
    if fmt == "application/json":
        out = [entry(name) if not is_subdir else {"subdir": name} for name, is_subdir in items]
        reply = json_reply(200, out)
    elif fmt.endswith("/xml"):
        reply = _xml_listing(root, [(n, s, None if s else entry(n)) for n, s in items], fmt)
    elif not items:
        reply = text_reply(204, "", PLAIN)
    else:
        reply = text_reply(200, "".join(name + "\n" for name, _ in items), PLAIN)
    reply.headers.update(headers)
    vary(ctx, reply)
    return reply


def list_names(
    names: list[str],
    *,
    limit: int,
    marker: str,
    end_marker: str,
    prefix: str,
    delimiter: str,
    reverse: bool,
) -> list[tuple[str, bool]]:
    """Swift's listing walk: (name, is_subdir) in order, at most ``limit`` entries."""
    mk = utf8_key(marker) if marker else None
    emk = utf8_key(end_marker) if end_marker else None
    seq = reversed(names) if reverse else iter(names)
    out: list[tuple[str, bool]] = []
    last_subdir: str | None = None
    for name in seq:
        if len(out) >= limit:
            break
        key = utf8_key(name)
        if reverse:
            if mk is not None and key >= mk:
                continue
            if emk is not None and key <= emk:
                break
        else:
            if mk is not None and key <= mk:
                continue
            if emk is not None and key >= emk:
                break
        if prefix and not name.startswith(prefix):
            continue
        if delimiter:
            idx = name.find(delimiter, len(prefix))
            if idx >= 0:
                subdir = name[: idx + len(delimiter)]
                if subdir in (last_subdir, marker):
                    continue
                last_subdir = subdir
                out.append((subdir, True))
                continue
        out.append((name, False))
    return out


def container_entry(cont: Container) -> dict[str, object]:
    """An account listing item, keys in the order Swift's account server writes them."""
    return {
        "name": cont.name,
        "count": cont.object_count,
        "bytes": cont.bytes_used,
        "last_modified": format_listing_time(cont.timestamp),
        "storage_policy": STORAGE_POLICY,
    }


def object_entry(name: str, obj: StoredObject, account: str) -> dict[str, object]:
    """A container listing item, keys in the order Swift's container server writes them."""
    entry: dict[str, object] = {
        "bytes": obj.size,
        "hash": obj.etag if not obj.is_slo else obj.manifest_etag,
        "name": name,
        "content_type": obj.content_type,
        "last_modified": format_listing_time(obj.timestamp),
    }
    if obj.is_slo:
        entry["slo_etag"] = f'"{obj.slo_etag}"'
    entry.update(symlink.listing_fields(account, obj))
    return entry


def _xml_listing(
    root: tuple[str, str],
    items: list[tuple[str, bool, dict[str, object] | None]],
    content_type: str,
) -> Reply:
    """Swift's XML listings (ElementTree output: ``<container name="c" />`` when empty)."""
    tag, name = root
    doc = ElementTree.Element(tag, name=name)
    if tag == "account":
        doc.text = "\n"
    for item_name, is_subdir, entry in items:
        if is_subdir:
            sub = ElementTree.SubElement(doc, "subdir", name=item_name)
            if tag == "container":
                ElementTree.SubElement(sub, "name").text = item_name
        else:
            assert entry is not None
            sub = ElementTree.SubElement(doc, "container" if tag == "account" else "object")
            for key in _XML_FIELDS[tag]:
                if key in entry:
                    ElementTree.SubElement(sub, key).text = str(entry[key])
        if tag == "account":
            sub.tail = "\n"
    body = ElementTree.tostring(doc, encoding="unicode")
    text = f'<?xml version="1.0" encoding="UTF-8"?>\n{body}'
    return text_reply(200, text, f"{content_type}; charset=utf-8")
