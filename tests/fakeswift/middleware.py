"""Swift middleware the fake implements: /info, bulk delete, archive extraction, SLO, DLO,
TempURL, FormPost, and Selectel's legacy sendmefile uploads."""

from __future__ import annotations

import base64
import binascii
import calendar
import hashlib
import hmac
import io
import ipaddress
import json
import posixpath
import secrets
import tarfile
import time
import zlib
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape as xml_escape

from tests.fakeswift.replies import (
    BARE_PLAIN,
    HTML,
    JSON,
    TRUE_VALUES,
    Reply,
    best_match,
    error,
    header_text,
    plain_error,
    text_reply,
    wire_bytes,
)
from tests.fakeswift.store import Container, StoredObject, format_last_modified, format_listing_time

if TYPE_CHECKING:
    from tests.fakeswift.app import Ctx, FakeSwift, _Content

__all__ = [
    "bulk_delete",
    "dlo_content",
    "extract_archive",
    "formpost",
    "info_document",
    "sendmefile_link_check",
    "sendmefile_upload",
    "slo_content",
    "slo_delete",
    "slo_manifest_reply",
    "slo_put",
    "tempurl",
]

MAX_MANIFEST_SEGMENTS = 1000
MAX_MANIFEST_SIZE = 8 * 1024 * 1024
MIN_SEGMENT_SIZE = 1
MAX_DELETES_PER_REQUEST = 10000
MAX_FAILED_DELETES = 1000
MAX_CONTAINERS_PER_EXTRACTION = 10000
MAX_FAILED_EXTRACTIONS = 1000
TEMPURL_METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")
ALLOWED_DIGESTS = ("sha1", "sha256", "sha512")
_DIGEST_BY_HEX_LENGTH = {40: "sha1", 64: "sha256", 128: "sha512"}
_TEMPURL_DISALLOWED_HEADERS = ("X-Object-Manifest", "X-Symlink-Target")


def info_document() -> dict[str, object]:
    """``GET /info`` as real Swift 2.38 (scripts/realswift.py) answers it, key order included.

    Sections of middleware the fake does not implement are left out (symlink,
    versioned_writes, object_versioning, account_quotas, staticweb, ratelimit), so a client
    probing for them sees what the fake can do.
    """
    from tests.fakeswift import app as app_module

    digests = list(ALLOWED_DIGESTS)
    return {
        "swift": {
            "version": "2.38.3",
            "strict_cors_mode": True,
            "policies": [{"name": "gold", "aliases": "gold", "default": True}],
            "allow_account_management": True,
            "account_autocreate": True,
            "allow_open_expired": False,
            "max_file_size": app_module.MAX_FILE_SIZE,
            "max_meta_name_length": app_module.MAX_META_NAME_LENGTH,
            "max_meta_value_length": app_module.MAX_META_VALUE_LENGTH,
            "max_meta_count": app_module.MAX_META_COUNT,
            "max_meta_overall_size": app_module.MAX_META_OVERALL_SIZE,
            "max_header_size": app_module.MAX_HEADER_SIZE,
            "max_request_line": 8192,
            "max_object_name_length": app_module.MAX_OBJECT_NAME_LENGTH,
            "container_listing_limit": app_module.LISTING_LIMIT,
            "account_listing_limit": app_module.LISTING_LIMIT,
            "max_account_name_length": app_module.MAX_ACCOUNT_NAME_LENGTH,
            "max_container_name_length": app_module.MAX_CONTAINER_NAME_LENGTH,
            "extra_header_count": 0,
        },
        "slo": {
            "max_manifest_segments": MAX_MANIFEST_SEGMENTS,
            "max_manifest_size": MAX_MANIFEST_SIZE,
            "yield_frequency": 10,
            "min_segment_size": MIN_SEGMENT_SIZE,
            "allow_async_delete": False,
        },
        "container_quotas": {},
        "tempauth": {"account_acls": False},
        "formpost": {"allowed_digests": digests, "deprecated_digests": ["sha1"]},
        "tempurl": {
            "methods": list(TEMPURL_METHODS),
            "incoming_remove_headers": ["x-timestamp", "x-open-expired"],
            "incoming_allow_headers": [],
            "outgoing_remove_headers": ["x-object-meta-*"],
            "outgoing_allow_headers": ["x-object-meta-public-*"],
            "allowed_digests": digests,
            "deprecated_digests": ["sha1"],
        },
        "bulk_upload": {
            "max_containers_per_extraction": MAX_CONTAINERS_PER_EXTRACTION,
            "max_failed_extractions": MAX_FAILED_EXTRACTIONS,
        },
        "bulk_delete": {
            "max_deletes_per_request": MAX_DELETES_PER_REQUEST,
            "max_failed_deletes": MAX_FAILED_DELETES,
        },
    }


# -- bulk responses ------------------------------------------------------------------------------

#: What bulk and SLO answer in, by the request's Accept (swob's best_match over these).
BULK_TYPES = ("text/plain", "application/json", "application/xml", "text/xml")
_BAD_REQUEST_REASON = (
    "Bad Request\nThe server could not comply with the request since it is either malformed "
    "or otherwise incorrect."
)


