"""Every storage method over a socket to a Swift (the fake, or a real one), with exact request
counts. Counts come from ``wire`` (client side), stored bytes from ``direct`` (plain HTTP);
the tests that need the fake's fault switches, clock or Keystone ask for ``fake_swift``."""

from __future__ import annotations

import gzip
import io
import os
import pickle
import time
import urllib.request
from datetime import datetime, timezone
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.core.files.base import ContentFile, File
from django.test.utils import override_settings
from django_selectel.storages import SelectelStorage
from selectel_auth import AccessToken, FileTokenCache, SwiftV1Credential
from selectel_objects import ObjectStorage, ServerError

from tests.djangostorage.helpers import Direct, Swift, Wire, override_storages
from tests.fakeswift import FakeSwift


def _warm(storage: SelectelStorage) -> None:
    """Authenticate now, so that counts below are of object requests only."""
    storage.client.credential.get_token()


class OneShot(io.RawIOBase):
    """A non-seekable binary stream, like a socket or a pipe."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


# --- save ------------------------------------------------------------------------------------


def test_save_and_read_back(options: dict[str, Any]) -> None:
    storage = SelectelStorage(**options)
    name = storage.save("docs/hello.txt", ContentFile(b"Hello, Selectel"))
    assert name == "docs/hello.txt"
    with storage.open(name) as handle:
        assert handle.read() == b"Hello, Selectel"
    assert storage.size(name) == 15


def test_save_is_one_object_request_with_content_type(
    wire: Wire, direct: Direct, options: dict[str, Any], container: str
) -> None:
    storage = SelectelStorage(**options)
    _warm(storage)
    before = wire.count(kind="object")
    storage.save("page.html", ContentFile(b"<p>hi</p>"))
    assert wire.count(kind="object") - before == 1
    put = wire.sent[-1]
    assert (put.method, put.headers.get("If-None-Match")) == ("PUT", "*")
    stored = direct.get(container, "page.html")
    assert stored is not None and stored.content_type == "text/html"


def test_save_reads_from_position_zero(options: dict[str, Any]) -> None:
    content = ContentFile(b"0123456789", name="x.bin")
    content.read(4)  # someone peeked (django-selectel-storage 1.x then lost those bytes)
    storage = SelectelStorage(**options)
    storage.save("x.bin", content)
    with storage.open("x.bin") as handle:
        assert handle.read() == b"0123456789"


def test_text_content_is_utf8_with_the_right_length(
    direct: Direct, options: dict[str, Any], container: str
) -> None:
    storage = SelectelStorage(**options)
    storage.save("greeting.txt", ContentFile("привет"))
    stored = direct.get(container, "greeting.txt")
    assert stored is not None and stored.data == "привет".encode()
    assert storage.size("greeting.txt") == 12
    assert storage.exists("greeting.txt")  # the connection was left in a clean state


def test_bytes_and_non_seekable_streams_are_stored_whole(options: dict[str, Any]) -> None:
    storage = SelectelStorage(**options)
    storage.save("raw.bin", b"\x00\x01\x02")
    storage.save("pipe.bin", File(io.BufferedReader(OneShot(b"x" * 200_000)), name="pipe.bin"))
    assert storage.open("raw.bin").read() == b"\x00\x01\x02"
    assert storage.size("pipe.bin") == 200_000


def test_collision_without_overwrite_picks_a_new_name_without_head(
    wire: Wire, options: dict[str, Any]
) -> None:
    storage = SelectelStorage(**options)
    first = storage.save("a/report.pdf", ContentFile(b"one"))
    before = wire.count(kind="object")
    second = storage.save("a/report.pdf", ContentFile(b"two"))
    assert first == "a/report.pdf"
    assert second != first and second.startswith("a/report_") and second.endswith(".pdf")
    methods = [r.method for r in wire.of(kind="object")][-2:]
    assert methods == ["PUT", "PUT"]  # 412, then the new name; never a HEAD
    assert wire.count(kind="object") - before == 2
    assert storage.open(first).read() == b"one"
    assert storage.open(second).read() == b"two"


def test_collision_names_respect_max_length(options: dict[str, Any]) -> None:
    storage = SelectelStorage(**options)
    storage.save("d/abcdefghij.txt", ContentFile(b"1"), max_length=16)
    other = storage.save("d/abcdefghij.txt", ContentFile(b"2"), max_length=16)
    assert len(other) <= 16 and other.startswith("d/") and other.endswith(".txt")
    assert storage.save("d/abcdefghij.txt", ContentFile(b"3"), max_length=8) == "d/ab.txt"
    with pytest.raises(SuspiciousFileOperation, match="max_length"):
        storage.save("d/abcdefghij.txt", ContentFile(b"4"), max_length=8)  # taken; no room left
    with pytest.raises(SuspiciousFileOperation, match="max_length"):
        storage.save("d/abcdefghij.txt", ContentFile(b"5"), max_length=5)


def test_overwrite_replaces_with_one_put_and_truncates_to_max_length(
    wire: Wire, options: dict[str, Any]
) -> None:
    storage = SelectelStorage(**options, overwrite_files=True)
    storage.save("same.txt", ContentFile(b"old"))
    _warm(storage)
    before = wire.count(kind="object")
    assert storage.save("same.txt", ContentFile(b"new")) == "same.txt"
    assert wire.count(kind="object") - before == 1
    put = wire.sent[-1]
    assert put.method == "PUT" and put.headers.get("If-None-Match") is None
    assert storage.open("same.txt").read() == b"new"
    assert (
        storage.save("folder/long-name.txt", ContentFile(b"x"), max_length=15) == "folder/long.txt"
    )


def test_object_parameters_and_the_override_hook(
    direct: Direct, options: dict[str, Any], container: str
) -> None:
    params = {
        "Cache-Control": "max-age=86400",
        "Content-Disposition": "attachment",
        "X-Delete-After": "3600",
        "X-Object-Meta-Origin": "tests",
    }

    class PerFile(SelectelStorage):
        def get_object_parameters(self, name: str) -> dict[str, str]:
            params = super().get_object_parameters(name)
            if name.endswith(".css"):
                params["Content-Type"] = "text/css; charset=utf-8"
            return params

    storage = PerFile(**options, object_parameters=params)
    storage.save("s/site.css", ContentFile(b"body{}"))
    stored = direct.get(container, "s/site.css")
    assert stored is not None
    assert stored.headers["cache-control"] == "max-age=86400"
    assert stored.headers["content-disposition"] == "attachment"
    assert stored.metadata == {"origin": "tests"}
    assert "x-delete-at" in stored.headers
    assert stored.content_type == "text/css; charset=utf-8"


def test_save_with_metadata_as_django_selectel_storage_offered_it(
    direct: Direct, options: dict[str, Any], container: str
) -> None:
    storage = SelectelStorage(**options, object_parameters={"X-Object-Meta-App": "site"})
    storage.save_with_metadata("m.txt", ContentFile(b"x"), {"Owner": "42"})
    storage.save("plain.txt", ContentFile(b"y"))  # the metadata was for that one call only
    stored = direct.get(container, "m.txt")
    assert stored is not None and stored.metadata == {"app": "site", "owner": "42"}
    plain = direct.get(container, "plain.txt")
    assert plain is not None and plain.metadata == {"app": "site"}


def test_location_prefixes_every_name(
    direct: Direct, options: dict[str, Any], container: str
) -> None:
    storage = SelectelStorage(**options, location="media/v2")
    name = storage.save("img/a.png", ContentFile(b"png"))
    assert name == "img/a.png"
    assert direct.names(container) == ["media/v2/img/a.png"]
    assert storage.listdir("") == (["img"], [])
    assert storage.listdir("img") == ([], ["a.png"])
    assert storage.url(name).endswith(f"/{container}/media/v2/img/a.png")


def test_auto_create_container_creates_it_once(
    wire: Wire, direct: Direct, options: dict[str, Any]
) -> None:
    storage = SelectelStorage(**{**options, "container": "fresh"}, auto_create_container=True)
    storage.save("a.txt", ContentFile(b"a"))
    storage.save("b.txt", ContentFile(b"b"))
    assert direct.names("fresh") == ["a.txt", "b.txt"]
    assert wire.count(kind="container", method="PUT") == 1


# --- open ------------------------------------------------------------------------------------


def test_open_streams_one_get_and_reads_partially(
    wire: Wire, direct: Direct, options: dict[str, Any], container: str
) -> None:
    direct.put(container, "big.bin", b"a" * 3_000_000)
    storage = SelectelStorage(**options)
    _warm(storage)
    before = wire.count(kind="object")
    with storage.open("big.bin") as handle:
        assert handle.read(10) == b"a" * 10
        assert handle.size == 3_000_000
    assert wire.count(kind="object") - before == 1


def test_open_text_mode_returns_str(options: dict[str, Any]) -> None:
    storage = SelectelStorage(**options)
    storage.save("poem.txt", ContentFile("строка один\nline two\n".encode()))
    with storage.open("poem.txt", "r") as handle:
        assert handle.readline() == "строка один\n"
        assert handle.read() == "line two\n"


def test_seeking_backwards_reopens_at_the_offset(
    wire: Wire, direct: Direct, options: dict[str, Any], container: str
) -> None:
    direct.put(container, "digits", b"0123456789" * 100_000)
    storage = SelectelStorage(**options)
    with storage.open("digits") as handle:
        handle.seek(500_000)
        assert handle.read(3) == b"012"
        handle.seek(5)
        assert handle.read(3) == b"567"
        assert handle.tell() == 8
    ranges = [r.headers.get("Range") for r in wire.of(kind="object", method="GET")]
    assert ranges[-2:] == ["bytes=500000-", "bytes=5-"]


@pytest.mark.parametrize(("mode", "data"), [("wb", b"binary \x00 data"), ("w", "текст")])
def test_write_modes_upload_to_the_same_name_on_close(
    options: dict[str, Any], mode: str, data: Any
) -> None:
    storage = SelectelStorage(**options)
    storage.save("notes/file.txt", ContentFile(b"original"))
    with storage.open("notes/file.txt", mode) as handle:
        handle.write(data)
    expected = data if isinstance(data, bytes) else data.encode()
    assert storage.open("notes/file.txt").read() == expected
    assert storage.listdir("notes") == ([], ["file.txt"])


def test_open_refuses_unknown_modes_and_missing_files(options: dict[str, Any]) -> None:
    storage = SelectelStorage(**options)
    with pytest.raises(ValueError, match="mode"):
        storage.open("x.txt", "a")
    with pytest.raises(FileNotFoundError):
        storage.open("missing.txt")


def test_a_closed_file_reopens_from_the_storage_not_from_disk(
    options: dict[str, Any], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "same.txt").write_bytes(b"LOCAL DISK")
    monkeypatch.chdir(tmp_path)
    storage = SelectelStorage(**options)
    storage.save("same.txt", ContentFile(b"remote"))
    handle = storage.open("same.txt")
    handle.close()
    with handle.open() as again:
        assert again.read() == b"remote"


# --- metadata --------------------------------------------------------------------------------


def test_exists_is_one_head(wire: Wire, options: dict[str, Any]) -> None:
    storage = SelectelStorage(**options)
    storage.save("here.txt", ContentFile(b"x"))
    before = wire.count()
    assert storage.exists("here.txt")
    assert not storage.exists("there.txt")
    assert storage.exists("")  # the root always exists
    assert wire.count() - before == 2
    assert [(r.kind, r.method) for r in wire.sent[-2:]] == [("object", "HEAD")] * 2


def test_exists_raises_on_server_errors_instead_of_saying_false(
    fake_swift: FakeSwift, options: dict[str, Any]
) -> None:
    storage = SelectelStorage(**options, retries=0)
    _warm(storage)
    fake_swift.fail_next(503, method="HEAD")
    with pytest.raises(ServerError):
        storage.exists("x.txt")


def test_size_and_times(options: dict[str, Any]) -> None:
    storage = SelectelStorage(**options)
    storage.save("t.txt", ContentFile(b"12345"))
    assert storage.size("t.txt") == 5
    modified = storage.get_modified_time("t.txt")
    assert modified.tzinfo is not None
    assert abs((datetime.now(timezone.utc) - modified).total_seconds()) < 60
    assert storage.get_created_time("t.txt") == modified
    with pytest.raises(NotImplementedError):
        storage.get_accessed_time("t.txt")
    with pytest.raises(NotImplementedError):
        storage.path("t.txt")
    with pytest.raises(FileNotFoundError):
        storage.size("nope.txt")
    with pytest.raises(FileNotFoundError):
        storage.get_modified_time("nope.txt")


def test_times_are_naive_local_without_use_tz(options: dict[str, Any]) -> None:
    storage = SelectelStorage(**options)
    storage.save("t.txt", ContentFile(b"1"))
    with override_settings(USE_TZ=False):
        modified = storage.get_modified_time("t.txt")
    assert modified.tzinfo is None
    assert abs((datetime.now() - modified).total_seconds()) < 60


def test_delete_tolerates_absence(direct: Direct, options: dict[str, Any], container: str) -> None:
    storage = SelectelStorage(**options)
    storage.save("gone.txt", ContentFile(b"x"))
    storage.delete("gone.txt")
    assert not direct.has(container, "gone.txt")
    assert not storage.exists("gone.txt")
    storage.delete("gone.txt")  # already absent: fine
    storage.delete("never-there.txt")


def test_delete_raises_other_errors(fake_swift: FakeSwift, options: dict[str, Any]) -> None:
    storage = SelectelStorage(**options, retries=0)
    storage.save("gone.txt", ContentFile(b"x"))
    fake_swift.fail_next(500, method="DELETE")
    with pytest.raises(ServerError):
        storage.delete("gone.txt")
    assert storage.exists("gone.txt")  # a failed delete is never reported as done
    storage.delete("gone.txt")
    fake_swift.fail_next(503, method="HEAD")
    with pytest.raises(ServerError):
        storage.delete("gone.txt")


def test_listdir_has_exact_prefix_semantics(
    direct: Direct, options: dict[str, Any], container: str
) -> None:
    for name in ("d/one.txt", "d/sub/two.txt", "dd/three.txt", "top.txt", "d/"):
        direct.put(container, name, b"x")
    storage = SelectelStorage(**options)
    assert storage.listdir("d") == (["sub"], ["one.txt"])
    assert storage.listdir("d/") == (["sub"], ["one.txt"])
    assert storage.listdir("") == (["d", "dd"], ["top.txt"])
    assert storage.listdir("nothing") == ([], [])


@pytest.mark.fake_only("puts 10 001 objects in place out of band: minutes on a real Swift")
def test_listdir_reads_every_page(
    fake_swift: FakeSwift, options: dict[str, Any], container: str
) -> None:
    for i in range(10_001):
        fake_swift.store.put_object(container, f"many/{i:05d}", b"")
    storage = SelectelStorage(**options)
    _warm(storage)
    before = fake_swift.count(kind="container", method="GET")
    dirs, files = storage.listdir("many")
    assert (dirs, len(files), files[-1]) == ([], 10_001, "10000")
    assert fake_swift.count(kind="container", method="GET") - before == 2


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["../escape.txt", "a/../../b", "/etc/passwd", "nul\x00.txt", "ctl\x1b.txt", "x" * 1100],
)
def test_hostile_names_fail_before_any_request(
    wire: Wire, options: dict[str, Any], name: str
) -> None:
    storage = SelectelStorage(**options)
    before = wire.count()
    for call in (
        lambda: storage.save(name, ContentFile(b"x")),
        lambda: storage.open(name),
        lambda: storage.exists(name),
        lambda: storage.delete(name),
        lambda: storage.size(name),
        lambda: storage.url(name),
    ):
        with pytest.raises(SuspiciousFileOperation):
            call()
    assert wire.count() == before


def test_odd_but_legal_names_round_trip(options: dict[str, Any]) -> None:
    storage = SelectelStorage(**options, overwrite_files=True)
    for name in ("sp ace/#hash?.txt", "юникод/файл.txt", "per%cent.txt", "a+b=c&d.txt"):
        storage.save(name, ContentFile(name.encode()))
        assert storage.open(name).read() == name.encode()
        assert storage.exists(name)


# --- URLs ------------------------------------------------------------------------------------


def test_public_url_makes_no_request_and_encodes_names(
    wire: Wire, target: Swift, options: dict[str, Any], container: str
) -> None:
    storage = SelectelStorage(**options)
    storage.save("a dir/ü?.txt", ContentFile(b"public"))
    before = wire.count()
    url = storage.url("a dir/ü?.txt")
    assert wire.count() == before
    assert url == f"{target.storage_url()}/{container}/a%20dir/%C3%BC%3F.txt"


def test_url_of_a_public_container_downloads_anonymously(
    options: dict[str, Any], container: str
) -> None:
    storage = SelectelStorage(**options)
    storage.client.container(container).set_metadata(read_acl=".r:*")
    storage.save("pub.txt", ContentFile(b"for everyone"))
    with urllib.request.urlopen(storage.url("pub.txt")) as reply:
        assert reply.read() == b"for everyone"


def test_custom_domain_and_domains(options: dict[str, Any], container: str) -> None:
    storage = SelectelStorage(**options, custom_domain="cdn.example.com", location="m")
    assert storage.url("a b.png") == "https://cdn.example.com/m/a%20b.png"
    mapped = SelectelStorage(**options, domains={container: "http://files.example.com/"})
    assert mapped.url("x.txt") == "http://files.example.com/x.txt"


def test_url_without_a_known_storage_url_explains_what_to_set(
    wire: Wire, target: Swift, options: dict[str, Any]
) -> None:
    expected = f"{target.storage_url()}/{options['container']}/x.txt"
    options = {k: v for k, v in options.items() if k != "storage_url"}
    storage = SelectelStorage(**options)
    with pytest.raises(ImproperlyConfigured, match="storage_url"):
        storage.url("x.txt")
    assert wire.count() == 0
    storage.exists("x.txt")  # any request reveals the storage URL
    before = wire.count()
    assert storage.url("x.txt") == expected
    assert wire.count() == before


def test_private_urls_are_signed_and_work(wire: Wire, options: dict[str, Any]) -> None:
    storage = SelectelStorage(**options, public=False, temp_url_key="tuk", url_expires=120)
    storage.client.set_account_metadata(temp_url_key="tuk")
    storage.save("secret.txt", ContentFile(b"private"))
    before = wire.count()
    url = storage.url("secret.txt")
    assert wire.count() == before
    assert "temp_url_sig=" in url and "temp_url_expires=" in url
    with urllib.request.urlopen(url) as reply:
        assert reply.read() == b"private"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(storage.url("secret.txt").replace("secret.txt", "other.txt"))
    assert refused.value.code == 401


def _open_url(url: str, method: str = "GET", data: bytes | None = None) -> tuple[int, Any, bytes]:
    request = urllib.request.Request(url, method=method, data=data)
    try:
        with urllib.request.urlopen(request) as reply:
            return reply.status, reply.headers, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, b""


@pytest.fixture
def private(options: dict[str, Any]) -> SelectelStorage:
    storage = SelectelStorage(**options, public=False, temp_url_key="tuk")
    storage.client.set_account_metadata(temp_url_key="tuk")
    storage.save("docs/report.pdf", ContentFile(b"%PDF-1.4 report"))
    return storage


def test_private_url_opens_inline_by_default(wire: Wire, private: SelectelStorage) -> None:
    before = wire.count()
    url = private.url("docs/report.pdf")
    assert wire.count() == before
    status, headers, body = _open_url(url)
    assert (status, body) == (200, b"%PDF-1.4 report")
    assert headers["Content-Disposition"].startswith("inline")


def test_private_url_as_an_attachment_with_a_filename(private: SelectelStorage) -> None:
    url = private.url("docs/report.pdf", inline=False, filename="Q1 report.pdf")
    status, headers, _ = _open_url(url)
    assert status == 200
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "Q1%20report.pdf" in disposition
    _, plain, _ = _open_url(private.url("docs/report.pdf", inline=False))
    assert plain["Content-Disposition"].startswith("attachment")
    assert "report.pdf" in plain["Content-Disposition"]


def test_url_inline_option_is_the_default(options: dict[str, Any]) -> None:
    storage = SelectelStorage(**options, public=False, temp_url_key="tuk", url_inline=False)
    storage.client.set_account_metadata(temp_url_key="tuk")
    storage.save("a.png", ContentFile(b"png"))
    _, headers, _ = _open_url(storage.url("a.png"))
    assert headers["Content-Disposition"].startswith("attachment")
    _, headers, _ = _open_url(storage.url("a.png", inline=True))
    assert headers["Content-Disposition"].startswith("inline")


def test_private_url_per_call_expiry(private: SelectelStorage) -> None:
    now = int(time.time())
    url = private.url("docs/report.pdf", expire=30)
    expires = int(url.split("temp_url_expires=")[1].split("&")[0])
    assert now + 29 <= expires <= now + 32
    assert _open_url(url)[0] == 200
    default = private.url("docs/report.pdf")
    assert int(default.split("temp_url_expires=")[1].split("&")[0]) >= now + 3599
    with pytest.raises(ValueError, match="expires_in"):
        private.url("docs/report.pdf", expire=0)


def test_private_url_for_another_method(private: SelectelStorage) -> None:
    put = private.url("uploads/new.txt", method="PUT")
    assert _open_url(put, "PUT", b"from the browser")[0] == 201
    assert private.open("uploads/new.txt").read() == b"from the browser"
    assert _open_url(put)[0] == 401  # signed for PUT only
    head = private.url("uploads/new.txt", method="HEAD")
    assert _open_url(head, "HEAD")[0] == 200
    with pytest.raises(ValueError, match="method"):
        private.url("x.txt", method="PATCH")


def test_public_url_options_sign_when_there_is_a_key(wire: Wire, options: dict[str, Any]) -> None:
    storage = SelectelStorage(**options, temp_url_key="tuk")
    storage.client.set_account_metadata(temp_url_key="tuk")
    storage.save("f.txt", ContentFile(b"file"))
    before = wire.count()
    assert "temp_url_sig" not in storage.url("f.txt")
    signed = storage.url("f.txt", filename="download.txt")
    assert wire.count() == before
    status, headers, body = _open_url(signed)
    assert (status, body) == (200, b"file")
    assert "download.txt" in headers["Content-Disposition"]
    keyless = SelectelStorage(**options)
    with pytest.raises(ValueError, match="temp_url_key"):
        keyless.url("f.txt", expire=60)


def test_private_storage_without_a_key_refuses_to_build_urls(options: dict[str, Any]) -> None:
    storage = SelectelStorage(**options, public=False)
    with pytest.raises(ImproperlyConfigured, match="temp_url_key"):
        storage.url("x.txt")


# --- gzip ------------------------------------------------------------------------------------


def test_gzip_stores_encoded_and_reads_back_plain(
    direct: Direct, options: dict[str, Any], container: str
) -> None:
    storage = SelectelStorage(**options, use_gz=True)
    payload = b"compressible " * 50_000
    storage.save("log.txt", ContentFile(payload))
    stored = direct.get(container, "log.txt")
    assert stored is not None
    assert stored.headers["content-encoding"] == "gzip"
    assert gzip.decompress(stored.data) == payload
    assert len(stored.data) < len(payload) // 10
    assert storage.size("log.txt") == len(payload)  # what open().read() returns
    with storage.open("log.txt") as handle:
        assert handle.size == len(payload)
        assert handle.read() == payload
    with storage.open("log.txt", "r") as handle:
        assert handle.read(12) == "compressible"


def test_gzip_text_content(options: dict[str, Any]) -> None:
    storage = SelectelStorage(**options, use_gz=True)
    storage.save("t.txt", ContentFile("ёлка " * 1000))
    assert storage.open("t.txt").read() == ("ёлка " * 1000).encode()


@pytest.mark.parametrize(
    ("name", "compressed"),
    [
        ("site.css", True),
        ("app.js", True),
        ("data.json", True),
        ("icon.svg", True),
        ("page.html", True),
        ("notes.txt", True),
        ("photo.png", False),
        ("archive.zip", False),
        ("blob.bin", False),
    ],
)
def test_gzip_only_compresses_the_configured_content_types(
    direct: Direct, options: dict[str, Any], container: str, name: str, compressed: bool
) -> None:
    storage = SelectelStorage(**options, use_gz=True)
    payload = b"the same line again\n" * 500  # would shrink whatever its type
    storage.save(name, ContentFile(payload))
    stored = direct.get(container, name)
    assert stored is not None
    assert ("content-encoding" in stored.headers) is compressed
    assert (gzip.decompress(stored.data) if compressed else stored.data) == payload
    assert storage.open(name).read() == payload
    assert storage.size(name) == len(payload)


def test_gzip_content_types_option_replaces_the_default(
    direct: Direct, options: dict[str, Any], container: str
) -> None:
    storage = SelectelStorage(
        **options, use_gz=True, gzip_content_types=["application/octet-stream"]
    )
    payload = b"\0" * 10_000
    storage.save("blob.bin", ContentFile(payload))
    storage.save("site.css", ContentFile(payload))
    blob, css = direct.get(container, "blob.bin"), direct.get(container, "site.css")
    assert blob is not None and blob.headers["content-encoding"] == "gzip"
    assert css is not None and "content-encoding" not in css.headers


def test_gzip_keeps_the_original_when_compressing_does_not_shrink_it(
    direct: Direct, options: dict[str, Any], container: str
) -> None:
    storage = SelectelStorage(**options, use_gz=True)
    payload = os.urandom(4096)  # random bytes: the gzip would be larger
    storage.save("noise.txt", ContentFile(payload))
    stored = direct.get(container, "noise.txt")
    assert stored is not None
    assert "content-encoding" not in stored.headers
    assert "uncompressed-size" not in stored.metadata
    assert stored.data == payload
    assert storage.size("noise.txt") == len(payload)


def test_gzip_content_types_must_be_a_list_of_types(options: dict[str, Any]) -> None:
    with pytest.raises(ImproperlyConfigured, match="gzip_content_types"):
        SelectelStorage(**options, gzip_content_types="text/css")
    with pytest.raises(ImproperlyConfigured, match="'css' is not a content type"):
        SelectelStorage(**options, gzip_content_types=["css"])


# --- credentials and transports ---------------------------------------------------------------


def test_keystone_v3_credentials(swift: Swift, transport_name: str) -> None:
    v3 = swift.v3
    storage = SelectelStorage(
        username=v3.name,
        password=v3.password,
        account_id=v3.account_id,
        project_id=v3.project_id,
        region=v3.region,
        auth_url=swift.auth_v3_url,
        container="v3box",
        auto_create_container=True,
        transport=transport_name,
    )
    storage.save("k.txt", ContentFile(b"keystone"))
    # Read back past the storage: in the project's account, /v1/<project id>.
    token = swift.v3_credential().get_token()
    url = f"{swift.storage_url(v3.project_id)}/v3box/k.txt"
    request = urllib.request.Request(url, headers={"X-Auth-Token": token.token})
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert reply.read() == b"keystone"


def test_keystone_interface_picks_the_catalog_endpoint(swift: Swift, transport_name: str) -> None:
    v3 = swift.v3
    common: dict[str, Any] = {
        "username": v3.name,
        "password": v3.password,
        "account_id": v3.account_id,
        "project_id": v3.project_id,
        "region": v3.region,
        "auth_url": swift.auth_v3_url,
        "container": "v3box",
        "auto_create_container": True,
        "transport": transport_name,
    }
    admin = SelectelStorage(**common, interface="admin")
    admin.save("k.txt", ContentFile(b"via admin"))
    assert admin.client.known_storage_url == swift.storage_url(
        v3.project_id, region=v3.region, interface="admin"
    )
    public = SelectelStorage(**common)
    assert public.exists("k.txt")
    assert public.client.known_storage_url == swift.storage_url(v3.project_id)
    with pytest.raises(ImproperlyConfigured, match="interface"):
        SelectelStorage(**common, interface="private")


def test_static_token(
    wire: Wire, direct: Direct, target: Swift, transport_name: str, container: str
) -> None:
    with ObjectStorage(target.v1_credential()) as admin:
        token = admin.credential.get_token()
    storage = SelectelStorage(
        token=token.token,
        storage_url=token.storage_url,
        container=container,
        transport=transport_name,
    )
    storage.save("s.txt", ContentFile(b"static"))
    assert wire.count(kind="auth") == 0
    assert wire.count() == 1
    stored = direct.get(container, "s.txt")
    assert stored is not None and stored.data == b"static"


def test_storages_with_one_configuration_share_one_client_and_token(
    wire: Wire, options: dict[str, Any]
) -> None:
    first, second = SelectelStorage(**options), SelectelStorage(**options, location="other")
    assert first.client is second.client
    first.exists("a")
    second.exists("b")
    assert wire.count(kind="auth") == 1


def test_retries_option(fake_swift: FakeSwift, options: dict[str, Any]) -> None:
    patient = SelectelStorage(**options, retries=2, retry_backoff=0)
    _warm(patient)
    fake_swift.fail_next(503, times=2, method="HEAD")
    assert not patient.exists("x")
    hasty = SelectelStorage(**options, retries=0, timeout=2)
    _warm(hasty)
    fake_swift.fail_next(503, method="HEAD")
    with pytest.raises(ServerError):
        hasty.exists("x")


def test_token_cache_is_shared_between_clients(
    wire: Wire, options: dict[str, Any], tmp_path: Any
) -> None:
    cache = str(tmp_path / "tokens")
    first = SelectelStorage(**options, token_cache=cache)
    first.exists("a")
    other_transport = "requests" if options["transport"] == "urllib3" else "urllib3"
    second = SelectelStorage(**{**options, "transport": other_transport}, token_cache=cache)
    second.exists("a")
    assert first.client is not second.client
    assert wire.count(kind="auth") == 1
    assert wire.count(kind="object", method="HEAD") == 2


def test_tls_with_a_ca_bundle(
    fake_swift_tls: FakeSwift, transport_name: str, tmp_path: Any
) -> None:
    storage = SelectelStorage(
        user=fake_swift_tls.v1_user,
        key=fake_swift_tls.v1_key,
        auth_url=fake_swift_tls.auth_v1_url,
        container="tls",
        auto_create_container=True,
        transport=transport_name,
        ca_bundle=fake_swift_tls.ca_path,
    )
    storage.save("t.txt", ContentFile(b"over tls"))
    assert storage.open("t.txt").read() == b"over tls"


def test_missing_credentials_fail_at_first_use_not_at_import(options: dict[str, Any]) -> None:
    storage = SelectelStorage(container=options["container"])
    with pytest.raises(ImproperlyConfigured, match="no credentials"):
        storage.exists("x")


def test_pickle_never_carries_the_token(options: dict[str, Any]) -> None:
    entry = {"BACKEND": "django_selectel.storages.SelectelStorage", "OPTIONS": options}
    with override_storages(STORAGES={"default": entry}):
        from django.core.files.storage import storages

        storage = storages["default"]
        assert isinstance(storage, SelectelStorage)
        storage.save("p.txt", ContentFile(b"x"))
        token = storage.client.credential.get_token().token
        blob = pickle.dumps(storage)
        assert token.encode() not in blob
        assert options["key"].encode() not in blob
        clone = pickle.loads(blob)
        assert clone.open("p.txt").read() == b"x"


def test_a_save_into_a_missing_container_names_it_and_the_option(options: dict[str, Any]) -> None:
    storage = SelectelStorage(**{**options, "container": "no-such-container"})
    with pytest.raises(FileNotFoundError, match=r"'no-such-container'.*auto_create_container"):
        storage.save("x.txt", ContentFile(b"x"))


# --- large files -------------------------------------------------------------------------------


def test_large_files_go_in_segments_and_delete_with_them(
    direct: Direct, options: dict[str, Any], container: str
) -> None:
    storage = SelectelStorage(**options, large_file_threshold=1000, segment_size=400)
    payload = bytes(range(256)) * 10
    name = storage.save("big/blob.bin", ContentFile(payload))
    stored = direct.get(container, "big/blob.bin")
    assert stored is not None and stored.is_slo and stored.data == payload
    assert len(direct.names(f"{container}_segments")) == 7
    assert storage.size(name) == len(payload)
    with storage.open(name) as handle:
        assert handle.read() == payload
    storage.delete(name)
    assert not storage.exists(name)
    assert direct.names(f"{container}_segments") == []


def test_large_gzip_files_keep_their_encoding(
    direct: Direct, options: dict[str, Any], container: str
) -> None:
    storage = SelectelStorage(**options, use_gz=True, large_file_threshold=100, segment_size=64)
    payload = "".join(f"{i * 7919 % 65521:x}," for i in range(120)).encode()
    storage.save("big.txt", ContentFile(payload))  # still over 100 bytes once compressed
    stored = direct.get(container, "big.txt")
    assert stored is not None and stored.is_slo
    assert stored.headers["content-encoding"] == "gzip"
    assert gzip.decompress(stored.data) == payload
    assert storage.open("big.txt").read() == payload
    assert storage.size("big.txt") == len(payload)


def test_large_create_only_saves_are_atomic_and_carry_every_header(
    wire: Wire, direct: Direct, options: dict[str, Any], container: str
) -> None:
    storage = SelectelStorage(
        **options,
        large_file_threshold=1000,
        segment_size=600,
        overwrite_files=False,
        object_parameters={"X-Delete-After": "3600", "X-Custom": "yes"},
    )
    payload = bytes(range(256)) * 5
    first = storage.save("big.bin", ContentFile(payload))
    second = storage.save("big.bin", ContentFile(payload))
    assert first == "big.bin" and second != first
    # No HEAD before uploading and no POST after: the manifest PUT carries everything.
    assert wire.count(method="HEAD") == 0
    assert wire.count(kind="object", method="POST") == 0
    stored = direct.get(container, second)
    assert stored is not None and stored.is_slo and stored.data == payload
    assert "x-delete-at" in stored.headers
    # 3 segments per upload; those of the refused attempt are gone: 2 uploads' worth remain.
    assert len(direct.names(f"{container}_segments")) == 6


def test_overwriting_a_large_file_drops_the_old_segments(
    direct: Direct, options: dict[str, Any], container: str
) -> None:
    storage = SelectelStorage(
        **options, large_file_threshold=1000, segment_size=600, overwrite_files=True
    )
    storage.save("big.bin", ContentFile(bytes(range(256)) * 5))
    storage.save("big.bin", ContentFile(bytes(range(255, -1, -1)) * 5))
    assert len(direct.names(f"{container}_segments")) == 3
    assert storage.open("big.bin").read() == bytes(range(255, -1, -1)) * 5


# --- resilience (the storage inherits it from selectel-objects and selectel-auth) -------------


def test_a_token_the_server_refuses_costs_one_reauthentication(
    wire: Wire, direct: Direct, options: dict[str, Any], container: str, tmp_path: Any
) -> None:
    # The shared token cache holds a token Swift no longer accepts (it expired early, its
    # auth store was reset): one 401, one new token, the upload sent again.
    cache = str(tmp_path / "tokens")
    same = SwiftV1Credential(
        user=options["user"],
        key=options["key"],
        auth_url=options["auth_url"],
        storage_url=options["storage_url"],
    )
    stale = AccessToken("AUTH_tk" + "0" * 32, options["storage_url"], time.time() + 3600)
    FileTokenCache(cache).save(same.cache_key, stale)
    storage = SelectelStorage(**options, token_cache=cache)
    storage.save("t.txt", ContentFile(b"x"))
    sent = [(r.kind, r.method) for r in wire.sent]
    assert sent == [("object", "PUT"), ("auth", "GET"), ("object", "PUT")]
    stored = direct.get(container, "t.txt")
    assert stored is not None and stored.data == b"x"


def test_threads_share_one_token(wire: Wire, options: dict[str, Any]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    storage = SelectelStorage(**options)
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda i: storage.exists(f"n{i}"), range(16)))
    assert results == [False] * 16
    assert wire.count(kind="auth") == 1
    assert wire.count(kind="object", method="HEAD") == 16


def test_an_upload_cut_off_is_resent_whole(
    fake_swift: FakeSwift, options: dict[str, Any], container: str
) -> None:
    storage = SelectelStorage(**options, retry_backoff=0)
    payload = b"0123456789" * 50_000
    fake_swift.reset_next("during_upload", method="PUT", kind="object", after_bytes=100_000)
    storage.save("cut.bin", ContentFile(payload))
    stored = fake_swift.store.get_object(container, "cut.bin")
    assert stored is not None and stored.data == payload


def test_a_download_cut_off_resumes_where_it_stopped(
    fake_swift: FakeSwift, options: dict[str, Any], container: str
) -> None:
    payload = bytes(range(256)) * 4000
    fake_swift.store.put_object(container, "long.bin", payload)
    storage = SelectelStorage(**options, retry_backoff=0)
    fake_swift.reset_next("mid_body", method="GET", kind="object", after_bytes=300_000)
    with storage.open("long.bin") as handle:
        assert handle.read() == payload
