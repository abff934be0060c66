"""Static large objects: manifest PUT (segments checked as the caller), GET, COPY, DELETE."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tests.fakeswift import bulk, objects, swob, tempauth
from tests.fakeswift.context import Content
from tests.fakeswift.replies import (
    HTML,
    JSON,
    TRUE_VALUES,
    Reply,
    best_match,
    error,
    plain_error,
    text_reply,
)
from tests.fakeswift.store import format_last_modified, format_listing_time

if TYPE_CHECKING:
    from tests.fakeswift.app import FakeSwift
    from tests.fakeswift.context import Ctx
    from tests.fakeswift.store import Container, StoredObject

__all__ = [
    "MAX_MANIFEST_SEGMENTS",
    "MAX_MANIFEST_SIZE",
    "MIN_SEGMENT_SIZE",
    "content",
    "copy_manifest",
    "delete",
    "manifest_reply",
    "part_bounds",
    "part_reply",
    "put",
    "raw_manifest",
    "store_manifest",
]

MAX_MANIFEST_SEGMENTS = 1000
MAX_MANIFEST_SIZE = 8 * 1024 * 1024
MIN_SEGMENT_SIZE = 1


def _segment_etag(obj: StoredObject) -> str:
    return obj.slo_etag if obj.is_slo and obj.slo_etag else obj.etag


def _parse_seg_range(value: str, size: int) -> tuple[int, int] | None:
    """``"a-b"``, ``"a-"``, ``"-n"`` within a segment of ``size`` bytes -> [start, end)."""
    first, sep, last = value.partition("-")
    if not sep:
        return None
    try:
        if first == "":
            n = int(last)
            if n == 0:
                return None
            start, end = max(size - n, 0), size
        else:
            start = int(first)
            end = size if last == "" else int(last) + 1
    except ValueError:
        return None
    if start < 0 or start >= size or end <= start:
        return None
    return start, min(end, size)


def _valid_seg_range(value: object) -> bool:
    text = str(value)
    first, sep, last = text.partition("-")
    if not sep or "," in text or (not first and not last):
        return False
    if not all(part == "" or part.isdigit() for part in (first, last)):
        return False
    return not (first and last and int(last) < int(first))


def _validate_manifest(body: bytes, own_path: str) -> list[dict[str, Any]] | Reply:
    """The structural checks of a manifest (before any segment is looked at)."""
    try:
        parsed = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return error(400, "Manifest must be valid JSON.\n")
    if not isinstance(parsed, list):
        return error(400, "Manifest must be a list.\n")
    problems: list[str] = []
    for index, entry in enumerate(parsed):
        if not isinstance(entry, dict):
            problems.append(f"Index {index}: not a JSON object")
            continue
        kind = "path" if "path" in entry else "data" if "data" in entry else None
        if kind is None:
            problems.append(f"Index {index}: expected keys to include one of 'path' or 'data'")
            continue
        allowed = {"path", "etag", "size_bytes", "range"} if kind == "path" else {"data"}
        extra = sorted(k for k in entry if k not in allowed)
        if extra:
            keys = ", ".join(json.dumps(k) for k in extra)
            problems.append(f"Index {index}: extraneous keys {keys}")
            continue
        if kind == "data":
            try:
                raw = base64.b64decode(str(entry["data"]), validate=True)
            except (binascii.Error, ValueError):
                problems.append(f"Index {index}: data must be valid base64")
                continue
            if not raw:
                problems.append(f"Index {index}: too small; each segment must be at least 1 byte.")
                continue
            entry["data"] = base64.b64encode(raw).decode("ascii")
            continue
        path = entry["path"]
        if not isinstance(path, str):
            problems.append(f'Index {index}: "path" must be a string')
            continue
        if not (entry.get("etag") is None or isinstance(entry["etag"], str)):
            problems.append(f'Index {index}: "etag" must be a string or null (if provided)')
            continue
        if "/" not in path.strip("/"):
            problems.append(
                f"Index {index}: path does not refer to an object. Path must be of the form "
                "/container/object."
            )
            continue
        size = entry.get("size_bytes")
        if size is not None:
            try:
                size = int(size)
            except (TypeError, ValueError):
                problems.append(f"Index {index}: invalid size_bytes")
                continue
            entry["size_bytes"] = size
            if size < 1 and index != len(parsed) - 1:
                problems.append(f"Index {index}: too small; each segment must be at least 1 byte.")
                continue
        # Segment paths are taken literally: "%20" in one is three characters, not a space.
        if own_path == "/" + path.lstrip("/"):
            problems.append(f"Index {index}: manifest must not include itself as a segment")
            continue
        if entry.get("range"):
            if not _valid_seg_range(entry["range"]):
                problems.append(f"Index {index}: invalid range")
                continue
            if size is not None and _parse_seg_range(str(entry["range"]), size) is None:
                problems.append(f"Index {index}: unsatisfiable range")
                continue
    if parsed and all(isinstance(e, dict) and "data" in e for e in parsed):
        problems.append("Inline data segments require at least one object-backed segment.")
    if problems:
        return plain_error(400, "".join(p + "\n" for p in problems))
    return parsed


def put(fake: FakeSwift, ctx: Ctx, cont: Container) -> Reply:
    """``PUT ...?multipart-manifest=put``: validate the segments and store the manifest."""
    assert ctx.account is not None and ctx.container is not None and ctx.obj is not None
    length = ctx.header("Content-Length")
    if length is None and "chunked" not in (ctx.header("Transfer-Encoding") or "").lower():
        return error(411)
    if length is not None and length.isdigit() and int(length) > MAX_MANIFEST_SIZE:
        return error(413, f"Manifest File > {MAX_MANIFEST_SIZE} bytes")
    if len(ctx.body) > MAX_MANIFEST_SIZE:
        return error(413, f"Manifest File > {MAX_MANIFEST_SIZE} bytes")
    dst = (ctx.account, ctx.container, ctx.obj)
    # The manifest is stored by an ordinary object PUT, which honours If-None-Match: *.
    if_none_match = ctx.header("If-None-Match")
    if if_none_match is not None and if_none_match.strip() != "*":
        return plain_error(400, "If-None-Match only supports *")
    if if_none_match is not None and objects.live_object(fake, *dst) is not None:
        return error(412)
    return store_manifest(fake, ctx, ctx.body, dst, cont, base=None)


def store_manifest(
    fake: FakeSwift,
    ctx: Ctx,
    body: bytes,
    dst: tuple[str, str, str],
    cont: Container,
    *,
    base: StoredObject | None,
) -> Reply:
    """Check a manifest's segments as SLO does (HEAD each as the caller) and store it."""
    account, _, name = dst
    parsed = _validate_manifest(body, f"/{dst[1]}/{name}")
    if isinstance(parsed, Reply):
        return parsed
    if sum(1 for e in parsed if "path" in e) > MAX_MANIFEST_SEGMENTS:
        return error(413, f"Number of object-backed segments must be <= {MAX_MANIFEST_SEGMENTS}")
    content_type = best_match(ctx.header("Accept"), bulk.BULK_TYPES) or "text/plain"
    heartbeat = ctx.query.get("heartbeat", "").lower() in TRUE_VALUES
    prefix = b" \r\n\r\n" if heartbeat else b""
    problems: list[list[str]] = []
    stored: list[dict[str, Any]] = []
    total = 0
    for index, entry in enumerate(parsed):
        if "data" in entry:
            stored.append({"data": entry["data"]})
            total += len(base64.b64decode(entry["data"]))
            continue
        path = str(entry["path"])
        seg_cont, _, seg_name = path.lstrip("/").partition("/")
        seg = None
        denied = tempauth.authorize_as_caller(fake, ctx, container=seg_cont, write=False)
        if denied is None:
            seg = objects.live_object(fake, account, seg_cont, seg_name)
        if seg is None:
            problems.append([quote(path), bulk.status_line(denied or 404)])
            continue
        seg_etag = _segment_etag(seg)
        length = seg.size
        record: dict[str, Any] = {
            "name": "/" + path.lstrip("/"),
            "bytes": seg.size,
            "hash": seg_etag,
            "content_type": seg.content_type,
            "last_modified": _whole_second_listing_time(seg.timestamp),
        }
        if entry.get("range"):
            bounds = _parse_seg_range(str(entry["range"]), seg.size)
            if bounds is None:
                problems.append([quote(path), "Unsatisfiable Range"])
            elif bounds != (0, seg.size):
                record["range"] = f"{bounds[0]}-{bounds[1] - 1}"
                length = bounds[1] - bounds[0]
        if length < MIN_SEGMENT_SIZE and index != len(parsed) - 1:
            problems.append([quote(path), "Too small; each segment must be at least 1 byte."])
        if entry.get("size_bytes") is not None and entry["size_bytes"] != seg.size:
            problems.append([quote(path), "Size Mismatch"])
        if entry.get("etag") is not None and entry["etag"] != seg_etag:
            problems.append([quote(path), "Etag Mismatch"])
        if seg.is_slo:
            record["sub_slo"] = True
        stored.append(record)
        total += length
    if problems:
        if heartbeat:
            result = {
                "Response Status": bulk.status_line(400),
                "Response Body": bulk.BAD_REQUEST_REASON,
            }
            return bulk.bulk_reply(
                content_type, result, problems, "upload", status=202, prefix=prefix
            )
        return bulk.bulk_reply(content_type, {}, problems, "upload", status=400)
    hasher = hashlib.md5()
    for record in stored:
        if "data" in record:
            hasher.update(hashlib.md5(base64.b64decode(record["data"])).hexdigest().encode())
        elif "range" in record:
            hasher.update(f"{record['hash']}:{record['range']};".encode())
        else:
            hasher.update(str(record["hash"]).encode())
    slo_etag = hasher.hexdigest()
    sent_etag = ctx.header("ETag") if base is None else None
    if sent_etag is not None and sent_etag.strip().strip('"').lower() != slo_etag:
        if heartbeat:
            result = {
                "Response Status": bulk.status_line(422),
                "Response Body": "Unprocessable Entity\n"
                "Unable to process the contained instructions",
            }
            return bulk.bulk_reply(content_type, result, [], "upload", status=202, prefix=prefix)
        return error(422)
    manifest = json.dumps(stored).encode("utf-8")
    built = objects.build_object(fake, ctx, manifest, base=base, name=name, check_etag=False)
    if isinstance(built, Reply):
        return built
    built.slo_segments = stored
    built.slo_etag = slo_etag
    built.slo_size = total
    cont.objects[name] = built
    if heartbeat:
        result = {
            "Response Status": bulk.status_line(201),
            "Etag": f'"{slo_etag}"',
            "Last Modified": format_last_modified(built.timestamp),
            "Response Body": "",
        }
        return bulk.bulk_reply(content_type, result, [], "upload", status=202, prefix=prefix)
    reply = text_reply(201, "", HTML)
    reply.set("Etag", f'"{slo_etag}"')
    reply.set("Last-Modified", format_last_modified(built.timestamp))
    return reply