def status_line(code: int) -> str:
    """``"404 Not Found"``, as Swift writes statuses into bulk results."""
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


def result_body(
    content_type: str | None, result: dict[str, Any], errors: list[list[str]], root: str
) -> bytes:
    """The result document of bulk delete, archive extraction and SLO (JSON, XML or text)."""
    if content_type == "application/json":
        return json.dumps({**result, "Errors": errors}).encode("ascii")
    if content_type is not None and content_type.endswith("/xml"):
        out = [f"<{root}>\n"]
        for key in sorted(result):
            tag = key.replace(" ", "_").lower()
            out.append(f"<{tag}>{xml_escape(str(result[key]))}</{tag}>\n")
        out.append("<errors>\n")
        for name, why in errors:
            out.append(
                f"<object><name>{xml_escape(name)}</name><status>{xml_escape(why)}</status>"
                "</object>\n"
            )
        out.append(f"</errors>\n</{root}>\n")
        return "".join(out).encode("utf-8")
    lines = [f"{key}: {result[key]}\n" for key in sorted(result)]
    lines.append("Errors:\n")
    lines.extend(f"{name}, {why}\n" for name, why in errors)
    return "".join(lines).encode("utf-8")


def _bulk_reply(
    content_type: str | None,
    result: dict[str, Any],
    errors: list[list[str]],
    root: str,
    *,
    status: int = 200,
    prefix: bytes = b"",
) -> Reply:
    """A bulk answer: streamed (chunked, no Content-Length), the result at the end."""
    body = prefix + result_body(content_type, result, errors, root)
    return Reply(status, {"Content-Type": content_type or HTML}, iter([body]))


def _has_length(ctx: Ctx) -> bool:
    return (
        ctx.header("Content-Length") is not None
        or "chunked" in (ctx.header("Transfer-Encoding") or "").lower()
    )


def _sub_delete(fake: FakeSwift, ctx: Ctx, name: str) -> int:
    """One DELETE subrequest of bulk delete (with the caller's token) -> its status."""
    assert ctx.account is not None
    container, _, obj = name.lstrip("/").partition("/")
    if not container:
        # DELETE of the account itself: only a reseller admin may.
        return 403 if ctx.token is not None else 401
    denied = fake.authorize_as_caller(ctx, container=container, write=True, account_level=not obj)
    if denied is not None:
        return denied
    cont = fake.store.get_container(container, ctx.account)
    if cont is None:
        return 404
    if not obj:
        if cont.objects:
            return 409
        fake.store.account(ctx.account).containers.pop(container, None)
        return 204
    stored = cont.objects.pop(obj, None)
    if stored is None or stored.expired(fake.clock.time()):
        return 404
    return 204


# -- bulk delete ---------------------------------------------------------------------------------


def bulk_delete(fake: FakeSwift, ctx: Ctx) -> Reply:
    """``POST|DELETE <account>[/...]?bulk-delete``: newline separated, URL-encoded paths.

    Always 200; the outcome is in the body. Objects go first, containers after them.
    """
    content_type = best_match(ctx.header("Accept"), BULK_TYPES)
    result: dict[str, Any] = {
        "Response Status": "200 OK",
        "Response Body": "",
        "Number Deleted": 0,
        "Number Not Found": 0,
    }
    errors: list[list[str]] = []
    incoming = ctx.header("Content-Type")
    if content_type is None or (incoming and not incoming.startswith("text/plain")):
        result["Response Status"] = status_line(406)
        return _bulk_reply(content_type, result, errors, "delete")
    if not _has_length(ctx):
        result["Response Status"] = status_line(411)
        return _bulk_reply(content_type, result, errors, "delete")
    names = [
        unquote(line.strip().decode("latin-1"), encoding="utf-8", errors="surrogateescape")
        for line in ctx.body.split(b"\n")
        if line.strip()
    ]
    if len(names) > MAX_DELETES_PER_REQUEST:
        result["Response Status"] = status_line(413)
        result["Response Body"] = f"Maximum Bulk Deletes: {MAX_DELETES_PER_REQUEST} per request"
        return _bulk_reply(content_type, result, errors, "delete")
    failure = 400
    objects = [n for n in names if "/" in n.strip("/")]
    containers = [n for n in names if "/" not in n.strip("/")]
    for name in objects + containers:
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            errors.append([quote(name.encode("utf-8", "surrogateescape")), status_line(412)])
            continue
        status = _sub_delete(fake, ctx, name)
        if status // 100 == 2:
            result["Number Deleted"] += 1
        elif status == 404:
            result["Number Not Found"] += 1
        else:
            if status // 100 == 5:
                failure = 502
            errors.append([quote(name), status_line(status)])
        if len(errors) >= MAX_FAILED_DELETES:
            result["Response Status"] = status_line(400)
            result["Response Body"] = "Max delete failures exceeded"
            return _bulk_reply(content_type, result, errors, "delete")
    if errors:
        result["Response Status"] = status_line(failure)
    elif not (result["Number Deleted"] or result["Number Not Found"]):
        result["Response Status"] = status_line(400)
        result["Response Body"] = "Invalid bulk delete."
    return _bulk_reply(content_type, result, errors, "delete")


