"""CachingCredential: the lock, refresh and sharing logic every fetching credential uses."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import os
import random
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypedDict

from selectel_auth._errors import AuthConfigError, AuthError, AuthServiceError, AuthTransportError
from selectel_auth._http import UrllibSender, parse_retry_after, redact_headers, safe_url
from selectel_auth._types import AccessToken, HttpReply, HttpSender, TokenCache

__all__ = [
    "DEFAULT_REFRESH_MARGIN",
    "REFRESH_RETRY_DELAY",
    "CachingCredential",
    "CredentialOptions",
]

logger = logging.getLogger("selectel_auth")

DEFAULT_REFRESH_MARGIN = 300.0
# After a failed early refresh the old token is served and a new attempt waits this long.
REFRESH_RETRY_DELAY = 30.0
_MAX_BACKOFF = 30.0
# Slow on purpose: the cache key is a file name, it must not be a cheap password oracle.
_PASSWORD_HASH_ROUNDS = 20_000


class CredentialOptions(TypedDict, total=False):
    """The keyword options every fetching credential takes (see :class:`CachingCredential`)."""

    sender: HttpSender | None
    timeout: float
    verify: bool | str | os.PathLike[str]
    cache: TokenCache | None
    refresh_margin: float
    retries: int
    backoff: float
    sleep: Callable[[float], None]
    clock: Callable[[], float]
    monotonic: Callable[[], float]


@dataclass(frozen=True)
class _Held:
    token: AccessToken
    refresh_deadline: float  # monotonic
    expiry_deadline: float  # monotonic


class CachingCredential(ABC):
    """Base of the credentials that fetch tokens: lazy, single-flight, refreshed early, shared.

    Subclasses implement :meth:`_fetch` (one auth exchange), :meth:`_key_parts` (what
    identifies the token, for the cache key) and :meth:`_describe` (a secret-free summary).
    """

    def __init__(
        self,
        *,
        sender: HttpSender | None = None,
        timeout: float = 10.0,
        verify: bool | str | os.PathLike[str] = True,
        cache: TokenCache | None = None,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
        retries: int = 2,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not timeout > 0:
            raise AuthConfigError(f"timeout must be a positive number of seconds, not {timeout!r}")
        if refresh_margin < 0:
            raise AuthConfigError(f"refresh_margin must be >= 0 seconds, not {refresh_margin!r}")
        if retries < 0:
            raise AuthConfigError(f"retries must be >= 0, not {retries!r}")
        if backoff < 0:
            raise AuthConfigError(f"backoff must be >= 0 seconds, not {backoff!r}")
        if sender is not None and verify is not True:
            raise AuthConfigError(
                "verify applies to the built-in HTTP sender only; configure TLS on your sender"
            )
        self._sender: HttpSender = sender if sender is not None else UrllibSender(verify)
        self._timeout = float(timeout)
        self._cache = cache
        self._refresh_margin = float(refresh_margin)
        self._retries = retries
        self._backoff = float(backoff)
        self._sleep = sleep
        self._clock = clock
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._held: _Held | None = None
        self._retry_not_before = -math.inf
        self._key: str | None = None

    # -- the protocol ---------------------------------------------------------------------

    def get_token(self) -> AccessToken:
        """Return a valid token; authenticate on first use and shortly before expiry."""
        held = self._held
        now = self._monotonic()
        if held is not None and now < held.refresh_deadline:
            return held.token
        if held is not None and now < held.expiry_deadline:
            # Still valid: while another thread refreshes, keep serving instead of queueing.
            if not self._lock.acquire(blocking=False):
                return held.token
        else:
            self._lock.acquire()
        try:
            return self._get_token_locked()
        finally:
            self._lock.release()

    def invalidate(self, token: AccessToken | None = None) -> bool:
        """Drop ``token`` if it is still the current one (all tokens if ``None``).

        Returns ``True``: this credential can always fetch a token again, so a retry makes sense.
        """
        with self._lock:
            held = self._held
            if held is not None and (token is None or held.token.token == token.token):
                self._held = None
                self._retry_not_before = -math.inf
                logger.debug("%s: token %r invalidated", self._describe(), held.token)
            if self._cache is not None:
                key = self.cache_key
                with self._cache.lock(key):
                    self._cache.delete(key, token)
        return True

    # -- sharing --------------------------------------------------------------------------

    @property
    def cache_key(self) -> str:
        """SHA-256 (hex) of the auth parameters; a password change gives a new key."""
        if self._key is None:
            parts = self._key_parts()
            secret = parts.pop("password_hash", "")
            salt = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).digest()
            parts["password_hash"] = hashlib.pbkdf2_hmac(
                "sha256", secret.encode(), salt, _PASSWORD_HASH_ROUNDS
            ).hex()
            self._key = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
        return self._key

    # -- for subclasses -------------------------------------------------------------------

    @abstractmethod
    def _fetch(self) -> AccessToken:
        """One auth exchange through :meth:`_send`; raise an :class:`AuthError` on failure."""

    @abstractmethod
    def _key_parts(self) -> dict[str, str]:
        """Identifying parameters; the secret goes in under ``password_hash`` (raw, hashed here)."""

    @abstractmethod
    def _describe(self) -> str:
        """A short, secret-free description for log lines."""

    def _send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> HttpReply:
        logger.debug(
            "%s: %s %s headers=%s", self._describe(), method, safe_url(url), redact_headers(headers)
        )
        started = self._monotonic()
        reply = self._sender(method, url, headers, body, self._timeout)
        reply_headers = {k.lower(): v for k, v in reply.headers.items()}
        logger.debug(
            "%s: %s %s -> %d in %.3f s headers=%s",
            self._describe(),
            method,
            safe_url(url),
            reply.status,
            self._monotonic() - started,
            redact_headers(reply_headers),
        )
        if reply.status == 429 or reply.status >= 500:
            raise AuthServiceError(
                f"auth service at {safe_url(url)} answered {reply.status}; try again later",
                status=reply.status,
                retry_after=parse_retry_after(reply_headers.get("retry-after"), self._clock),
            )
        return HttpReply(reply.status, reply_headers, reply.body)

    # -- internals ------------------------------------------------------------------------

    def _get_token_locked(self) -> AccessToken:
        held = self._held
        now = self._monotonic()
        if held is not None and now < held.refresh_deadline:
            return held.token  # another thread refreshed while we waited for the lock
        still_valid = held is not None and now < held.expiry_deadline
        if held is not None and still_valid and now < self._retry_not_before:
            return held.token
        try:
            new = self._obtain(held.token if held is not None else None)
        except AuthError as exc:
            if held is not None and still_valid:
                self._retry_not_before = now + REFRESH_RETRY_DELAY
                logger.warning(
                    "%s: early token refresh failed, still using the current token "
                    "(expires in %.0f s); next attempt in %.0f s: %s",
                    self._describe(),
                    held.expiry_deadline - now,
                    REFRESH_RETRY_DELAY,
                    exc,
                )
                return held.token
            raise
        self._held = new
        self._retry_not_before = -math.inf
        return new.token

    def _obtain(self, replacing: AccessToken | None) -> _Held:
        if self._cache is None:
            return self._hold(self._fetch_with_retries())
        key = self.cache_key
        with self._cache.lock(key):
            cached = self._cache.load(key)
            if cached is not None and cached.token != (replacing.token if replacing else None):
                held = self._hold(cached)
                if self._monotonic() < held.refresh_deadline:
                    logger.debug("%s: token %r from the shared cache", self._describe(), cached)
                    return held
            token = self._fetch_with_retries()
            self._cache.save(key, token)
            return self._hold(token)

    def _fetch_with_retries(self) -> AccessToken:
        attempt = 0
        while True:
            started = self._clock()
            try:
                token = self._fetch()
            except (AuthTransportError, AuthServiceError) as exc:
                if isinstance(exc, AuthTransportError):
                    retryable = exc.retryable
                else:
                    retryable = exc.status is not None and (exc.status == 429 or exc.status >= 500)
                if not retryable or attempt >= self._retries:
                    raise
                delay = self._backoff * 2**attempt
                delay = random.uniform(delay / 2, delay)  # noqa: S311 - jitter, not crypto
                if isinstance(exc, AuthServiceError) and exc.retry_after is not None:
                    delay = max(delay, exc.retry_after)
                delay = min(delay, _MAX_BACKOFF)
                attempt += 1
                logger.info(
                    "%s: auth attempt %d failed (%s); retrying in %.2f s",
                    self._describe(),
                    attempt,
                    exc,
                    delay,
                )
                self._sleep(delay)
                continue
            return self._with_refresh_at(token, started)

    def _with_refresh_at(self, token: AccessToken, started: float) -> AccessToken:
        if token.refresh_at is not None or token.expires_at is None:
            return token
        lifetime = token.expires_at - started
        if lifetime <= 0:
            raise AuthServiceError(
                f"{self._describe()}: the new token is already expired "
                f"(expires_at={token.expires_at:.0f}, local clock {started:.0f}); "
                "check this machine's clock"
            )
        # A token that lives less than twice the margin is refreshed at half-life instead,
        # so a short-lived token cannot turn every call into an auth request.
        margin = min(self._refresh_margin, lifetime / 2)
        return dataclasses.replace(token, refresh_at=token.expires_at - margin)

    def _hold(self, token: AccessToken) -> _Held:
        wall = self._clock()
        mono = self._monotonic()
        expiry = math.inf if token.expires_at is None else mono + (token.expires_at - wall)
        if token.refresh_at is not None:
            refresh = mono + (token.refresh_at - wall)
        else:
            refresh = expiry - self._refresh_margin
        return _Held(token, min(refresh, expiry), expiry)
