"""bulk: ``?bulk-delete`` and ``?extract-archive=tar``, each entry a subrequest as the caller."""

from __future__ import annotations

import io
import json
import tarfile
import zlib
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape as xml_escape

from tests.fakeswift import objects, tempauth
from tests.fakeswift.constraints import (
    MAX_CONTAINER_NAME_LENGTH,
    MAX_FILE_SIZE,
    MAX_OBJECT_NAME_LENGTH,
)
from tests.fakeswift.container import over_quota
from tests.fakeswift.replies import HTML, Reply, best_match, error, header_text

if TYPE_CHECKING:
    from tests.fakeswift.app import FakeSwift
    from tests.fakeswift.context import App, Ctx

__all__ = [
    "BAD_REQUEST_REASON",
    "BULK_TYPES",
    "MAX_CONTAINERS_PER_EXTRACTION",
    "MAX_DELETES_PER_REQUEST",
    "MAX_FAILED_DELETES",
    "MAX_FAILED_EXTRACTIONS",
    "bulk_delete",
    "bulk_reply",
    "extract_archive",
    "has_length",
    "middleware",
    "result_body",
    "status_line",
    "sub_delete",
]

MAX_DELETES_PER_REQUEST = 10000
MAX_FAILED_DELETES = 1000
MAX_CONTAINERS_PER_EXTRACTION = 10000
MAX_FAILED_EXTRACTIONS = 1000


def middleware(fake: FakeSwift, ctx: Ctx, app: App) -> Reply:
    """Bulk runs before the auth middleware: each of its subrequests is authorised alone."""
    if "extract-archive" in ctx.query and ctx.method == "PUT":
        return extract_archive(fake, ctx)
    if "bulk-delete" in ctx.query and ctx.method in ("POST", "DELETE"):
        return bulk_delete(fake, ctx)
    return app(ctx)


#: What bulk and SLO answer in, by the request's Accept (swob's best_match over these).
BULK_TYPES = ("text/plain", "application/json", "application/xml", "text/xml")
BAD_REQUEST_REASON = (
    "Bad Request\nThe server could not comply with the request since it is either malformed "
    "or otherwise incorrect."
)


def status_line(code: int) -> str:
    """``"404 Not Found"``, as Swift writes statuses into bulk results."""
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


def result_body(
    content_type: str | None, result: dict[str, Any], errors: list[list[str]], root: str
) -> bytes:
    """The result document of bulk delete, archive extraction and SLO (JSON, XML or text)."""
    if content_type == "application/json":
        return json.dumps({**result, "Errors": errors}).encode("ascii")
    if content_type is not None and content_type.endswith("/xml"):
        out = [f"<{root}>\n"]
        for key in sorted(result):
            tag = key.replace(" ", "_").lower()
            out.append(f"<{tag}>{xml_escape(str(result[key]))}</{tag}>\n")
        out.append("<errors>\n")
        for name, why in errors:
            out.append(
                f"<object><name>{xml_escape(name)}</name><status>{xml_escape(why)}</status>"
                "</object>\n"
            )
        out.append(f"</errors>\n</{root}>\n")
        return "".join(out).encode("utf-8")
    lines = [f"{key}: {result[key]}\n" for key in sorted(result)]
    lines.append("Errors:\n")
    lines.extend(f"{name}, {why}\n" for name, why in errors)
    return "".join(lines).encode("utf-8")


def bulk_reply(
    content_type: str | None,
    result: dict[str, Any],
    errors: list[list[str]],
    root: str,
    *,
    status: int = 200,
    prefix: bytes = b"",
) -> Reply:
    """A bulk answer: streamed (chunked, no Content-Length), the result at the end."""
    body = prefix + result_body(content_type, result, errors, root)
    return Reply(status, {"Content-Type": content_type or HTML}, iter([body]))


def has_length(ctx: Ctx) -> bool:
    return (
        ctx.header("Content-Length") is not None
        or "chunked" in (ctx.header("Transfer-Encoding") or "").lower()
    )


