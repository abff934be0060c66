"""System checks: registered by the app config, precise, and free of secrets."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import CheckMessage, run_checks
from django.test.utils import override_settings

SELECTEL = "django_selectel.storages.SelectelStorage"
GOOD = {
    "user": "12345_web",
    "key": "s3cret-key",
    "container": "media",
    "storage_url": "https://api.selcdn.ru/v1/SEL_12345",
}


def _messages(**settings: Any) -> list[CheckMessage]:
    with override_settings(**settings):
        return list(run_checks(tags=["django_selectel"]))


def _storages(options: dict[str, Any], backend: str = SELECTEL) -> dict[str, Any]:
    return {"default": {"BACKEND": backend, "OPTIONS": options}}


def _ids(messages: list[CheckMessage]) -> list[str]:
    return sorted(str(m.id) for m in messages)


def test_the_app_config_registers_the_checks_and_a_good_setup_passes() -> None:
    assert _messages(STORAGES=_storages(GOOD)) == []


def test_unknown_option() -> None:
    messages = _messages(STORAGES=_storages({**GOOD, "bucket": "x"}))
    assert _ids(messages) == ["django_selectel.E002"]
    assert "'bucket'" in messages[0].msg


def test_missing_credentials_warn_and_a_missing_container_is_an_error() -> None:
    messages = _messages(STORAGES=_storages({"storage_url": GOOD["storage_url"]}))
    assert _ids(messages) == ["django_selectel.E001", "django_selectel.W005"]
    text = " ".join(m.msg for m in messages)
    assert "no credentials" in text and "container" in text
    incomplete = {**GOOD, "key": None}
    messages = _messages(STORAGES=_storages(incomplete))
    assert _ids(messages) == ["django_selectel.W005"]
    assert "'key'" in messages[0].msg


def test_api_storage_needs_no_container() -> None:
    options = {k: v for k, v in GOOD.items() if k != "container"}
    assert _messages(STORAGES=_storages(options, "django_selectel.storages.ApiStorage")) == []


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://auth.example.com/", True),
        ("https://auth.example.com/", False),
        ("http://127.0.0.1:8080/auth/v1.0", False),
        ("http://localhost/auth", False),
    ],
)
def test_plain_http_auth_url(url: str, warned: bool) -> None:
    messages = _messages(STORAGES=_storages({**GOOD, "auth_url": url}))
    assert _ids(messages) == (["django_selectel.W002"] if warned else [])


def test_private_storage_needs_a_temp_url_key() -> None:
    assert _ids(_messages(STORAGES=_storages({**GOOD, "public": False}))) == [
        "django_selectel.E003"
    ]
    with_key = {**GOOD, "public": False, "temp_url_key": "tuk-secret"}
    assert _messages(STORAGES=_storages(with_key)) == []


def test_url_needs_a_storage_url_or_a_domain() -> None:
    bare = {k: v for k, v in GOOD.items() if k != "storage_url"}
    assert _ids(_messages(STORAGES=_storages(bare))) == ["django_selectel.W003"]
    assert _messages(STORAGES=_storages({**bare, "custom_domain": "cdn.example.com"})) == []
    keystone = {
        "username": "svc",
        "password": "s3cret-pass",
        "account_id": "12345",
        "project_id": "abc",
        "region": "ru-1",
        "container": "media",
    }
    assert _messages(STORAGES=_storages(keystone)) == []  # derivable at Selectel
    internal = {**keystone, "interface": "internal"}  # only the catalog knows that one
    assert _ids(_messages(STORAGES=_storages(internal))) == ["django_selectel.W003"]


def test_a_private_storage_whose_signed_urls_cannot_be_built_is_warned() -> None:
    bare = {k: v for k, v in GOOD.items() if k != "storage_url"}
    private = {**bare, "public": False, "temp_url_key": "tuk-secret"}
    messages = _messages(STORAGES=_storages(private))
    assert _ids(messages) == ["django_selectel.W003"]
    assert "signed" in messages[0].msg and "storage_url" in str(messages[0].hint)
    # A custom domain serves public files only: a private storage still needs the URL.
    with_domain = {**private, "custom_domain": "cdn.example.com"}
    assert _ids(_messages(STORAGES=_storages(with_domain))) == ["django_selectel.W003"]
    # Without a key too: both problems are reported.
    keyless = {**bare, "public": False}
    assert sorted(_ids(_messages(STORAGES=_storages(keyless)))) == [
        "django_selectel.E003",
        "django_selectel.W003",
    ]


def test_django_selectel2_settings_get_a_warning_with_the_storages_equivalent() -> None:
    given = {"USER": "12345_web", "PASSWORD": "s3cret-key", "OVERRIDE_FILES": True, "USE_GZ": True}
    messages = _messages(SELECTEL_STORAGE=given)
    assert _ids(messages) == ["django_selectel.W001"]
    hint = str(messages[0].hint)
    assert "STORAGES = {" in hint and "django_selectel.storages.ApiStorage" in hint
    assert "'overwrite_files': True" in hint and "'use_gz': True" in hint
    assert "'user': '12345_web'" in hint
    assert "s3cret-key" not in hint and "PASSWORD" in hint


def test_django_selectel_storage1_schemas_get_a_warning_each_and_errors_when_broken() -> None:
    schemas = {
        "default": {"USERNAME": "u", "PASSWORD": "s3cret-key", "CONTAINER_NAME": "media"},
        "dsn": "selectel://u:s3cret-key@Box",
        "broken": {"USERNAME": "u", "PASSWORD": "p", "CONTANER": "x"},
    }
    messages = _messages(SELECTEL_STORAGES=schemas)
    ids = _ids(messages)
    assert ids.count("django_selectel.W001") == 2
    assert "django_selectel.E002" in ids
    text = " ".join(f"{m.msg} {m.hint}" for m in messages)
    assert "s3cret-key" not in text
    assert "'container': 'Box'" in text and "CONTANER" in text


def test_obsolete_flat_settings_and_old_backend_paths() -> None:
    messages = _messages(SELECTEL_USERNAME="u", SELECTEL_PASSWORD="p")
    assert _ids(messages) == ["django_selectel.W001"]
    old = _storages({}, "django_selectel_storage.storage.SelectelStorage")
    messages = _messages(STORAGES=old)
    assert _ids(messages) == ["django_selectel.E002"]
    assert SELECTEL in str(messages[0].hint)


def test_username_without_account_is_read_as_legacy_v1() -> None:
    django_selectel_storage1_style = {
        "username": "u",
        "password": "p",
        "container": "c",
        "storage_url": "https://s/v1/a",
    }
    messages = _messages(STORAGES=_storages(django_selectel_storage1_style))
    assert _ids(messages) == ["django_selectel.W004"]
    assert "account_id" in str(messages[0].hint)


def test_no_selectel_settings_no_messages() -> None:
    assert _messages() == []
