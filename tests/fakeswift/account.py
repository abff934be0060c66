"""The account controller: HEAD/GET (listing), POST (metadata); PUT/DELETE need a reseller."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.fakeswift import listing, tempauth
from tests.fakeswift.constraints import STORAGE_POLICY, update_metadata
from tests.fakeswift.replies import (
    ACCEPTED_BODY,
    HTML,
    PLAIN,
    Reply,
    error,
    method_not_allowed,
    text_reply,
)
from tests.fakeswift.store import format_x_timestamp, meta_header_name

if TYPE_CHECKING:
    from tests.fakeswift.app import FakeSwift
    from tests.fakeswift.context import Ctx
    from tests.fakeswift.store import Account

__all__ = ["handle"]


def handle(fake: FakeSwift, ctx: Ctx) -> Reply:
    """A request to ``/v1/<account>``."""
    assert ctx.account is not None
    existing = fake.store.accounts.get(ctx.account)
    if existing is not None and existing.deleted:
        return _deleted(ctx)
    if ctx.method in ("PUT", "DELETE"):
        # Account management (allow_account_management) needs a reseller admin.
        if not tempauth.is_reseller(ctx.token):
            return error(403) if ctx.token is not None else tempauth.unauthorized(ctx.account)
        return _manage(fake, ctx, existing)
    if ctx.method not in ("GET", "HEAD", "POST"):
        return method_not_allowed()
    denied = tempauth.authorize(fake, ctx, write=ctx.method == "POST", account_level=True)
    if denied is not None:
        return denied
    acct = fake.store.ensure_account(ctx.account)  # account_autocreate
    if ctx.method == "POST":
        acl = ctx.header("X-Account-Access-Control")
        if acl is not None:
            try:
                doc = tempauth.parse_account_acl(acl)
            except ValueError as exc:
                body = f"X-Account-Access-Control invalid: {exc}\n\nInput: {acl}\n"
                return error(400, body, content_type="text/plain; charset=UTF-8")
        bad = update_metadata(acct.metadata, ctx, "X-Account-Meta-", "X-Remove-Account-Meta-")
        if bad is not None:
            return bad
        if acl is not None:
            compact = json.dumps(doc, separators=(",", ":"))
            acct.access_control = compact if doc else None
        acct.mark_written(fake.store.next_timestamp())
        return text_reply(204, "", HTML)
    headers = _headers(fake, acct)
    if acct.access_control and _sees_acl(fake, ctx):
        headers["X-Account-Access-Control"] = acct.access_control
    if ctx.method == "HEAD":
        # An account nobody wrote to yet has no database: Swift makes up a 200 for it.
        reply = text_reply(204 if acct.written else 200, "", PLAIN)
        reply.headers.update(headers)
        listing.vary(ctx, reply)
        return reply
    return listing.listing_reply(
        ctx,
        acct.sorted_names(),
        lambda name: listing.container_entry(acct.containers[name]),
        ("account", acct.name),
        headers,
    )


def _headers(fake: FakeSwift, acct: Account) -> dict[str, str]:
    count = str(len(acct.containers))
    objects = str(sum(c.object_count for c in acct.containers.values()))
    used = str(sum(c.bytes_used for c in acct.containers.values()))
    if not acct.written:
        now = format_x_timestamp(fake.clock.time())
        return {
            "X-Account-Container-Count": count,
            "X-Account-Object-Count": objects,
            "X-Account-Bytes-Used": used,
            "X-Timestamp": now,
            "X-Put-Timestamp": now,
        }
    headers = {
        "X-Account-Container-Count": count,
        "X-Account-Object-Count": objects,
        "X-Account-Bytes-Used": used,
        "X-Timestamp": format_x_timestamp(acct.timestamp),
    }
    if acct.policy_used:
        prefix = f"X-Account-Storage-Policy-{STORAGE_POLICY.title()}-"
        headers[prefix + "Container-Count"] = count
        headers[prefix + "Object-Count"] = objects
        headers[prefix + "Bytes-Used"] = used
    for key, value in sorted(acct.metadata.items()):
        headers[meta_header_name("X-Account-Meta-", key)] = value
    headers["Accept-Ranges"] = "bytes"
    return headers


def _sees_acl(fake: FakeSwift, ctx: Ctx) -> bool:
    if tempauth.is_owner(ctx):
        return True
    assert ctx.account is not None
    token = ctx.token
    return token is not None and tempauth.account_acl_level(fake, ctx.account, token) == "admin"


def _manage(fake: FakeSwift, ctx: Ctx, existing: Account | None) -> Reply:
    assert ctx.account is not None
    if ctx.method == "PUT":
        if existing is not None and existing.written:
            return text_reply(202, ACCEPTED_BODY, HTML)
        acct = fake.store.ensure_account(ctx.account)
        acct.mark_written(fake.store.next_timestamp())
        return text_reply(201, "", HTML)
    if existing is None or not existing.written:
        return error(404)
    existing.deleted = True
    reply = text_reply(204, "", HTML)
    reply.set("X-Account-Status", "Deleted")
    return reply


def _deleted(ctx: Ctx) -> Reply:
    if ctx.method == "PUT":
        reply = text_reply(403, "Recently deleted", HTML)
    elif ctx.method == "DELETE":
        reply = text_reply(404, "", HTML)
    else:
        reply = text_reply(410, "", HTML)
    reply.set("X-Account-Status", "Deleted")
    return reply