def sub_delete(fake: FakeSwift, ctx: Ctx, name: str) -> int:
    """One DELETE subrequest of bulk delete (with the caller's token) -> its status."""
    assert ctx.account is not None
    container, _, obj = name.lstrip("/").partition("/")
    if not container:
        # DELETE of the account itself: only a reseller admin may.
        return 403 if ctx.token is not None else 401
    denied = tempauth.authorize_as_caller(
        fake, ctx, container=container, write=True, account_level=not obj
    )
    if denied is not None:
        return denied
    cont = fake.store.get_container(container, ctx.account)
    if cont is None:
        return 404
    if not obj:
        if cont.objects:
            return 409
        fake.store.account(ctx.account).containers.pop(container, None)
        return 204
    stored = cont.objects.pop(obj, None)
    if stored is None or stored.expired(fake.clock.time()):
        return 404
    return 204


# -- bulk delete ---------------------------------------------------------------------------------


def bulk_delete(fake: FakeSwift, ctx: Ctx) -> Reply:
    """``POST|DELETE <account>[/...]?bulk-delete``: newline separated, URL-encoded paths.

    Always 200; the outcome is in the body. Objects go first, containers after them.
    """
    content_type = best_match(ctx.header("Accept"), BULK_TYPES)
    result: dict[str, Any] = {
        "Response Status": "200 OK",
        "Response Body": "",
        "Number Deleted": 0,
        "Number Not Found": 0,
    }
    errors: list[list[str]] = []
    incoming = ctx.header("Content-Type")
    if content_type is None or (incoming and not incoming.startswith("text/plain")):
        result["Response Status"] = status_line(406)
        return bulk_reply(content_type, result, errors, "delete")
    if not has_length(ctx):
        result["Response Status"] = status_line(411)
        return bulk_reply(content_type, result, errors, "delete")
    names = [
        unquote(line.strip().decode("latin-1"), encoding="utf-8", errors="surrogateescape")
        for line in ctx.body.split(b"\n")
        if line.strip()
    ]
    if len(names) > MAX_DELETES_PER_REQUEST:
        result["Response Status"] = status_line(413)
        result["Response Body"] = f"Maximum Bulk Deletes: {MAX_DELETES_PER_REQUEST} per request"
        return bulk_reply(content_type, result, errors, "delete")
    failure = 400
    objects = [n for n in names if "/" in n.strip("/")]
    containers = [n for n in names if "/" not in n.strip("/")]
    for name in objects + containers:
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            errors.append([quote(name.encode("utf-8", "surrogateescape")), status_line(412)])
            continue
        status = sub_delete(fake, ctx, name)
        if status // 100 == 2:
            result["Number Deleted"] += 1
        elif status == 404:
            result["Number Not Found"] += 1
        else:
            if status // 100 == 5:
                failure = 502
            errors.append([quote(name), status_line(status)])
        if len(errors) >= MAX_FAILED_DELETES:
            result["Response Status"] = status_line(400)
            result["Response Body"] = "Max delete failures exceeded"
            return bulk_reply(content_type, result, errors, "delete")
    if errors:
        result["Response Status"] = status_line(failure)
    elif not (result["Number Deleted"] or result["Number Not Found"]):
        result["Response Status"] = status_line(400)
        result["Response Body"] = "Invalid bulk delete."
    return bulk_reply(content_type, result, errors, "delete")


# -- archive extraction --------------------------------------------------------------------------

_TAR_MODES = {"tar": "", "tar.gz": "gz", "tar.bz2": "bz2"}


