"""collectstatic: the second run uploads nothing and costs one listing per 10 000 files.

Requests are counted client side (``wire``) and stored objects read over plain HTTP
(``direct``), so these tests run against a real Swift too.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.base import ContentFile
from django.core.management import call_command
from django_selectel.storages import ManifestSelectelStaticStorage, SelectelStaticStorage

from tests.djangostorage.helpers import Direct, Wire, override_storages
from tests.fakeswift import FakeSwift

SOURCES = Path(__file__).parent / "static_src"
FILES = ["css/site.css", "img/logo.png", "js/app.js"]
STATIC = "django_selectel.storages.SelectelStaticStorage"
MANIFEST = "django_selectel.storages.ManifestSelectelStaticStorage"


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    """A copy of the static sources whose files a test may touch or change."""
    target = tmp_path / "static_src"
    shutil.copytree(SOURCES, target)
    past = time.time() - 3600  # collected files are then newer than their sources
    for path in target.rglob("*"):
        os.utime(path, (past, past))
    return target


def _configure(backend: str, options: dict[str, Any], sources: Path) -> Any:
    static = {**options, "location": "static"}
    return override_storages(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
            "staticfiles": {"BACKEND": backend, "OPTIONS": static},
        },
        STATICFILES_DIRS=[str(sources)],
    )


@pytest.fixture
def static_settings(options: dict[str, Any], sources: Path) -> Iterator[None]:
    with _configure(STATIC, options, sources):
        yield


@pytest.fixture
def manifest_settings(options: dict[str, Any], sources: Path) -> Iterator[None]:
    with _configure(MANIFEST, options, sources):
        yield


def _collect(wire: Wire, **kwargs: Any) -> dict[str, int]:
    """Run collectstatic; the requests it made, by kind and method."""
    before = len(wire.sent)
    call_command("collectstatic", interactive=False, verbosity=0, **kwargs)
    made = wire.sent[before:]
    counts: dict[str, int] = {}
    for record in made:
        key = f"{record.kind} {record.method}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def test_second_collectstatic_only_lists(
    wire: Wire, direct: Direct, static_settings: None, container: str
) -> None:
    first = _collect(wire)
    assert first.get("object PUT") == len(FILES)
    assert direct.names(container) == [f"static/{f}" for f in FILES]
    second = _collect(wire)
    assert second == {"container GET": 1}


def test_touched_but_identical_files_are_not_uploaded_again(
    wire: Wire, static_settings: None, sources: Path
) -> None:
    _collect(wire)
    later = time.time() + 5  # newer than the upload (collectstatic compares whole seconds)
    for name in FILES:
        os.utime(sources / name, (later, later))  # same bytes
    assert _collect(wire) == {"container GET": 1}


def test_a_changed_file_is_uploaded_once_without_a_delete(
    wire: Wire, direct: Direct, static_settings: None, sources: Path, container: str
) -> None:
    _collect(wire)
    (sources / "js/app.js").write_text("console.log('v2');\n")
    later = time.time() + 5  # newer than the upload (collectstatic compares whole seconds)
    os.utime(sources / "js/app.js", (later, later))
    assert _collect(wire) == {"container GET": 1, "object PUT": 1}
    stored = direct.get(container, "static/js/app.js")
    assert stored is not None and stored.data == b"console.log('v2');\n"
    assert stored.content_type.startswith("text/javascript")


def test_collectstatic_clear_removes_stale_files(
    wire: Wire, direct: Direct, static_settings: None, container: str
) -> None:
    _collect(wire)
    direct.put(container, "static/old/stale.css", b"gone soon")
    _collect(wire, clear=True)
    assert direct.names(container) == [f"static/{f}" for f in FILES]
    stored = direct.get(container, "static/css/site.css")
    assert stored is not None and stored.data == (SOURCES / "css/site.css").read_bytes()


def test_manifest_variant_reruns_with_listing_only(
    wire: Wire, direct: Direct, manifest_settings: None, container: str
) -> None:
    first = _collect(wire)
    assert first.get("object PUT", 0) >= 2 * len(FILES)  # originals, hashed copies, manifest
    names = direct.names(container)
    assert "static/staticfiles.json" in names
    assert any(n.startswith("static/css/site.") and n != "static/css/site.css" for n in names)
    second = _collect(wire)
    assert second == {"container GET": 1}


def test_manifest_urls_use_hashed_names_without_requests(
    wire: Wire, direct: Direct, manifest_settings: None, container: str
) -> None:
    _collect(wire)
    storage = ManifestSelectelStaticStorage(alias="staticfiles")  # reads staticfiles.json
    before = wire.count()
    url = storage.url("css/site.css")
    assert wire.count() == before
    hashed = url.rsplit("/", 1)[-1]
    assert hashed.startswith("site.") and hashed.endswith(".css") and hashed != "site.css"
    stored = direct.get(container, f"static/css/{hashed}")
    assert stored is not None and b"logo." in stored.data  # the CSS points at the hashed logo


def test_manifest_hashes_listed_files_from_their_etag(wire: Wire, options: dict[str, Any]) -> None:
    # Django hashes a file a CSS file refers to by reading it back from the storage.
    storage = ManifestSelectelStaticStorage(**options, manifest_storage=None)
    storage.save("img/logo.png", ContentFile(b"\x89PNG fake"))
    assert storage.exists("img/logo.png")  # the listing is loaded
    before = wire.count()
    hashed = storage.hashed_name("img/logo.png")
    assert wire.count() == before
    reference = ManifestSelectelStaticStorage(**options, use_gz=True)  # reads the bytes
    assert reference.hashed_name("img/logo.png") == hashed
    assert wire.count(kind="object", method="GET") >= 1


@pytest.mark.fake_only("puts 10 001 objects in place out of band: minutes on a real Swift")
def test_static_storage_answers_from_one_listing_per_10000_files(
    fake_swift: FakeSwift, options: dict[str, Any], container: str
) -> None:
    for i in range(10_001):
        fake_swift.store.put_object(container, f"static/f/{i:05d}.txt", b"x")
    storage = SelectelStaticStorage(**options, location="static")
    storage.client.credential.get_token()
    before = fake_swift.count()
    for i in range(0, 10_001, 97):
        assert storage.exists(f"f/{i:05d}.txt")
        assert storage.get_modified_time(f"f/{i:05d}.txt").tzinfo is not None
        assert storage.size(f"f/{i:05d}.txt") == 1
    assert not storage.exists("f/99999.txt")
    assert storage.exists("f")  # a folder, for collectstatic --clear
    assert fake_swift.count() - before == 2  # two listing pages, nothing else


def test_a_delete_is_held_back_only_until_the_next_operation(
    direct: Direct, options: dict[str, Any], container: str
) -> None:
    storage = SelectelStaticStorage(**options)
    storage.save("a.txt", ContentFile(b"a"))
    storage.save("b.txt", ContentFile(b"b"))
    assert storage.exists("a.txt")  # loads the listing
    storage.delete("a.txt")
    assert not storage.exists("a.txt")
    assert direct.has(container, "a.txt")  # held back...
    storage.delete("b.txt")  # ...until the next operation
    assert not direct.has(container, "a.txt")
    storage.end_run()
    assert direct.names(container) == []


def test_delete_then_save_of_the_same_bytes_costs_nothing(
    wire: Wire, direct: Direct, options: dict[str, Any], container: str
) -> None:
    storage = SelectelStaticStorage(**options)
    storage.save("same.css", ContentFile(b"body{}"))
    assert storage.exists("same.css")
    before = wire.count()
    storage.delete("same.css")
    storage.save("same.css", ContentFile(b"body{}"))
    assert wire.count() == before
    storage.delete("same.css")
    storage.save("same.css", ContentFile(b"body{color:red}"))
    assert [(r.kind, r.method) for r in wire.sent[before:]] == [("object", "PUT")]  # no DELETE
    stored = direct.get(container, "same.css")
    assert stored is not None and stored.data == b"body{color:red}"


def test_staticfiles_storage_url_is_offline(
    wire: Wire, static_settings: None, container: str
) -> None:
    assert staticfiles_storage.url("css/site.css").endswith(f"/{container}/static/css/site.css")
    assert wire.count() == 0
