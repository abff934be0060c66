"""The proxy: which API a path belongs to, and the pipeline a storage request runs through.

A storage request passes ``PIPELINE`` in order, as in Swift's proxy-server.conf, and ends at
the controllers (account, container, object). A middleware is a function
``(fake, ctx, app) -> Reply``: it answers itself, or calls ``app(ctx)`` (the rest of the
pipeline) and may change what comes back. To add one, write ``tests/fakeswift/<name>.py``
with a ``middleware`` function and put it into ``PIPELINE`` where Swift's pipeline has it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from tests.fakeswift import (
    account,
    bulk,
    container,
    copy,
    cors,
    formpost,
    keystone,
    listing,
    objects,
    sendmefile,
    symlink,
    tempauth,
    tempurl,
)
from tests.fakeswift.info import info_document
from tests.fakeswift.replies import ALLOW, BARE_PLAIN, HTML, Reply, error, json_reply, text_reply

if TYPE_CHECKING:
    from tests.fakeswift.app import FakeSwift
    from tests.fakeswift.context import App, Ctx

__all__ = ["PIPELINE", "Middleware", "classify", "dispatch"]

Middleware = Callable[["FakeSwift", "Ctx", "App"], Reply]

#: Swift's order: listing_formats, bulk, tempurl, formpost, tempauth, (Selectel's sendmefile),
#: copy, symlink; SLO, DLO and the quotas are called by the controllers. CORS stands first: it
#: answers preflights before auth and decorates only replies that reached a controller (cors.py).
PIPELINE: list[Middleware] = [
    cors.serve,
    listing.middleware,
    bulk.middleware,
    tempurl.middleware,
    formpost.middleware,
    tempauth.middleware,
    sendmefile.middleware,
    copy.middleware,
    symlink.middleware,
]

_API_VERSIONS = ("v1", "v1.0")
_ALLOW_OBJECT_OPTIONS = ALLOW + ", COPY"


def classify(path: str, prefixes: set[str]) -> tuple[str, str | None, str | None, str | None]:
    """(kind, account, container, object) of a request path; "other" when no API serves it."""
    if path.startswith(tempauth.PREFIX) or keystone.is_keystone(path):
        return "auth", None, None, None
    if path in ("/info", "/healthcheck"):
        return "info", None, None, None
    for prefix in prefixes:
        if path.startswith(prefix + "/v1/") or path == prefix + "/v1":
            path = path[len(prefix) :]
            break
    # Swift's proxy splits /<version>/<account>[/<container>[/<object>]].
    parts = path[1:].split("/", 3)
    if len(parts) < 2 or not parts[1] or parts[0] not in _API_VERSIONS:
        return "other", None, None, None
    acct = parts[1]
    cont = parts[2] if len(parts) > 2 and parts[2] else None
    obj = parts[3] if len(parts) > 3 and parts[3] else None
    if cont is None and obj is not None:
        return "other", None, None, None  # an empty container segment
    if cont is None:
        return "account", acct, None, None
    if obj is None:
        return "container", acct, cont, None
    return "object", acct, cont, obj


def dispatch(fake: FakeSwift, ctx: Ctx) -> Reply:
    """Serve a request (the store lock is held)."""
    if ctx.kind == "auth":
        if ctx.path.startswith(tempauth.PREFIX):
            return tempauth.auth_v1(fake, ctx)
        return keystone.handle(fake, ctx)
    if ctx.kind == "info":
        if ctx.path == "/healthcheck":
            return text_reply(200, "OK", BARE_PLAIN)
        if ctx.method not in ("GET", "HEAD", "OPTIONS"):
            return error(405)
        return json_reply(200, info_document(), "application/json; charset=UTF-8")
    if ctx.kind == "other":
        return _unroutable(ctx.path)
    assert ctx.account is not None
    app: App = functools.partial(_controllers, fake)
    for middleware in reversed(PIPELINE):
        app = _chain(fake, middleware, app)
    return app(ctx)


def _chain(fake: FakeSwift, middleware: Middleware, app: App) -> App:
    return lambda ctx: middleware(fake, ctx, app)


def _controllers(fake: FakeSwift, ctx: Ctx) -> Reply:
    if ctx.method == "OPTIONS":
        reply = text_reply(200, "", HTML)
        reply.set("Allow", ALLOW if ctx.obj is None else _ALLOW_OBJECT_OPTIONS)
        return reply
    if ctx.container is None:
        return account.handle(fake, ctx)
    if ctx.obj is None:
        return container.handle(fake, ctx)
    return objects.handle(fake, ctx)


def _unroutable(path: str) -> Reply:
    """The proxy's answer to a path outside the API (e.g. ``/v1``, ``/v2/x``, ``/``)."""
    if path == "/":
        return error(404)
    parts = path[1:].split("/", 3)
    if len(parts) < 2 or not parts[1]:
        return error(412, "Bad URL")
    if parts[0] not in _API_VERSIONS:
        return error(400)
    return error(412, "Bad URL")
