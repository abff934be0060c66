"""One token for a fleet: a selectel-auth ``TokenCache`` on Django's cache framework.

Every web worker and Celery process on every host that points at the same shared cache
(Django's own ``RedisCache``, or ``PyMemcacheCache``) shares one token: the first process
that needs one takes a lock in the cache, authenticates and stores the token; the others
wait for the lock and read the token. After a 401 the credential drops the token only if
the cache still holds the one that failed (compare and swap under the same lock), so a fleet
re-authenticates once per rotation, not once per process.

What is stored: the token, its storage URL and its expiry times, under a key that is a
digest of the auth parameters (see ``CachingCredential.cache_key``). Never a password, a
key or a username. If the cache is unreachable each process keeps working with tokens of
its own and logs one warning per outage: a lost Redis costs auth requests, not uptime.
"""

from __future__ import annotations

import contextlib
import logging
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.core.cache import BaseCache, caches
from selectel_auth import AccessToken

__all__ = ["DjangoCacheTokenCache"]

logger = logging.getLogger("django_selectel")

_FORMAT = 1


class DjangoCacheTokenCache:
    """A :class:`selectel_auth.TokenCache` on the Django cache ``alias`` (``settings.CACHES``).

    ``lock_ttl``: seconds after which a lock whose holder died is free again (longer than any
    auth request with its retries). ``lock_wait``: how long a process waits for the lock
    before it authenticates on its own (only single flight is lost then, never a request).
    The backend must implement ``add`` atomically, as Django's Redis and memcached backends do
    (``LocMemCache`` does too, within one process; ``DatabaseCache`` and ``FileBasedCache``
    do not lock across processes).
    """

    def __init__(
        self,
        alias: str = "default",
        *,
        prefix: str = "selectel-auth",
        lock_ttl: float = 60.0,
        lock_wait: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if lock_ttl < 1 or lock_wait < 0:
            raise ValueError("lock_ttl must be at least 1 second and lock_wait not negative")
        self.alias = alias
        self.prefix = prefix
        self.lock_ttl = lock_ttl
        self.lock_wait = lock_wait
        self._sleep = sleep
        self._down = False
        self._state = threading.Lock()

    def __repr__(self) -> str:
        return f"DjangoCacheTokenCache(alias={self.alias!r}, prefix={self.prefix!r})"

    # -- the TokenCache protocol ----------------------------------------------------------

    def load(self, key: str) -> AccessToken | None:
        """The token stored under ``key``; ``None`` if absent, malformed or unreachable."""
        found, value = self._call(lambda cache: cache.get(self._token_key(key)))
        if not found or value is None:
            return None
        try:
            if not isinstance(value, dict) or value.get("format") != _FORMAT:
                raise TypeError("unknown format")
            return AccessToken(
                token=_text(value["token"]),
                storage_url=_optional_text(value.get("storage_url")),
                expires_at=_optional_number(value.get("expires_at")),
                refresh_at=_optional_number(value.get("refresh_at")),
            )
        except (KeyError, TypeError, ValueError):
            logger.warning("django-selectel: malformed token in cache %r; ignoring it", self.alias)
            return None

    def save(self, key: str, token: AccessToken) -> None:
        """Store ``token`` until it expires (no secret but the token itself)."""
        document = {
            "format": _FORMAT,
            "token": token.token,
            "storage_url": token.storage_url,
            "expires_at": token.expires_at,
            "refresh_at": token.refresh_at,
        }
        timeout: int | None = None
        if token.expires_at is not None:
            timeout = max(1, int(token.expires_at - time.time()))
        self._call(lambda cache: cache.set(self._token_key(key), document, timeout))

    def delete(self, key: str, token: AccessToken | None = None) -> None:
        """Remove the entry; with ``token``, only if the cache still holds that token.

        The compare and the delete are two cache calls: they are atomic for every process
        that uses :meth:`lock` around them, as selectel-auth's credentials do.
        """
        if token is not None:
            current = self.load(key)
            if current is None or current.token != token.token:
                return
        self._call(lambda cache: cache.delete(self._token_key(key)))

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        """Hold the fleet-wide lock for ``key`` (``cache.add`` with a TTL, released by owner)."""
        lock_key = self._lock_key(key)
        owner = secrets.token_hex(16)
        deadline = time.monotonic() + self.lock_wait
        delay = 0.02
        while True:
            found, acquired = self._call(
                lambda cache: cache.add(lock_key, owner, max(1, int(self.lock_ttl)))
            )
            if not found:
                yield  # the cache is gone: this process goes on alone
                return
            if acquired:
                break
            if time.monotonic() >= deadline:
                logger.warning(
                    "django-selectel: token lock in cache %r still held after %.0f s; "
                    "authenticating without it",
                    self.alias,
                    self.lock_wait,
                )
                yield
                return
            self._sleep(random.uniform(delay / 2, delay))  # noqa: S311 - jitter, not crypto
            delay = min(delay * 2, 0.25)
        try:
            yield
        finally:
            # Release only our own lock: after lock_ttl another process may hold it.
            found, holder = self._call(lambda cache: cache.get(lock_key))
            if found and holder == owner:
                self._call(lambda cache: cache.delete(lock_key))

    # -- internals ------------------------------------------------------------------------

    def _token_key(self, key: str) -> str:
        return f"{self.prefix}:token:{key}"

    def _lock_key(self, key: str) -> str:
        return f"{self.prefix}:lock:{key}"

    def _call(self, operation: Callable[[BaseCache], Any]) -> tuple[bool, Any]:
        """(True, result), or (False, None) when the cache failed (warned once per outage)."""
        try:
            result = operation(caches[self.alias])
        except Exception as exc:  # noqa: BLE001 - any backend error means "no shared cache"
            with self._state:
                first = not self._down
                self._down = True
            if first:
                # The exception text may carry the cache URL and its password: name the type.
                logger.warning(
                    "django-selectel: token cache %r unavailable (%s); each process uses "
                    "tokens of its own until it is back",
                    self.alias,
                    type(exc).__name__,
                )
            return False, None
        if self._down:
            with self._state:
                back = self._down
                self._down = False
            if back:
                logger.warning("django-selectel: token cache %r is back", self.alias)
        return True, result


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError("expected a non-empty string")
    return value


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)


def _optional_number(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("expected a number")
    return float(value)
