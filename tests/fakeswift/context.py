"""What every handler of the fake shares: the request context and the bytes of a GET."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tests.fakeswift.replies import Reply, header_text

if TYPE_CHECKING:
    from werkzeug.wrappers import Request

    from tests.fakeswift.auth import Token

__all__ = ["App", "Content", "Ctx", "NeedBody", "RequestRecord"]


@dataclass
class RequestRecord:
    """One request as the fake saw it (``status`` is what was answered, 0 when reset)."""

    method: str
    path: str
    query: dict[str, str]
    kind: str
    headers: dict[str, str]
    account: str | None = None
    container: str | None = None
    object: str | None = None
    status: int = 0
    body_size: int = 0
    authenticated: bool = False
    faults: list[str] = field(default_factory=list)
    trans_id: str = ""
    time: float = 0.0


class NeedBody(Exception):
    """A handler asked for the request body while the fake answers without reading it."""


@dataclass
class Ctx:
    """What a handler needs to know about the request being served.

    ``body`` is the request body; it is None while the fake decides whether it can answer
    before reading it (``Expect: 100-continue``, an oversized ``Content-Length``): a handler
    touching ``body`` then raises ``NeedBody`` and runs again once the body is in.
    """

    request: Request
    method: str
    path: str
    query: dict[str, str]
    kind: str
    account: str | None
    container: str | None
    obj: str | None
    raw_body: bytes | None
    trans_id: str
    record: RequestRecord
    token: Token | None = None
    #: Query parameters whose value is not valid UTF-8 (Swift answers 400 when it reads one).
    bad_params: frozenset[str] = frozenset()
    #: A token was sent but is unknown or expired (middleware before tempauth still runs).
    bad_token: bool = False
    #: The fake's clock when the request headers arrived: tokens and TempURL expiry are
    #: judged at this time, as Swift authorises before it reads the body.
    arrived: float = 0.0

    @property
    def body(self) -> bytes:
        """The request body (raises ``NeedBody`` before it was read)."""
        if self.raw_body is None:
            raise NeedBody
        return self.raw_body

    def header(self, name: str, default: str | None = None) -> str | None:
        """A request header (case-insensitive)."""
        value = self.request.headers.get(name)
        return default if value is None else header_text(value)

    def headers_with_prefix(self, prefix: str) -> dict[str, str]:
        """``{suffix.lower(): value}`` of request headers starting with ``prefix``."""
        low = prefix.lower()
        return {
            k[len(prefix) :].lower(): header_text(v)
            for k, v in self.request.headers.items()
            if k.lower().startswith(low)
        }


@dataclass
class Content:
    """The bytes a GET of an object returns, as slices of stored buffers."""

    parts: list[tuple[bytes, int, int]]
    size: int
    broken_at: int | None = None  # a large object whose segments changed: bytes before the break
    #: The answer instead of the content (a DLO whose segments the caller may not list).
    denied: Reply | None = None

    @classmethod
    def of(cls, data: bytes) -> Content:
        """The content of a plain object."""
        return cls([(data, 0, len(data))], len(data))


#: The rest of the proxy pipeline, as a middleware sees it: request in, reply out.
App = Callable[[Ctx], Reply]
