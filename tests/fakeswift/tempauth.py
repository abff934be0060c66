"""tempauth: the v1 auth endpoint, token checks and container ACLs (``.r:``, ``.rlistings``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from tests.fakeswift.auth import RESELLER_GROUP
from tests.fakeswift.replies import HTML, Reply, error, text_reply

if TYPE_CHECKING:
    from tests.fakeswift.app import FakeSwift
    from tests.fakeswift.auth import Token
    from tests.fakeswift.context import App, Ctx
    from tests.fakeswift.store import Container

__all__ = [
    "PREFIX",
    "account_acl_level",
    "auth_v1",
    "authorize",
    "authorize_as_caller",
    "clean_acl",
    "is_owner",
    "is_reseller",
    "middleware",
    "parse_account_acl",
    "resolve_token",
    "unauthorized",
]

#: tempauth's auth_prefix: every path below it is an auth request.
PREFIX = "/auth/"


def auth_v1(fake: FakeSwift, ctx: Ctx) -> Reply:
    """``GET /auth/v1.0`` (and the other forms tempauth serves under ``/auth/``)."""
    # tempauth serves every path under /auth/: GET only; <v1.0|auth> with X-Auth-User
    # "account:user", or v1/<account>/auth where X-Storage-User may be the bare user.
    if ctx.method != "GET":
        return error(405)
    segments = ctx.path[len(PREFIX) :].split("/")
    key = ctx.header("X-Auth-Key") or ctx.header("X-Storage-Pass")
    if segments[0] in ("v1.0", "auth"):
        given = ctx.header("X-Auth-User") or ctx.header("X-Storage-User")
        if not given or ":" not in given:
            return _v1_denied(fake, "unknown")
        account, _, name = given.partition(":")
    elif segments[0] == "v1" and len(segments) >= 3 and segments[2] == "auth":
        account = segments[1]
        name = ctx.header("X-Storage-User") or ""
        if not name:
            given = ctx.header("X-Auth-User") or ""
            if ":" not in given or given.partition(":")[0] != account:
                return _v1_denied(fake, account)
            name = given.partition(":")[2]
        key = ctx.header("X-Storage-Pass") or ctx.header("X-Auth-Key")
    else:
        return error(400)
    found = fake.auth.check_v1(f"{account}:{name}", key) if account and name and key else None
    if found is None:
        return _v1_denied(fake, account or "unknown")

    now = fake.clock.time()
    token = fake.auth.issue_v1(found, now, fake.token_ttl)
    ctx.record.authenticated = True
    remaining = str(max(int(token.expires_at - now), 0))
    if fake.v1_style == "selectel":
        reply = Reply(204)
        reply.set("X-Expire-Auth-Token", remaining)
        reply.set("X-Storage-Url", fake.storage_url(found.account))
        reply.set("X-Auth-Token", token.value)
        reply.set("X-Storage-Token", token.value)
        return reply
    reply = text_reply(200, "", HTML)
    reply.set("X-Auth-Token", token.value)
    reply.set("X-Storage-Token", token.value)
    reply.set("X-Auth-Token-Expires", remaining)
    reply.set("X-Storage-Url", fake.storage_url(found.account))
    return reply


def _v1_denied(fake: FakeSwift, realm: str) -> Reply:
    if fake.v1_style == "selectel":
        return error(403)
    reply = error(401)
    reply.set("Www-Authenticate", f'Swift realm="{realm}"')
    return reply


def resolve_token(fake: FakeSwift, ctx: Ctx) -> None:
    """Look the token up as of the headers' arrival, before any of the body is read.

    Swift authorises on the headers: an upload that outlives its token (or the token's
    revocation) still completes.
    """
    token_value = ctx.header("X-Auth-Token") or ctx.header("X-Storage-Token")
    if not token_value:
        return
    token = fake.auth.lookup(token_value, ctx.arrived)
    if token is None:
        ctx.bad_token = True
    else:
        ctx.token = token
        ctx.record.authenticated = True


def middleware(fake: FakeSwift, ctx: Ctx, app: App) -> Reply:
    """A token that was sent but is not valid stops the request here."""
    if ctx.bad_token:
        assert ctx.account is not None
        return unauthorized(ctx.account)
    return app(ctx)


def unauthorized(account: str) -> Reply:
    """tempauth's 401 for a storage request, naming the account's realm."""
    reply = error(401)
    reply.set("Www-Authenticate", f'Swift realm="{quote(account)}"')
    return reply


def is_owner(ctx: Ctx) -> bool:
    """The caller is an admin of the account of the path, or a reseller (sees ACLs, keys)."""
    token = ctx.token
    if token is None:
        return False
    return (token.account == ctx.account and token.admin) or is_reseller(token)


def is_reseller(token: Token | None) -> bool:
    """The token is a reseller admin's (``.reseller_admin``)."""
    return token is not None and RESELLER_GROUP in token.groups


