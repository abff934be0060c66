"""Selectel's legacy sendmefile links: anonymous uploads into a folder through a link object."""

from __future__ import annotations

import hashlib
import hmac
import mimetypes
import posixpath
import secrets
import time
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from tests.fakeswift import objects
from tests.fakeswift.replies import HTML, Reply, error, text_reply
from tests.fakeswift.store import StoredObject

if TYPE_CHECKING:
    from tests.fakeswift.app import FakeSwift
    from tests.fakeswift.context import App, Ctx

__all__ = ["link_check", "middleware"]


def link_check(ctx: Ctx) -> Reply | None:
    """A link is created by an ordinary PUT; only its help text is limited (4096 chars)."""
    ctype = (ctx.header("Content-Type") or "").lower()
    if ctype.startswith("x-storage/sendmefile") and len(ctx.body) > 4096:
        return error(400, "Sendmefile help text must not exceed 4096 characters")
    return None


def middleware(fake: FakeSwift, ctx: Ctx, app: App) -> Reply:
    """An anonymous PUT to a sendmefile link is an upload into its folder."""
    if ctx.token is None and ctx.method == "PUT" and ctx.obj is not None:
        smf = _upload(fake, ctx)
        if smf is not None:
            return smf
    return app(ctx)


def _upload(fake: FakeSwift, ctx: Ctx) -> Reply | None:
    """An anonymous PUT to a sendmefile link; None when the path is not a link."""
    assert ctx.account is not None and ctx.container is not None and ctx.obj is not None
    link = objects.live_object(fake, ctx.account, ctx.container, ctx.obj)
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
    if (
        target != ctx.obj
        and objects.live_object(fake, ctx.account, ctx.container, target)
        and not overwrite
    ):
        return error(409)
    content_type = ctx.header("Content-Type") or ""
    if not content_type or content_type.lower().startswith("x-storage/"):
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
