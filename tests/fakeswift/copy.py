"""The copy middleware: ``COPY`` + ``Destination`` and ``PUT`` + ``X-Copy-From``."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from tests.fakeswift import container, objects, slo, swob, symlink, tempauth
from tests.fakeswift.constraints import (
    MAX_OBJECT_NAME_LENGTH,
    declared_length,
    name_too_long,
    split_container_object,
)
from tests.fakeswift.replies import HTML, Reply, error, plain_error, text_reply
from tests.fakeswift.store import format_last_modified, meta_header_name

if TYPE_CHECKING:
    from tests.fakeswift.app import FakeSwift
    from tests.fakeswift.context import App, Ctx
    from tests.fakeswift.store import StoredObject

__all__ = ["copied_headers", "middleware"]

Where = tuple[str, str, str]


def middleware(fake: FakeSwift, ctx: Ctx, app: App) -> Reply:
    """Serve a copy of an object; everything else goes on."""
    if ctx.obj is not None:
        if ctx.method == "COPY":
            return _copy_method(fake, ctx)
        if ctx.method == "PUT" and ctx.header("X-Copy-From") is not None:
            return _copy_via_put(fake, ctx)
    return app(ctx)


def _copy_method(fake: FakeSwift, ctx: Ctx) -> Reply:
    assert ctx.account is not None and ctx.container is not None and ctx.obj is not None
    dest = ctx.header("Destination")
    if dest is None:
        return error(412, "Destination header required")
    parsed = split_container_object(dest)
    if parsed is None:
        return error(412, "Destination header must be of the form <container name>/<object name>")
    dest_account = unquote(ctx.header("Destination-Account") or "") or ctx.account
    return _copy(
        fake, ctx, (ctx.account, ctx.container, ctx.obj), (dest_account, parsed[0], parsed[1])
    )


def _copy_via_put(fake: FakeSwift, ctx: Ctx) -> Reply:
    assert ctx.account is not None and ctx.container is not None and ctx.obj is not None
    source = ctx.header("X-Copy-From") or ""
    parsed = split_container_object(source)
    if parsed is None:
        return error(412, "X-Copy-From header must be of the form <container name>/<object name>")
    if declared_length(ctx):
        return plain_error(400, "Copy requests require a zero byte body")
    src_account = unquote(ctx.header("X-Copy-From-Account") or "") or ctx.account
    return _copy(
        fake, ctx, (src_account, parsed[0], parsed[1]), (ctx.account, ctx.container, ctx.obj)
    )


def _copy(fake: FakeSwift, ctx: Ctx, src: Where, dst: Where) -> Reply:
    denied = tempauth.authorize(fake, ctx, write=False, account=src[0], container=src[1])
    if denied is None:
        denied = tempauth.authorize(fake, ctx, write=True, account=dst[0], container=dst[1])
    if denied is not None:
        return denied
    source = objects.live_object(fake, *src)
    if (
        source is not None
        and symlink.TARGET in source.headers
        and (ctx.query.get("symlink") != "get")
    ):
        # The copy's GET of its source follows a link (the copy names the link as source).
        where = symlink.resolve(fake, ctx, src)
        if isinstance(where, Reply):
            return where
        denied = tempauth.authorize(fake, ctx, write=False, account=where[0], container=where[1])
        if denied is not None:
            return denied
        source = objects.live_object(fake, *where)
    if source is None:
        return error(404)
    manifest_get = ctx.query.get("multipart-manifest") == "get"
    # The copy middleware GETs the source with the request's conditions.
    source_headers = objects.object_headers(source, manifest_get=manifest_get)
    source_etag = source.etag if manifest_get or not source.is_slo else source.slo_etag or ""
    cond = swob.conditional(ctx, source_etag, source.timestamp, source_headers)
    if cond is not None:
        return cond
    dest_cont = fake.store.get_container(dst[1], dst[0])
    if dest_cont is None:
        return error(404)
    content, _ = objects.content_of(fake, src[0], source, manifest_get=manifest_get, ctx=ctx)
    if content.denied is not None:
        return content.denied
    if content.broken_at is not None:
        return error(409)
    start, end = 0, content.size
    if ctx.method == "PUT" and ctx.header("Range"):
        ranges = swob.parse_range(ctx.header("Range") or "")
        resolved = swob.resolve_ranges(ranges, content.size) if ranges is not None else None
        if resolved == []:
            return error(416)
        if resolved:
            start, end = resolved[0]
    over = container.over_quota(dest_cont, end - start)
    if over is not None:
        return over
    too_long = name_too_long("Object", dst[2], MAX_OBJECT_NAME_LENGTH)
    if too_long is not None:
        return too_long
    if source.is_slo and manifest_get:
        # Copying a manifest writes it again: SLO validates its segments as on a PUT.
        reply = slo.copy_manifest(fake, ctx, source, dst, dest_cont)
        if reply.status != 201:
            return reply
        return copied_headers(reply, dest_cont.objects[dst[2]], src, source)
    data = b"".join(swob.slice_content(content, start, end))
    built = objects.build_object(
        fake,
        ctx,
        data,
        base=source,
        name=dst[2],
        keep_manifest=manifest_get and source.dlo_manifest is not None,
    )
    if isinstance(built, Reply):
        return built
    dest_cont.objects[dst[2]] = built
    reply = text_reply(201, "", HTML)
    reply.set("Etag", built.etag)
    reply.set("Last-Modified", format_last_modified(built.timestamp))
    return copied_headers(reply, built, src, source)


def copied_headers(reply: Reply, built: StoredObject, src: Where, source: StoredObject) -> Reply:
    """What a successful copy reports: where from, and the new object's metadata."""
    reply.set("X-Copied-From-Account", quote(src[0]))
    reply.set("X-Copied-From", quote(f"{src[1]}/{src[2]}"))
    reply.set("X-Copied-From-Last-Modified", format_last_modified(source.timestamp))
    for key, value in sorted(built.metadata.items()):
        reply.set(meta_header_name("X-Object-Meta-", key), value)
    return reply
