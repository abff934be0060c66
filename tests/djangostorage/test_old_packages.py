"""The settings of django-selectel 2.x and django-selectel-storage 1.x, end to end."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.test.utils import override_settings
from django_selectel.storages import ApiStorage, SelectelStorage

from tests.djangostorage.helpers import Swift, Wire, override_storages


@pytest.fixture
def django_selectel2(target: Swift, transport_name: str) -> dict[str, Any]:
    """A django-selectel 2.x ``SELECTEL_STORAGE`` dict pointing at the target Swift."""
    return {
        "USER": target.v1_user,
        "PASSWORD": target.v1_key,
        "AUTH_URL": target.auth_v1_url,
        "API_MAX_RETRY": 2,
        "API_RETRY_DELAY": 0,
        "TRANSPORT": transport_name,
    }


def test_api_storage_uses_the_first_folder_as_container(
    target: Swift, django_selectel2: dict[str, Any], container: str
) -> None:
    with override_settings(SELECTEL_STORAGE=django_selectel2):
        storage = ApiStorage()
        name = storage.save(f"{container}/2024/photo.jpg", ContentFile(b"jpeg"))
        assert name == f"{container}/2024/photo.jpg"
        assert storage.open(name).read() == b"jpeg"
        assert storage.exists(name)
        assert storage.listdir(container) == (["2024"], [])
        assert container in storage.listdir("")[0]  # the root lists the containers
        storage.delete(name)
        assert not storage.exists(name)


def test_api_storage_refuses_a_name_without_a_folder_before_any_request(
    wire: Wire, django_selectel2: dict[str, Any]
) -> None:
    with override_settings(SELECTEL_STORAGE=django_selectel2):
        storage = ApiStorage()
        with pytest.raises(SuspiciousFileOperation, match="first folder"):
            storage.save("photo.jpg", ContentFile(b"jpeg"))
    assert wire.count() == 0


def test_api_storage_keyword_form_with_domains(
    target: Swift, transport_name: str, container: str
) -> None:
    storage = ApiStorage(
        user=target.v1_user,
        password=target.v1_key,
        domains={container: "cdn.example.com"},
        overwrite_files=True,
        use_gz=True,
        auth_url=target.auth_v1_url,
        transport=transport_name,
    )
    storage.save(f"{container}/a.txt", ContentFile(b"one"))
    assert storage.save(f"{container}/a.txt", ContentFile(b"two")) == f"{container}/a.txt"
    assert storage.open(f"{container}/a.txt").read() == b"two"
    assert storage.url(f"{container}/a b.txt") == "https://cdn.example.com/a%20b.txt"


def test_django_selectel2_overwrite_typo_works_end_to_end(
    django_selectel2: dict[str, Any], container: str
) -> None:
    with override_settings(SELECTEL_STORAGE={**django_selectel2, "OVERRIDE_FILES": True}):
        storage = ApiStorage()
        storage.save(f"{container}/x.txt", ContentFile(b"1"))
        assert storage.save(f"{container}/x.txt", ContentFile(b"2")) == f"{container}/x.txt"


def test_django_selectel_storage1_schemas_dict_and_dsn(
    target: Swift, transport_name: str, container: str
) -> None:
    user, key = quote(target.v1_user, safe=""), quote(target.v1_key, safe="")
    schemas = {
        "default": {
            "USERNAME": target.v1_user,
            "PASSWORD": target.v1_key,
            "CONTAINER_NAME": container,
            "AUTH_URL": target.auth_v1_url,
        },
        "dsn": f"selectel://{user}:{key}@{container}",
    }
    overrides = {"auth_url": target.auth_v1_url, "transport": transport_name}
    with override_settings(SELECTEL_STORAGES=schemas):
        first = SelectelStorage()
        first.save("one.txt", ContentFile(b"1"))
        second = SelectelStorage("dsn", **overrides)
        assert second.open("one.txt").read() == b"1"
        third = SelectelStorage(dsn=f"selectel://{user}:{key}@{container}", **overrides)
        assert third.exists("one.txt")


def test_django_selectel_storage1_schema_referenced_from_storages_options(
    target: Swift, transport_name: str, container: str
) -> None:
    schemas = {"static": f"selectel://{quote(target.v1_user, safe='')}:{target.v1_key}@{container}"}
    entry = {
        "BACKEND": "django_selectel.storages.SelectelStorage",
        "OPTIONS": {
            "storage": "static",
            "auth_url": target.auth_v1_url,
            "transport": transport_name,
        },
    }
    with override_storages(SELECTEL_STORAGES=schemas, STORAGES={"default": entry}):
        storage = storages["default"]
        assert isinstance(storage, SelectelStorage)
        storage.save("s.css", ContentFile(b"body{}"))
        assert storage.deconstruct()[2] == {"alias": "default"}


def test_django_selectel_storage1_keyword_constructor(
    target: Swift, transport_name: str, container: str
) -> None:
    storage = SelectelStorage(
        username=target.v1_user,
        password=target.v1_key,
        container=container,
        auth_url=target.auth_v1_url,
        transport=transport_name,
    )
    storage.save("k.txt", ContentFile(b"kw"))
    assert storage.open("k.txt").read() == b"kw"
