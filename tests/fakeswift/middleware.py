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
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, unquote

from tests.fakeswift.replies import HTML, JSON, PLAIN, Reply, error, json_reply, text_reply
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
_DIGEST_BY_HEX_LENGTH = {40: "sha1", 64: "sha256"}
_TEMPURL_DISALLOWED_HEADERS = ("X-Object-Manifest", "X-Symlink-Target")


def info_document() -> dict[str, object]:
    """``GET /info``: exactly the features and limits this fake implements."""
    from tests.fakeswift import app as app_module

    return {
        "swift": {
            "version": "2.38.0",
            "max_file_size": app_module.MAX_FILE_SIZE,
            "max_meta_name_length": app_module.MAX_META_NAME_LENGTH,
            "max_meta_value_length": app_module.MAX_META_VALUE_LENGTH,
            "max_meta_count": app_module.MAX_META_COUNT,
            "max_meta_overall_size": app_module.MAX_META_OVERALL_SIZE,
            "max_header_size": app_module.MAX_HEADER_SIZE,
            "max_object_name_length": app_module.MAX_OBJECT_NAME_LENGTH,
            "max_container_name_length": app_module.MAX_CONTAINER_NAME_LENGTH,
            "max_account_name_length": app_module.MAX_ACCOUNT_NAME_LENGTH,
            "container_listing_limit": app_module.LISTING_LIMIT,
            "account_listing_limit": app_module.LISTING_LIMIT,
            "extra_header_count": 0,
            "valid_api_versions": ["v1", "v1.0"],
            "strict_cors_mode": True,
            "allow_account_management": False,
            "account_autocreate": True,
            "policies": [{"name": "Policy-0", "default": True}],
        },
        "tempauth": {"account_acls": False},
        "tempurl": {
            "methods": list(TEMPURL_METHODS),
            "incoming_remove_headers": ["x-timestamp", "x-open-expired"],
            "incoming_allow_headers": [],
            "outgoing_remove_headers": ["x-object-meta-*"],
            "outgoing_allow_headers": ["x-object-meta-public-*"],
            "allowed_digests": list(ALLOWED_DIGESTS),
        },
        "formpost": {"allowed_digests": list(ALLOWED_DIGESTS)},
        "slo": {
            "max_manifest_segments": MAX_MANIFEST_SEGMENTS,
            "max_manifest_size": MAX_MANIFEST_SIZE,
            "min_segment_size": MIN_SEGMENT_SIZE,
            "yield_frequency": 10,
            "allow_async_delete": False,
        },
        "dlo": {"max_segments": 10000},
        "bulk_delete": {
            "max_deletes_per_request": MAX_DELETES_PER_REQUEST,
            "max_failed_deletes": MAX_FAILED_DELETES,
        },
        "bulk_upload": {
            "max_containers_per_extraction": MAX_CONTAINERS_PER_EXTRACTION,
            "max_failed_extractions": MAX_FAILED_EXTRACTIONS,
        },
    }


# -- bulk responses ------------------------------------------------------------------------------


def _wants_json(ctx: Ctx) -> bool:
    return "application/json" in (ctx.header("Accept") or "").lower()


def _bulk_reply(ctx: Ctx, result: dict[str, Any], status: int = 200) -> Reply:
    """The body format of bulk middleware: JSON with ``Accept: application/json``, else text."""
    if _wants_json(ctx):
        return json_reply(status, result)
    lines = []
    for key in sorted(result):
        if key == "Errors":
            continue
        lines.append(f"{key}: {result[key]}")
    lines.append("Errors:")
    lines.extend(f"{name}, {status_text}" for name, status_text in result["Errors"])
    return text_reply(status, "\n".join(lines) + "\n", PLAIN)


def _result_status(errors: list[list[str]], ok: str) -> str:
    if not errors:
        return ok
    codes = [e[1].split(" ", 1)[0] for e in errors]
    if "401" in codes:
        return "401 Unauthorized"
    if any(c.startswith("5") for c in codes):
        return "502 Bad Gateway"
    return "400 Bad Request"


# -- bulk delete ---------------------------------------------------------------------------------


