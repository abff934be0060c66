"""The first deploy: storages on a container that has never existed.

A missing container holds nothing: ``exists``/``listdir``/``size``/``get_modified_time``
answer as for an empty one. With ``auto_create_container`` the first save creates it (public
storages with a read ACL, so that their URLs work); without it the save fails naming the
container and the option. Run against a real Swift too (``SWIFT_TARGET=real``).
"""

from __future__ import annotations

import re
import shutil
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.base import ContentFile
from django.core.management import call_command
from django_selectel.storages import SelectelStaticStorage, SelectelStorage

from tests.djangostorage.helpers import Direct, Wire, override_storages

SOURCES = Path(__file__).parent / "static_src"
FILES = ["css/site.css", "img/logo.png", "js/app.js"]
STATIC = "django_selectel.storages.SelectelStaticStorage"
MANIFEST = "django_selectel.storages.ManifestSelectelStaticStorage"


@pytest.fixture
def never_created(options: dict[str, Any], direct: Direct) -> dict[str, Any]:
    """The storage options with a container name that has never existed."""
    name = f"first-{uuid.uuid4().hex[:12]}"
    assert direct.request("HEAD", name).status == 404
    return {**options, "container": name}


def _anonymous_get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return int(reply.status), bytes(reply.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), b""


@pytest.mark.parametrize("cls", [SelectelStorage, SelectelStaticStorage])
def test_a_missing_container_reads_as_empty(cls: type[SelectelStorage], never_created: Any) -> None:
    storage = cls(**never_created)
    assert storage.exists("css/site.css") is False
    assert storage.listdir("") == ([], [])
    assert storage.listdir("css") == ([], [])
    with pytest.raises(FileNotFoundError):
        storage.size("css/site.css")
    with pytest.raises(FileNotFoundError):
        storage.get_modified_time("css/site.css")
    with pytest.raises(FileNotFoundError):
        storage.open("css/site.css")


@pytest.mark.parametrize("cls", [SelectelStorage, SelectelStaticStorage])
def test_without_auto_create_the_first_save_names_the_container_and_the_option(
    cls: type[SelectelStorage], never_created: Any, direct: Direct
) -> None:
    storage = cls(**never_created)
    name = never_created["container"]
    with pytest.raises(
        FileNotFoundError, match=f"{re.escape(repr(name))} does not exist.*auto_create_container"
    ):
        storage.save("a.txt", ContentFile(b"a"))
    assert direct.request("HEAD", name).status == 404


def test_media_first_save_creates_the_container_in_one_more_request(
    never_created: Any, direct: Direct, wire: Wire
) -> None:
    storage = SelectelStorage(**never_created, auto_create_container=True)
    assert storage.save("docs/a.txt", ContentFile(b"first")) == "docs/a.txt"
    # The object PUT (404), the container PUT, the object PUT again.
    assert [(s.kind, s.method) for s in wire.of(method="PUT")] == [
        ("object", "PUT"),
        ("container", "PUT"),
        ("object", "PUT"),
    ]
    before = len(wire.sent)
    storage.save("docs/b.txt", ContentFile(b"second"))
    assert [(s.kind, s.method) for s in wire.sent[before:]] == [("object", "PUT")]
    assert direct.names(never_created["container"]) == ["docs/a.txt", "docs/b.txt"]


@pytest.mark.parametrize("backend", [STATIC, MANIFEST])
def test_first_collectstatic_into_a_container_that_never_existed(
    backend: str, never_created: Any, direct: Direct, tmp_path: Path
) -> None:
    sources = tmp_path / "static_src"
    shutil.copytree(SOURCES, sources)
    static = {**never_created, "location": "static", "auto_create_container": True}
    with override_storages(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
            "staticfiles": {"BACKEND": backend, "OPTIONS": static},
        },
        STATICFILES_DIRS=[str(sources)],
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
        names = direct.names(never_created["container"])
        assert {f"static/{f}" for f in FILES} <= set(names)
        # A static storage is public: the container was created readable by anyone.
        url = staticfiles_storage.url("img/logo.png")  # the manifest rewrites the CSS
        status, body = _anonymous_get(url)
        assert status == 200
        assert body == (SOURCES / "img" / "logo.png").read_bytes()
        # And the second run finds everything in place.
        call_command("collectstatic", interactive=False, verbosity=0)
        assert direct.names(never_created["container"]) == names


def test_first_collectstatic_without_auto_create_says_what_to_do(
    never_created: Any, tmp_path: Path
) -> None:
    static = {**never_created, "location": "static"}
    with (
        override_storages(
            STORAGES={
                "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
                "staticfiles": {"BACKEND": STATIC, "OPTIONS": static},
            },
            STATICFILES_DIRS=[str(SOURCES)],
        ),
        pytest.raises(FileNotFoundError, match="auto_create_container"),
    ):
        call_command("collectstatic", interactive=False, verbosity=0)


def test_a_private_storage_creates_a_private_container(never_created: Any, direct: Direct) -> None:
    storage = SelectelStorage(**never_created, auto_create_container=True, public=False)
    storage.save("secret.txt", ContentFile(b"private"))
    reply = direct.request("HEAD", never_created["container"])
    assert reply.status in (200, 204)
    assert "x-container-read" not in {k.lower() for k in reply.headers}