# -- archive extraction --------------------------------------------------------------------------

_TAR_MODES = {"tar": "", "tar.gz": "gz", "tar.bz2": "bz2"}


def extract_archive(fake: FakeSwift, ctx: Ctx) -> Reply:
    """``PUT <account>[/<container>[/<prefix>]]?extract-archive=tar|tar.gz|tar.bz2``."""
    from tests.fakeswift import app as app_module

    assert ctx.account is not None
    compression = _TAR_MODES.get(ctx.query.get("extract-archive", "").lower().strip("."))
    if compression is None:
        return error(400, "Unsupported archive format")
    content_type = best_match(ctx.header("Accept"), BULK_TYPES)
    result: dict[str, Any] = {
        "Response Status": "201 Created",
        "Response Body": "",
        "Number Files Created": 0,
    }
    errors: list[list[str]] = []

    def answer() -> Reply:
        return _bulk_reply(content_type, result, errors, "extract")

    if content_type is None:
        result["Response Status"] = status_line(406)
        return answer()
    if not _has_length(ctx):
        result["Response Status"] = status_line(411)
        return answer()
    base = "/".join(p for p in (ctx.container, ctx.obj) if p).rstrip("/")
    # The subrequests carry these headers of the archive request (and each member's pax).
    passed = {
        k: header_text(v)
        for k, v in ctx.request.headers.items()
        if k.lower() in ("x-delete-at", "x-delete-after") or k.lower().startswith("x-object-meta-")
    }
    failure = 400
    seen: set[str] = set()
    created = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(ctx.body), mode=f"r|{compression}") as archive:  # type: ignore[call-overload]
            for member in archive:
                if len(errors) >= MAX_FAILED_EXTRACTIONS:
                    break
                if not member.isfile():
                    continue
                path = member.name.removeprefix("./").lstrip("/")
                if base:
                    path = f"{base}/{path}"
                if "/" not in path:
                    continue  # files at the top of an account-level upload are ignored
                container, _, obj = path.partition("/")
                if member.size > app_module.MAX_FILE_SIZE:
                    errors.append([quote(path), status_line(413)])
                    continue
                container_failure: list[str] | None = None
                if container not in seen:
                    status = _ensure_container(fake, ctx, container)
                    if status == 201:
                        created += 1
                        if created > MAX_CONTAINERS_PER_EXTRACTION:
                            result["Response Status"] = status_line(400)
                            result["Response Body"] = (
                                f"More than {MAX_CONTAINERS_PER_EXTRACTION} containers to "
                                "create from tar."
                            )
                            return answer()
                    elif status == 401:
                        result["Response Status"] = status_line(401)
                        return answer()
                    elif status != 200:
                        container_failure = [
                            quote(f"/v1/{ctx.account}/{container}"),
                            status_line(status),
                        ]
                extracted = archive.extractfile(member)
                data = extracted.read() if extracted is not None else b""
                headers = dict(passed)
                for key, value in member.pax_headers.items():
                    for lead in ("SCHILY.xattr.user.", "LIBARCHIVE.xattr.user."):
                        if key == lead + "mime_type":
                            headers["Content-Type"] = value
                        elif key.startswith(lead + "meta."):
                            headers["X-Object-Meta-" + key[len(lead + "meta.") :]] = value
                status = _sub_put(fake, ctx, container, obj, data, headers)
                seen.add(container)
                if status // 100 == 2:
                    result["Number Files Created"] += 1
                    continue
                if container_failure is not None:
                    errors.append(container_failure)
                if status == 401:
                    errors.append([quote(path), status_line(401)])
                    result["Response Status"] = status_line(401)
                    return answer()
                if status // 100 == 5:
                    failure = 502
                errors.append([quote(path), status_line(status)])
    except (tarfile.TarError, zlib.error, EOFError, OSError) as exc:
        result["Response Status"] = status_line(400)
        result["Response Body"] = f"Invalid Tar File: {exc}"
        return answer()
    if errors:
        result["Response Status"] = status_line(failure)
    elif not result["Number Files Created"]:
        result["Response Status"] = status_line(400)
        result["Response Body"] = "Invalid Tar File: No Valid Files"
    return answer()


def _ensure_container(fake: FakeSwift, ctx: Ctx, container: str) -> int:
    """HEAD, then PUT when missing: 200 (there), 201 (created) or the failing status."""
    assert ctx.account is not None
    denied = fake.authorize_as_caller(ctx, container=container, write=False, listing=True)
    if denied is not None:
        return denied
    if fake.store.get_container(container, ctx.account) is not None:
        return 200
    denied = fake.authorize_as_caller(ctx, container=container, write=True, account_level=True)
    if denied is not None:
        return denied
    if len(container.encode("utf-8")) > 256:
        return 400
    fake.store.create_container(container, account=ctx.account)
    return 201