def raw_manifest(obj: StoredObject) -> bytes:
    """``?multipart-manifest=get&format=raw``: the manifest as it would be PUT (sorted keys)."""
    raw: list[dict[str, object]] = []
    for seg in obj.slo_segments or []:
        if "data" in seg:
            raw.append({"data": seg["data"]})
            continue
        item: dict[str, object] = {
            "path": seg["name"],
            "etag": seg["hash"],
            "size_bytes": seg["bytes"],
        }
        if "range" in seg:
            item["range"] = seg["range"]
        raw.append(item)
    return json.dumps(raw, sort_keys=True).encode("utf-8")


def copy_manifest(
    fake: FakeSwift,
    ctx: Ctx,
    source: StoredObject,
    dst: tuple[str, str, str],
    cont: Container,
) -> Reply:
    """COPY ``?multipart-manifest=get`` of an SLO: its raw manifest is PUT (and checked) anew."""
    return store_manifest(fake, ctx, raw_manifest(source), dst, cont, base=source)


def _whole_second_listing_time(timestamp: float) -> str:
    # SLO records a segment's Last-Modified (whole seconds, rounded up).
    whole = int(timestamp) if timestamp == int(timestamp) else int(timestamp) + 1
    return format_listing_time(float(whole))


def content(
    fake: FakeSwift, account: str, obj: StoredObject, depth: int = 0, *, ctx: Ctx | None = None
) -> Content:
    """The concatenated segments of an SLO (``broken_at`` where a segment no longer fits).

    With ``ctx`` each segment is fetched with the caller's rights: one it may not read
    breaks the object there, as a missing one does.
    """

    parts: list[tuple[bytes, int, int]] = []
    offset = 0
    for entry in obj.slo_segments or []:
        if "data" in entry:
            raw = base64.b64decode(str(entry["data"]))
            parts.append((raw, 0, len(raw)))
            offset += len(raw)
            continue
        seg_cont, _, seg_name = str(entry["name"]).lstrip("/").partition("/")
        seg = objects.live_object(fake, account, seg_cont, seg_name)
        if ctx is not None and tempauth.authorize(
            fake, ctx, write=False, account=account, container=seg_cont
        ):
            seg = None
        if seg is None or _segment_etag(seg) != entry.get("hash") or depth > 10:
            return Content(parts, obj.size, broken_at=offset)
        if seg.is_slo:
            inner = content(fake, account, seg, depth + 1, ctx=ctx)
            if inner.broken_at is not None:
                return Content(parts, obj.size, broken_at=offset)
            seg_parts, seg_size = inner.parts, inner.size
        else:
            seg_parts, seg_size = [(seg.data, 0, len(seg.data))], len(seg.data)
        start, end = 0, seg_size
        if "range" in entry:
            bounds = _parse_seg_range(str(entry["range"]), seg_size)
            if bounds is None:
                return Content(parts, obj.size, broken_at=offset)
            start, end = bounds
        pos = 0
        for buf, pstart, pend in seg_parts:
            plen = pend - pstart
            lo, hi = max(start - pos, 0), min(end - pos, plen)
            if lo < hi:
                parts.append((buf, pstart + lo, pstart + hi))
            pos += plen
        offset += end - start
    return Content(parts, offset)


