"""Refresh timing, single flight, failed early refresh and compare-and-swap invalidate."""

from __future__ import annotations

import logging
import threading
import time
import urllib.error
from typing import TYPE_CHECKING

import pytest
import urllib3
from selectel_auth import (
    AccessToken,
    AuthServiceError,
    InvalidCredentialsError,
    MemoryTokenCache,
    StaticCredential,
)
from selectel_auth.contrib.urllib3 import request_with_token

from tests.auth.conftest import CountingSender, FakeClock, keystone, swift_v1
from tests.auth.test_keystone import storage_status
from tests.fakeswift.v3target import SHORT_TOKEN_SECONDS, let_time_pass, short_lived_v3_credential

if TYPE_CHECKING:
    from tests.fakeswift import FakeSwift
    from tests.fakeswift.real import RealSwift


def test_refresh_happens_margin_before_expiry(fake_swift: FakeSwift, clock: FakeClock) -> None:
    fake_swift.token_ttl = 3600
    credential = keystone(fake_swift, refresh_margin=300, **clock.kwargs())
    first = credential.get_token()
    assert first.expires_at is not None
    lifetime = first.expires_at - clock.time()
    assert lifetime == pytest.approx(3600, abs=5)
    assert first.refresh_at == pytest.approx(first.expires_at - 300)

    clock.advance(lifetime - 301)
    assert credential.get_token() is first
    assert fake_swift.count(kind="auth") == 1

    clock.advance(2)  # now inside the margin
    second = credential.get_token()
    assert second.token != first.token
    assert fake_swift.count(kind="auth") == 2
    assert credential.get_token() is second


def test_monotonic_deadline_ignores_wall_clock_jumps(fake_swift: FakeSwift) -> None:
    wall = [0.0]
    real = FakeClock()
    credential = keystone(fake_swift, clock=lambda: real.time() + wall[0], monotonic=real.monotonic)
    first = credential.get_token()
    wall[0] = 10 * 3600.0  # the wall clock jumps ahead (NTP, suspend); monotonic does not
    assert credential.get_token() is first
    assert fake_swift.count(kind="auth") == 1


def test_short_lived_tokens_refresh_at_half_life(fake_swift: FakeSwift, clock: FakeClock) -> None:
    fake_swift.token_ttl = 200  # shorter than twice the margin
    credential = keystone(fake_swift, refresh_margin=300, **clock.kwargs())
    first = credential.get_token()
    for _ in range(10):
        assert credential.get_token() is first  # no auth storm
    clock.advance(99)
    assert credential.get_token() is first
    clock.advance(2)
    assert credential.get_token() is not first
    assert fake_swift.count(kind="auth") == 2