def _sub_put(
    fake: FakeSwift, ctx: Ctx, container: str, name: str, data: bytes, headers: dict[str, str]
) -> int:
    """One object PUT subrequest of archive extraction -> its status."""
    assert ctx.account is not None
    denied = fake.authorize_as_caller(ctx, container=container, write=True)
    if denied is not None:
        return denied
    cont = fake.store.get_container(container, ctx.account)
    if cont is None:
        return 404
    if len(name.encode("utf-8")) > 1024:
        return 400
    if fake.over_quota(cont, len(data)):
        return 413
    built = fake.build_object(ctx, data, name=name, check_etag=False, headers_from=headers)
    if isinstance(built, Reply):
        return built.status
    cont.objects[name] = built
    return 201


# -- static large objects -------------------------------------------------------------------------


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


def slo_put(fake: FakeSwift, ctx: Ctx, cont: Container) -> Reply:
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
    if if_none_match is not None and fake.live_object(*dst) is not None:
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
    content_type = best_match(ctx.header("Accept"), BULK_TYPES) or "text/plain"
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
        denied = fake.authorize_as_caller(ctx, container=seg_cont, write=False)
        if denied is None:
            seg = fake.live_object(account, seg_cont, seg_name)
        if seg is None:
            problems.append([quote(path), status_line(denied or 404)])
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
            result = {"Response Status": status_line(400), "Response Body": _BAD_REQUEST_REASON}
            return _bulk_reply(content_type, result, problems, "upload", status=202, prefix=prefix)
        return _bulk_reply(content_type, {}, problems, "upload", status=400)
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
                "Response Status": status_line(422),
                "Response Body": "Unprocessable Entity\n"
                "Unable to process the contained instructions",
            }
            return _bulk_reply(content_type, result, [], "upload", status=202, prefix=prefix)
        return error(422)
    manifest = json.dumps(stored).encode("utf-8")
    built = fake.build_object(ctx, manifest, base=base, name=name, check_etag=False)
    if isinstance(built, Reply):
        return built
    built.slo_segments = stored
    built.slo_etag = slo_etag
    built.slo_size = total
    cont.objects[name] = built
    if heartbeat:
        result = {
            "Response Status": status_line(201),
            "Etag": f'"{slo_etag}"',
            "Last Modified": format_last_modified(built.timestamp),
            "Response Body": "",
        }
        return _bulk_reply(content_type, result, [], "upload", status=202, prefix=prefix)
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


def slo_copy_manifest(
    fake: FakeSwift,
    ctx: Ctx,
    source: StoredObject,
    src: tuple[str, str, str],
    dst: tuple[str, str, str],
    cont: Container,
) -> Reply:
    """COPY ``?multipart-manifest=get`` of an SLO: its raw manifest is PUT (and checked) anew."""
    reply = store_manifest(fake, ctx, raw_manifest(source), dst, cont, base=source)
    if reply.status != 201:
        return reply
    built = cont.objects[dst[2]]
    return fake.copied_headers(reply, built, src, source)


def _whole_second_listing_time(timestamp: float) -> str:
    # SLO records a segment's Last-Modified (whole seconds, rounded up).
    whole = int(timestamp) if timestamp == int(timestamp) else int(timestamp) + 1
    return format_listing_time(float(whole))


def slo_content(fake: FakeSwift, account: str, obj: StoredObject, depth: int = 0) -> _Content:
    """The concatenated segments of an SLO (``broken_at`` where a segment no longer fits)."""
    from tests.fakeswift.app import _Content

    parts: list[tuple[bytes, int, int]] = []
    offset = 0
    for entry in obj.slo_segments or []:
        if "data" in entry:
            raw = base64.b64decode(str(entry["data"]))
            parts.append((raw, 0, len(raw)))
            offset += len(raw)
            continue
        seg_cont, _, seg_name = str(entry["name"]).lstrip("/").partition("/")
        seg = fake.live_object(account, seg_cont, seg_name)
        if seg is None or _segment_etag(seg) != entry.get("hash") or depth > 10:
            return _Content(parts, obj.size, broken_at=offset)
        if seg.is_slo:
            inner = slo_content(fake, account, seg, depth + 1)
            if inner.broken_at is not None:
                return _Content(parts, obj.size, broken_at=offset)
            seg_parts, seg_size = inner.parts, inner.size
        else:
            seg_parts, seg_size = [(seg.data, 0, len(seg.data))], len(seg.data)
        start, end = 0, seg_size
        if "range" in entry:
            bounds = _parse_seg_range(str(entry["range"]), seg_size)
            if bounds is None:
                return _Content(parts, obj.size, broken_at=offset)
            start, end = bounds
        pos = 0
        for buf, pstart, pend in seg_parts:
            plen = pend - pstart
            lo, hi = max(start - pos, 0), min(end - pos, plen)
            if lo < hi:
                parts.append((buf, pstart + lo, pstart + hi))
            pos += plen
        offset += end - start
    return _Content(parts, offset)


