"""Migrations and pickles reference settings: they never contain a password, key or token."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import storages
from django.db import models
from django.db.migrations.writer import MigrationWriter
from django.test.utils import override_settings
from django_selectel._names import clean_name, join_location
from django_selectel.storages import (
    ApiStorage,
    SelectelStaticStorage,
    SelectelStorage,
)

from tests.djangostorage.helpers import override_storages

SECRETS = ("s3cret-key", "s3cret-pass", "tuk-secret")
V1 = {"user": "12345_web", "key": "s3cret-key", "container": "media"}


def _serialised(value: Any) -> str:
    text, _imports = MigrationWriter.serialize(value)
    return str(text)


def _assert_no_secret(text: str | bytes) -> None:
    blob = text.encode() if isinstance(text, str) else text
    for secret in SECRETS:
        assert secret.encode() not in blob


def test_explicit_credentials_stay_out_of_migrations() -> None:
    storage = SelectelStorage(**V1, temp_url_key="tuk-secret", location="up", public=False)
    path, args, kwargs = storage.deconstruct()
    assert path == "django_selectel.storages.SelectelStorage"
    assert args == ()
    assert kwargs == {"container": "media", "location": "up", "public": False}
    field = models.FileField(storage=storage)
    text = _serialised(field)
    _assert_no_secret(text)
    assert "12345_web" not in text
    assert "django_selectel.storages.SelectelStorage(container='media'" in text


def test_keystone_password_stays_out_of_migrations() -> None:
    storage = SelectelStorage(
        username="svc", password="s3cret-pass", account_id="1", project_id="p", container="c"
    )
    assert storage.deconstruct()[2] == {"container": "c"}


def test_a_storages_entry_deconstructs_to_its_alias() -> None:
    entry = {"BACKEND": "django_selectel.storages.SelectelStorage", "OPTIONS": V1}
    with override_storages(STORAGES={"default": entry, "media": entry}):
        storage = storages["media"]
        assert isinstance(storage, SelectelStorage)
        text = _serialised(models.FileField(storage=storage))
        rebuilt = SelectelStorage(**storage.deconstruct()[2])
        assert rebuilt.config == storage.config
    _assert_no_secret(text)
    assert "SelectelStorage(alias='default')" in text  # the first entry with these options


def test_dsn_keeps_container_and_domain_only() -> None:
    storage = SelectelStorage("selectel://12345_web:s3cret-key@cdn.example.com/Box?use_gz=1")
    assert storage.deconstruct()[2] == {
        "custom_domain": "cdn.example.com",
        "container": "Box",
        "use_gz": True,
    }
    _assert_no_secret(_serialised(storage))


def test_schema_names_are_kept() -> None:
    with override_settings(
        SELECTEL_STORAGES={"media": {"USERNAME": "u", "PASSWORD": "p", "CONTAINER": "c"}}
    ):
        storage = SelectelStorage("media", location="x")
    assert storage.deconstruct()[2] == {"storage": "media", "location": "x"}


def test_django_selectel2_api_storage_keeps_its_non_secret_arguments() -> None:
    storage = ApiStorage("u", "s3cret-key", {"c": "cdn.example.com"}, True, False)
    path, _, kwargs = storage.deconstruct()
    assert path == "django_selectel.storages.ApiStorage"
    assert kwargs == {"domains": {"c": "cdn.example.com"}, "overwrite_files": True, "use_gz": False}
    _assert_no_secret(_serialised(storage))


def test_deconstruction_is_stable_so_makemigrations_sees_no_change() -> None:
    for storage in (
        SelectelStorage(**V1, location="a"),
        SelectelStaticStorage(**V1),
        ApiStorage(user="u", password="s3cret-key", use_gz=True),
    ):
        path, args, kwargs = storage.deconstruct()
        again = type(storage)(*args, **kwargs)
        assert again.deconstruct() == (path, args, kwargs)


def test_pickle_carries_the_settings_reference_not_the_credentials() -> None:
    schemas = {"media": {"USERNAME": "12345_web", "PASSWORD": "s3cret-key", "CONTAINER": "c"}}
    with override_settings(SELECTEL_STORAGES=schemas):
        storage = SelectelStorage("media")
        blob = pickle.dumps(storage)
        _assert_no_secret(blob)
        restored = pickle.loads(blob)
        assert restored.config == storage.config
    rotated = {"media": {"USERNAME": "12345_web", "PASSWORD": "rotated", "CONTAINER": "c"}}
    with override_settings(SELECTEL_STORAGES=rotated):
        assert pickle.loads(blob).config.key == "rotated"  # read from settings on unpickle


def test_pickle_of_a_storages_entry_uses_the_alias() -> None:
    entry = {"BACKEND": "django_selectel.storages.SelectelStorage", "OPTIONS": V1}
    with override_storages(STORAGES={"default": entry}):
        blob = pickle.dumps(storages["default"])
        _assert_no_secret(blob)
        assert pickle.loads(blob).config.key == "s3cret-key"


def test_pickle_refuses_credentials_given_as_arguments() -> None:
    with pytest.raises(pickle.PicklingError, match="settings"):
        pickle.dumps(SelectelStorage(**V1))
    with pytest.raises(pickle.PicklingError):
        pickle.dumps(SelectelStorage("selectel://u:s3cret-key@box"))


def test_copies_share_the_configuration() -> None:
    storage = SelectelStorage(**V1)
    assert copy.copy(storage) is storage
    assert copy.deepcopy(storage) is storage


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("a/b.txt", "a/b.txt"),
        ("a//b/./c.txt", "a/b/c.txt"),
        ("a\\b.txt", "a/b.txt"),
        ("dir/", "dir"),
        ("пример/файл.txt", "пример/файл.txt"),
        ("sp ace/#?%.txt", "sp ace/#?%.txt"),
    ],
)
def test_clean_names(name: str, clean: str) -> None:
    assert clean_name(name) == clean


@pytest.mark.parametrize(
    "name",
    [
        "../etc/passwd",
        "a/../../b",
        "a\\..\\b",
        "/abs/path",
        "\\abs",
        "nul\x00byte",
        "line\nbreak",
        "tab\tname",
        "del\x7f",
        "\ud800lone-surrogate",
        "",
        ".",
        "./",
    ],
)
def test_hostile_names_are_refused(name: str) -> None:
    with pytest.raises(SuspiciousFileOperation):
        clean_name(name)


def test_object_names_over_1024_bytes_are_refused_including_the_location() -> None:
    assert join_location("loc", "a" * 1020) == "loc/" + "a" * 1020
    with pytest.raises(SuspiciousFileOperation, match="1024"):
        join_location("loc", "a" * 1021)
    with pytest.raises(SuspiciousFileOperation, match="too long"):
        join_location("", "ж" * 513)