def test_failed_early_refresh_keeps_the_valid_token(
    fake_swift: FakeSwift, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    fake_swift.token_ttl = 3600
    credential = keystone(fake_swift, retries=0, refresh_margin=300, **clock.kwargs())
    first = credential.get_token()
    clock.advance(3400)  # inside the margin, 200 s before expiry

    fake_swift.fail_next(503, times=10, kind="auth")
    with caplog.at_level(logging.WARNING, logger="selectel_auth"):
        assert credential.get_token() is first
    assert fake_swift.count(kind="auth") == 2
    assert "early token refresh failed" in caplog.text

    clock.advance(10)
    for _ in range(5):
        assert credential.get_token() is first  # throttled: no new attempt within 30 s
    assert fake_swift.count(kind="auth") == 2

    clock.advance(21)
    assert credential.get_token() is first  # a second attempt, failed again
    assert fake_swift.count(kind="auth") == 3


def test_refresh_failure_after_expiry_raises(fake_swift: FakeSwift, clock: FakeClock) -> None:
    fake_swift.token_ttl = 3600
    credential = keystone(fake_swift, retries=0, **clock.kwargs())
    credential.get_token()
    clock.advance(3700)
    fake_swift.fail_next(503, kind="auth")
    with pytest.raises(AuthServiceError):
        credential.get_token()
    # The next call tries again at once (no throttle once nothing valid is left) and succeeds.
    token = credential.get_token()
    assert fake_swift.count(kind="auth") == 3
    assert token.token


def test_successful_refresh_after_failures(fake_swift: FakeSwift, clock: FakeClock) -> None:
    fake_swift.token_ttl = 3600
    credential = keystone(fake_swift, retries=0, **clock.kwargs())
    first = credential.get_token()
    clock.advance(3400)
    fake_swift.fail_next(502, kind="auth")
    assert credential.get_token() is first
    clock.advance(31)
    second = credential.get_token()
    assert second.token != first.token
    assert fake_swift.count(kind="auth") == 3


def test_fifty_threads_make_one_auth_request(fake_swift: FakeSwift) -> None:
    fake_swift.delay_next(0.2, kind="auth")  # keep the first request in flight while all wait
    credential = keystone(fake_swift)
    barrier = threading.Barrier(50)
    tokens: list[AccessToken] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            tokens.append(credential.get_token())
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(tokens) == 50
    assert len({t.token for t in tokens}) == 1
    assert fake_swift.count(kind="auth") == 1


def test_threads_keep_using_valid_token_while_one_refreshes(
    fake_swift: FakeSwift, clock: FakeClock
) -> None:
    fake_swift.token_ttl = 3600
    credential = keystone(fake_swift, **clock.kwargs())
    first = credential.get_token()
    clock.advance(3400)
    fake_swift.delay_next(0.5, kind="auth")
    refresher = threading.Thread(target=credential.get_token)
    refresher.start()
    deadline = time.monotonic() + 10
    while fake_swift.count(kind="auth") < 2:
        assert time.monotonic() < deadline, "the refresh request never reached the fake"
        time.sleep(0.01)
    # The refresh is in flight; other callers are served the still-valid token at once.
    assert credential.get_token() is first
    refresher.join(timeout=10)
    assert credential.get_token() is not first
    assert fake_swift.count(kind="auth") == 2


def test_invalidate_is_compare_and_swap(swift: FakeSwift | RealSwift) -> None:
    sender = CountingSender()
    credential = swift.v3_credential(sender=sender)
    old = credential.get_token()
    assert credential.invalidate(old) is True
    new = credential.get_token()
    assert new.token != old.token
    assert sender.count == 2

    # A late 401 for the old token must not throw away the fresh one.
    assert credential.invalidate(old) is True
    assert credential.get_token() is new
    assert sender.count == 2

    assert credential.invalidate() is True  # no argument: drop whatever is current
    assert credential.get_token().token != new.token
    assert sender.count == 3


def test_token_past_its_expiry_is_refused_then_one_reauth(
    swift: FakeSwift | RealSwift, clock: FakeClock
) -> None:
    # The credential's clock stands still, so only the server can notice the expiry: a real
    # Keystone's 20 s tokens (the fake: its clock moved on), refused by the proxy with 401.
    sender = CountingSender()
    credential = short_lived_v3_credential(swift, sender=sender, refresh_margin=0, **clock.kwargs())
    first = credential.get_token()
    assert storage_status(first) in (200, 204)
    let_time_pass(swift, SHORT_TOKEN_SECONDS + 2)
    with pytest.raises(urllib.error.HTTPError) as caught:
        storage_status(first)
    assert caught.value.code == 401

    with urllib3.PoolManager() as pool:
        reply = request_with_token(pool, credential, "HEAD", "")
    assert reply.status in (200, 204)
    assert sender.count == 2
    assert credential.get_token().token != first.token


def test_token_refused_by_the_server_then_invalidate_recovers(
    swift: FakeSwift | RealSwift,
) -> None:
    # A token the server no longer accepts (it expired early, its auth store was reset) that
    # the credential still holds: here one it finds in its cache.
    cache = MemoryTokenCache()
    credential = swift_v1(swift, cache=cache)
    stale = AccessToken("AUTH_tk" + "0" * 32, swift.storage_url(), time.time() + 3600)
    cache.save(credential.cache_key, stale)
    token = credential.get_token()
    assert token == stale
    with pytest.raises(urllib.error.HTTPError) as caught:
        storage_status(token)
    assert caught.value.code == 401
    assert credential.invalidate(token) is True
    fresh = credential.get_token()
    assert fresh.token != stale.token
    assert storage_status(fresh) in (200, 204)
    assert cache.load(credential.cache_key) == fresh


def test_static_credential_never_retries() -> None:
    credential = StaticCredential("tk-static-0123456789", "https://s.example/v1/p/", None)
    token = credential.get_token()
    assert token.storage_url == "https://s.example/v1/p"
    assert credential.invalidate(token) is False
    assert credential.get_token() is token


def test_static_credential_expiry(clock: FakeClock) -> None:
    credential = StaticCredential("tk", "https://s/v1/p", clock.time() + 10, clock=clock.time)
    assert credential.get_token().expires_in(clock.time()) == pytest.approx(10)
    clock.advance(11)
    with pytest.raises(InvalidCredentialsError, match="SELECTEL_TOKEN"):
        credential.get_token()
