"""credential_from_env: variables, overrides, version inference and clear config errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from selectel_auth import (
    AuthConfigError,
    KeystoneCredential,
    MemoryTokenCache,
    StaticCredential,
    SwiftV1Credential,
    credential_from_env,
)

from tests.auth.conftest import FakeClock
from tests.auth.test_keystone import storage_status

if TYPE_CHECKING:
    from tests.fakeswift import FakeSwift
    from tests.fakeswift.real import RealSwift

KEYSTONE_ENV = {
    "SELECTEL_USERNAME": "svc",
    "SELECTEL_PASSWORD": "pw",
    "SELECTEL_ACCOUNT_ID": "123456",
    "SELECTEL_PROJECT_ID": "p1",
    "SELECTEL_REGION": "ru-1",
}


def test_keystone_from_env_defaults() -> None:
    credential = credential_from_env(KEYSTONE_ENV)
    assert isinstance(credential, KeystoneCredential)
    assert credential.auth_url == "https://cloud.api.selcloud.ru/identity/v3"
    assert credential.user_domain_name == "123456"
    assert (credential.project_id, credential.region) == ("p1", "ru-1")


def test_overrides_win_and_options_pass_through() -> None:
    cache = MemoryTokenCache()
    credential = credential_from_env(
        KEYSTONE_ENV, region="ru-7", project_name="web", cache=cache, timeout=3
    )
    assert isinstance(credential, KeystoneCredential)
    assert credential.region == "ru-7"
    # Naming the project by name drops the id coming from the environment.
    assert (credential.project_id, credential.project_name) == (None, "web")
    assert credential.project_domain_name == "123456"


def test_none_override_means_not_given() -> None:
    credential = credential_from_env(KEYSTONE_ENV, region=None, username=None)
    assert isinstance(credential, KeystoneCredential)
    assert (credential.region, credential.username) == ("ru-1", "svc")


def test_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in KEYSTONE_ENV.items():
        monkeypatch.setenv(name, value)
    assert isinstance(credential_from_env(), KeystoneCredential)


@pytest.mark.parametrize(
    ("auth_url", "version"),
    [
        ("https://api.selcdn.ru/auth/v1.0", "1"),
        ("https://auth.selcdn.ru/", "1"),
        ("https://api.selcdn.ru/", "1"),
        ("http://127.0.0.1:8080/auth/v1.0/", "1"),
        ("https://cloud.api.selcloud.ru/identity/v3/", "3"),
        ("https://keystone.example/v3", "3"),
    ],
)
def test_version_inferred_from_url(auth_url: str, version: str) -> None:
    credential = credential_from_env({**KEYSTONE_ENV, "SELECTEL_AUTH_URL": auth_url})
    expected = SwiftV1Credential if version == "1" else KeystoneCredential
    assert type(credential) is expected
    assert credential.auth_url.rstrip("/") == auth_url.rstrip("/")


@pytest.mark.parametrize(("value", "kind"), [("1", SwiftV1Credential), ("v3", KeystoneCredential)])
def test_explicit_version(value: str, kind: type) -> None:
    env = {**KEYSTONE_ENV, "SELECTEL_AUTH_VERSION": value}
    assert type(credential_from_env(env)) is kind


def test_v1_default_url_and_names() -> None:
    credential = credential_from_env(
        {"SELECTEL_AUTH_VERSION": "1", "SELECTEL_USERNAME": "123_sub", "SELECTEL_PASSWORD": "k"}
    )
    assert isinstance(credential, SwiftV1Credential)
    assert credential.auth_url == "https://api.selcdn.ru/auth/v1.0"
    assert credential.user == "123_sub"


def test_static_token() -> None:
    credential = credential_from_env(
        {"SELECTEL_TOKEN": "tk-0123456789abcdef", "SELECTEL_STORAGE_URL": "https://s/v1/p"}
    )
    assert isinstance(credential, StaticCredential)
    assert credential.get_token().token == "tk-0123456789abcdef"


@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({}, "SELECTEL_USERNAME"),
        ({"SELECTEL_USERNAME": "u"}, "SELECTEL_PASSWORD"),
        ({"SELECTEL_USERNAME": "u", "SELECTEL_PASSWORD": "p"}, "SELECTEL_ACCOUNT_ID"),
        (
            {"SELECTEL_USERNAME": "u", "SELECTEL_PASSWORD": "p", "SELECTEL_ACCOUNT_ID": "1"},
            "SELECTEL_PROJECT_ID or SELECTEL_PROJECT_NAME",
        ),
        ({**KEYSTONE_ENV, "SELECTEL_PROJECT_NAME": "x"}, "not both"),
        ({**KEYSTONE_ENV, "SELECTEL_AUTH_VERSION": "2"}, "SELECTEL_AUTH_VERSION"),
        ({"SELECTEL_TOKEN": "t"}, "SELECTEL_STORAGE_URL"),
        ({**KEYSTONE_ENV, "SELECTEL_TOKEN": "t"}, "SELECTEL_TOKEN and SELECTEL_PASSWORD"),
        ({**KEYSTONE_ENV, "SELECTEL_AUTH_URL": "not a url"}, "SELECTEL_AUTH_URL"),
    ],
)
def test_config_errors_name_the_variable(env: dict[str, str], match: str) -> None:
    with pytest.raises(AuthConfigError, match=match) as caught:
        credential_from_env(env)
    assert "pw" not in str(caught.value).split()


def test_empty_variables_count_as_unset() -> None:
    with pytest.raises(AuthConfigError, match="SELECTEL_PASSWORD"):
        credential_from_env({**KEYSTONE_ENV, "SELECTEL_PASSWORD": ""})


def test_keystone_from_env_against_the_target(
    swift: FakeSwift | RealSwift, clock: FakeClock
) -> None:
    env = {
        "SELECTEL_AUTH_URL": swift.auth_v3_url,
        "SELECTEL_USERNAME": swift.v3.name,
        "SELECTEL_PASSWORD": swift.v3.password,
        "SELECTEL_ACCOUNT_ID": swift.v3.account_id,
        "SELECTEL_PROJECT_NAME": swift.v3.project_name,
        "SELECTEL_REGION": swift.v3.region,
    }
    assert storage_status(credential_from_env(env, **clock.kwargs()).get_token()) in (200, 204)


def test_v1_from_env(swift: FakeSwift | RealSwift) -> None:
    v1 = {
        "SELECTEL_AUTH_URL": swift.auth_v1_url,
        "SELECTEL_USERNAME": swift.v1_user,
        "SELECTEL_PASSWORD": swift.v1_key,
    }
    credential = credential_from_env(v1)
    assert isinstance(credential, SwiftV1Credential)
    assert storage_status(credential.get_token()) in (200, 204)
