"""The small public protocol shared by every credential and by the tools that embed them."""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

__all__ = ["AccessToken", "HttpReply", "HttpSender", "TokenCache", "TokenCredential"]


def _mask(secret: str) -> str:
    # Enough of the tail to tell two tokens apart in a log, never enough to use one.
    return f"...{secret[-4:]}" if len(secret) > 12 else "***"


@dataclass(frozen=True)
class AccessToken:
    """An immutable token with the storage URL it is valid for.

    ``expires_at`` is absolute wall-clock time (Unix seconds) so that a token can be shared
    between processes; ``None`` means the server did not say. ``refresh_at`` (also absolute)
    is when holders should start asking for a new token; ``None`` means "a margin before
    ``expires_at``". ``storage_url`` never ends with ``/``.
    """

    token: str = field(repr=False)
    storage_url: str | None
    expires_at: float | None = None
    refresh_at: float | None = None

    def __repr__(self) -> str:
        return (
            f"AccessToken(token={_mask(self.token)!r}, storage_url={self.storage_url!r}, "
            f"expires_at={self.expires_at!r}, refresh_at={self.refresh_at!r})"
        )

    def expires_in(self, now: float | None = None) -> float | None:
        """Seconds left before expiry (negative once expired), or ``None`` when unknown."""
        if self.expires_at is None:
            return None
        return self.expires_at - (time.time() if now is None else now)


@runtime_checkable
class TokenCredential(Protocol):
    """What a storage client needs from a credential.

    ``get_token()`` returns a valid token, fetching or refreshing it when needed.
    ``invalidate(token)`` drops ``token`` only if it is still the current one (so a late 401
    cannot throw away a fresh token) and returns whether asking again may give a different
    token, i.e. whether a retry makes sense.
    """

    def get_token(self) -> AccessToken: ...

    def invalidate(self, token: AccessToken | None = None) -> bool: ...


@dataclass(frozen=True)
class HttpReply:
    """A complete HTTP reply as an :class:`HttpSender` returns it (auth replies are small)."""

    status: int
    headers: Mapping[str, str]  # case-insensitive lookups are the sender's job: lower-case keys
    body: bytes


class HttpSender(Protocol):
    """Sends one auth request. Raise :class:`selectel_auth.AuthTransportError` on network failure.

    The sender must not follow redirects (a redirect would carry the password elsewhere) and
    returns every status, including 4xx and 5xx, as an :class:`HttpReply`.
    """

    def __call__(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
    ) -> HttpReply: ...


class TokenCache(Protocol):
    """A store that lets several credentials (or processes) share one token.

    ``load``/``save``/``delete`` are each atomic; ``lock(key)`` serialises a whole
    read-check-authenticate-write sequence between every user of the store (threads and, for
    a shared store, processes). A store that cannot lock returns ``contextlib.nullcontext()``
    and loses only the single-flight guarantee. ``delete(key, token)`` removes the entry only
    if it still holds ``token`` (compared by token value).
    """

    def load(self, key: str) -> AccessToken | None: ...

    def save(self, key: str, token: AccessToken) -> None: ...

    def delete(self, key: str, token: AccessToken | None = None) -> None: ...

    def lock(self, key: str) -> AbstractContextManager[object]: ...
