"""What Swift's swob does to a GET: conditional requests, Range forms, multipart/byteranges."""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from tests.fakeswift.replies import HTML, Reply

if TYPE_CHECKING:
    from tests.fakeswift.context import Content, Ctx

__all__ = [
    "MAX_NONASCENDING_RANGES",
    "MAX_RANGES",
    "MAX_RANGE_OVERLAPS",
    "conditional",
    "parse_range",
    "range_reply",
    "resolve_ranges",
    "slice_content",
]

MAX_RANGES = 50
MAX_RANGE_OVERLAPS = 2
MAX_NONASCENDING_RANGES = 8


def _etag_list(value: str) -> list[str]:
    return [v.strip().strip('"') for v in value.split(",") if v.strip()]


def _http_time(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def conditional(ctx: Ctx, etag: str, timestamp: float, headers: dict[str, str]) -> Reply | None:
    """304 or 412 for the request's conditions against an object; None: serve it.

    As Swift 2.38: each of the four is judged on its own (an ``If-Match`` does not silence
    ``If-Unmodified-Since``), and a reason for 304 wins over a reason for 412.
    """
    last_modified = float(int(timestamp) if timestamp == int(timestamp) else int(timestamp) + 1)
    if_none_match = ctx.header("If-None-Match")
    if if_none_match is not None:
        tags = _etag_list(if_none_match)
        if "*" in tags or etag in tags:
            return _not_modified(headers)
    ims = _http_time(ctx.header("If-Modified-Since"))
    if ims is not None and last_modified <= ims:
        return _not_modified(headers)
    if_match = ctx.header("If-Match")
    if if_match is not None:
        tags = _etag_list(if_match)
        if "*" not in tags and etag not in tags:
            return _precondition(headers)
    ius = _http_time(ctx.header("If-Unmodified-Since"))
    if ius is not None and last_modified > ius:
        return _precondition(headers)
    return None


def _precondition(headers: dict[str, str]) -> Reply:
    # The object's headers without a body: no Accept-Ranges, Swift's HTML Content-Type.
    skip = {"content-type", "content-length", "accept-ranges"}
    reply = Reply(412, {k: v for k, v in headers.items() if k.lower() not in skip}, b"", 0)
    reply.set("Content-Type", HTML)
    reply.set("Content-Length", "0")
    return reply


def _not_modified(headers: dict[str, str]) -> Reply:
    reply = Reply(304, {k: v for k, v in headers.items() if k != "Content-Length"}, b"", 0)
    reply.set("Content-Length", "0")
    return reply


def parse_range(value: str) -> list[tuple[int | None, int | None]] | None:
    """``bytes=a-b,c-,-n`` -> [(a, b), (c, None), (None, n)]; None when malformed (ignored)."""
    value = value.strip()
    if not value.lower().startswith("bytes="):
        return None
    out: list[tuple[int | None, int | None]] = []
    for spec in value[6:].split(","):
        match = re.fullmatch(r"(\d*)-(\d*)", spec.strip())
        if not match or (not match.group(1) and not match.group(2)):
            return None
        start = int(match.group(1)) if match.group(1) else None
        end = int(match.group(2)) if match.group(2) else None
        if start is not None and end is not None and end < start:
            return None
        out.append((start, end))
    return out or None


def resolve_ranges(
    ranges: list[tuple[int | None, int | None]], length: int
) -> list[tuple[int, int]] | None:
    """Satisfiable ranges as [start, end) pairs; [] means 416, None: ignore the header."""

    resolved: list[tuple[int, int]] = []
    for start, end in ranges:
        if start is None:
            assert end is not None
            if end == 0:
                continue
            resolved.append((max(length - end, 0), length))
        elif start < length:
            resolved.append((start, length if end is None else min(end + 1, length)))
    if len(resolved) > MAX_RANGES:
        return []
    # swob's notion of overlap is strict: identical or touching ranges do not count.
    overlaps = sum(
        1
        for i, (s1, e1) in enumerate(resolved)
        for s2, e2 in resolved[i + 1 :]
        if s1 < s2 < e1 or s1 < e2 < e1 or s2 < s1 < e2 or s2 < e1 < e2
    )
    if overlaps > MAX_RANGE_OVERLAPS:
        return []
    ascending = all(a <= b for a, b in itertools.pairwise(resolved))
    if not ascending and len(resolved) >= MAX_NONASCENDING_RANGES:
        return []
    if not length:
        # An empty object: a suffix range "fits" (the whole, empty body, as a 200).
        return None if resolved else []
    return [r for r in resolved if r[1] > r[0]]


def slice_content(content: Content, start: int, end: int) -> Iterator[bytes]:
    """Bytes [start, end) of the concatenated parts, in chunks of at most 1 MiB."""
    offset = 0
    for buf, pstart, pend in content.parts:
        plen = pend - pstart
        lo = max(start - offset, 0)
        hi = min(end - offset, plen)
        if lo < hi:
            pos = pstart + lo
            stop = pstart + hi
            while pos < stop:
                nxt = min(pos + (1 << 20), stop)
                yield buf[pos:nxt]
                pos = nxt
        offset += plen
        if offset >= end:
            break


def range_reply(reply: Reply, content: Content, ranges: list[tuple[int, int]]) -> Reply:
    """Turn a 200 into the 206 of one range or the multipart/byteranges of several."""
    size = content.size
    reply.status = 206
    if len(ranges) == 1:
        start, end = ranges[0]
        reply.set("Content-Range", f"bytes {start}-{end - 1}/{size}")
        reply.set("Content-Length", str(end - start))
        reply.body = slice_content(content, start, end)
        reply.length = end - start
        return reply
    boundary = secrets.token_hex(16)
    ctype = reply.get("Content-Type") or "application/octet-stream"
    pieces: list[bytes | tuple[int, int]] = []
    total = 0
    for start, end in ranges:
        head = (
            f"--{boundary}\r\nContent-Type: {ctype}\r\n"
            f"Content-Range: bytes {start}-{end - 1}/{size}\r\n\r\n"
        ).encode("latin-1")
        pieces.extend([head, (start, end), b"\r\n"])
        total += len(head) + (end - start) + 2
    tail = f"--{boundary}--".encode("latin-1")
    pieces.append(tail)
    total += len(tail)

    def body() -> Iterator[bytes]:
        for piece in pieces:
            if isinstance(piece, bytes):
                yield piece
            else:
                yield from slice_content(content, piece[0], piece[1])

    reply.set("Content-Type", f"multipart/byteranges;boundary={boundary}")
    reply.set("Content-Length", str(total))
    reply.body = body()
    reply.length = total
    return reply
