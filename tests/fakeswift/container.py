"""The container controller (with container_quotas): PUT, POST, DELETE, HEAD, GET listing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.fakeswift import listing, tempauth
from tests.fakeswift.constraints import (
    MAX_CONTAINER_NAME_LENGTH,
    STORAGE_POLICY,
    name_too_long,
    update_metadata,
)
from tests.fakeswift.replies import (
    ACCEPTED_BODY,
    HTML,
    PLAIN,
    Reply,
    error,
    method_not_allowed,
    plain_error,
    text_reply,
)
from tests.fakeswift.store import (
    Container,
    format_last_modified,
    format_x_timestamp,
    meta_header_name,
)

if TYPE_CHECKING:
    from tests.fakeswift.app import FakeSwift
    from tests.fakeswift.context import Ctx
    from tests.fakeswift.store import Account

__all__ = ["handle", "over_quota"]


def handle(fake: FakeSwift, ctx: Ctx) -> Reply:
    """A request to ``/v1/<account>/<container>``."""
    assert ctx.account is not None and ctx.container is not None
    method = ctx.method
    if method not in ("GET", "HEAD", "PUT", "POST", "DELETE"):
        return method_not_allowed()
    reading = method in ("GET", "HEAD")
    admin_only = method in ("PUT", "POST", "DELETE")
    denied = tempauth.authorize(
        fake, ctx, write=not reading, account_level=admin_only, listing=reading
    )
    if denied is not None:
        return denied
    acct = fake.store.ensure_account(ctx.account)
    cont = acct.containers.get(ctx.container)
    if method == "PUT":
        return _put(fake, ctx, acct, cont)
    if cont is None:
        return error(404)
    if method == "POST":
        bad = _update_meta(cont, ctx)
        if bad is not None:
            return bad
        cont.modified = fake.store.next_timestamp()
        return text_reply(204, "", HTML)
    if method == "DELETE":
        if cont.objects:
            return error(409)
        del acct.containers[ctx.container]
        return text_reply(204, "", HTML)
    headers = _headers(cont, owner=tempauth.is_owner(ctx))
    if tempauth.is_reseller(ctx.token):
        headers["X-Container-Sharding"] = "False"  # sysmeta only a reseller sees
    if method == "HEAD":
        reply = text_reply(204, "", PLAIN)
        reply.headers.update(headers)
        listing.vary(ctx, reply)
        return reply
    return listing.listing_reply(
        ctx,
        cont.sorted_names(),
        lambda name: listing.object_entry(name, cont.objects[name], acct.name),
        ("container", cont.name),
        headers,
    )


def _put(fake: FakeSwift, ctx: Ctx, acct: Account, cont: Container | None) -> Reply:
    assert ctx.container is not None
    too_long = name_too_long("Container", ctx.container, MAX_CONTAINER_NAME_LENGTH, HTML)
    if too_long is not None:
        return too_long
    policy = ctx.header("X-Storage-Policy")
    if policy and policy.lower() != STORAGE_POLICY:
        return plain_error(400, f"Invalid X-Storage-Policy {policy!r}")
    created = cont is None
    if cont is None:
        cont = Container(name=ctx.container, timestamp=fake.store.next_timestamp())
    scratch = Container(
        name=cont.name,
        timestamp=cont.timestamp,
        metadata=dict(cont.metadata),
        read_acl=cont.read_acl,
        write_acl=cont.write_acl,
    )
    bad = _update_meta(scratch, ctx)
    if bad is not None:
        return bad
    cont.metadata = scratch.metadata
    cont.read_acl = scratch.read_acl
    cont.write_acl = scratch.write_acl
    if not created:
        cont.modified = fake.store.next_timestamp()
    acct.mark_written(cont.timestamp, container=True)
    acct.containers[ctx.container] = cont
    if created:
        return text_reply(201, "", HTML)
    return text_reply(202, ACCEPTED_BODY, HTML)


def _headers(cont: Container, *, owner: bool) -> dict[str, str]:
    headers = {
        "X-Container-Object-Count": str(cont.object_count),
        "X-Container-Bytes-Used": str(cont.bytes_used),
        "X-Timestamp": format_x_timestamp(cont.timestamp),
        "Last-Modified": format_last_modified(cont.modified or cont.timestamp),
        "X-Storage-Policy": STORAGE_POLICY,
        "Accept-Ranges": "bytes",
    }
    if owner:
        if cont.read_acl:
            headers["X-Container-Read"] = cont.read_acl
        if cont.write_acl:
            headers["X-Container-Write"] = cont.write_acl
    for key, value in sorted(cont.metadata.items()):
        headers[meta_header_name("X-Container-Meta-", key)] = value
    return headers


def _update_meta(cont: Container, ctx: Ctx) -> Reply | None:
    for kind in ("bytes", "count"):
        value = ctx.header(f"X-Container-Meta-Quota-{kind.title()}")
        if value and not value.isdigit():
            return error(400, f"Invalid {kind} quota.")
    acls: dict[str, str | None] = {}
    for header, attr in (("Read", "read_acl"), ("Write", "write_acl")):
        value = ctx.header(f"X-Container-{header}")
        if value is not None:
            try:
                acls[attr] = tempauth.clean_acl(header, value) or None
            except ValueError as exc:
                return error(400, str(exc))
        if ctx.header(f"X-Remove-Container-{header}") is not None:
            acls[attr] = None
    bad = update_metadata(cont.metadata, ctx, "X-Container-Meta-", "X-Remove-Container-Meta-")
    if bad is not None:
        return bad
    for attr, acl in acls.items():
        setattr(cont, attr, acl)
    return None


def over_quota(cont: Container, adding: int) -> Reply | None:
    """container_quotas: a PUT of ``adding`` bytes (by Content-Length) over a quota is 413."""
    quota_bytes = cont.metadata.get("quota-bytes", "")
    quota_count = cont.metadata.get("quota-count", "")
    if quota_bytes.isdigit() and int(quota_bytes) < cont.bytes_used + adding:
        return error(413, "Upload exceeds quota.")
    if quota_count.isdigit() and int(quota_count) < cont.object_count + 1:
        return error(413, "Upload exceeds quota.")
    return None
