"""Swift's constraints (swift/common/constraints.py): the limits /info announces, enforced."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote

from tests.fakeswift.replies import BARE_PLAIN, Reply, error, plain_error, wire_bytes

if TYPE_CHECKING:
    from werkzeug.wrappers import Request

    from tests.fakeswift.context import Ctx

__all__ = [
    "LISTING_LIMIT",
    "MAX_ACCOUNT_NAME_LENGTH",
    "MAX_CONTAINER_NAME_LENGTH",
    "MAX_FILE_SIZE",
    "MAX_HEADER_SIZE",
    "MAX_META_COUNT",
    "MAX_META_NAME_LENGTH",
    "MAX_META_OVERALL_SIZE",
    "MAX_META_VALUE_LENGTH",
    "MAX_OBJECT_NAME_LENGTH",
    "MAX_REQUEST_LINE",
    "STORAGE_POLICY",
    "answers_early",
    "check_framing",
    "check_if_none_match",
    "check_metadata",
    "declared_length",
    "delete_at",
    "invalid_utf8_params",
    "name_too_long",
    "split_container_object",
    "strip_swift_bytes",
    "update_metadata",
]

MAX_FILE_SIZE = 5368709122
MAX_META_NAME_LENGTH = 128
MAX_META_VALUE_LENGTH = 256
MAX_META_COUNT = 90
MAX_META_OVERALL_SIZE = 4096
MAX_HEADER_SIZE = 8192
MAX_REQUEST_LINE = 8192
MAX_OBJECT_NAME_LENGTH = 1024
MAX_CONTAINER_NAME_LENGTH = 256
MAX_ACCOUNT_NAME_LENGTH = 256
LISTING_LIMIT = 10000
#: The one storage policy, named as scripts/realswift.py configures real Swift.
STORAGE_POLICY = "gold"


def invalid_utf8_params(raw_query: str) -> frozenset[str]:
    """Names of query parameters whose value is not valid UTF-8."""
    bad = set()
    for name, value in parse_qsl(raw_query, keep_blank_values=True, errors="surrogateescape"):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            bad.add(name)
    return frozenset(bad)


def answers_early(request: Request) -> bool:
    """True when Swift answers before reading the body: the client waits for 100 Continue,
    or the announced body is too large to ever be accepted."""
    if (request.headers.get("Expect") or "").strip().lower() == "100-continue":
        return True
    length = request.headers.get("Content-Length") or ""
    return length.strip().isdigit() and int(length) > MAX_FILE_SIZE


def name_too_long(what: str, name: str, limit: int, content_type: str = BARE_PLAIN) -> Reply | None:
    """400 when ``name`` is over ``limit`` characters (Swift counts them, not UTF-8 bytes)."""
    size = len(name)
    if size <= limit:
        return None
    text = f"{what} name length of {size} longer than {limit}"
    return error(400, text, content_type=content_type)


def check_metadata(meta: Mapping[str, str], prefix: str) -> Reply | None:
    """The metadata limits (name and value length, count, total size) -> 400."""
    count = 0
    size = 0
    # Swift names the header in its messages as "x-object-meta-" + the title-cased key.
    shown = prefix.lower()
    for key, value in meta.items():
        if not key:
            return plain_error(400, "Metadata name cannot be empty")
        if len(key.encode("utf-8", "surrogateescape")) > MAX_META_NAME_LENGTH:
            return plain_error(400, f"Metadata name too long: {shown}{key.title()}")
        # Swift counts the bytes that came, not characters.
        value_size = len(wire_bytes(value))
        if value_size > MAX_META_VALUE_LENGTH:
            return plain_error(
                400, f"Metadata value longer than {MAX_META_VALUE_LENGTH}: {shown}{key.title()}"
            )
        count += 1
        size += len(key) + value_size
    if count > MAX_META_COUNT:
        return plain_error(400, f"Too many metadata items; max {MAX_META_COUNT}")
    if size > MAX_META_OVERALL_SIZE:
        return plain_error(400, f"Total metadata too large; max {MAX_META_OVERALL_SIZE}")
    return None


def update_metadata(
    target: dict[str, str], ctx: Ctx, prefix: str, remove_prefix: str
) -> Reply | None:
    """Apply a POST's metadata headers to ``target`` (an empty value removes a key)."""
    updated = dict(target)
    for key, value in ctx.headers_with_prefix(prefix).items():
        if value == "":
            updated.pop(key, None)
        else:
            updated[key] = value
    for key in ctx.headers_with_prefix(remove_prefix):
        updated.pop(key, None)
    bad = check_metadata(updated, prefix)
    if bad is not None:
        return bad
    target.clear()
    target.update(updated)
    return None


def check_framing(ctx: Ctx) -> Reply | None:
    """Content-Length or chunked, and not over the object size limit."""
    length = ctx.header("Content-Length")
    chunked = "chunked" in (ctx.header("Transfer-Encoding") or "").lower()
    if length is not None and not chunked:
        if not length.strip().isdigit():
            return error(400, "Invalid Content-Length")
        if int(length) > MAX_FILE_SIZE:
            return plain_error(413, "Your request is too large.")
    if length is None and not chunked:
        return plain_error(411, "Missing Content-Length header.")
    return None


def declared_length(ctx: Ctx) -> int:
    """The request's Content-Length (0 when absent, chunked or malformed)."""
    length = (ctx.header("Content-Length") or "").strip()
    return int(length) if length.isdigit() else 0


def check_if_none_match(ctx: Ctx) -> Reply | None:
    """An object PUT takes only ``If-None-Match: *``."""
    value = ctx.header("If-None-Match")
    if value is not None and value.strip() != "*":
        return plain_error(400, "If-None-Match only supports *")
    return None


def strip_swift_bytes(content_type: str) -> str:
    """A Content-Type without the ``swift_bytes=`` parameter."""
    parts = [p for p in content_type.split(";") if not p.strip().lower().startswith("swift_bytes=")]
    return ";".join(parts).strip()


def delete_at(header: Callable[[str], str | None], now: float) -> int | Reply | None:
    """``X-Delete-After`` (wins) or ``X-Delete-At`` as Swift's constraints check them."""
    after = header("X-Delete-After")
    if after is not None:
        try:
            seconds = int(after)
        except ValueError:
            return plain_error(400, "Non-integer X-Delete-After")
        value = int(now + seconds)
        if value <= now:
            return plain_error(400, "X-Delete-After in past")
        return value
    at = header("X-Delete-At")
    if at is None:
        return None
    try:
        value = int(at)
    except ValueError:
        return plain_error(400, "Non-integer X-Delete-At")
    if value <= now:
        return plain_error(400, "X-Delete-At in past")
    return value


def split_container_object(value: str) -> tuple[str, str] | None:
    """``[/]container/object`` (percent-decoded) of a copy header, or None."""
    text = unquote(value)
    text = text.removeprefix("/")
    container, _, obj = text.partition("/")
    if not container or not obj:
        return None
    return container, obj