def extract_archive(fake: FakeSwift, ctx: Ctx) -> Reply:
    """``PUT <account>[/<container>[/<prefix>]]?extract-archive=tar|tar.gz|tar.bz2``."""
    assert ctx.account is not None
    compression = _TAR_MODES.get(ctx.query.get("extract-archive", "").lower().strip("."))
    if compression is None:
        return error(400, "Unsupported archive format")
    content_type = best_match(ctx.header("Accept"), BULK_TYPES)
    result: dict[str, Any] = {
        "Response Status": "201 Created",
        "Response Body": "",
        "Number Files Created": 0,
    }
    errors: list[list[str]] = []

    def answer() -> Reply:
        return bulk_reply(content_type, result, errors, "extract")

    if content_type is None:
        result["Response Status"] = status_line(406)
        return answer()
    if not has_length(ctx):
        result["Response Status"] = status_line(411)
        return answer()
    base = "/".join(p for p in (ctx.container, ctx.obj) if p).rstrip("/")
    # The subrequests carry these headers of the archive request (and each member's pax).
    passed = {
        k: header_text(v)
        for k, v in ctx.request.headers.items()
        if k.lower() in ("x-delete-at", "x-delete-after") or k.lower().startswith("x-object-meta-")
    }
    failure = 400
    seen: set[str] = set()
    created = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(ctx.body), mode=f"r|{compression}") as archive:  # type: ignore[call-overload]
            for member in archive:
                if len(errors) >= MAX_FAILED_EXTRACTIONS:
                    break
                if not member.isfile():
                    continue
                path = member.name.removeprefix("./").lstrip("/")
                if base:
                    path = f"{base}/{path}"
                if "/" not in path:
                    continue  # files at the top of an account-level upload are ignored
                container, _, obj = path.partition("/")
                if member.size > MAX_FILE_SIZE:
                    errors.append([quote(path), status_line(413)])
                    continue
                container_failure: list[str] | None = None
                if container not in seen:
                    status = _ensure_container(fake, ctx, container)
                    if status == 201:
                        created += 1
                        if created > MAX_CONTAINERS_PER_EXTRACTION:
                            result["Response Status"] = status_line(400)
                            result["Response Body"] = (
                                f"More than {MAX_CONTAINERS_PER_EXTRACTION} containers to "
                                "create from tar."
                            )
                            return answer()
                    elif status == 401:
                        result["Response Status"] = status_line(401)
                        return answer()
                    elif status != 200:
                        container_failure = [
                            quote(f"/v1/{ctx.account}/{container}"),
                            status_line(status),
                        ]
                extracted = archive.extractfile(member)
                data = extracted.read() if extracted is not None else b""
                headers = dict(passed)
                for key, value in member.pax_headers.items():
                    for lead in ("SCHILY.xattr.user.", "LIBARCHIVE.xattr.user."):
                        if key == lead + "mime_type":
                            headers["Content-Type"] = value
                        elif key.startswith(lead + "meta."):
                            headers["X-Object-Meta-" + key[len(lead + "meta.") :]] = value
                status = _sub_put(fake, ctx, container, obj, data, headers)
                seen.add(container)
                if status // 100 == 2:
                    result["Number Files Created"] += 1
                    continue
                if container_failure is not None:
                    errors.append(container_failure)
                if status == 401:
                    errors.append([quote(path), status_line(401)])
                    result["Response Status"] = status_line(401)
                    return answer()
                if status // 100 == 5:
                    failure = 502
                errors.append([quote(path), status_line(status)])
    except (tarfile.TarError, zlib.error, EOFError, OSError) as exc:
        result["Response Status"] = status_line(400)
        result["Response Body"] = f"Invalid Tar File: {exc}"
        return answer()
    if errors:
        result["Response Status"] = status_line(failure)
    elif not result["Number Files Created"]:
        result["Response Status"] = status_line(400)
        result["Response Body"] = "Invalid Tar File: No Valid Files"
    return answer()


def _ensure_container(fake: FakeSwift, ctx: Ctx, container: str) -> int:
    """HEAD, then PUT when missing: 200 (there), 201 (created) or the failing status."""
    assert ctx.account is not None
    denied = tempauth.authorize_as_caller(fake, ctx, container=container, write=False, listing=True)
    if denied is not None:
        return denied
    if fake.store.get_container(container, ctx.account) is not None:
        return 200
    denied = tempauth.authorize_as_caller(
        fake, ctx, container=container, write=True, account_level=True
    )
    if denied is not None:
        return denied
    if len(container) > MAX_CONTAINER_NAME_LENGTH:
        return 400
    fake.store.create_container(container, account=ctx.account)
    return 201


def _sub_put(
    fake: FakeSwift, ctx: Ctx, container: str, name: str, data: bytes, headers: dict[str, str]
) -> int:
    """One object PUT subrequest of archive extraction -> its status."""
    assert ctx.account is not None
    denied = tempauth.authorize_as_caller(fake, ctx, container=container, write=True)
    if denied is not None:
        return denied
    cont = fake.store.get_container(container, ctx.account)
    if cont is None:
        return 404
    if len(name) > MAX_OBJECT_NAME_LENGTH:
        return 400
    if over_quota(cont, len(data)) is not None:
        return 413
    built = objects.build_object(fake, ctx, data, name=name, check_etag=False, headers_from=headers)
    if isinstance(built, Reply):
        return built.status
    cont.objects[name] = built
    return 201