def authorize(
    fake: FakeSwift,
    ctx: Ctx,
    *,
    write: bool,
    account_level: bool = False,
    account: str | None = None,
    container: str | None = None,
    listing: bool = False,
) -> Reply | None:
    """tempauth's authorize: None when allowed, else the 401 or 403."""
    acct = account or ctx.account
    assert acct is not None
    token = ctx.token
    if token is not None and ((token.account == acct and token.admin) or is_reseller(token)):
        return None
    if token is not None and _account_acl_allows(fake, acct, token, ctx, account_level):
        return None
    if not account_level:
        cont = fake.store.get_container(container or ctx.container or "", acct)
        referrer = ctx.header("Referer")
        if cont is not None and _acl_allows(cont, token, referrer, write=write, listing=listing):
            return None
    if token is None:
        return unauthorized(acct)
    return error(403)


def authorize_as_caller(
    fake: FakeSwift,
    ctx: Ctx,
    *,
    container: str,
    write: bool,
    account_level: bool = False,
    listing: bool = False,
) -> int | None:
    """The status a subrequest with the caller's token gets from tempauth (None: allowed).

    Used by the middleware that runs before auth (bulk, SLO segment checks).
    """
    denied = authorize(
        fake, ctx, write=write, account_level=account_level, container=container, listing=listing
    )
    return None if denied is None else denied.status


def _acl_entries(acl: str | None) -> list[str]:
    return [e.strip() for e in (acl or "").split(",") if e.strip()]


def _acl_allows(
    cont: Container, token: Token | None, referrer: str | None, *, write: bool, listing: bool
) -> bool:
    groups = token.groups if token is not None else frozenset()
    if write:
        return any(e in groups for e in _acl_entries(cont.write_acl))
    entries = _acl_entries(cont.read_acl)
    referrer_ok = _referrer_allowed(referrer, [e[3:] for e in entries if e.startswith(".r:")])
    if listing:
        if referrer_ok and ".rlistings" in entries:
            return True
    elif referrer_ok or cont.public:
        return True
    return any(e in groups for e in entries if not e.startswith("."))


def _referrer_allowed(referrer: str | None, hosts: list[str]) -> bool:
    """Swift's referrer check: the last matching entry wins, ``-host`` denies."""
    host = urlsplit(referrer or "").hostname or "unknown"
    allowed = False
    for entry in hosts:
        if entry.startswith("-"):
            if _host_matches(entry[1:], host):
                allowed = False
        elif entry == "*" or _host_matches(entry, host):
            allowed = True
    return allowed


def _host_matches(pattern: str, host: str) -> bool:
    return pattern == host or (pattern.startswith(".") and host.endswith(pattern))


_REFERRER_DESIGNATORS = (".r", ".ref", ".referer", ".referrer")


def clean_acl(name: str, value: str) -> str:
    """A container ACL as Swift stores it (``X-Container-Read: .r:*, a`` -> ``.r:*,a``).

    Raises ``ValueError`` with Swift's message for what it refuses.
    """
    values: list[str] = []
    for raw in value.split(","):
        entry = raw.strip()
        if not entry:
            continue
        if ":" not in entry:
            values.append(entry)
            continue
        first, second = (part.strip() for part in entry.split(":", 1))
        if not first or not first.startswith("."):
            values.append(entry)
        elif first in _REFERRER_DESIGNATORS:
            if "write" in name.lower():
                raise ValueError(f"Referrers not allowed in write ACL: {entry!r}")
            negate = second.startswith("-")
            if negate:
                second = second[1:].strip()
            if second and second != "*" and second.startswith("*"):
                second = second[1:].strip()
            if not second or second == ".":
                raise ValueError(
                    f"No host/domain value after referrer designation in ACL: {entry!r}"
                )
            values.append(f".r:{'-' if negate else ''}{second}")
        else:
            raise ValueError(f"Unknown designator {first!r} in ACL: {entry!r}")
    return ",".join(values)


_ACCOUNT_ACL_KEYS = ("admin", "read-write", "read-only")


def parse_account_acl(value: str) -> dict[str, list[str]]:
    """``X-Account-Access-Control`` checked as tempauth does; ``ValueError``: the reason."""
    try:
        doc = json.loads(value)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise ValueError(f"Syntax error in input ({value!r})")
    for key, names in doc.items():
        if key not in _ACCOUNT_ACL_KEYS:
            raise ValueError(f'Key "{key}" not recognized')
        if not isinstance(names, list):
            raise ValueError(f'Value for key "{key}" must be a list')
    return doc


def account_acl_level(fake: FakeSwift, account: str, token: Token) -> str | None:
    """The strongest grant of the account's ACL to the token's groups (``admin``, ...)."""
    acct = fake.store.accounts.get(account)
    if acct is None or not acct.access_control:
        return None
    doc = json.loads(acct.access_control)
    for level in _ACCOUNT_ACL_KEYS:
        if token.groups & set(doc.get(level, [])):
            return level
    return None


def _account_acl_allows(
    fake: FakeSwift, account: str, token: Token, ctx: Ctx, account_level: bool
) -> bool:
    level = account_acl_level(fake, account, token)
    if level == "admin":
        return True
    if level == "read-write":
        # Anything in containers, but not the account's own metadata.
        return not (account_level and ctx.container is None and ctx.method not in ("GET", "HEAD"))
    if level == "read-only":
        return ctx.method in ("GET", "HEAD")
    return False
