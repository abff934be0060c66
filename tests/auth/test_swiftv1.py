"""SwiftV1Credential (legacy X-Auth-User/X-Auth-Key) against a Swift (the fake, or a real one
with ``SWIFT_TARGET=real``), Selectel's legacy style on the fake, and odd replies."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest
from pytest_httpserver import HTTPServer
from selectel_auth import (
    AuthConfigError,
    AuthServiceError,
    InvalidCredentialsError,
    SwiftV1Credential,
)
from werkzeug import Response

from tests.auth.conftest import CountingSender, FakeClock, recording, swift_v1
from tests.auth.test_keystone import storage_status

if TYPE_CHECKING:
    from tests.fakeswift import FakeSwift
    from tests.fakeswift.real import RealSwift


def test_lifecycle(swift: FakeSwift | RealSwift) -> None:
    sender = CountingSender()
    credential = swift_v1(swift, sender=sender)
    assert sender.count == 0  # construction sends nothing
    token = credential.get_token()
    assert sender.sent == [("GET", swift.auth_v1_url)]
    assert token.storage_url == swift.storage_url().rstrip("/")
    assert storage_status(token) in (200, 204)
    assert credential.get_token() is token
    assert sender.count == 1


def test_test_bed_helper_builds_our_credential(swift: FakeSwift | RealSwift) -> None:
    credential = swift.v1_credential()
    assert isinstance(credential, SwiftV1Credential)
    assert storage_status(credential.get_token()) in (200, 204)


def test_expiry_from_the_tempauth_header(swift: FakeSwift | RealSwift) -> None:
    sender = CountingSender()
    token = swift_v1(swift, sender=sender).get_token()
    # tempauth hands out the live token with the seconds it has left.
    left = float(sender.replies[-1].headers["x-auth-token-expires"])
    assert left > 60
    assert token.expires_at is not None
    assert token.expires_at - time.time() == pytest.approx(left, abs=5)


def test_selectel_legacy_style_on_the_fake(fake_swift: FakeSwift, clock: FakeClock) -> None:
    fake_swift.v1_style = "selectel"  # 204, X-Expire-Auth-Token, 403 for a wrong key
    fake_swift.token_ttl = 5000
    token = swift_v1(fake_swift, **clock.kwargs()).get_token()
    assert token.expires_at is not None
    assert token.expires_at - clock.time() == pytest.approx(5000, abs=5)
    assert storage_status(token) in (200, 204)
    with pytest.raises(InvalidCredentialsError) as caught:
        swift_v1(fake_swift, key="wrong").get_token()
    assert caught.value.status == 403


@pytest.mark.parametrize("status", [401, 403])
def test_bad_key(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_request("/auth/v1.0").respond_with_data("no", status=status)
    credential = SwiftV1Credential(user="u", key="k", auth_url=httpserver.url_for("/auth/v1.0"))
    with pytest.raises(InvalidCredentialsError, match="SELECTEL_PASSWORD") as caught:
        credential.get_token()
    assert caught.value.status == status


def test_bad_key_is_not_retried(swift: FakeSwift | RealSwift) -> None:
    sender = CountingSender()
    with pytest.raises(InvalidCredentialsError) as caught:
        swift_v1(swift, key="not-the-key", retries=2, sender=sender).get_token()
    assert caught.value.status == 401  # tempauth's answer (Selectel's legacy endpoint: 403)
    assert sender.count == 1


def v1_reply(status: int = 204, headers: dict[str, str] | None = None) -> Response:
    """A v1 auth reply; a header set to "" is left out."""
    base = {
        "X-Auth-Token": "AUTH_tk0123456789abcdef",
        "X-Storage-Url": "https://api.example/v1/SEL_1/",
    }
    base.update(headers or {})
    return Response(b"", status=status, headers={k: v for k, v in base.items() if v})


@pytest.mark.parametrize("status", [200, 204])
@pytest.mark.parametrize("header", ["X-Expire-Auth-Token", "X-Auth-Token-Expires"])
def test_selectel_and_tempauth_expiry_headers(
    httpserver: HTTPServer, clock: FakeClock, status: int, header: str
) -> None:
    seen, handler = recording(lambda: v1_reply(status, {header: "86029"}))
    httpserver.expect_request("/auth/v1.0", method="GET").respond_with_handler(handler)
    credential = SwiftV1Credential(
        user="123456_backend",
        key="secret-key",
        auth_url=httpserver.url_for("/auth/v1.0"),
        **clock.kwargs(),
    )
    token = credential.get_token()
    assert token.token == "AUTH_tk0123456789abcdef"
    assert token.storage_url == "https://api.example/v1/SEL_1"
    assert token.expires_at == pytest.approx(clock.time() + 86029)
    assert seen[0].headers["X-Auth-User"] == "123456_backend"
    assert seen[0].headers["X-Auth-Key"] == "secret-key"


def test_no_expiry_header_uses_default_lifetime(httpserver: HTTPServer, clock: FakeClock) -> None:
    seen, handler = recording(v1_reply)
    httpserver.expect_request("/auth/v1.0").respond_with_handler(handler)
    credential = SwiftV1Credential(
        user="u",
        key="k",
        auth_url=httpserver.url_for("/auth/v1.0"),
        default_lifetime=600,
        **clock.kwargs(),
    )
    token = credential.get_token()
    assert token.expires_at is None  # the server did not say
    assert token.refresh_at == pytest.approx(clock.time() + 600)
    clock.advance(599)
    assert credential.get_token() is token
    clock.advance(2)
    assert credential.get_token() is not token
    assert credential.get_token().token == token.token  # the server handed out the same value
    assert len(seen) == 2


@pytest.mark.parametrize(
    ("headers", "match"),
    [
        ({"X-Auth-Token": ""}, "X-Auth-Token"),
        ({"X-Storage-Url": ""}, "X-Storage-Url"),
        ({"X-Expire-Auth-Token": "soon"}, "x-expire-auth-token"),
        ({"X-Auth-Token-Expires": "-5"}, "x-auth-token-expires"),
    ],
)
def test_malformed_v1_replies(httpserver: HTTPServer, headers: dict[str, str], match: str) -> None:
    httpserver.expect_request("/auth/v1.0").respond_with_response(v1_reply(headers=headers))
    credential = SwiftV1Credential(user="u", key="k", auth_url=httpserver.url_for("/auth/v1.0"))
    with pytest.raises(AuthServiceError, match=match):
        credential.get_token()


def test_storage_token_alias_and_storage_url_override(httpserver: HTTPServer) -> None:
    reply = Response(b"", status=200, headers={"X-Storage-Token": "AUTH_tk-alias-0000000"})
    httpserver.expect_request("/auth/v1.0").respond_with_response(reply)
    credential = SwiftV1Credential(
        user="u",
        key="k",
        auth_url=httpserver.url_for("/auth/v1.0"),
        storage_url="https://override.example/v1/AUTH_x/",
    )
    token = credential.get_token()
    assert token.token == "AUTH_tk-alias-0000000"
    assert token.storage_url == "https://override.example/v1/AUTH_x"


def test_redirects_are_not_followed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/auth/v1.0").respond_with_response(
        Response(b"", status=302, headers={"Location": httpserver.url_for("/elsewhere")})
    )
    httpserver.expect_request("/elsewhere").respond_with_response(v1_reply())
    credential = SwiftV1Credential(user="u", key="k", auth_url=httpserver.url_for("/auth/v1.0"))
    with pytest.raises(AuthServiceError, match="302"):
        credential.get_token()
    assert [r.path for r, _ in httpserver.log] == ["/auth/v1.0"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"user": ""}, "SELECTEL_USERNAME"),
        ({"key": ""}, "SELECTEL_PASSWORD"),
        ({"default_lifetime": 0}, "default_lifetime"),
        ({"auth_url": "ftp://x"}, "SELECTEL_AUTH_URL"),
    ],
)
def test_config_errors(kwargs: dict[str, object], match: str) -> None:
    settings: dict[str, object] = {"user": "u", "key": "k"}
    settings.update(kwargs)
    with pytest.raises(AuthConfigError, match=match):
        SwiftV1Credential(**settings)  # type: ignore[arg-type]


def test_default_auth_url_is_the_legacy_endpoint() -> None:
    assert SwiftV1Credential(user="u", key="k").auth_url == "https://api.selcdn.ru/auth/v1.0"