def bulk_delete(fake: FakeSwift, ctx: Ctx) -> Reply:
    """``POST|DELETE <account>?bulk-delete``: newline separated, URL-encoded paths."""
    assert ctx.account is not None
    lines = [line.strip() for line in ctx.body.decode("utf-8", "replace").splitlines()]
    names = [unquote(line) for line in lines if line]
    result: dict[str, Any] = {
        "Number Deleted": 0,
        "Number Not Found": 0,
        "Response Body": "",
        "Response Status": "200 OK",
        "Errors": [],
    }
    if len(names) > MAX_DELETES_PER_REQUEST:
        result["Response Status"] = "413 Request Entity Too Large"
        result["Response Body"] = f"Maximum Bulk Deletes: {MAX_DELETES_PER_REQUEST} per request"
        return _bulk_reply(ctx, result)
    errors: list[list[str]] = result["Errors"]
    for name in names:
        container, _, obj = name.lstrip("/").partition("/")
        if not container:
            errors.append([quote(name), "400 Bad Request"])
            continue
        status = _delete_one(fake, ctx.account, container, obj or None)
        if status == 204:
            result["Number Deleted"] += 1
        elif status == 404:
            result["Number Not Found"] += 1
        else:
            errors.append(
                [
                    quote(name),
                    {409: "409 Conflict", 400: "400 Bad Request"}.get(status, str(status)),
                ]
            )
        if len(errors) >= MAX_FAILED_DELETES:
            break
    result["Response Status"] = _result_status(errors, "200 OK")
    return _bulk_reply(ctx, result)


def _delete_one(fake: FakeSwift, account: str, container: str, obj: str | None) -> int:
    cont = fake.store.get_container(container, account)
    if cont is None:
        return 404
    if obj is None:
        if cont.objects:
            return 409
        fake.store.account(account).containers.pop(container, None)
        return 204
    stored = cont.objects.pop(obj, None)
    if stored is None or stored.expired(fake.clock.time()):
        return 404
    return 204


# -- archive extraction --------------------------------------------------------------------------


_TAR_MODES: dict[str, Literal["r:", "r:gz", "r:bz2"]] = {
    "tar": "r:",
    "tar.gz": "r:gz",
    "tar.bz2": "r:bz2",
    "gz": "r:gz",
    "bz2": "r:bz2",
}


def extract_archive(fake: FakeSwift, ctx: Ctx) -> Reply:
    """``PUT <account>[/<container>[/<prefix>]]?extract-archive=tar|tar.gz|tar.bz2``."""
    assert ctx.account is not None
    mode = _TAR_MODES.get(ctx.query.get("extract-archive", "").lower())
    if mode is None:
        return error(400, "Unsupported archive format")
    result: dict[str, Any] = {
        "Number Files Created": 0,
        "Response Body": "",
        "Response Status": "201 Created",
        "Errors": [],
    }
    errors: list[list[str]] = result["Errors"]
    base = "/".join(p for p in (ctx.container, ctx.obj) if p)
    try:
        archive = tarfile.open(fileobj=io.BytesIO(ctx.body), mode=mode)  # noqa: SIM115
    except (tarfile.TarError, OSError, EOFError) as exc:
        result["Response Status"] = "400 Bad Request"
        result["Response Body"] = f"Invalid Tar File: {exc}"
        return _bulk_reply(ctx, result)
    created_containers = 0
    with archive:
        try:
            members = archive.getmembers()
        except (tarfile.TarError, OSError, EOFError) as exc:
            result["Response Status"] = "400 Bad Request"
            result["Response Body"] = f"Invalid Tar File: {exc}"
            return _bulk_reply(ctx, result)
        for member in members:
            if not member.isfile():
                continue
            inner = member.name.removeprefix("./").lstrip("/")
            dest = f"{base}/{inner}" if base else inner
            container, _, obj = dest.partition("/")
            if not obj:
                continue  # top-level files of an account-level upload are ignored
            quoted = quote("/" + dest)
            if len(container.encode()) > 256 or len(obj.encode()) > 1024:
                errors.append([quoted, "400 Bad Request"])
                continue
            cont = fake.store.get_container(container, ctx.account)
            if cont is None:
                if created_containers >= MAX_CONTAINERS_PER_EXTRACTION:
                    errors.append([quoted, "400 Bad Request"])
                    continue
                cont = fake.store.create_container(container, account=ctx.account)
                created_containers += 1
            extracted = archive.extractfile(member)
            data = extracted.read() if extracted is not None else b""
            built = fake.build_object(ctx, data, name=obj, check_etag=False)
            if isinstance(built, Reply):
                errors.append([quoted, f"{built.status} Bad Request"])
                continue
            pax = member.pax_headers
            for key, value in pax.items():
                for lead in ("SCHILY.xattr.", "LIBARCHIVE.xattr."):
                    if key.startswith(lead + "user.meta."):
                        built.metadata[key[len(lead + "user.meta.") :].lower()] = value
                    elif key == lead + "user.mime_type":
                        built.content_type = value
            cont.objects[obj] = built
            result["Number Files Created"] += 1
            if len(errors) >= MAX_FAILED_EXTRACTIONS:
                break
    result["Response Status"] = _result_status(errors, "201 Created")
    return _bulk_reply(ctx, result)


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
            start, end = max(size - n, 0), size
        else:
            start = int(first)
            end = size if last == "" else int(last) + 1
    except ValueError:
        return None
    if start < 0 or start >= size or end <= start:
        return None
    return start, min(end, size)