def slo_manifest_reply(fake: FakeSwift, ctx: Ctx, obj: StoredObject) -> Reply:
    """``GET ...?multipart-manifest=get``: the stored manifest (``format=raw``: as PUT)."""
    headers = fake.object_headers(obj, manifest_get=True)
    if ctx.query.get("format") == "raw":
        body = raw_manifest(obj)
    else:
        body = obj.data
        headers["Content-Type"] = JSON
    headers["Etag"] = hashlib.md5(body).hexdigest()
    headers["Content-Length"] = str(len(body))
    return Reply(200, headers, body, len(body))


def slo_delete(fake: FakeSwift, ctx: Ctx) -> Reply:
    """``DELETE ...?multipart-manifest=delete``: the segments, then the manifest (bulk style)."""
    assert ctx.account is not None and ctx.container is not None and ctx.obj is not None
    content_type = best_match(ctx.header("Accept"), BULK_TYPES)
    result: dict[str, Any] = {
        "Response Status": "200 OK",
        "Response Body": "",
        "Number Deleted": 0,
        "Number Not Found": 0,
    }
    errors: list[list[str]] = []
    if content_type is None:
        result["Response Status"] = status_line(406)
        return _bulk_reply(content_type, result, errors, "delete")
    # Manifests are expanded depth first; each is deleted after its segments.
    pending: list[tuple[str, bool]] = [(f"/{ctx.container}/{ctx.obj}", True)]
    order: list[str] = []
    while pending:
        name, is_manifest = pending.pop(0)
        if not is_manifest:
            order.append(name)
            continue
        cont, _, obj_name = name.lstrip("/").partition("/")
        denied = fake.authorize_as_caller(ctx, container=cont, write=False)
        manifest = None if denied else fake.live_object(ctx.account, cont, obj_name)
        if denied or manifest is None:
            status = denied or 404
            if status == 404:
                result["Number Not Found"] += 1
            else:
                errors.append([quote(name), status_line(status)])
            continue
        if not manifest.is_slo:
            errors.append([quote(name), "Not an SLO manifest"])
            continue
        for seg in manifest.slo_segments or []:
            if "data" not in seg:
                pending.append((str(seg["name"]), bool(seg.get("sub_slo"))))
        pending.append((name, False))
    for name in order:
        status = _sub_delete(fake, ctx, name)
        if status // 100 == 2:
            result["Number Deleted"] += 1
        elif status == 404:
            result["Number Not Found"] += 1
        else:
            errors.append([quote(name), status_line(status)])
    if errors:
        result["Response Status"] = status_line(400)
    elif not (result["Number Deleted"] or result["Number Not Found"]):
        result["Response Status"] = status_line(400)
        result["Response Body"] = "Invalid bulk delete."
    return _bulk_reply(content_type, result, errors, "delete")


# -- dynamic large objects ------------------------------------------------------------------------


def dlo_content(fake: FakeSwift, account: str, obj: StoredObject) -> tuple[_Content, str]:
    """Segments named ``<container>/<prefix>*`` in listing order, and the quoted-less ETag."""
    from tests.fakeswift.app import _Content

    manifest = unquote(obj.dlo_manifest or "")
    seg_cont, _, prefix = manifest.partition("/")
    cont = fake.store.get_container(seg_cont, account)
    parts: list[tuple[bytes, int, int]] = []
    hasher = hashlib.md5()
    total = 0
    if cont is not None:
        now = fake.clock.time()
        for name in cont.sorted_names():
            if not name.startswith(prefix):
                continue
            seg = cont.objects[name]
            if seg is obj or seg.expired(now) or seg.dlo_manifest:
                continue
            parts.append((seg.data, 0, len(seg.data)))
            hasher.update(seg.etag.encode())
            total += len(seg.data)
    return _Content(parts, total), hasher.hexdigest()


# -- TempURL ---------------------------------------------------------------------------------------


def _parse_signature(sig: str) -> tuple[str, str] | None:
    """(digest name, hex signature) of ``temp_url_sig``/``signature``, or None."""
    if ":" in sig:
        name, _, b64 = sig.partition(":")
        text = b64
        if ("-" in text or "_" in text) and not ("+" in text or "/" in text):
            text = text.replace("-", "+").replace("_", "/")
        try:
            raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except (binascii.Error, ValueError):
            return None
        return name.lower(), raw.hex()
    digest = _DIGEST_BY_HEX_LENGTH.get(len(sig))
    if digest is None:
        return None
    return digest, sig.lower()


def _tempurl_keys(fake: FakeSwift, account: str, container: str) -> list[tuple[str, str]]:
    """(key, scope) pairs: account keys then container keys."""
    keys: list[tuple[str, str]] = []
    acct = fake.store.accounts.get(account)
    if acct is not None:
        keys += [
            (acct.metadata[k], "account")
            for k in ("temp-url-key", "temp-url-key-2")
            if acct.metadata.get(k)
        ]
    cont = fake.store.get_container(container, account)
    if cont is not None:
        keys += [
            (cont.metadata[k], "container")
            for k in ("temp-url-key", "temp-url-key-2")
            if cont.metadata.get(k)
        ]
    return keys


