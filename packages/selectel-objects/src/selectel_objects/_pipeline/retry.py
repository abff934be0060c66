"""When to retry and how long to wait."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import attrs
from selectel_auth import parse_retry_after

__all__ = ["DEFAULT_RETRY_STATUSES", "RetryPolicy", "parse_retry_after"]

#: Statuses worth another try: timeouts, corrupted uploads (422), rate limits, server trouble.
DEFAULT_RETRY_STATUSES = frozenset({408, 422, 429, 498, 499, 500, 502, 503, 504, 507})


def _non_negative(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if value < 0:
        raise ValueError(f"RetryPolicy.{attribute.name} must be >= 0, not {value!r}")


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and jitter.

    A request is retried at most ``total`` times (``total=0``: never) when it was not sent
    (connect error), when it was sent and failed but is idempotent and its body can be sent
    again, or when Swift answered one of ``statuses``. The n-th retry waits a random time
    between half and all of ``min(max_backoff, backoff * 2**(n-1))`` -- or the server's
    ``Retry-After`` when it sent one; a ``Retry-After`` above ``max_retry_after`` ends the
    retries at once (the error carries ``retry_after``). ``sleep`` is injectable for tests.
    """

    total: int = attrs.field(default=3, validator=_non_negative)
    backoff: float = attrs.field(default=0.25, validator=_non_negative)
    max_backoff: float = attrs.field(default=20.0, validator=_non_negative)
    max_retry_after: float = attrs.field(default=120.0, validator=_non_negative)
    statuses: frozenset[int] = DEFAULT_RETRY_STATUSES
    sleep: Callable[[float], None] = attrs.field(default=time.sleep, eq=False, repr=False)

    def delay(self, retry: int, retry_after: float | None = None) -> float | None:
        """Seconds to wait before retry number ``retry`` (1-based); ``None``: do not retry."""
        if retry > self.total:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after else None
        ceiling = min(self.max_backoff, self.backoff * 2 ** (retry - 1))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not cryptography

    def wait(self, retry: int, retry_after: float | None = None) -> bool:
        """Sleep before retry number ``retry``; false when the retry must not happen."""
        seconds = self.delay(retry, retry_after)
        if seconds is None:
            return False
        if seconds > 0:
            self.sleep(seconds)
        return True
