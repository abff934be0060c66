"""Replies as Swift writes them: status, headers, and the stock HTML error bodies."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.fakeswift.server import Delivery

__all__ = [
    "ACCEPTED_BODY",
    "ALLOW",
    "TRUE_VALUES",
    "Reply",
    "best_match",
    "error",
    "header_text",
    "json_reply",
    "method_not_allowed",
    "plain_error",
    "text_reply",
    "wire_bytes",
    "wire_value",
]

#: Allow header of 405s and OPTIONS (Swift's controllers list their public methods).
ALLOW = "OPTIONS, DELETE, GET, PUT, POST, HEAD"
ACCEPTED_BODY = "<html><h1>Accepted</h1><p>The request is accepted for processing.</p></html>"

# swob's default bodies (Swift answers errors with small HTML documents).
_EXPLANATIONS: dict[int, tuple[str, str]] = {
    400: (
        "Bad Request",
        "The server could not comply with the request since it is either malformed "
        "or otherwise incorrect.",
    ),
    401: (
        "Unauthorized",
        "This server could not verify that you are authorized to access the document "
        "you requested.",
    ),
    403: ("Forbidden", "Access was denied to this resource."),
    404: ("Not Found", "The resource could not be found."),
    405: ("Method Not Allowed", "The method is not allowed for this resource."),
    406: (
        "Not Acceptable",
        "The resource is not available in a format acceptable to your browser.",
    ),
    408: (
        "Request Timeout",
        "The server has waited too long for the request to be sent by the client.",
    ),
    409: ("Conflict", "There was a conflict when trying to complete your request."),
    411: ("Length Required", "Length Required"),
    412: ("Precondition Failed", "A precondition for this request was not met."),
    413: ("Request Entity Too Large", "The body of your request was too large for this server."),
    416: ("Requested Range Not Satisfiable", "The Range requested is not available."),
    422: ("Unprocessable Entity", "Unable to process the contained instructions"),
    429: ("Too Many Requests", "The resource is being rate limited."),
    498: ("Rate Limited", "Slow down"),
    499: ("Client Disconnect", "The client was disconnected during request."),
    500: (
        "Internal Error",
        "The server has either erred or is incapable of performing the requested operation.",
    ),
    502: ("Bad Gateway", "Bad gateway."),
    503: (
        "Service Unavailable",
        "The server is currently unavailable. Please try again at a later time.",
    ),
    504: ("Gateway Timeout", "A timeout has occurred speaking to a backend server."),
    507: (
        "Insufficient Storage",
        "There was not enough space to save the resource. Drive: unknown",
    ),
}

HTML = "text/html; charset=UTF-8"
PLAIN = "text/plain; charset=utf-8"
JSON = "application/json; charset=utf-8"
TRUE_VALUES = frozenset({"true", "1", "yes", "on", "t", "y"})
#: What Swift's constraint checks and middleware put on their one-line error texts.
BARE_PLAIN = "text/plain"


@dataclass
class Reply:
    """One answer. ``length`` is the Content-Length to announce for iterable bodies and HEAD."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""
    length: int | None = None
    delivery: Delivery | None = None

    def set(self, name: str, value: str | int | float) -> Reply:
        """Set a header, replacing any header of the same name in another case."""
        for key in [k for k in self.headers if k.lower() == name.lower()]:
            del self.headers[key]
        self.headers[name] = str(value)
        return self

    def get(self, name: str) -> str | None:
        """A header value by case-insensitive name."""
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


def error(status: int, body: str | None = None, *, content_type: str = HTML) -> Reply:
    """An error reply with Swift's stock body, or ``body`` when given."""
    if body is None:
        title, text = _EXPLANATIONS.get(status, ("Error", "An error occurred."))
        body = f"<html><h1>{title}</h1><p>{text}</p></html>"
    data = body.encode("utf-8")
    return Reply(status, {"Content-Type": content_type}, data, len(data))


def plain_error(status: int, body: str) -> Reply:
    """A one-line error as Swift's constraint checks send it (``Content-Type: text/plain``)."""
    return error(status, body, content_type=BARE_PLAIN)


def text_reply(status: int, body: str = "", content_type: str = HTML) -> Reply:
    """A reply with a text body (an empty body is Swift's usual success answer)."""
    data = body.encode("utf-8")
    return Reply(status, {"Content-Type": content_type}, data, len(data))


def json_reply(status: int, value: object, content_type: str = JSON) -> Reply:
    """A reply with a JSON body."""
    data = json.dumps(value).encode("utf-8")
    return Reply(status, {"Content-Type": content_type}, data, len(data))


def best_match(accept: str | None, offers: tuple[str, ...]) -> str | None:
    """swob's Accept matching: patterns by falling quality, the first offer a pattern takes."""
    patterns: list[tuple[float, str]] = []
    for item in (accept or "").lower().split(","):
        media, *params = (p.strip() for p in item.split(";"))
        if not media:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            patterns.append((quality, media))
    if not patterns:
        return offers[0] if not (accept or "").strip() else None
    patterns.sort(key=lambda p: p[0], reverse=True)
    for _, media in patterns:
        kind, _, sub = media.partition("/")
        for offer in offers:
            okind, _, osub = offer.partition("/")
            if kind in ("*", okind) and sub in ("*", osub):
                return offer
    return None


# -- header values -----------------------------------------------------------------------------
# Swift keeps a header value as the bytes that came and sends the same bytes back; clients
# send UTF-8. The fake holds text (what the bytes say in UTF-8; bytes that are not UTF-8 stay
# as surrogate escapes) and turns it back into those bytes on the way out. The HTTP layer on
# both sides speaks "latin-1 strings": one character per byte.


def header_text(value: str) -> str:
    """A request header value (latin-1 string of its raw bytes) as text."""
    if value.isascii():
        return value
    try:
        return value.encode("latin-1").decode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # already text
        return value


def wire_bytes(text: str) -> bytes:
    """The bytes a header value of the fake goes out as (the bytes it came in as)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # lone surrogates that no byte stands for
        return text.encode("utf-8", "replace")


def wire_value(text: str) -> str:
    """A reply header value for the HTTP layer, which writes each character as one byte."""
    return text if text.isascii() else wire_bytes(text).decode("latin-1")


def method_not_allowed() -> Reply:
    """405 with the Allow header of Swift's controllers."""
    reply = error(405)
    reply.set("Allow", ALLOW)
    return reply