def _parse_expires(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        try:
            return calendar.timegm(time.strptime(value, "%Y-%m-%dT%H:%M:%SZ"))
        except ValueError:
            return 0


def _disposition(kind: str, filename: str) -> str:
    return f"{kind}; filename=\"{quote(filename, safe=' /')}\"; filename*=UTF-8''{quote(filename)}"


def tempurl(fake: FakeSwift, ctx: Ctx) -> Reply:
    """A request signed with ``temp_url_sig``/``temp_url_expires`` instead of a token."""
    assert ctx.account is not None and ctx.container is not None and ctx.obj is not None
    if ctx.method not in TEMPURL_METHODS:
        return _tempurl_invalid(ctx)
    sig = ctx.query.get("temp_url_sig", "")
    expires_raw = ctx.query.get("temp_url_expires", "")
    if not sig or not expires_raw:
        return _tempurl_invalid(ctx)
    expires = _parse_expires(expires_raw)
    if expires < ctx.arrived:  # judged on arrival: a long upload may outlive the URL
        return _tempurl_invalid(ctx)
    parsed = _parse_signature(sig)
    if parsed is None or parsed[0] not in ALLOWED_DIGESTS:
        return _tempurl_invalid(ctx)
    digest, given = parsed
    keys = _tempurl_keys(fake, ctx.account, ctx.container)
    if not keys:
        return _tempurl_invalid(ctx)
    prefix = ctx.query.get("temp_url_prefix")
    if prefix is None:
        path = f"/v1/{ctx.account}/{ctx.container}/{ctx.obj}"
    else:
        if not ctx.obj.startswith(prefix):
            return _tempurl_invalid(ctx)
        path = f"prefix:/v1/{ctx.account}/{ctx.container}/{prefix}"
    ip_range = ctx.query.get("temp_url_ip_range")
    lead = ""
    if ip_range is not None:
        try:
            # Strict, as Swift: "127.0.0.1/8" (host bits set) is no network, the URL invalid.
            allowed = ipaddress.ip_network(ip_range)
            inside = ipaddress.ip_address(str(ctx.request.remote_addr)) in allowed
        except ValueError:
            inside = False
        if not inside:
            return _tempurl_invalid(ctx)
        lead = f"ip={ip_range}\n"
    methods = ("HEAD", "GET", "POST", "PUT") if ctx.method == "HEAD" else (ctx.method,)
    valid = False
    for method in methods:
        for key, _scope in keys:
            message = f"{lead}{method}\n{expires}\n{path}".encode()
            expected = hmac.new(wire_bytes(key), message, digest).hexdigest()
            if hmac.compare_digest(expected, given):
                valid = True
    if not valid:
        return _tempurl_invalid(ctx)
    if ctx.method not in ("GET", "HEAD"):
        for header in _TEMPURL_DISALLOWED_HEADERS:
            if ctx.header(header) is not None:
                return error(400, f"The header {header!r} is not allowed in this tempurl")
    # The signature stands in for a token with rights on exactly this object.
    if ctx.method in ("GET", "HEAD"):
        obj = fake.live_object(ctx.account, ctx.container, ctx.obj)
        if obj is None:
            return error(404)
        reply = fake.serve_object(ctx, ctx.account, ctx.container, ctx.obj, obj, strip_meta=True)
        if 200 <= reply.status < 300:
            filename = ctx.query.get("filename")
            inline = "inline" in ctx.query
            existing = reply.get("Content-Disposition")
            if inline:
                value = _disposition("inline", filename) if filename else "inline"
            elif filename:
                value = _disposition("attachment", filename)
            elif existing:
                value = existing
            else:
                value = _disposition("attachment", posixpath.basename(ctx.obj.rstrip("/")))
            reply.set("Content-Disposition", value.replace("\n", "%0A"))
            reply.set("Expires", time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(expires)))
        return reply
    return fake.dispatch_as_owner(ctx)


def _tempurl_invalid(ctx: Ctx) -> Reply:
    reply = text_reply(401, "401 Unauthorized: Temp URL invalid\n", HTML)
    reply.set("Www-Authenticate", 'Swift realm="unknown"')
    return reply


# -- FormPost --------------------------------------------------------------------------------------

#: Form field values are read up to this many bytes (Swift's MAX_VALUE_LENGTH).
_FORM_VALUE_LENGTH = 4096


class _FormInvalid(Exception):
    """400 ``FormPost: <message>``."""


class _FormUnauthorized(Exception):
    """401 ``FormPost: <Message Title-Cased>``."""


def _form_parts(body: bytes, boundary: bytes) -> list[tuple[dict[str, str], bytes]] | None:
    """(lower-case headers, content) of each part; None when the body does not start right."""
    delimiter = b"--" + boundary
    if not body.startswith(delimiter):
        return None
    parts: list[tuple[dict[str, str], bytes]] = []
    for chunk in body[len(delimiter) :].split(b"\r\n" + delimiter):
        if chunk.startswith(b"--"):
            break
        head, _, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        parts.append((headers, content))
    return parts