def manifest_reply(ctx: Ctx, obj: StoredObject) -> Reply:
    """``GET ...?multipart-manifest=get``: the stored manifest (``format=raw``: as PUT)."""
    headers = objects.object_headers(obj, manifest_get=True)
    if ctx.query.get("format") == "raw":
        body = raw_manifest(obj)
    else:
        body = obj.data
        headers["Content-Type"] = JSON
    headers["Etag"] = hashlib.md5(body).hexdigest()
    headers["Content-Length"] = str(len(body))
    return Reply(200, headers, body, len(body))


def delete(fake: FakeSwift, ctx: Ctx) -> Reply:
    """``DELETE ...?multipart-manifest=delete``: the segments, then the manifest (bulk style)."""
    assert ctx.account is not None and ctx.container is not None and ctx.obj is not None
    content_type = best_match(ctx.header("Accept"), bulk.BULK_TYPES)
    result: dict[str, Any] = {
        "Response Status": "200 OK",
        "Response Body": "",
        "Number Deleted": 0,
        "Number Not Found": 0,
    }
    errors: list[list[str]] = []
    if content_type is None:
        result["Response Status"] = bulk.status_line(406)
        return bulk.bulk_reply(content_type, result, errors, "delete")
    # Manifests are expanded depth first; each is deleted after its segments.
    pending: list[tuple[str, bool]] = [(f"/{ctx.container}/{ctx.obj}", True)]
    order: list[str] = []
    while pending:
        name, is_manifest = pending.pop(0)
        if not is_manifest:
            order.append(name)
            continue
        cont, _, obj_name = name.lstrip("/").partition("/")
        denied = tempauth.authorize_as_caller(fake, ctx, container=cont, write=False)
        manifest = None if denied else objects.live_object(fake, ctx.account, cont, obj_name)
        if denied or manifest is None:
            status = denied or 404
            if status == 404:
                result["Number Not Found"] += 1
            else:
                errors.append([quote(name), bulk.status_line(status)])
            continue
        if not manifest.is_slo:
            errors.append([quote(name), "Not an SLO manifest"])
            continue
        for seg in manifest.slo_segments or []:
            if "data" not in seg:
                pending.append((str(seg["name"]), bool(seg.get("sub_slo"))))
        pending.append((name, False))
    for name in order:
        status = bulk.sub_delete(fake, ctx, name)
        if status // 100 == 2:
            result["Number Deleted"] += 1
        elif status == 404:
            result["Number Not Found"] += 1
        else:
            errors.append([quote(name), bulk.status_line(status)])
    if errors:
        result["Response Status"] = bulk.status_line(400)
    elif not (result["Number Deleted"] or result["Number Not Found"]):
        result["Response Status"] = bulk.status_line(400)
        result["Response Body"] = "Invalid bulk delete."
    return bulk.bulk_reply(content_type, result, errors, "delete")


