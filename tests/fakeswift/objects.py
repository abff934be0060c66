"""The object controller: PUT, POST, DELETE, and GET/HEAD with conditionals and ranges."""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import unquote

from tests.fakeswift import container, dlo, sendmefile, slo, swob, tempauth
from tests.fakeswift.constraints import (
    MAX_OBJECT_NAME_LENGTH,
    check_framing,
    check_if_none_match,
    check_metadata,
    declared_length,
    delete_at,
    name_too_long,
    strip_swift_bytes,
)
from tests.fakeswift.context import Content
from tests.fakeswift.replies import (
    ACCEPTED_BODY,
    HTML,
    TRUE_VALUES,
    Reply,
    error,
    method_not_allowed,
    text_reply,
)
from tests.fakeswift.server import Delivery
from tests.fakeswift.store import (
    ALLOWED_OBJECT_HEADERS,
    StoredObject,
    format_last_modified,
    format_x_timestamp,
    meta_header_name,
)

if TYPE_CHECKING:
    from tests.fakeswift.app import FakeSwift
    from tests.fakeswift.context import Ctx

__all__ = [
    "build_object",
    "check_object_headers",
    "content_of",
    "handle",
    "live_object",
    "object_headers",
    "serve_object",
]


def handle(fake: FakeSwift, ctx: Ctx) -> Reply:
    """A request to ``/v1/<account>/<container>/<object>``."""
    assert ctx.account is not None and ctx.container is not None and ctx.obj is not None
    method = ctx.method
    if method in ("GET", "HEAD"):
        return tempauth.authorize(fake, ctx, write=False) or _get(fake, ctx)
    if method == "PUT":
        return tempauth.authorize(fake, ctx, write=True) or _put(fake, ctx)
    if method == "POST":
        return tempauth.authorize(fake, ctx, write=True) or _post(fake, ctx)
    if method == "DELETE":
        return tempauth.authorize(fake, ctx, write=True) or _delete(fake, ctx)
    return method_not_allowed()


def live_object(fake: FakeSwift, account: str, container: str, name: str) -> StoredObject | None:
    """The object unless absent or expired."""
    obj = fake.store.get_object(container, name, account)
    if obj is None or obj.expired(fake.clock.time()):
        return None
    return obj


def _put(fake: FakeSwift, ctx: Ctx) -> Reply:
    assert ctx.account is not None and ctx.container is not None and ctx.obj is not None
    cont = fake.store.get_container(ctx.container, ctx.account)
    if cont is None:
        return error(404)
    over = container.over_quota(cont, declared_length(ctx))
    if over is not None:
        return over
    if ctx.query.get("multipart-manifest") == "put":
        return slo.put(fake, ctx, cont)
    # Everything Swift checks before it reads the body (and before "100 Continue").
    bad = (
        check_framing(ctx)
        or name_too_long("Object", ctx.obj, MAX_OBJECT_NAME_LENGTH)
        or check_if_none_match(ctx)
        or check_object_headers(fake, ctx)
    )
    if bad is not None:
        return bad
    exists = live_object(fake, ctx.account, ctx.container, ctx.obj) is not None
    if ctx.header("If-None-Match") is not None and exists:
        return error(412)
    smf = sendmefile.link_check(ctx)
    if smf is not None:
        return smf
    built = build_object(fake, ctx, ctx.body)
    if isinstance(built, Reply):
        return built
    cont.objects[ctx.obj] = built
    reply = text_reply(201, "", HTML)
    reply.set("Etag", built.etag)
    reply.set("Last-Modified", format_last_modified(built.timestamp))
    return reply


def check_object_headers(fake: FakeSwift, ctx: Ctx, *, content_type: bool = True) -> Reply | None:
    """The header checks of an object write: metadata, expiry, Content-Type parameters."""
    ctype = ctx.header("Content-Type") if content_type else None
    if ctype and any(p.strip().lower().startswith("swift_") for p in ctype.split(";")[1:]):
        return error(400, "Invalid Content-Type, swift_* is not a valid parameter name.")
    bad = check_metadata(ctx.headers_with_prefix("X-Object-Meta-"), "X-Object-Meta-")
    if bad is not None:
        return bad
    when = delete_at(ctx.header, fake.clock.time())
    return when if isinstance(when, Reply) else None


