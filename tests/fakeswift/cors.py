"""CORS as Swift's proxy does it: preflight ``OPTIONS`` and the headers of actual requests.

Swift keeps a container's CORS rules in its metadata (``X-Container-Meta-Access-Control-
Allow-Origin`` (space-separated origins or ``*``), ``...-Max-Age``, ``...-Expose-Headers``)
and applies them in the proxy controllers (``cors_validation`` and ``Controller.OPTIONS``),
with the proxy defaults ``strict_cors_mode = true`` and no operator-wide origins:

- a preflight (``OPTIONS`` with ``Origin``) to a container or object answers 200 with
  ``Access-Control-Allow-Origin`` (the origin, or ``*`` for a ``*`` rule), ``Vary: Origin``
  (not for ``*``), ``Access-Control-Allow-Methods`` (the controller's methods),
  ``Access-Control-Allow-Headers`` (whatever was asked for), ``Access-Control-Max-Age`` (when
  set); an origin not allowed, a method the controller lacks, or a missing container answers
  401. The preflight needs no token and TempURL lets it through unsigned.
- a request with ``Origin`` that reaches a controller (tokens and valid TempURLs; not bulk,
  FormPost or a rejected TempURL, which answer before the proxy) gets, when the origin is
  allowed, ``Access-Control-Allow-Origin``, ``Vary: Origin`` and
  ``Access-Control-Expose-Headers`` (the simple response headers, Swift's own, every
  ``X-Object-Meta-*``/``X-Container-Meta-*`` of the reply and the container's own list),
  error replies included.

The fake's hook: ``serve`` is the first middleware of ``proxy.PIPELINE``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tests.fakeswift.replies import Reply, error

if TYPE_CHECKING:
    from tests.fakeswift.app import FakeSwift
    from tests.fakeswift.context import Ctx

__all__ = ["ALLOWED_METHODS", "SIMPLE_EXPOSE", "serve"]

#: What container and object controllers list (Swift's ``allowed_methods``), in Swift's order.
ALLOWED_METHODS = {
    "container": "OPTIONS, DELETE, GET, PUT, POST, HEAD",
    "object": "OPTIONS, DELETE, GET, PUT, POST, HEAD, COPY",
}
#: Always exposed to scripts: the CORS simple response headers and Swift's own.
SIMPLE_EXPOSE = frozenset(
    {
        "cache-control",
        "content-language",
        "content-type",
        "expires",
        "last-modified",
        "pragma",
        "etag",
        "x-timestamp",
        "x-trans-id",
        "x-openstack-request-id",
    }
)
_CONTROLLER_METHODS = frozenset({"GET", "HEAD", "PUT", "POST", "DELETE", "COPY"})


def serve(fake: FakeSwift, ctx: Ctx, handler: Callable[[Ctx], Reply]) -> Reply:
    """Answer a preflight, or run ``handler`` and add the CORS headers Swift would."""
    origin = ctx.header("Origin")
    if not origin or ctx.container is None:
        return handler(ctx)  # not CORS; account requests get no CORS in Swift either
    if ctx.method == "OPTIONS":
        return _preflight(fake, ctx, origin)
    reply = handler(ctx)
    if ctx.method in _CONTROLLER_METHODS and _reached_controller(ctx, reply):
        _decorate(fake, ctx, origin, reply)
    return reply


def _rules(fake: FakeSwift, ctx: Ctx) -> dict[str, str] | None:
    """The container's CORS metadata, None when the container does not exist."""
    assert ctx.account is not None and ctx.container is not None
    account = fake.store.accounts.get(ctx.account)
    cont = account.containers.get(ctx.container) if account is not None else None
    if cont is None:
        return None
    return {
        key[len("access-control-") :]: value
        for key, value in cont.metadata.items()
        if key.startswith("access-control-")
    }


def _allowed(rules: dict[str, str] | None, origin: str) -> bool:
    if not rules:
        return False
    origins = {item for item in rules.get("allow-origin", "").split(" ") if item}
    return origin in origins or "*" in origins


def _is_star(rules: dict[str, str]) -> bool:
    return rules.get("allow-origin", "").strip() == "*"


def _preflight(fake: FakeSwift, ctx: Ctx, origin: str) -> Reply:
    methods = ALLOWED_METHODS["container" if ctx.obj is None else "object"]
    with fake.store.lock:
        rules = _rules(fake, ctx)
    asked = ctx.header("Access-Control-Request-Method")
    if rules is None or not _allowed(rules, origin) or asked not in methods.split(", "):
        reply = error(401)
        reply.set("Allow", methods)
        return reply
    # Swift replaces the whole header set of the reply: no Content-Type, an empty body.
    reply = Reply(200, {"Allow": methods}, b"", 0)
    if _is_star(rules):
        reply.set("Access-Control-Allow-Origin", "*")
    else:
        reply.set("Access-Control-Allow-Origin", origin)
        _add_vary(reply, "Origin")
    if rules.get("max-age") is not None:
        reply.set("Access-Control-Max-Age", rules["max-age"])
    reply.set("Access-Control-Allow-Methods", methods)
    requested = [
        item.strip()
        for item in (ctx.header("Access-Control-Request-Headers") or "").split(",")
        if item.strip()
    ]
    if requested:
        reply.set("Access-Control-Allow-Headers", ", ".join(dict.fromkeys(requested)))
        _add_vary(reply, "Access-Control-Request-Headers")
    return reply


def _reached_controller(ctx: Ctx, reply: Reply) -> bool:
    """False for the answers Swift's middlewares give before the proxy controllers."""
    if "extract-archive" in ctx.query or "bulk-delete" in ctx.query:
        return False
    content_type = (ctx.header("Content-Type") or "").lower()
    if ctx.method == "POST" and content_type.startswith("multipart/form-data"):
        return False  # FormPost
    # A TempURL that does not verify is refused by the middleware itself.
    return not ("temp_url_sig" in ctx.query and reply.status == 401)


def _decorate(fake: FakeSwift, ctx: Ctx, origin: str, reply: Reply) -> None:
    with fake.store.lock:
        rules = _rules(fake, ctx)
    if not _allowed(rules, origin):
        return  # strict_cors_mode: the reply goes out without CORS headers
    assert rules is not None
    if reply.get("Access-Control-Expose-Headers") is None:
        expose = set(SIMPLE_EXPOSE)
        expose.update(
            name.lower()
            for name in reply.headers
            if name.lower().startswith(("x-container-meta", "x-object-meta"))
        )
        expose.update(item.lower() for item in rules.get("expose-headers", "").split(" ") if item)
        reply.set("Access-Control-Expose-Headers", ", ".join(sorted(expose)))
    if reply.get("Access-Control-Allow-Origin") is None:
        if _is_star(rules):
            reply.set("Access-Control-Allow-Origin", "*")
        else:
            reply.set("Access-Control-Allow-Origin", origin)
            _add_vary(reply, "Origin")


def _add_vary(reply: Reply, name: str) -> None:
    current = reply.get("Vary")
    reply.set("Vary", f"{current}, {name}" if current else name)