def part_bounds(ctx: Ctx, obj: StoredObject) -> tuple[int, int, int] | Reply:
    """``?part-number=N``: (start, end, parts) of segment N, or the 400 that refuses it.

    A part past the last one is judged later (after the conditions): end <= start then.
    """
    given = ctx.query.get("part-number", "")
    number = int(given) if given.isdigit() else 0
    if number < 1:
        return error(400, "Part number must be an integer greater than 0")
    if ctx.header("Range") is not None:
        return error(400, "Range requests are not supported with part number queries")
    lengths: list[int] = []
    for entry in obj.slo_segments or []:
        if "data" in entry:
            lengths.append(len(base64.b64decode(str(entry["data"]))))
        elif "range" in entry:
            first, _, last = str(entry["range"]).partition("-")
            lengths.append(int(last) - int(first) + 1)
        else:
            lengths.append(int(str(entry["bytes"])))
    if number > len(lengths):
        return (0, 0, len(lengths))
    start = sum(lengths[: number - 1])
    return (start, start + lengths[number - 1], len(lengths))


def part_reply(ctx: Ctx, reply: Reply, whole: Content, part: tuple[int, int, int]) -> Reply:
    """The 206 of one part (``X-Parts-Count``), or 416 for a part that is not there."""
    start, end, count = part
    if end <= start:
        bad = text_reply(416, "The requested part number is not satisfiable", "")
        bad.headers.update(
            {k: v for k, v in reply.headers.items() if k.lower() != "content-length"}
        )
        bad.set("Content-Range", f"bytes */{whole.size}")
        bad.set("X-Parts-Count", str(count))
        return bad
    answer = swob.range_reply(reply, whole, [(start, end)])
    answer.set("X-Parts-Count", str(count))
    return answer
