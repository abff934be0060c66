"""Secrets never leak (logs at DEBUG, reprs, errors); TLS verification; timeouts."""

from __future__ import annotations

import logging
import socket
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from selectel_auth import (
    AccessToken,
    AuthConfigError,
    AuthTransportError,
    FileTokenCache,
    HttpReply,
    InvalidCredentialsError,
    KeystoneCredential,
    StaticCredential,
    SwiftV1Credential,
)

from tests.auth.conftest import FakeClock, keystone, swift_v1
from tests.auth.test_keystone import storage_status

if TYPE_CHECKING:
    from tests.fakeswift import FakeSwift
    from tests.fakeswift.real import RealSwift


def assert_no_secret(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text, "a secret leaked"


def test_debug_logs_and_reprs_hide_keystone_secrets(
    swift: FakeSwift | RealSwift, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    credential = swift.v3_credential()
    token = credential.get_token()
    credential.invalidate(token)
    second = credential.get_token()
    assert caplog.records, "expected debug records"
    assert "X-Subject-Token" in caplog.text or "x-subject-token" in caplog.text
    secrets = (swift.v3.password, token.token, second.token)
    assert_no_secret(caplog.text, *secrets)
    assert_no_secret(repr(credential) + repr(token) + str(token), *secrets)
    assert "password='***'" in repr(credential)


def test_debug_logs_hide_v1_key_and_token(
    swift: FakeSwift | RealSwift, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="selectel_auth")
    credential = swift_v1(swift)
    token = credential.get_token()
    assert "x-auth-key" in caplog.text.lower()  # the header is logged, its value masked
    assert "x-auth-token" in caplog.text.lower()
    assert_no_secret(caplog.text + repr(credential) + repr(token), swift.v1_key, token.token)


def assert_refused_without_leaking(
    credential: KeystoneCredential | SwiftV1Credential, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(InvalidCredentialsError) as caught:
        credential.get_token()
    assert_no_secret(str(caught.value) + repr(caught.value), "Sup3r-Secret-Pw")
    assert_no_secret(caplog.text, "Sup3r-Secret-Pw")


def test_keystone_failures_hide_secrets(
    swift: FakeSwift | RealSwift, caplog: pytest.LogCaptureFixture
) -> None:
    assert_refused_without_leaking(swift.v3_credential(password="Sup3r-Secret-Pw"), caplog)


def test_v1_failures_hide_secrets(
    swift: FakeSwift | RealSwift, caplog: pytest.LogCaptureFixture
) -> None:
    assert_refused_without_leaking(swift_v1(swift, key="Sup3r-Secret-Pw"), caplog)


def test_retry_and_refresh_warnings_hide_secrets(
    fake_swift: FakeSwift, caplog: pytest.LogCaptureFixture, clock: FakeClock
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_swift.token_ttl = 3600
    credential = keystone(fake_swift, retries=1, **clock.kwargs())
    token = credential.get_token()
    clock.advance(3500)
    fake_swift.fail_next(503, times=2, kind="auth")
    assert credential.get_token() is token
    assert "retrying" in caplog.text and "early token refresh failed" in caplog.text
    assert_no_secret(caplog.text, fake_swift.v3.password, token.token)


def test_static_and_token_reprs_mask() -> None:
    value = "tk-very-secret-static-token-value"
    credential = StaticCredential(value, "https://s/v1/p")
    assert value not in repr(credential)
    assert value not in repr(credential.get_token())
    assert "...alue" in repr(AccessToken(value, None))
    assert "'***'" in repr(AccessToken("short", None))


def test_file_cache_repr_and_key_hold_no_password(tmp_path: Path) -> None:
    password = "Pa55-word-0123"  # offline: nothing is sent
    credential = KeystoneCredential(
        username="svc",
        password=password,
        account_id="123456",
        project_id="p1",
        cache=FileTokenCache(tmp_path),
    )
    assert password not in repr(credential) + credential.cache_key


def test_tls_with_custom_ca(fake_swift_tls: FakeSwift) -> None:
    credential = keystone(fake_swift_tls, verify=fake_swift_tls.ca_path)
    token = credential.get_token()
    assert fake_swift_tls.auth_v3_url.startswith("https://")
    assert token.storage_url is not None and token.storage_url.startswith("https://")


def test_tls_untrusted_ca_is_a_transport_error(fake_swift_tls: FakeSwift) -> None:
    credential = swift_v1(fake_swift_tls, retries=0)
    with pytest.raises(AuthTransportError, match="certificate") as caught:
        credential.get_token()
    assert "verify=" in str(caught.value)
    assert fake_swift_tls.count(kind="auth") == 0


def test_verify_false_warns_and_works(fake_swift_tls: FakeSwift) -> None:
    with pytest.warns(UserWarning, match="TLS verification is off"):
        credential = swift_v1(fake_swift_tls, verify=False)
    assert credential.get_token().token


def test_verify_with_missing_bundle_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(AuthConfigError, match="CA bundle"):
        SwiftV1Credential(user="u", key="k", verify=tmp_path / "missing.pem")


def test_sender_and_verify_together_are_refused() -> None:
    def sender(
        method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> HttpReply:
        return HttpReply(500, {}, b"")

    with pytest.raises(AuthConfigError, match="verify"):
        SwiftV1Credential(user="u", key="k", sender=sender, verify=False)


def test_timeout_is_a_transport_error(fake_swift: FakeSwift) -> None:
    fake_swift.delay_next(1.0, kind="auth")
    credential = keystone(fake_swift, timeout=0.2, retries=0)
    with pytest.raises(AuthTransportError, match="timed out"):
        credential.get_token()


def test_timeout_is_retried(fake_swift: FakeSwift, clock: FakeClock) -> None:
    fake_swift.delay_next(1.0, kind="auth")
    credential = keystone(fake_swift, timeout=0.2, retries=1, **clock.kwargs())
    assert storage_status(credential.get_token()) in (200, 204)
    assert len(clock.sleeps) == 1
    assert fake_swift.count(kind="auth") == 2


def test_connection_refused_is_retried_then_raised(clock: FakeClock) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again at once: nothing listens there
    credential = SwiftV1Credential(
        user="u",
        key="k",
        auth_url=f"http://127.0.0.1:{port}/auth/v1.0",
        retries=2,
        **clock.kwargs(),
    )
    with pytest.raises(AuthTransportError, match=r"(?i)refused"):
        credential.get_token()
    assert len(clock.sleeps) == 2


def test_custom_sender_is_used() -> None:
    calls: list[tuple[str, str, float]] = []

    def sender(
        method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> HttpReply:
        calls.append((method, url, timeout))
        return HttpReply(
            204, {"X-Auth-Token": "AUTH_tk-from-sender-0", "X-Storage-Url": "https://s/v1/A"}, b""
        )

    credential = SwiftV1Credential(
        user="u", key="k", auth_url="https://auth.example/auth/v1.0", sender=sender, timeout=4
    )
    token = credential.get_token()
    assert token.token == "AUTH_tk-from-sender-0"  # mixed-case header names are accepted
    assert calls == [("GET", "https://auth.example/auth/v1.0", 4.0)]


def test_insecure_warning_names_the_fix() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        SwiftV1Credential(user="u", key="k", verify=False)
    assert any("verify='path/to/ca.pem'" in str(w.message) for w in caught)


def test_keystone_repr_names_scope_without_password() -> None:
    credential = KeystoneCredential(
        username="svc", password="pw-0123", account_id="1", project_name="web"
    )
    assert repr(credential) == (
        "KeystoneCredential(auth_url='https://cloud.api.selcloud.ru/identity/v3', "
        "username='svc', account_id='1', project_name='web', region=None, password='***')"
    )