def slo_put(fake: FakeSwift, ctx: Ctx, cont: Container) -> Reply:
    """``PUT ...?multipart-manifest=put``: validate the segments and store the manifest."""
    assert ctx.account is not None and ctx.obj is not None
    heartbeat = ctx.query.get("heartbeat", "").lower() == "on"
    if len(ctx.body) > MAX_MANIFEST_SIZE:
        return error(413, f"Manifest File > {MAX_MANIFEST_SIZE} bytes")
    try:
        parsed = json.loads(ctx.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return error(400, "Manifest must be valid JSON.\n")
    if not isinstance(parsed, list):
        return error(400, "Manifest must be a list.\n")
    if len(parsed) > MAX_MANIFEST_SEGMENTS:
        return error(413, f"Number of segments must be <= {MAX_MANIFEST_SEGMENTS}\n")
    problems: list[list[str]] = []
    stored: list[dict[str, object]] = []
    hasher = hashlib.md5()
    total = 0
    for index, entry in enumerate(parsed):
        if not isinstance(entry, dict):
            return error(400, f"Index {index}: not a JSON object\n")
        if "data" in entry:
            if set(entry) != {"data"}:
                return error(400, f"Index {index}: extraneous keys with data\n")
            try:
                raw = base64.b64decode(str(entry["data"]), validate=True)
            except (binascii.Error, ValueError):
                return error(400, f"Index {index}: data must be valid base64\n")
            if not raw:
                return error(
                    400, f"Index {index}: too small; each segment must be at least 1 byte.\n"
                )
            hasher.update(hashlib.md5(raw).hexdigest().encode())
            total += len(raw)
            stored.append({"data": entry["data"]})
            continue
        extra = set(entry) - {"path", "etag", "size_bytes", "range"}
        if extra:
            return error(400, f"Index {index}: extraneous keys {', '.join(sorted(extra))}\n")
        path = entry.get("path")
        if not isinstance(path, str) or path.lstrip("/").count("/") < 1 or not path.startswith("/"):
            return error(
                400,
                f"Index {index}: path does not refer to an object. Path must be of the form "
                "/container/object.\n",
            )
        seg_cont, _, seg_name = unquote(path).lstrip("/").partition("/")
        if not seg_cont or not seg_name:
            return error(
                400,
                f"Index {index}: path does not refer to an object. Path must be of the form "
                "/container/object.\n",
            )
        if seg_cont == ctx.container and seg_name == ctx.obj:
            problems.append([quote(path), "Manifest must not reference itself"])
            continue
        seg = fake.live_object(ctx.account, seg_cont, seg_name)
        if seg is None:
            problems.append([quote(path), "404 Not Found"])
            continue
        seg_etag = _segment_etag(seg)
        want_etag = entry.get("etag")
        want_size = entry.get("size_bytes")
        if want_etag is not None and str(want_etag).strip('"').lower() != seg_etag:
            problems.append([quote(path), "Etag Mismatch"])
        if want_size is not None:
            try:
                if int(str(want_size)) != seg.size:
                    problems.append([quote(path), "Size Mismatch"])
            except ValueError:
                return error(400, f"Index {index}: invalid size_bytes\n")
        if seg.size < MIN_SEGMENT_SIZE:
            problems.append([quote(path), "Too small; each segment must be at least 1 byte."])
        record: dict[str, object] = {
            "name": "/" + seg_cont + "/" + seg_name,
            "bytes": seg.size,
            "hash": seg_etag,
            "content_type": seg.content_type,
            "last_modified": format_listing_time(seg.timestamp),
        }
        if seg.is_slo:
            record["sub_slo"] = True
        rng = entry.get("range")
        if rng is not None:
            bounds = _parse_seg_range(str(rng), seg.size)
            if bounds is None:
                problems.append([quote(path), "Unsatisfiable Range"])
                continue
            record["range"] = f"{bounds[0]}-{bounds[1] - 1}"
            hasher.update(f"{seg_etag}:{bounds[0]}-{bounds[1] - 1};".encode())
            total += bounds[1] - bounds[0]
        else:
            hasher.update(seg_etag.encode())
            total += seg.size
        stored.append(record)
    if problems:
        return _slo_problem_reply(ctx, problems, heartbeat)
    slo_etag = hasher.hexdigest()
    sent_etag = ctx.header("ETag")
    if sent_etag is not None and sent_etag.strip().strip('"').lower() != slo_etag:
        return error(422)
    manifest = json.dumps(stored).encode("utf-8")
    built = fake.build_object(ctx, manifest, name=ctx.obj, check_etag=False)
    if isinstance(built, Reply):
        return built
    built.slo_segments = stored
    built.slo_etag = slo_etag
    built.slo_size = total
    cont.objects[ctx.obj] = built
    if heartbeat:
        result = {
            "Response Status": "201 Created",
            "Response Body": "",
            "Etag": f'"{slo_etag}"',
            "Last Modified": format_last_modified(built.timestamp),
            "Errors": [],
        }
        return _bulk_reply(ctx, result, status=202)
    reply = text_reply(201, "", HTML)
    reply.set("ETag", f'"{slo_etag}"')
    reply.set("Last-Modified", format_last_modified(built.timestamp))
    return reply


def _slo_problem_reply(ctx: Ctx, problems: list[list[str]], heartbeat: bool) -> Reply:
    if heartbeat:
        result = {"Response Status": "400 Bad Request", "Response Body": "", "Errors": problems}
        return _bulk_reply(ctx, result, status=202)
    if _wants_json(ctx):
        return json_reply(400, {"Errors": problems})
    body = "Errors:\n" + "".join(f"{name}, {why}\n" for name, why in problems)
    return text_reply(400, body, PLAIN)


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


def slo_manifest_reply(ctx: Ctx, obj: StoredObject) -> Reply:
    """``GET ...?multipart-manifest=get``: the stored manifest (``format=raw``: as PUT)."""
    segments = obj.slo_segments or []
    if ctx.query.get("format") == "raw":
        raw: list[dict[str, object]] = []
        for seg in segments:
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
        body = json.dumps(raw).encode("utf-8")
    else:
        body = obj.data
    reply = Reply(200, {}, body, len(body))
    reply.set("Content-Type", JSON)
    reply.set("ETag", obj.manifest_etag)
    reply.set("Last-Modified", format_last_modified(obj.timestamp))
    reply.set("X-Static-Large-Object", "True")
    reply.set("Accept-Ranges", "bytes")
    for key, value in sorted(obj.metadata.items()):
        reply.set("X-Object-Meta-" + key.title(), value)
    return reply


def slo_delete(fake: FakeSwift, ctx: Ctx) -> Reply:
    """``DELETE ...?multipart-manifest=delete``: the segments, then the manifest."""
    assert ctx.account is not None and ctx.container is not None and ctx.obj is not None
    obj = fake.live_object(ctx.account, ctx.container, ctx.obj)
    if obj is None:
        return error(404)
    if not obj.is_slo:
        fake.store.delete_object(ctx.container, ctx.obj, ctx.account)
        return text_reply(204, "", HTML)
    result: dict[str, Any] = {
        "Number Deleted": 0,
        "Number Not Found": 0,
        "Response Body": "",
        "Response Status": "200 OK",
        "Errors": [],
    }
    for seg in obj.slo_segments or []:
        if "data" in seg:
            continue
        seg_cont, _, seg_name = str(seg["name"]).lstrip("/").partition("/")
        inner = fake.live_object(ctx.account, seg_cont, seg_name)
        if inner is not None and inner.is_slo:
            for sub in inner.slo_segments or []:
                if "data" not in sub:
                    sc, _, sn = str(sub["name"]).lstrip("/").partition("/")
                    _count(result, _delete_one(fake, ctx.account, sc, sn))
        _count(result, _delete_one(fake, ctx.account, seg_cont, seg_name))
    _count(result, _delete_one(fake, ctx.account, ctx.container, ctx.obj))
    return _bulk_reply(ctx, result)


def _count(result: dict[str, Any], status: int) -> None:
    if status == 204:
        result["Number Deleted"] += 1
    elif status == 404:
        result["Number Not Found"] += 1


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
    if expires < fake.clock.time():
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
            allowed = ipaddress.ip_network(ip_range, strict=False)
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
            expected = hmac.new(key.encode("latin-1", "replace"), message, digest).hexdigest()
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
    reply.set("Www-Authenticate", f'Swift realm="{quote(ctx.account or "")}"')
    return reply


# -- FormPost --------------------------------------------------------------------------------------


def formpost(fake: FakeSwift, ctx: Ctx) -> Reply:
    """``POST <container>[/<prefix>]`` with ``multipart/form-data`` from a browser form."""
    assert ctx.account is not None and ctx.container is not None
    request = ctx.request
    try:
        form = request.form
        files = request.files
    except Exception:  # noqa: BLE001 - malformed multipart bodies
        return error(400, "FormPost: invalid starting boundary")
    redirect = form.get("redirect", "")
    max_file_size_raw = form.get("max_file_size", "")
    max_file_count_raw = form.get("max_file_count", "")
    expires_raw = form.get("expires", "")
    signature = form.get("signature", "")

    def answer(status: int, message: str) -> Reply:
        status_text = f"{status} {_STATUS_TEXT.get(status, '')}".strip()
        if redirect:
            sep = "&" if "?" in redirect else "?"
            location = f"{redirect}{sep}status={status}&message={quote(message)}"
            body = f'<html><body><p><a href="{location}">Click to continue...</a></p></body></html>'
            reply = text_reply(303, body, HTML)
            reply.set("Location", location)
            return reply
        body = f"<html><body><p><b>{status_text}</b><br />{message}</p></body></html>"
        return text_reply(status, body, HTML)

    try:
        max_file_size = int(max_file_size_raw)
        max_file_count = int(max_file_count_raw)
    except ValueError:
        return answer(400, "max_file_size and max_file_count must be integers")
    try:
        expires = int(expires_raw)
    except ValueError:
        return answer(401, "FormPost: expired not an integer")
    if expires < fake.clock.time():
        return answer(401, "FormPost: Form Expired")
    parsed = _parse_signature(signature) if signature else None
    if parsed is None or parsed[0] not in ALLOWED_DIGESTS:
        return answer(401, "FormPost: Invalid Signature")
    digest, given = parsed
    prefix = ctx.obj or ""
    # The signed path is the request path from /v1 on (without a catalog endpoint prefix).
    path = ctx.path[ctx.path.index("/v1/") :]
    message = (
        f"{path}\n{redirect}\n{max_file_size_raw}\n{max_file_count_raw}\n{expires_raw}".encode()
    )
    valid = any(
        hmac.compare_digest(
            hmac.new(key.encode("latin-1", "replace"), message, digest).hexdigest(), given
        )
        for key, _scope in _tempurl_keys(fake, ctx.account, ctx.container)
    )
    if not valid:
        return answer(401, "FormPost: Invalid Signature")
    cont = fake.store.get_container(ctx.container, ctx.account)
    if cont is None:
        return answer(404, "")
    uploads = [f for _, f in files.items(multi=True) if f.filename]
    if len(uploads) > max_file_count:
        return answer(400, "max_file_count exceeded")
    stored: list[tuple[str, StoredObject]] = []
    for upload in uploads:
        data = upload.stream.read()
        if len(data) > max_file_size:
            return answer(400, "max_file_size exceeded")
        name = prefix + str(upload.filename)
        if len(name.encode()) > 1024:
            return answer(400, "Object name too long")
        content_type = form.get("content-type") or upload.content_type or "application/octet-stream"
        etag = hashlib.md5(data).hexdigest()
        delete_at: int | None = None
        if form.get("x_delete_at"):
            delete_at = int(form["x_delete_at"])
        elif form.get("x_delete_after"):
            delete_at = int(fake.clock.time() + int(form["x_delete_after"]))
        headers = {}
        if form.get("content-encoding"):
            headers["content-encoding"] = form["content-encoding"]
        stored.append(
            (
                name,
                StoredObject(
                    data=data,
                    etag=etag,
                    content_type=content_type,
                    timestamp=fake.store.next_timestamp(),
                    headers=headers,
                    delete_at=delete_at,
                ),
            )
        )
    for name, obj in stored:
        cont.objects[name] = obj
    return answer(201, "")


_STATUS_TEXT = {201: "Created", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}


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
    if secret and not _sendmefile_password_ok(fake, ctx, secret):
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
    reply.set("ETag", obj.etag)
    reply.set("X-Uploaded-As", quote(target))
    return reply


def _sendmefile_password_ok(fake: FakeSwift, ctx: Ctx, secret: str) -> bool:
    password = ctx.query.get("_ssuk")
    if password is not None:
        digest = hashlib.sha1(password.encode("utf-8")).hexdigest()
        return hmac.compare_digest(digest, secret.lower())
    sig = ctx.header("X-Sendmefile-Secret-Sig")
    if not sig or "." not in sig:
        return False
    expires_raw, _, given = sig.partition(".")
    if not expires_raw.isdigit() or int(expires_raw) < fake.clock.time():
        return False
    agent = (ctx.header("User-Agent") or "")[:300]
    expected = hmac.new(
        secret.lower().encode(), f"{agent}\n{expires_raw}".encode(), "sha1"
    ).hexdigest()
    return hmac.compare_digest(expected, given.lower())