def build_object(
    fake: FakeSwift,
    ctx: Ctx,
    data: bytes,
    *,
    base: StoredObject | None = None,
    name: str | None = None,
    check_etag: bool = True,
    headers_from: Mapping[str, str] | None = None,
    keep_manifest: bool = False,
) -> StoredObject | Reply:
    """A new object from request headers and ``data`` (``base``: copy source to inherit).

    A request ``ETag`` must be the MD5 of ``data`` (422 otherwise) unless ``check_etag`` is
    off: copies ignore it, and an SLO manifest PUT checks it against the SLO ETag instead.
    ``headers_from`` replaces the request headers (the subrequests of bulk middleware).
    ``keep_manifest``: a copy of a DLO manifest itself (``?multipart-manifest=get``).
    """
    if headers_from is not None:
        given = {k.lower(): v for k, v in headers_from.items()}

        def header(key: str) -> str | None:
            return given.get(key.lower())

        req_meta = {
            k[len("x-object-meta-") :]: v
            for k, v in given.items()
            if k.startswith("x-object-meta-")
        }
    else:

        def header(key: str) -> str | None:
            return ctx.header(key)

        req_meta = ctx.headers_with_prefix("X-Object-Meta-")

    obj_name = name or ctx.obj or ""
    etag = hashlib.md5(data).hexdigest()
    sent_etag = header("ETag") if check_etag and base is None else None
    if sent_etag is not None and sent_etag.strip().strip('"').lower() != etag:
        reply = error(422)
        reply.set("Last-Modified", format_last_modified(fake.clock.time()))
        return reply
    fresh = (header("X-Fresh-Metadata") or "").lower() in TRUE_VALUES
    metadata: dict[str, str] = {} if base is None or fresh else dict(base.metadata)
    headers: dict[str, str] = {} if base is None or fresh else dict(base.headers)
    if base is not None and not keep_manifest:
        # A copy of a large object is a plain object holding the concatenated bytes.
        headers.pop("x-object-manifest", None)
    bad = check_metadata(req_meta, "X-Object-Meta-")
    if bad is not None:
        return bad
    metadata.update(req_meta)
    metadata = {k: v for k, v in metadata.items() if v != "" or base is None}
    for low in ALLOWED_OBJECT_HEADERS:
        value = header(low)
        if value is not None:
            headers[low] = value
    manifest = headers.get("x-object-manifest")
    if manifest is not None and "/" not in unquote(manifest).lstrip("/"):
        return error(400, "X-Object-Manifest must be in the format container/prefix")
    content_type = header("Content-Type") or None  # an empty one is guessed too
    if content_type is None and base is not None:
        content_type = base.content_type
    detect = (header("X-Detect-Content-Type") or "").lower() in TRUE_VALUES
    if content_type is None or detect:
        content_type = mimetypes.guess_type(obj_name)[0] or "application/octet-stream"
    content_type = strip_swift_bytes(content_type)
    when = delete_at(header, fake.clock.time())
    if isinstance(when, Reply):
        return when
    return StoredObject(
        data=data,
        etag=etag,
        content_type=content_type,
        timestamp=fake.store.next_timestamp(),
        metadata=metadata,
        headers=headers,
        delete_at=when,
    )


def _post(fake: FakeSwift, ctx: Ctx) -> Reply:
    assert ctx.account is not None and ctx.container is not None and ctx.obj is not None
    obj = live_object(fake, ctx.account, ctx.container, ctx.obj)
    if obj is None:
        return error(404)
    meta = ctx.headers_with_prefix("X-Object-Meta-")
    bad = check_metadata(meta, "X-Object-Meta-")
    if bad is not None:
        return bad
    when = delete_at(ctx.header, fake.clock.time())
    if isinstance(when, Reply):
        return when
    obj.metadata = {k: v for k, v in meta.items() if v != ""}
    obj.headers = {
        low: value for low in ALLOWED_OBJECT_HEADERS if (value := ctx.header(low)) is not None
    }
    content_type = ctx.header("Content-Type")
    if content_type:
        obj.content_type = strip_swift_bytes(content_type)
    obj.delete_at = when
    obj.timestamp = fake.store.next_timestamp()
    return text_reply(202, ACCEPTED_BODY)


def _delete(fake: FakeSwift, ctx: Ctx) -> Reply:
    assert ctx.account is not None and ctx.container is not None and ctx.obj is not None
    if ctx.query.get("multipart-manifest") == "delete":
        return slo.delete(fake, ctx)
    cont = fake.store.get_container(ctx.container, ctx.account)
    if cont is None:
        return error(404)
    obj = cont.objects.get(ctx.obj)
    if obj is None:
        return error(404)
    if_delete_at = ctx.header("X-If-Delete-At")
    if if_delete_at is not None and not obj.expired(fake.clock.time()):
        try:
            wanted = int(if_delete_at)
        except ValueError:
            return error(400, "Bad X-If-Delete-At header value")
        if obj.delete_at != wanted:
            return error(412, "X-If-Delete-At and X-Delete-At do not match")
    del cont.objects[ctx.obj]
    if obj.expired(fake.clock.time()):
        return error(404)
    return text_reply(204, "", HTML)


