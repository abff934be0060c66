"""SwiftV1Credential: legacy ``X-Auth-User``/``X-Auth-Key`` auth (deprecated at Selectel)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from selectel_auth._base import CachingCredential, CredentialOptions
from selectel_auth._errors import AuthConfigError, AuthServiceError, InvalidCredentialsError
from selectel_auth._http import safe_url
from selectel_auth._types import AccessToken

if TYPE_CHECKING:
    # typing.Unpack is 3.11+; mypy knows typing_extensions without it being installed.
    from typing_extensions import Unpack

__all__ = ["DEFAULT_V1_AUTH_URL", "SwiftV1Credential"]

#: Selectel's legacy v1 auth endpoint as its newer docs spell it (the 2016 docs and
#: django-selectel 2.x used ``https://auth.selcdn.ru/``).
DEFAULT_V1_AUTH_URL = "https://api.selcdn.ru/auth/v1.0"
# Selectel's own expiry header first, then the one OpenStack Swift's tempauth sends.
_EXPIRY_HEADERS = ("x-expire-auth-token", "x-auth-token-expires")


class SwiftV1Credential(CachingCredential):
    """Swift v1 auth: ``GET auth_url`` with ``X-Auth-User``/``X-Auth-Key``.

    Deprecated at Selectel (the legacy storage is being switched off) but fully working, and
    also what OpenStack Swift's tempauth speaks. The expiry comes from ``X-Expire-Auth-Token``
    or ``X-Auth-Token-Expires`` (seconds); without either the token is refreshed after
    ``default_lifetime`` seconds and its ``expires_at`` stays ``None`` (unknown).
    """

    def __init__(
        self,
        *,
        user: str,
        key: str,
        auth_url: str = DEFAULT_V1_AUTH_URL,
        storage_url: str | None = None,
        default_lifetime: float = 3600.0,
        **options: Unpack[CredentialOptions],
    ) -> None:
        if not user:
            raise AuthConfigError("user is required (SELECTEL_USERNAME): the storage user")
        if not key:
            raise AuthConfigError("key is required (SELECTEL_PASSWORD): the storage password")
        if not auth_url.startswith(("https://", "http://")):
            raise AuthConfigError(
                f"auth_url (SELECTEL_AUTH_URL) must be an http(s) URL, not {auth_url!r}"
            )
        if not default_lifetime > 0:
            raise AuthConfigError(
                f"default_lifetime must be a positive number of seconds, not {default_lifetime!r}"
            )
        super().__init__(**options)
        self.user = user
        self._key_secret = key
        self.auth_url = auth_url
        self.storage_url = storage_url.rstrip("/") if storage_url else None
        self.default_lifetime = float(default_lifetime)

    def __repr__(self) -> str:
        return f"SwiftV1Credential(auth_url={self.auth_url!r}, user={self.user!r}, key='***')"

    def _describe(self) -> str:
        return f"swift-v1 {self.user}"

    def _key_parts(self) -> dict[str, str]:
        return {
            "kind": "swift-v1",
            "auth_url": self.auth_url,
            "user": self.user,
            "storage_url": self.storage_url or "",
            "password_hash": self._key_secret,
        }

    def _fetch(self) -> AccessToken:
        started = self._clock()
        url = self.auth_url
        reply = self._send(
            "GET", url, {"X-Auth-User": self.user, "X-Auth-Key": self._key_secret}, None
        )
        if reply.status in (401, 403):
            raise InvalidCredentialsError(
                f"{safe_url(url)} refused user {self.user!r} ({reply.status}): check the user "
                "and key (SELECTEL_USERNAME, SELECTEL_PASSWORD)",
                status=reply.status,
            )
        if reply.status not in (200, 204):
            raise AuthServiceError(
                f"{safe_url(url)} answered {reply.status}: check auth_url (SELECTEL_AUTH_URL)",
                status=reply.status,
            )
        token = reply.headers.get("x-auth-token") or reply.headers.get("x-storage-token")
        if not token:
            raise AuthServiceError(
                f"{safe_url(url)} sent no X-Auth-Token header: is auth_url a Swift v1 auth "
                "endpoint?",
                status=reply.status,
            )
        storage_url = self.storage_url or reply.headers.get("x-storage-url", "").rstrip("/")
        if not storage_url.startswith(("https://", "http://")):
            raise AuthServiceError(
                f"{safe_url(url)} sent no usable X-Storage-Url header; set storage_url "
                "(SELECTEL_STORAGE_URL)",
                status=reply.status,
            )
        for name in _EXPIRY_HEADERS:
            raw = reply.headers.get(name)
            if raw is None:
                continue
            try:
                seconds = float(raw)
            except ValueError:
                seconds = math.nan
            if not math.isfinite(seconds) or seconds <= 0:
                raise AuthServiceError(
                    f"{safe_url(url)} sent a malformed {name} header {raw[:40]!r} "
                    "(expected seconds)",
                    status=reply.status,
                )
            return AccessToken(token=token, storage_url=storage_url, expires_at=started + seconds)
        return AccessToken(
            token=token,
            storage_url=storage_url,
            expires_at=None,
            refresh_at=started + self.default_lifetime,
        )
