"""symlink: ``X-Symlink-Target`` objects, followed on GET/HEAD (``?symlink=get``: the link)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote

from tests.fakeswift import objects, tempauth
from tests.fakeswift.constraints import declared_length
from tests.fakeswift.replies import Reply, error, plain_error

if TYPE_CHECKING:
    from tests.fakeswift.app import FakeSwift
    from tests.fakeswift.context import App, Ctx
    from tests.fakeswift.store import StoredObject

__all__ = ["LOOP_LIMIT", "TARGET", "listing_fields", "middleware", "resolve"]

#: Symlinks followed in a row at most (Swift's symlink_loop_limit).
LOOP_LIMIT = 2
#: Where a link keeps its target (``container/object``, as sent) among the stored headers.
TARGET = "x-symlink-target"
_ACCOUNT = "x-symlink-target-account"
_ETAG = "x-symlink-target-etag"
_BYTES = "x-symlink-target-bytes"
_LINK_HEADERS = (TARGET, _ACCOUNT, _ETAG, _BYTES)
_BAD_TARGET = "X-Symlink-Target header must be of the form <container name>/<object name>"


def middleware(fake: FakeSwift, ctx: Ctx, app: App) -> Reply:
    """Make links (PUT), follow them (GET, HEAD), refuse to POST through them."""
    if ctx.obj is None:
        return app(ctx)
    if ctx.method == "PUT" and ctx.header("X-Symlink-Target") is not None:
        return _put(fake, ctx, app)
    if ctx.query.get("symlink") == "get" or ctx.method not in ("GET", "HEAD", "POST"):
        return app(ctx)
    assert ctx.account is not None and ctx.container is not None
    link = objects.live_object(fake, ctx.account, ctx.container, ctx.obj)
    if link is None or TARGET not in link.headers:
        return app(ctx)
    if ctx.method == "POST":
        return _post(ctx, link, app)
    denied = tempauth.authorize(fake, ctx, write=False)
    if denied is not None:
        return denied
    where = resolve(fake, ctx, (ctx.account, ctx.container, ctx.obj))
    if isinstance(where, Reply):
        return where
    ctx.account, ctx.container, ctx.obj = where
    reply = app(ctx)
    reply.set("Content-Location", f"/v1/{where[0]}/{where[1]}/{where[2]}")
    return reply


def resolve(fake: FakeSwift, ctx: Ctx, where: tuple[str, str, str]) -> tuple[str, str, str] | Reply:
    """Where the link at ``where`` leads (through at most ``LOOP_LIMIT`` links): the path of
    the object the link names (which may be missing), or the 409 of too many links."""
    hops = 0
    current = objects.live_object(fake, *where)
    while current is not None and TARGET in current.headers:
        if hops == LOOP_LIMIT:
            return plain_error(
                409, f"Too many levels of symbolic links, maximum allowed is {LOOP_LIMIT}"
            )
        hops += 1
        where = _target_of(current, where[0])
        current = objects.live_object(fake, *where)
    if current is None and hops:
        reply = error(404)
        reply.set("Content-Location", f"/v1/{where[0]}/{where[1]}/{where[2]}")
        return reply
    return where


def _target_of(link: StoredObject, account: str) -> tuple[str, str, str]:
    container, _, name = unquote(link.headers[TARGET]).partition("/")
    return (link.headers.get(_ACCOUNT) or account, container, name)


def _put(fake: FakeSwift, ctx: Ctx, app: App) -> Reply:
    assert ctx.account is not None and ctx.container is not None and ctx.obj is not None
    target = ctx.header("X-Symlink-Target") or ""
    container, _, name = unquote(target).lstrip("/").partition("/")
    if not container or not name:
        return error(412, _BAD_TARGET)
    if declared_length(ctx):
        return plain_error(400, "Symlink requests require a zero byte body")
    account = ctx.header("X-Symlink-Target-Account") or ctx.account
    wanted = ctx.header("X-Symlink-Target-Etag")
    stored: dict[str, str] = {TARGET: target}
    if ctx.header("X-Symlink-Target-Account"):
        stored[_ACCOUNT] = account
    content_type = ctx.header("Content-Type") or "application/symlink"
    if wanted is not None:
        # A static link: the target must be there with that ETag now.
        found = objects.live_object(fake, account, container, name)
        location = f"/v1/{account}/{container}/{name}"
        if found is None or found.etag != wanted.strip('"'):
            shown = found.etag if found is not None else ""
            reply = plain_error(
                409,
                f"Object Etag {shown!r} does not match X-Symlink-Target-Etag header {wanted!r}",
            )
            reply.set("Content-Location", location)
            return reply
        stored[_ETAG] = found.etag
        stored[_BYTES] = str(found.size)
        if not ctx.header("Content-Type"):
            content_type = found.content_type
    reply = app(ctx)
    if reply.status == 201:
        made = objects.live_object(fake, ctx.account, ctx.container, ctx.obj)
        assert made is not None
        made.headers.update(stored)
        made.content_type = content_type
    return reply


def _post(ctx: Ctx, link: StoredObject, app: App) -> Reply:
    kept = {k: v for k, v in link.headers.items() if k in _LINK_HEADERS}
    reply = app(ctx)
    if reply.status // 100 != 2:
        return reply
    link.headers.update(kept)
    target = _target_of(link, ctx.account or "")
    redirect = Reply(
        307,
        {"Content-Type": "text/html; charset=UTF-8", "Location": "/v1/{}/{}/{}".format(*target)},
    )
    body = (
        b"The requested POST was applied to a symlink. POST directly to the target to apply "
        b"requested metadata."
    )
    redirect.body = body
    redirect.length = len(body)
    return redirect


def listing_fields(account: str, obj: StoredObject) -> dict[str, object]:
    """What a container listing adds for a link (static ones: the target's ETag and size)."""
    if TARGET not in obj.headers:
        return {}
    target = _target_of(obj, account)
    fields: dict[str, object] = {}
    if _ETAG in obj.headers:
        fields["symlink_etag"] = obj.headers[_ETAG]
        fields["symlink_bytes"] = int(obj.headers[_BYTES])
    fields["symlink_path"] = "/v1/{}/{}/{}".format(*target)
    return fields
