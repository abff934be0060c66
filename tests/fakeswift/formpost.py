"""FormPost: browser form uploads (``multipart/form-data`` POST) signed with a TempURL key."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING
from urllib.parse import quote

from tests.fakeswift import bulk, container, objects, tempurl
from tests.fakeswift.constraints import MAX_OBJECT_NAME_LENGTH
from tests.fakeswift.replies import BARE_PLAIN, Reply, error, text_reply, wire_bytes

if TYPE_CHECKING:
    from tests.fakeswift.app import FakeSwift
    from tests.fakeswift.context import App, Ctx

__all__ = ["middleware"]


#: Form field values are read up to this many bytes (Swift's MAX_VALUE_LENGTH).
_FORM_VALUE_LENGTH = 4096


class _FormInvalid(Exception):
    """400 ``FormPost: <message>``."""


class _FormUnauthorized(Exception):
    """401 ``FormPost: <Message Title-Cased>``."""


def _form_parts(body: bytes, boundary: bytes) -> list[tuple[dict[str, str], bytes]] | None:
    """(lower-case headers, content) of each part; None when the body does not start right."""
    delimiter = b"--" + boundary
    if not body.startswith(delimiter):
        return None
    parts: list[tuple[dict[str, str], bytes]] = []
    for chunk in body[len(delimiter) :].split(b"\r\n" + delimiter):
        if chunk.startswith(b"--"):
            break
        head, _, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        parts.append((headers, content))
    return parts


def _disposition_params(value: str) -> tuple[str, dict[str, str]]:
    kind, *params = (p.strip() for p in value.split(";"))
    out: dict[str, str] = {}
    for param in params:
        name, _, raw = param.partition("=")
        out[name.strip().lower()] = raw.strip().strip('"')
    return kind.lower(), out


def middleware(fake: FakeSwift, ctx: Ctx, app: App) -> Reply:
    """``POST <container>[/<prefix>]`` with ``multipart/form-data`` from a browser form.

    As Swift's formpost: parts are read in order, each file is stored as it comes (the ones
    before a failure stay), signature and expiry are checked for every file.
    """
    if not (
        ctx.method == "POST"
        and ctx.container is not None
        and (ctx.header("Content-Type") or "").lower().startswith("multipart/form-data")
    ):
        return app(ctx)
    assert ctx.account is not None and ctx.container is not None
    _, params = _disposition_params(ctx.header("Content-Type") or "")
    boundary = params.get("boundary", "")
    if not boundary:
        return error(400)
    try:
        return _formpost(fake, ctx, boundary.encode("utf-8"))
    except (_FormInvalid, EOFError) as exc:
        return error(400, f"FormPost: {exc}", content_type=BARE_PLAIN)
    except _FormUnauthorized as exc:
        reply = error(401, f"FormPost: {str(exc).title()}")
        reply.set("Www-Authenticate", 'Swift realm="unknown"')
        return reply


def _formpost(fake: FakeSwift, ctx: Ctx, boundary: bytes) -> Reply:
    parts = _form_parts(ctx.body, boundary)
    if parts is None:
        return error(400, "FormPost: invalid starting boundary", content_type=BARE_PLAIN)
    attributes: dict[str, str] = {}
    status = 0
    message = ""
    files = 0
    for headers, content in parts:
        kind, disposition = _disposition_params(headers.get("content-disposition", ""))
        if kind == "form-data" and disposition.get("filename"):
            files += 1
            try:
                if files > int(attributes.get("max_file_count") or 0):
                    status, message = 400, "max file count exceeded"
                    break
            except ValueError:
                raise _FormInvalid("max_file_count not an integer") from None
            upload = dict(attributes)
            upload["filename"] = disposition["filename"] or "filename"
            if "content-type" not in attributes and "content-type" in headers:
                upload["content-type"] = headers["content-type"] or "application/octet-stream"
            if "content-encoding" not in attributes and "content-encoding" in headers:
                upload["content-encoding"] = headers["content-encoding"]
            status = _form_upload(fake, ctx, upload, content)
            if status // 100 != 2:
                break
        elif "name" in disposition:
            text = content[:_FORM_VALUE_LENGTH].decode("utf-8", "replace")
            attributes[disposition["name"].lower()] = text.rstrip("\r\n-")
    if not status:
        status, message = 400, "no files to process"
    redirect = attributes.get("redirect")
    if not redirect:
        body = bulk.status_line(status)
        if message:
            body += "\r\nFormPost: " + message.title()
        return text_reply(status, body, BARE_PLAIN)
    joiner = "&" if "?" in redirect else "?"
    location = f"{redirect}{joiner}status={status}&message={quote(message)}"
    page = f'<html><body><p><a href="{location}">Click to continue...</a></p></body></html>'
    data = page.encode("utf-8")
    return Reply(303, {"Location": location}, data, len(data))


def _form_upload(fake: FakeSwift, ctx: Ctx, form: dict[str, str], data: bytes) -> int:
    """Check the signature for one file and store it; the status of the PUT subrequest."""
    assert ctx.account is not None and ctx.container is not None
    keys = tempurl.signing_keys(fake, ctx.account, ctx.container)
    if not keys:
        raise _FormUnauthorized("invalid signature")
    try:
        max_file_size = int(form.get("max_file_size") or 0)
    except ValueError:
        raise _FormInvalid("max_file_size not an integer") from None
    delete_headers: dict[str, str] = {}
    for field, header, hint in (
        ("x_delete_at", "X-Delete-At", "Unix timestamp required."),
        ("x_delete_after", "X-Delete-After", "Number of seconds required."),
    ):
        if field in form:
            try:
                delete_headers[header] = str(int(form[field]))
            except ValueError:
                raise _FormInvalid(f"{field} not an integer: {hint}") from None
    try:
        if int(form.get("expires") or 0) < fake.clock.time():
            raise _FormUnauthorized("form expired")
    except ValueError:
        raise _FormInvalid("expired not an integer") from None
    # The signed path is the request path from /v1 on (without a catalog endpoint prefix).
    path = ctx.path[ctx.path.index("/v1/") :]
    message = "\n".join(
        [
            path,
            form.get("redirect") or "",
            form.get("max_file_size") or "0",
            form.get("max_file_count") or "0",
            form.get("expires") or "0",
        ]
    ).encode("utf-8")
    parsed = tempurl.parse_signature(form.get("signature", ""))
    if parsed is None or parsed[0] not in tempurl.ALLOWED_DIGESTS:
        raise _FormUnauthorized("invalid signature")
    digest, given = parsed
    # The key is what the metadata header carried: its raw bytes sign.
    if not any(
        hmac.compare_digest(hmac.new(wire_bytes(key), message, digest).hexdigest(), given)
        for key, _scope in keys
    ):
        raise _FormUnauthorized("invalid signature")
    if len(data) > max_file_size:
        raise EOFError("max_file_size exceeded")
    prefix = ctx.obj or ""
    name = prefix + form["filename"]
    headers = dict(delete_headers)
    if "content-type" in form:
        headers["Content-Type"] = form["content-type"] or "application/octet-stream"
    if "content-encoding" in form:
        headers["Content-Encoding"] = form["content-encoding"]
    cont = fake.store.get_container(ctx.container, ctx.account)
    if cont is None:
        return 404
    if len(name) > MAX_OBJECT_NAME_LENGTH:
        return 400
    if container.over_quota(cont, 0) is not None:
        return 413
    built = objects.build_object(fake, ctx, data, name=name, check_etag=False, headers_from=headers)
    if isinstance(built, Reply):
        return built.status
    cont.objects[name] = built
    return 201
