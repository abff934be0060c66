"""Options, the old packages' settings and DSNs: parsed at construction, validated, never leaked."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test.utils import override_settings
from django_selectel._clients import build_credential
from django_selectel._config import DEFAULT_V3_AUTH_URL
from django_selectel._legacy import parse_dsn
from django_selectel.storages import (
    ApiStorage,
    ManifestSelectelStaticStorage,
    SelectelStaticStorage,
    SelectelStorage,
)
from selectel_auth import (
    DEFAULT_V1_AUTH_URL,
    KeystoneCredential,
    StaticCredential,
    SwiftV1Credential,
)

from tests.djangostorage.helpers import override_storages

V1 = {"user": "12345_web", "key": "s3cret-key", "container": "media"}
V3 = {
    "username": "svc",
    "password": "s3cret-pass",
    "account_id": "12345",
    "project_id": "abc123",
    "region": "ru-1",
    "container": "media",
}


# --- STORAGES OPTIONS ------------------------------------------------------------------------


def test_every_option_is_accepted_and_typed() -> None:
    storage = SelectelStorage(
        **V3,
        auth_url="https://auth.example.com/v3",
        storage_url="https://swift.example.com/v1/abc123",
        ca_bundle="/etc/ssl/ca.pem",
        transport="requests",
        timeout=(2, 30),
        retries=4,
        retry_backoff=0.25,
        refresh_margin=120,
        token_cache="/tmp/tokens",
        pool_maxsize=32,
        location="uploads/2024",
        auto_create_container=True,
        overwrite_files=True,
        use_gz=True,
        object_parameters={"Cache-Control": "max-age=60", "X-Delete-After": 3600},
        large_file_threshold=1000,
        segment_size=500,
        public=False,
        custom_domain="cdn.example.com",
        domains={"other": "https://other.example.com/"},
        temp_url_key="tuk",
        temp_url_digest="sha512",
        url_expires=600,
        listing_cache_ttl=5,
        auth_version=3,
    )
    config = storage.config
    assert config.auth_version == "3"
    assert config.timeout == (2.0, 30.0)
    assert config.location == "uploads/2024"
    assert config.custom_domain == "https://cdn.example.com"
    assert config.domains == {"other": "https://other.example.com"}
    assert config.object_parameters == {"Cache-Control": "max-age=60", "X-Delete-After": "3600"}
    assert config.transport == "requests"
    assert (config.retries, config.retry_backoff, config.refresh_margin) == (4, 0.25, 120)
    assert config.pool_maxsize == 32


def test_unknown_option_is_named() -> None:
    with pytest.raises(ImproperlyConfigured, match="unknown option 'bucket_name'"):
        SelectelStorage(**V1, bucket_name="x")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("timeout", 0, "timeout"),
        ("timeout", "fast", "timeout"),
        ("retries", -1, "retries"),
        ("retries", True, "retries"),
        ("overwrite_files", "yes", "overwrite_files"),
        ("transport", "httpx", "transport"),
        ("temp_url_digest", "md5", "temp_url_digest"),
        ("container", "a/b", "container"),
        ("location", "../up", "location"),
        ("auth_url", "ftp://x", "auth_url"),
        ("object_parameters", {"Cache-Control": None}, "object_parameters"),
        ("object_parameters", {"Content-Length": "1"}, "Content-Length"),
        ("object_parameters", {"X-Delete-After": "soon"}, "X-Delete-After"),
        ("large_file_threshold", 6 * 1024**3, "large_file_threshold"),
        ("url_expires", 0, "url_expires"),
        ("auth_version", "2", "auth_version"),
    ],
)
def test_invalid_values_are_rejected(option: str, value: Any, message: str) -> None:
    options: dict[str, Any] = {**V1, option: value}
    with pytest.raises(ImproperlyConfigured, match=message):
        SelectelStorage(**options)


def test_secret_values_never_appear_in_errors() -> None:
    options: dict[str, Any] = {**V1, "key": 12345}
    with pytest.raises(ImproperlyConfigured) as info:
        SelectelStorage(**options)
    assert "12345" not in str(info.value)


def test_credentials_of_different_kinds_conflict() -> None:
    with pytest.raises(ImproperlyConfigured, match="different kinds"):
        SelectelStorage(user="u", key="k", username="svc", container="c")


def test_auth_version_must_match_the_credentials() -> None:
    with pytest.raises(ImproperlyConfigured, match="does not match"):
        SelectelStorage(**V1, auth_version="3")


def test_default_auth_urls_follow_the_auth_kind() -> None:
    assert SelectelStorage(**V1).config.auth_url == DEFAULT_V1_AUTH_URL
    assert SelectelStorage(**V3).config.auth_url == DEFAULT_V3_AUTH_URL
    static = SelectelStorage(token="t", storage_url="https://s/v1/a", container="c").config
    assert static.auth_version == "static"


def test_construction_without_credentials_is_lazy() -> None:
    # Models import at startup; a missing password must not break that (checks report it).
    storage = SelectelStorage(container="media")
    assert storage.config.missing_credentials() is not None
    with pytest.raises(ImproperlyConfigured, match="no credentials"):
        build_credential(storage.config)


@pytest.mark.parametrize(
    ("options", "missing"),
    [
        ({"user": "u"}, "'key'"),
        ({"username": "svc", "password": "p", "project_id": "x"}, "'account_id'"),
        ({"username": "svc", "password": "p", "account_id": "1"}, "project_id or project_name"),
        ({"token": "t"}, "storage_url"),
    ],
)
def test_incomplete_credentials_say_what_is_missing(options: dict[str, str], missing: str) -> None:
    problem = SelectelStorage(**options, container="c").config.missing_credentials()
    assert problem is not None and missing in problem


def test_credentials_build_the_right_selectel_auth_objects() -> None:
    v1 = build_credential(SelectelStorage(**V1).config)
    assert isinstance(v1, SwiftV1Credential)
    v3 = build_credential(SelectelStorage(**V3).config)
    assert isinstance(v3, KeystoneCredential)
    static = build_credential(SelectelStorage(token="t", storage_url="https://s/v1/a").config)
    assert isinstance(static, StaticCredential)


def test_repr_and_config_repr_hide_secrets() -> None:
    storage = SelectelStorage(**V3, temp_url_key="tuk-secret")
    text = repr(storage) + repr(storage.config)
    for secret in ("s3cret-pass", "tuk-secret"):
        assert secret not in text


def test_settings_are_read_at_construction() -> None:
    with override_settings(
        SELECTEL_STORAGES={"default": {**_django_selectel_storage1(), "CONTAINER": "first"}}
    ):
        first = SelectelStorage()
    with override_settings(
        SELECTEL_STORAGES={"default": {**_django_selectel_storage1(), "CONTAINER": "second"}}
    ):
        second = SelectelStorage()
    assert (first.config.container, second.config.container) == ("first", "second")


def test_alias_reads_storages_options_and_explicit_options_win() -> None:
    storages = {"media": {"BACKEND": "django_selectel.storages.SelectelStorage", "OPTIONS": V1}}
    with override_storages(STORAGES=storages):
        storage = SelectelStorage(alias="media", location="x")
    assert (storage.config.container, storage.config.location) == ("media", "x")
    with override_storages(STORAGES=storages), pytest.raises(ImproperlyConfigured, match="nope"):
        SelectelStorage(alias="nope")


def test_static_storages_overwrite_and_are_public_by_default() -> None:
    for cls in (SelectelStaticStorage, ManifestSelectelStaticStorage):
        with override_settings(STATIC_URL="/static/"):
            config = cls.resolve_config(V1)
        assert config.overwrite_files and config.public
    assert not SelectelStorage(**V1).config.overwrite_files


# --- django-selectel 2.x ------ ----------------------------------------------------------------


def _django_selectel2(**extra: Any) -> dict[str, Any]:
    return {"USER": "12345_web", "PASSWORD": "s3cret-key", **extra}


def test_django_selectel2_selectel_storage_dict_maps_every_key() -> None:
    given = _django_selectel2(
        DOMAINS={"pub": "https://cdn.example.com"},
        OVERWRITE_FILES=True,
        USE_GZ=True,
        AUTH_URL="https://auth.example.com/",
        API_THRESHOLD=1800,
        API_MAX_RETRY=3,
        API_RETRY_DELAY=0.1,
    )
    with override_settings(SELECTEL_STORAGE=given):
        config = ApiStorage().config
    assert config.auth_version == "1"
    assert (config.user, config.key) == ("12345_web", "s3cret-key")
    assert config.domains == {"pub": "https://cdn.example.com"}
    assert config.overwrite_files and config.use_gz
    assert config.auth_url == "https://auth.example.com/"
    assert config.refresh_margin == 1800
    assert config.retries == 2  # API_MAX_RETRY counted attempts
    assert config.retry_backoff == 0.1
    assert isinstance(build_credential(config), SwiftV1Credential)


def test_django_selectel2_defaults_to_selectel_auths_v1_url() -> None:
    with override_settings(SELECTEL_STORAGE=_django_selectel2()):
        config = ApiStorage().config
    # One default for the legacy v1 endpoint, selectel-auth's (Selectel's newer spelling).
    assert config.auth_url == DEFAULT_V1_AUTH_URL == "https://api.selcdn.ru/auth/v1.0"


def test_django_selectel2_typo_override_files_still_works() -> None:
    with override_settings(SELECTEL_STORAGE=_django_selectel2(OVERRIDE_FILES=True)):
        assert ApiStorage().config.overwrite_files
    contradiction = _django_selectel2(OVERWRITE_FILES=True, OVERRIDE_FILES=False)
    with override_settings(SELECTEL_STORAGE=contradiction), pytest.raises(ImproperlyConfigured):
        ApiStorage()


def test_django_selectel2_api_max_retry_none_means_one_attempt() -> None:
    with override_settings(SELECTEL_STORAGE=_django_selectel2(API_MAX_RETRY=None)):
        assert ApiStorage().config.retries == 0


def test_django_selectel2_unknown_key_is_named() -> None:
    with (
        override_settings(SELECTEL_STORAGE=_django_selectel2(API_TRESHOLD=5)),
        pytest.raises(ImproperlyConfigured, match="API_TRESHOLD"),
    ):
        ApiStorage()


def test_django_selectel2_constructor_keywords_and_positionals() -> None:
    by_keyword = ApiStorage(
        user="u", password="p", domains={"c": "cdn.example.com"}, use_gz=True, overwrite_files=True
    ).config
    by_position = ApiStorage("u", "p", {"c": "cdn.example.com"}, True, True).config
    assert by_keyword == by_position
    assert (by_keyword.user, by_keyword.key) == ("u", "p")
    assert by_keyword.domains == {"c": "https://cdn.example.com"}
    assert by_keyword.overwrite_files and by_keyword.use_gz
    assert by_keyword.container is None  # the first folder of each name picks the container


def test_django_selectel2_constructor_overrides_settings_per_key() -> None:
    with override_settings(SELECTEL_STORAGE=_django_selectel2(USE_GZ=True)):
        config = ApiStorage(overwrite_files=True).config
    assert config.use_gz and config.overwrite_files and config.user == "12345_web"


# --- django-selectel-storage 1.x ------ -------------------------------------------------------


def _django_selectel_storage1(**extra: Any) -> dict[str, Any]:
    return {"USERNAME": "12345_web", "PASSWORD": "s3cret-key", "CONTAINER": "media", **extra}


def test_django_selectel_storage1_schema_dict() -> None:
    schemas = {"default": _django_selectel_storage1(CUSTOM_DOMAIN="cdn.example.com")}
    with override_settings(SELECTEL_STORAGES=schemas):
        config = SelectelStorage().config
    assert (config.user, config.key, config.container) == ("12345_web", "s3cret-key", "media")
    assert config.custom_domain == "https://cdn.example.com"
    assert config.auth_url == DEFAULT_V1_AUTH_URL
    assert isinstance(build_credential(config), SwiftV1Credential)


def test_django_selectel_storage1_container_name_as_their_readme_documented() -> None:
    schema = {"USERNAME": "u", "PASSWORD": "p", "CONTAINER_NAME": "docs"}
    with override_settings(SELECTEL_STORAGES={"default": schema}):
        assert SelectelStorage().config.container == "docs"


def test_django_selectel_storage1_all_constructor_forms() -> None:
    schemas = {
        "default": _django_selectel_storage1(),
        "other": "selectel://u2:p2@OtherContainer",
    }
    with override_settings(SELECTEL_STORAGES=schemas):
        assert SelectelStorage().config.container == "media"
        assert SelectelStorage("default").config.container == "media"
        assert SelectelStorage(storage="default").config.container == "media"
        assert SelectelStorage("other").config.container == "OtherContainer"
        assert SelectelStorage(storage="other").config.user == "u2"
        assert SelectelStorage("selectel://u3:p3@c3").config.container == "c3"
        assert SelectelStorage(storage="selectel://u3:p3@c3/").config.container == "c3"
        assert SelectelStorage(dsn="selectel://u4:p4@c4").config.user == "u4"
        with pytest.raises(ImproperlyConfigured, match="'missing'"):
            SelectelStorage("missing")


def test_django_selectel_storage1_static_storage_in_storages_options() -> None:
    with override_settings(
        SELECTEL_STORAGES={"static": _django_selectel_storage1(CONTAINER="static")}
    ):
        config = SelectelStaticStorage.resolve_config({"storage": "static"})
    assert config.container == "static"


def test_django_selectel_storage1_options_are_accepted_and_requests_factory_is_refused() -> None:
    options = {"MAX_RETRIES": 5, "POOL_CONNECTIONS": 10, "POOL_MAXSIZE": 20}
    with override_settings(
        SELECTEL_STORAGES={"default": _django_selectel_storage1(OPTIONS=options)}
    ):
        config = SelectelStorage().config
    assert (config.retries, config.pool_maxsize) == (5, 20)
    factory = _django_selectel_storage1(REQUESTS_FACTORY="myproject.session")
    with (
        override_settings(SELECTEL_STORAGES={"default": factory}),
        pytest.raises(ImproperlyConfigured, match="transport"),
    ):
        SelectelStorage()


def test_django_selectel_storage1_unknown_key_is_named() -> None:
    with (
        override_settings(SELECTEL_STORAGES={"default": _django_selectel_storage1(CONTANER="x")}),
        pytest.raises(ImproperlyConfigured, match="CONTANER"),
    ):
        SelectelStorage()


def test_django_selectel_storage1_constructor_keywords_mean_legacy_v1() -> None:
    config = SelectelStorage(
        username="12345_web", password="p/w#?%", container="c", custom_domain="cdn.example.com"
    ).config
    assert (config.auth_version, config.user, config.key) == ("1", "12345_web", "p/w#?%")
    assert config.custom_domain == "https://cdn.example.com"
    assert isinstance(build_credential(config), SwiftV1Credential)


def test_dsn_decodes_credentials_and_keeps_container_case() -> None:
    parsed = parse_dsn("selectel://12345_web:p%40ss%2Fw%3Ard@MyContainer")
    assert parsed == {"user": "12345_web", "key": "p@ss/w:rd", "container": "MyContainer"}


def test_dsn_with_custom_domain_and_options() -> None:
    parsed = parse_dsn(
        "selectel://u:p@Cdn.Example.com/Media?max_retries=4&use_gz=true&pool_conns=9"
    )
    assert parsed == {
        "user": "u",
        "key": "p",
        "custom_domain": "Cdn.Example.com",
        "container": "Media",
        "retries": 4,
        "use_gz": True,
    }
    assert parse_dsn("selectel://u:p@c?pool_maxsize=30&pool_conns=2")["pool_maxsize"] == 30


def test_dsn_password_with_an_unencoded_at_sign() -> None:
    assert parse_dsn("selectel://u:p@ss@box")["key"] == "p@ss"


@pytest.mark.parametrize(
    ("dsn", "message"),
    [
        ("https://u:p@c", "selectel://"),
        ("selectel://u:p@", "no container"),
        ("selectel://u:p@host/a/b", "one container"),
        ("selectel://u:p#w@c", "#"),
        ("selectel://u:p@c?colour=red", "colour"),
        ("selectel://u:p@c?requests_factory=x.y", "transport"),
    ],
)
def test_bad_dsns_are_explained_without_the_password(dsn: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message) as info:
        parse_dsn(dsn)
    assert ":p" not in str(info.value)


def test_dsn_string_as_a_settings_value_works() -> None:
    # django-selectel-storage 1.x documented this and crashed on it.
    with override_settings(SELECTEL_STORAGES={"default": "selectel://u:p@box"}):
        assert SelectelStorage().config.container == "box"


def test_explicit_credentials_replace_the_schema_credentials_as_a_group() -> None:
    with override_settings(SELECTEL_STORAGES={"default": _django_selectel_storage1()}):
        config = SelectelStorage("default", token="t", storage_url="https://s/v1/a").config
        unreferenced = SelectelStorage(token="t", storage_url="https://s/v1/a").config
    assert config.auth_version == "static" and config.user is None and config.key is None
    assert config.container == "media"  # non-credential settings still come from the schema
    # Without a schema name, explicit credentials mean the default schema is not used at all.
    assert unreferenced.container is None