def _disposition_params(value: str) -> tuple[str, dict[str, str]]:
    kind, *params = (p.strip() for p in value.split(";"))
    out: dict[str, str] = {}
    for param in params:
        name, _, raw = param.partition("=")
        out[name.strip().lower()] = raw.strip().strip('"')
    return kind.lower(), out


def formpost(fake: FakeSwift, ctx: Ctx) -> Reply:
    """``POST <container>[/<prefix>]`` with ``multipart/form-data`` from a browser form.

    As Swift's formpost: parts are read in order, each file is stored as it comes (the ones
    before a failure stay), signature and expiry are checked for every file.
    """
    assert ctx.account is not None and ctx.container is not None
    _, params = _disposition_params(ctx.header("Content-Type") or "")
    boundary = params.get("boundary", "")
    if not boundary:
        return error(400)
    try:
        return _formpost(fake, ctx, boundary.encode("utf-8"))
    except (_FormInvalid, EOFError) as exc:
        return error(400, f"FormPost: {exc}", content_type=BARE_PLAIN)
    except _FormUnauthorized as exc:
        reply = error(401, f"FormPost: {str(exc).title()}")
        reply.set("Www-Authenticate", 'Swift realm="unknown"')
        return reply


def _formpost(fake: FakeSwift, ctx: Ctx, boundary: bytes) -> Reply:
    parts = _form_parts(ctx.body, boundary)
    if parts is None:
        return error(400, "FormPost: invalid starting boundary", content_type=BARE_PLAIN)
    attributes: dict[str, str] = {}
    status = 0
    message = ""
    files = 0
    for headers, content in parts:
        kind, disposition = _disposition_params(headers.get("content-disposition", ""))
        if kind == "form-data" and disposition.get("filename"):
            files += 1
            try:
                if files > int(attributes.get("max_file_count") or 0):
                    status, message = 400, "max file count exceeded"
                    break
            except ValueError:
                raise _FormInvalid("max_file_count not an integer") from None
            upload = dict(attributes)
            upload["filename"] = disposition["filename"] or "filename"
            if "content-type" not in attributes and "content-type" in headers:
                upload["content-type"] = headers["content-type"] or "application/octet-stream"
            if "content-encoding" not in attributes and "content-encoding" in headers:
                upload["content-encoding"] = headers["content-encoding"]
            status = _form_upload(fake, ctx, upload, content)
            if status // 100 != 2:
                break
        elif "name" in disposition:
            text = content[:_FORM_VALUE_LENGTH].decode("utf-8", "replace")
            attributes[disposition["name"].lower()] = text.rstrip("\r\n-")
    if not status:
        status, message = 400, "no files to process"
    redirect = attributes.get("redirect")
    if not redirect:
        body = status_line(status)
        if message:
            body += "\r\nFormPost: " + message.title()
        return text_reply(status, body, BARE_PLAIN)
    joiner = "&" if "?" in redirect else "?"
    location = f"{redirect}{joiner}status={status}&message={quote(message)}"
    page = f'<html><body><p><a href="{location}">Click to continue...</a></p></body></html>'
    data = page.encode("utf-8")
    return Reply(303, {"Location": location}, data, len(data))


def _form_upload(fake: FakeSwift, ctx: Ctx, form: dict[str, str], data: bytes) -> int:
    """Check the signature for one file and store it; the status of the PUT subrequest."""
    assert ctx.account is not None and ctx.container is not None
    keys = _tempurl_keys(fake, ctx.account, ctx.container)
    if not keys:
        raise _FormUnauthorized("invalid signature")
    try:
        max_file_size = int(form.get("max_file_size") or 0)
    except ValueError:
        raise _FormInvalid("max_file_size not an integer") from None
    delete_headers: dict[str, str] = {}
    for field, header, hint in (
        ("x_delete_at", "X-Delete-At", "Unix timestamp required."),
        ("x_delete_after", "X-Delete-After", "Number of seconds required."),
    ):
        if field in form:
            try:
                delete_headers[header] = str(int(form[field]))
            except ValueError:
                raise _FormInvalid(f"{field} not an integer: {hint}") from None
    try:
        if int(form.get("expires") or 0) < fake.clock.time():
            raise _FormUnauthorized("form expired")
    except ValueError:
        raise _FormInvalid("expired not an integer") from None
    # The signed path is the request path from /v1 on (without a catalog endpoint prefix).
    path = ctx.path[ctx.path.index("/v1/") :]
    message = "\n".join(
        [
            path,
            form.get("redirect") or "",
            form.get("max_file_size") or "0",
            form.get("max_file_count") or "0",
            form.get("expires") or "0",
        ]
    ).encode("utf-8")
    parsed = _parse_signature(form.get("signature", ""))
    if parsed is None or parsed[0] not in ALLOWED_DIGESTS:
        raise _FormUnauthorized("invalid signature")
    digest, given = parsed
    # The key is what the metadata header carried: its raw bytes sign.
    if not any(
        hmac.compare_digest(hmac.new(wire_bytes(key), message, digest).hexdigest(), given)
        for key, _scope in keys
    ):
        raise _FormUnauthorized("invalid signature")
    if len(data) > max_file_size:
        raise EOFError("max_file_size exceeded")
    prefix = ctx.obj or ""
    name = prefix + form["filename"]
    headers = dict(delete_headers)
    if "content-type" in form:
        headers["Content-Type"] = form["content-type"] or "application/octet-stream"
    if "content-encoding" in form:
        headers["Content-Encoding"] = form["content-encoding"]
    cont = fake.store.get_container(ctx.container, ctx.account)
    if cont is None:
        return 404
    if len(name.encode("utf-8")) > 1024:
        return 400
    if fake.over_quota(cont, 0):
        return 413
    built = fake.build_object(ctx, data, name=name, check_etag=False, headers_from=headers)
    if isinstance(built, Reply):
        return built.status
    cont.objects[name] = built
    return 201


