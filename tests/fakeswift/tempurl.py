"""TempURL: requests signed with ``temp_url_sig``/``temp_url_expires`` instead of a token."""

from __future__ import annotations

import base64
import binascii
import calendar
import hmac
import ipaddress
import posixpath
import time
from typing import TYPE_CHECKING
from urllib.parse import quote

from tests.fakeswift.auth import Token
from tests.fakeswift.replies import HTML, Reply, error, text_reply, wire_bytes

if TYPE_CHECKING:
    from tests.fakeswift.app import FakeSwift
    from tests.fakeswift.context import App, Ctx

__all__ = ["ALLOWED_DIGESTS", "METHODS", "middleware", "parse_signature", "signing_keys"]

METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")
ALLOWED_DIGESTS = ("sha1", "sha256", "sha512")
_DIGEST_BY_HEX_LENGTH = {40: "sha1", 64: "sha256", 128: "sha512"}
_DISALLOWED_HEADERS = ("X-Object-Manifest", "X-Symlink-Target")


def parse_signature(sig: str) -> tuple[str, str] | None:
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


def signing_keys(fake: FakeSwift, account: str, container: str) -> list[tuple[str, str]]:
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


def middleware(fake: FakeSwift, ctx: Ctx, app: App) -> Reply:
    """A request signed with ``temp_url_sig``/``temp_url_expires`` instead of a token."""
    if ctx.obj is None or "temp_url_sig" not in ctx.query:
        return app(ctx)
    assert ctx.account is not None and ctx.container is not None and ctx.obj is not None
    if ctx.method not in METHODS:
        return _tempurl_invalid(ctx)
    sig = ctx.query.get("temp_url_sig", "")
    expires_raw = ctx.query.get("temp_url_expires", "")
    if not sig or not expires_raw:
        return _tempurl_invalid(ctx)
    expires = _parse_expires(expires_raw)
    if expires < ctx.arrived:  # judged on arrival: a long upload may outlive the URL
        return _tempurl_invalid(ctx)
    parsed = parse_signature(sig)
    if parsed is None or parsed[0] not in ALLOWED_DIGESTS:
        return _tempurl_invalid(ctx)
    digest, given = parsed
    keys = signing_keys(fake, ctx.account, ctx.container)
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
        for header in _DISALLOWED_HEADERS:
            if ctx.header(header) is not None:
                return error(400, f"The header {header!r} is not allowed in this tempurl")
    # The signature stands in for a token with rights on exactly this object.
    assert ctx.account is not None
    ctx.bad_token = False
    ctx.token = Token(
        value="",
        kind="tempurl",
        subject=".wsgi.tempurl",
        account=ctx.account,
        admin=True,
        groups=frozenset(),
        issued_at=0.0,
        expires_at=float("inf"),
    )
    reply = app(ctx)
    if ctx.method not in ("GET", "HEAD"):
        return reply
    for key in [k for k in reply.headers if k.lower().startswith("x-object-meta-")]:
        if not key.lower().startswith("x-object-meta-public-"):
            del reply.headers[key]
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


def _tempurl_invalid(ctx: Ctx) -> Reply:
    reply = text_reply(401, "401 Unauthorized: Temp URL invalid\n", HTML)
    reply.set("Www-Authenticate", 'Swift realm="unknown"')
    return reply