def _get(fake: FakeSwift, ctx: Ctx) -> Reply:
    assert ctx.account is not None and ctx.container is not None and ctx.obj is not None
    obj = live_object(fake, ctx.account, ctx.container, ctx.obj)
    if obj is None:
        return error(404)
    return serve_object(fake, ctx, ctx.account, obj)


def content_of(
    fake: FakeSwift,
    account: str,
    obj: StoredObject,
    *,
    manifest_get: bool = False,
    ctx: Ctx | None = None,
) -> tuple[Content, str]:
    """What a GET of ``obj`` returns (large objects joined unless ``manifest_get``) and its
    ETag (unquoted). With ``ctx`` segments are read with the caller's rights."""
    if obj.is_slo and not manifest_get:
        return slo.content(fake, account, obj, ctx=ctx), obj.slo_etag or ""
    if obj.dlo_manifest and not manifest_get:
        return dlo.content(fake, account, obj, ctx=ctx)
    return Content.of(obj.data), obj.etag


def serve_object(fake: FakeSwift, ctx: Ctx, account: str, obj: StoredObject) -> Reply:
    """GET/HEAD of a stored object: large objects, conditionals and ranges."""
    manifest_get = ctx.query.get("multipart-manifest") == "get"
    if manifest_get and obj.is_slo:
        return slo.manifest_reply(ctx, obj)
    headers = object_headers(obj, manifest_get=manifest_get)
    content, etag = content_of(fake, account, obj, manifest_get=manifest_get, ctx=ctx)
    if content.denied is not None:
        return content.denied
    if obj.dlo_manifest and not manifest_get:
        headers["Content-Length"] = str(content.size)
        headers["Etag"] = f'"{etag}"'
    part: tuple[int, int, int] | None = None
    if obj.is_slo and not manifest_get and "part-number" in ctx.query:
        bounds = slo.part_bounds(ctx, obj)
        if isinstance(bounds, Reply):
            return bounds
        part = bounds
    cond = swob.conditional(ctx, etag, obj.timestamp, headers)
    if cond is not None:
        return cond
    if content.broken_at == 0:
        return error(409)
    reply = Reply(200, headers)
    if part is not None:
        return slo.part_reply(ctx, reply, content, part)
    ranges_header = ctx.header("Range")
    if ranges_header and ctx.method != "HEAD":
        ranges = swob.parse_range(ranges_header)
        if ranges is not None and len(ranges) > 1 and obj.dlo_manifest and not manifest_get:
            ranges = None  # DLO serves several ranges as the whole object
        resolved = swob.resolve_ranges(ranges, content.size) if ranges is not None else None
        if resolved == []:
            bad = error(416)
            bad.headers.update({k: v for k, v in headers.items() if k != "Content-Length"})
            bad.set("Content-Range", f"bytes */{content.size}")
            return bad
        if resolved:
            return swob.range_reply(reply, content, resolved)
    reply.body = swob.slice_content(content, 0, content.size)
    reply.length = content.size
    reply.set("Content-Length", str(content.size))
    if content.broken_at is not None:
        # Swift notices a changed segment only while streaming: it drops the connection.
        ctx.record.faults.append("segment-changed")
        reply.body = swob.slice_content(content, 0, content.broken_at)
        reply.delivery = Delivery(mode="close", after_bytes=content.broken_at)
    return reply


def object_headers(obj: StoredObject, *, manifest_get: bool = False) -> dict[str, str]:
    """Headers of a GET/HEAD of ``obj``."""
    headers: dict[str, str] = {
        "Content-Type": obj.content_type,
        "Content-Length": str(len(obj.data) if manifest_get else obj.size),
        "Etag": obj.etag,
        "Last-Modified": format_last_modified(obj.timestamp),
        "X-Timestamp": format_x_timestamp(obj.timestamp),
        "Accept-Ranges": "bytes",
    }
    if obj.is_slo:
        headers["X-Static-Large-Object"] = "True"
        if not manifest_get:
            headers["Etag"] = f'"{obj.slo_etag}"'
            headers["X-Manifest-Etag"] = obj.manifest_etag
    for key, value in sorted(obj.metadata.items()):
        headers[meta_header_name("X-Object-Meta-", key)] = value
    for key, value in obj.headers.items():
        headers[meta_header_name("", key)] = value
    if obj.delete_at is not None:
        headers["X-Delete-At"] = str(obj.delete_at)
    return headers