# -- Selectel legacy sendmefile --------------------------------------------------------------


def sendmefile_link_check(ctx: Ctx) -> Reply | None:
    """A link is created by an ordinary PUT; only its help text is limited (4096 chars)."""
    ctype = (ctx.header("Content-Type") or "").lower()
    if ctype.startswith("x-storage/sendmefile") and len(ctx.body) > 4096:
        return error(400, "Sendmefile help text must not exceed 4096 characters")
    return None


def sendmefile_upload(fake: FakeSwift, ctx: Ctx) -> Reply | None:
    """An anonymous PUT to a sendmefile link; None when the path is not a link."""
    assert ctx.account is not None and ctx.container is not None and ctx.obj is not None
    link = fake.live_object(ctx.account, ctx.container, ctx.obj)
    if link is None or not link.content_type.lower().startswith("x-storage/sendmefile"):
        return None
    variant = link.content_type.lower().partition("+")[2]
    meta = link.metadata
    secret = meta.get("sendmefile-secret")
    if secret and not _sendmefile_password_ok(ctx, secret):
        return error(403)
    filename = ctx.header("X-Filename")
    if not filename:
        return error(400, "X-Filename header is required")
    filename = posixpath.basename(unquote(filename)) or "file"
    max_size = meta.get("sendmefile-max-size")
    if max_size and max_size.isdigit() and len(ctx.body) > int(max_size):
        return error(413)
    folder = posixpath.dirname(ctx.obj)
    now = fake.clock.time()
    if variant == "inplace":
        target = ctx.obj
    else:
        base = filename
        if variant == "timepostfix":
            base = f"{filename}-{time.strftime('%Y%m%d%H%M%S', time.gmtime(now))}"
        elif variant == "autopostfix":
            base = f"{filename}-{secrets.token_hex(4)}"
        elif variant == "folderday":
            base = time.strftime("%Y-%m-%d", time.gmtime(now)) + "/" + filename
        elif variant == "folderhour":
            base = time.strftime("%Y-%m-%d/%H", time.gmtime(now)) + "/" + filename
        elif variant == "folderuniq":
            base = secrets.token_hex(8) + "/" + filename
        target = f"{folder}/{base}" if folder else base
    overwrite = meta.get("sendmefile-allow-overwrite", "no").lower() == "yes"
    if target != ctx.obj and fake.live_object(ctx.account, ctx.container, target) and not overwrite:
        return error(409)
    content_type = ctx.header("Content-Type") or ""
    if not content_type or content_type.lower().startswith("x-storage/"):
        import mimetypes

        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    metadata = {
        "origin-filename": filename,
        "uploaded-from-ip": str(ctx.request.remote_addr or ""),
    }
    session = ctx.header("X-Sendmefile-Session-Id")
    if session:
        metadata["sendmefile-session-id"] = session
    obj = StoredObject(
        data=ctx.body,
        etag=hashlib.md5(ctx.body).hexdigest(),
        content_type=content_type,
        timestamp=fake.store.next_timestamp(),
        metadata=metadata,
    )
    cont = fake.store.get_container(ctx.container, ctx.account)
    assert cont is not None
    cont.objects[target] = obj
    reply = text_reply(201, "", HTML)
    reply.set("Etag", obj.etag)
    reply.set("X-Uploaded-As", quote(target))
    return reply


def _sendmefile_password_ok(ctx: Ctx, secret: str) -> bool:
    password = ctx.query.get("_ssuk")
    if password is not None:
        digest = hashlib.sha1(password.encode("utf-8")).hexdigest()
        return hmac.compare_digest(digest, secret.lower())
    sig = ctx.header("X-Sendmefile-Secret-Sig")
    if not sig or "." not in sig:
        return False
    expires_raw, _, given = sig.partition(".")
    if not expires_raw.isdigit() or int(expires_raw) < ctx.arrived:
        return False
    agent = (ctx.header("User-Agent") or "")[:300]
    expected = hmac.new(
        secret.lower().encode(), f"{agent}\n{expires_raw}".encode(), "sha1"
    ).hexdigest()
    return hmac.compare_digest(expected, given.lower())
