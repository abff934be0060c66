"""The account controller: HEAD/GET (listing), POST (metadata); PUT/DELETE need a reseller."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.fakeswift import listing, tempauth
from tests.fakeswift.constraints import STORAGE_POLICY, update_metadata
from tests.fakeswift.replies import (
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
    if ctx.method in ("PUT", "DELETE"):
        # Account management needs a reseller admin; no fake user is one.
        return error(403) if ctx.token is not None else tempauth.unauthorized(ctx.account or "")
    if ctx.method not in ("GET", "HEAD", "POST"):
        return method_not_allowed()
    denied = tempauth.authorize(fake, ctx, write=ctx.method == "POST", account_level=True)
    if denied is not None:
        return denied
    assert ctx.account is not None
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
