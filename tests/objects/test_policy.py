"""Retry policy, timeouts and client construction: the small pure pieces."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from selectel_objects import ObjectStorage, RetryPolicy, Timeout
from selectel_objects._pipeline.retry import parse_retry_after


def test_retry_after_forms() -> None:
    now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after(" 0.5 ") == 0.5
    assert parse_retry_after(later, now=now.timestamp) == 30.0
    assert parse_retry_after("yesterday") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("-3") == 0.0


def test_delays() -> None:
    policy = RetryPolicy(total=2, backoff=1.0, max_backoff=1.5, max_retry_after=10)
    first = policy.delay(1)
    assert first is not None and 0.5 <= first <= 1.0
    second = policy.delay(2)
    assert second is not None and 0.75 <= second <= 1.5
    assert policy.delay(3) is None
    assert policy.delay(1, retry_after=7) == 7
    assert policy.delay(1, retry_after=11) is None
    assert RetryPolicy(total=0).delay(1) is None


def test_wait_sleeps_through_the_injected_sleep() -> None:
    slept: list[float] = []
    policy = RetryPolicy(total=1, sleep=slept.append)
    assert policy.wait(1, retry_after=2.5)
    assert not policy.wait(2)
    assert slept == [2.5]


@pytest.mark.parametrize("field", ["total", "backoff", "max_backoff", "max_retry_after"])
def test_negative_settings_are_refused(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        RetryPolicy(**{field: -1})  # type: ignore[arg-type]


def test_timeout_of() -> None:
    assert Timeout.of(None) == Timeout(connect=5.0, read=60.0)
    assert Timeout.of(3) == Timeout(connect=3.0, read=3.0)
    custom = Timeout(connect=1, read=2)
    assert Timeout.of(custom) is custom


def test_a_credential_is_required(transport_name: str) -> None:
    with pytest.raises(TypeError, match="get_token"):
        ObjectStorage("not a credential", transport=transport_name)  # type: ignore[arg-type]
