"""KeystoneCredential against Keystone v3 (the fake's, or a real Keystone with
``SWIFT_TARGET=real``), the fake's fault switches, and odd replies from a tiny server."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import TYPE_CHECKING

import pytest
from pytest_httpserver import HTTPServer
from selectel_auth import (
    AccessToken,
    AuthConfigError,
    AuthServiceError,
    InvalidCredentialsError,
    KeystoneCredential,
    TokenCredential,
)

from tests.auth.conftest import (
    CountingSender,
    FakeClock,
    catalog,
    keystone,
    keystone_reply,
    recording,
)
from tests.fakeswift.v3target import SHORT_TOKEN_SECONDS, short_lived_v3_credential

if TYPE_CHECKING:
    from tests.fakeswift import FakeSwift
    from tests.fakeswift.real import RealSwift


def storage_status(token: AccessToken) -> int:
    """HEAD the account with the token: proves the token and the storage URL belong together."""
    assert token.storage_url is not None
    request = urllib.request.Request(
        token.storage_url, method="HEAD", headers={"X-Auth-Token": token.token}
    )
    with urllib.request.urlopen(request, timeout=5) as reply:
        return int(reply.status)


def test_lazy_then_one_auth_for_many_calls(swift: FakeSwift | RealSwift) -> None:
    sender = CountingSender()
    credential = swift.v3_credential(sender=sender)
    assert isinstance(credential, TokenCredential)
    assert sender.count == 0  # construction sends nothing

    first = credential.get_token()
    assert sender.sent == [("POST", swift.auth_v3_url + "/auth/tokens")]
    assert first.storage_url == swift.storage_url(swift.v3.project_id)
    assert first.expires_at is not None and first.expires_at > time.time()
    assert storage_status(first) in (200, 204)

    for _ in range(5):
        assert credential.get_token() is first
    assert sender.count == 1


def test_token_lifetime_comes_from_keystone(swift: FakeSwift | RealSwift) -> None:
    long = swift.v3_credential().get_token()
    before = time.time()
    short = short_lived_v3_credential(swift).get_token()
    after = time.time()
    assert long.expires_at is not None and short.expires_at is not None
    # Issued between `before` and `after`; Keystone truncates to whole seconds.
    issued = short.expires_at - SHORT_TOKEN_SECONDS
    assert before - 1 <= issued <= after
    assert long.expires_at - after > 10 * SHORT_TOKEN_SECONDS
    assert storage_status(short) in (200, 204)  # same keys: the proxy accepts it as well


def test_project_by_name_in_the_account_domain(swift: FakeSwift | RealSwift) -> None:
    credential = swift.v3_credential(project_id=None, project_name=swift.v3.project_name)
    token = credential.get_token()
    assert token.storage_url == swift.storage_url(swift.v3.project_id)
    assert storage_status(token) in (200, 204)


def test_storage_url_override_wins_over_catalog(swift: FakeSwift | RealSwift) -> None:
    override = "https://swift.example.invalid/v1/abc/"
    token = swift.v3_credential(storage_url=override).get_token()
    assert token.storage_url == "https://swift.example.invalid/v1/abc"


def test_other_region_and_interface_from_the_catalog(swift: FakeSwift | RealSwift) -> None:
    project = swift.v3.project_id
    other = swift.regions[1]
    token = swift.v3_credential(region=other).get_token()
    assert token.storage_url == swift.storage_url(project, region=other)
    assert token.storage_url != swift.storage_url(project)
    assert storage_status(token) in (200, 204)
    admin = swift.v3_credential(interface="admin").get_token()
    assert admin.storage_url == swift.storage_url(project, interface="admin")
    assert admin.storage_url != swift.storage_url(project)
    assert storage_status(admin) in (200, 204)


def test_no_region_with_several_in_catalog_is_a_config_error(swift: FakeSwift | RealSwift) -> None:
    with pytest.raises(AuthConfigError, match=r"ru-1, ru-7\): set region \(SELECTEL_REGION\)"):
        swift.v3_credential(region=None).get_token()


def test_unknown_region_lists_the_available_ones(swift: FakeSwift | RealSwift) -> None:
    credential = swift.v3_credential(region="xx-9")
    with pytest.raises(AuthServiceError) as caught:
        credential.get_token()
    message = str(caught.value)
    assert "'xx-9'" in message and swift.v3.region in message
    assert "SELECTEL_REGION" in message


def test_wrong_interface_names_the_interfaces(swift: FakeSwift | RealSwift) -> None:
    with pytest.raises(AuthServiceError, match=r"interfaces: .*public"):
        swift.v3_credential(interface="nonexistent").get_token()


@pytest.mark.parametrize(
    "change",
    [
        {"password": "wrong-password"},
        {"username": "nobody"},
        {"account_id": "999999"},
        {"project_id": "0" * 32},
        {"project_id": None, "project_name": "no-such-project"},
    ],
    ids=["password", "user", "domain", "project", "project-name"],
)
def test_bad_credentials_are_not_retried(
    swift: FakeSwift | RealSwift, change: dict[str, str | None]
) -> None:
    sender = CountingSender()
    credential = swift.v3_credential(retries=3, sender=sender, **change)
    with pytest.raises(InvalidCredentialsError) as caught:
        credential.get_token()
    assert caught.value.status in (401, 403)
    assert sender.count == 1
    assert "wrong-password" not in str(caught.value)
    assert swift.v3.password not in str(caught.value)


def test_5xx_is_retried_with_backoff(fake_swift: FakeSwift, clock: FakeClock) -> None:
    fake_swift.fail_next(503, times=2, kind="auth")
    token = keystone(fake_swift, retries=2, backoff=0.5, **clock.kwargs()).get_token()
    assert storage_status(token) in (200, 204)
    assert fake_swift.count(kind="auth") == 3
    assert len(clock.sleeps) == 2
    assert 0.25 <= clock.sleeps[0] <= 0.5 and 0.5 <= clock.sleeps[1] <= 1.0


def test_retries_exhausted_raise_service_error(fake_swift: FakeSwift, clock: FakeClock) -> None:
    fake_swift.fail_next(500, times=5, kind="auth")
    with pytest.raises(AuthServiceError) as caught:
        keystone(fake_swift, retries=1, **clock.kwargs()).get_token()
    assert caught.value.status == 500
    assert fake_swift.count(kind="auth") == 2


def test_429_honours_retry_after(fake_swift: FakeSwift, clock: FakeClock) -> None:
    fake_swift.fail_next(429, retry_after=3, kind="auth")
    keystone(fake_swift, backoff=0.1, **clock.kwargs()).get_token()
    assert clock.sleeps == [3.0]
    assert fake_swift.count(kind="auth") == 2


# -- replies the fake never gives: a tiny extra server ---------------------------------------


def test_request_body_is_password_auth_scoped_to_project(httpserver: HTTPServer) -> None:
    url = httpserver.url_for("/identity/v3")
    seen, handler = recording(
        lambda: keystone_reply(catalog_=catalog(("public", "ru-1", "https://s.example/v1/p")))
    )
    httpserver.expect_request("/identity/v3/auth/tokens", method="POST").respond_with_handler(
        handler
    )
    credential = KeystoneCredential(
        username="svc", password="pw", account_id="123456", project_name="proj", auth_url=url
    )
    assert credential.get_token().storage_url == "https://s.example/v1/p"
    body = json.loads(seen[0].get_data())
    assert body["auth"]["identity"] == {
        "methods": ["password"],
        "password": {"user": {"name": "svc", "domain": {"name": "123456"}, "password": "pw"}},
    }
    assert body["auth"]["scope"] == {"project": {"name": "proj", "domain": {"name": "123456"}}}
    assert seen[0].headers["Content-Type"] == "application/json"
    assert seen[0].headers["User-Agent"] == "selectel-auth"


def test_user_domain_can_differ_from_account(httpserver: HTTPServer) -> None:
    seen, handler = recording(
        lambda: keystone_reply(catalog_=catalog(("public", "ru-1", "https://s.example/v1/p")))
    )
    httpserver.expect_request("/v3/auth/tokens").respond_with_handler(handler)
    KeystoneCredential(
        username="svc",
        password="pw",
        user_domain_name="private-domain",
        project_id="p1",
        auth_url=httpserver.url_for("/v3/"),
    ).get_token()
    body = json.loads(seen[0].get_data())
    assert body["auth"]["identity"]["password"]["user"]["domain"] == {"name": "private-domain"}
    assert body["auth"]["scope"] == {"project": {"id": "p1"}}


def test_several_regions_without_region_is_a_config_error(httpserver: HTTPServer) -> None:
    two = catalog(("public", "ru-1", "https://a.example/v1/p"), ("public", "ru-7", "https://b/v1"))
    httpserver.expect_request("/v3/auth/tokens").respond_with_response(keystone_reply(catalog_=two))
    credential = KeystoneCredential(
        username="u",
        password="p",
        account_id="1",
        project_id="p",
        auth_url=httpserver.url_for("/v3"),
    )
    with pytest.raises(AuthConfigError, match=r"ru-1, ru-7.*SELECTEL_REGION"):
        credential.get_token()


def test_region_matches_region_id_and_interface(httpserver: HTTPServer) -> None:
    entries = catalog(
        ("admin", "ru-7", "https://admin.example/v1/p"),
        ("public", "ru-1", "https://one.example/v1/p"),
        ("public", "ru-7", "https://seven.example/v1/p/"),
    )
    httpserver.expect_request("/v3/auth/tokens").respond_with_response(
        keystone_reply(catalog_=entries)
    )
    credential = KeystoneCredential(
        username="u",
        password="p",
        account_id="1",
        project_id="p",
        region="ru-7",
        auth_url=httpserver.url_for("/v3"),
    )
    assert credential.get_token().storage_url == "https://seven.example/v1/p"


@pytest.mark.parametrize(
    ("reply", "match"),
    [
        (lambda: keystone_reply(token=None), "X-Subject-Token"),
        (lambda: keystone_reply(body=b"<html>proxy error page</html>"), "malformed token body"),
        (lambda: keystone_reply(body=b'{"token": {}}'), "malformed token body"),
        (lambda: keystone_reply(expires_at="next tuesday"), "malformed token body"),
        (lambda: keystone_reply(catalog_=None), "catalog .* missing"),
        (
            lambda: keystone_reply(
                catalog_=catalog(("public", "ru-1", "x"), service_type="compute")
            ),
            "no 'object-store' service .*compute",
        ),
        (lambda: keystone_reply(catalog_=catalog(("public", "ru-1", "ftp://x"))), "malformed"),
        (lambda: keystone_reply(status=404, body=b"not here"), "404.*SELECTEL_AUTH_URL"),
        (
            lambda: keystone_reply(
                expires_at=time.time() - 10, catalog_=catalog(("public", "r", "https://s/v1"))
            ),
            "already expired",
        ),
    ],
    ids=[
        "no-token",
        "html",
        "no-expiry",
        "bad-expiry",
        "no-catalog",
        "no-object-store",
        "bad-url",
        "404",
        "expired",
    ],
)
def test_malformed_replies_raise_service_error(
    httpserver: HTTPServer, reply: object, match: str
) -> None:
    assert callable(reply)
    httpserver.expect_request("/v3/auth/tokens").respond_with_handler(lambda _r: reply())
    credential = KeystoneCredential(
        username="u",
        password="p",
        account_id="1",
        project_id="p",
        auth_url=httpserver.url_for("/v3"),
        retries=0,
    )
    with pytest.raises(AuthServiceError, match=match):
        credential.get_token()


def test_keystone_error_message_is_shown_without_the_password(httpserver: HTTPServer) -> None:
    body = {"error": {"code": 401, "message": "Invalid password hunter2 for user", "title": "x"}}
    httpserver.expect_request("/v3/auth/tokens").respond_with_json(body, status=401)
    credential = KeystoneCredential(
        username="u",
        password="hunter2",
        account_id="1",
        project_id="p",
        auth_url=httpserver.url_for("/v3"),
    )
    with pytest.raises(InvalidCredentialsError) as caught:
        credential.get_token()
    assert "Invalid password *** for user" in str(caught.value)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2030-01-02T03:04:05Z", 1893553445.0),
        ("2030-01-02T03:04:05.123456Z", 1893553445.123456),
        ("2030-01-02T03:04:05.000000+00:00", 1893553445.0),
        ("2030-01-02T06:04:05+0300", 1893553445.0),
        ("2030-01-02T03:04:05", 1893553445.0),
    ],
)
def test_expires_at_formats(httpserver: HTTPServer, value: str, expected: float) -> None:
    httpserver.expect_request("/v3/auth/tokens").respond_with_response(
        keystone_reply(expires_at=value, catalog_=catalog(("public", "r", "https://s/v1/p")))
    )
    credential = KeystoneCredential(
        username="u",
        password="p",
        account_id="1",
        project_id="p",
        auth_url=httpserver.url_for("/v3"),
    )
    assert credential.get_token().expires_at == pytest.approx(expected)


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"password": ""}, "SELECTEL_PASSWORD"),
        ({"username": ""}, "SELECTEL_USERNAME"),
        ({"project_id": None}, "SELECTEL_PROJECT_ID"),
        ({"project_name": "both"}, "not both"),
        ({"account_id": None}, "SELECTEL_ACCOUNT_ID"),
        ({"auth_url": "cloud.api.selcloud.ru/identity/v3"}, "SELECTEL_AUTH_URL"),
        ({"timeout": 0}, "timeout"),
        ({"refresh_margin": -1}, "refresh_margin"),
        ({"retries": -1}, "retries"),
    ],
)
def test_config_errors_name_the_setting(kwargs: dict[str, object], names: str) -> None:
    settings: dict[str, object] = {
        "username": "u",
        "password": "p",
        "account_id": "1",
        "project_id": "p",
    }
    settings.update(kwargs)
    with pytest.raises(AuthConfigError, match=names):
        KeystoneCredential(**settings)  # type: ignore[arg-type]


def test_default_auth_url_is_selectel() -> None:
    credential = KeystoneCredential(username="u", password="p", account_id="1", project_id="p")
    assert credential.auth_url == "https://cloud.api.selcloud.ru/identity/v3"
