"""StaticCredential: a token and storage URL minted elsewhere."""

from __future__ import annotations

import time
from collections.abc import Callable

from selectel_auth._errors import AuthConfigError, InvalidCredentialsError
from selectel_auth._types import AccessToken, _mask

__all__ = ["StaticCredential"]


class StaticCredential:
    """Always returns the same token; it cannot fetch another one.

    ``invalidate()`` therefore returns ``False`` (a retry would send the same token), and
    :meth:`get_token` raises :class:`InvalidCredentialsError` once ``expires_at`` has passed.
    """

    def __init__(
        self,
        token: str,
        storage_url: str | None,
        expires_at: float | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not token:
            raise AuthConfigError("token is required (SELECTEL_TOKEN)")
        if storage_url is not None and not storage_url.startswith(("https://", "http://")):
            raise AuthConfigError(
                f"storage_url (SELECTEL_STORAGE_URL) must be an http(s) URL, not {storage_url!r}"
            )
        self._token = AccessToken(
            token=token,
            storage_url=storage_url.rstrip("/") if storage_url else None,
            expires_at=expires_at,
        )
        self._clock = clock

    def __repr__(self) -> str:
        return (
            f"StaticCredential(token={_mask(self._token.token)!r}, "
            f"storage_url={self._token.storage_url!r}, expires_at={self._token.expires_at!r})"
        )

    def get_token(self) -> AccessToken:
        """Return the token; raise :class:`InvalidCredentialsError` if it is known to be expired."""
        left = self._token.expires_in(self._clock())
        if left is not None and left <= 0:
            raise InvalidCredentialsError(
                "the static token (SELECTEL_TOKEN) has expired; mint a new one"
            )
        return self._token

    def invalidate(self, token: AccessToken | None = None) -> bool:
        """Nothing to drop: a static credential has no other token, so never retry."""
        return False
