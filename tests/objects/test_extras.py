"""Bulk operations, TempURLs, FormPost and sendmefile through the client."""

from __future__ import annotations

import hashlib
import io
import tarfile
import time
from typing import Any

import pytest
import urllib3
from selectel_objects import (
    BulkDeleteResult,
    Container,
    InvalidNameError,
    NotFoundError,
    ObjectStorage,
)

from tests.fakeswift.app import FakeSwift
from tests.objects._multipart import FormFile, encode_multipart


def _anonymous(method: str, url: str, **kw: Any) -> urllib3.BaseHTTPResponse:
    return urllib3.request(method, url, retries=False, redirect=False, **kw)


# -- bulk --------------------------------------------------------------------------------------


def test_bulk_delete(fake_swift: FakeSwift, storage: ObjectStorage, container: Container) -> None:
    names = [f"d/{i} ü?" for i in range(5)]
    for name in names:
        container.put_object(name, b"x")
    other = storage.container("empty-one")
    other.create()
    result = storage.bulk_delete(
        [*(("media", n) for n in names), ("media", "missing"), ("empty-one", None)]
    )
    assert isinstance(result, BulkDeleteResult)
    assert result.ok
    assert result.deleted == 6
    assert result.not_found == 1
    assert fake_swift.store.object_names("media") == []
    assert not other.exists()
    assert fake_swift.count(kind="account", method="POST") == 1


def test_delete_objects_reports_failures(storage: ObjectStorage, container: Container) -> None:
    container.put_object("a", b"x")
    full = storage.container("full")
    full.create()
    full.put_object("keep", b"x")
    result = storage.bulk_delete([("media", "a"), ("full", None)])
    assert not result.ok
    assert [e.path for e in result.errors] == ["/full"]
    assert result.errors[0].status == 409
    assert container.delete_objects([]).deleted == 0
    with pytest.raises(InvalidNameError):
        container.delete_objects([""])


def test_extract_archive(fake_swift: FakeSwift, container: Container) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in [("a.txt", b"alpha"), ("dir/b.txt", b"beta")]:
            entry = tarfile.TarInfo(name)
            entry.size = len(data)
            tar.addfile(entry, io.BytesIO(data))
    buffer.seek(0)
    result = container.extract_archive(buffer, archive_format="tar.gz", prefix="up/")
    assert result.ok
    assert result.files_created == 2
    assert container.get_object_bytes("up/dir/b.txt") == b"beta"
    with pytest.raises(ValueError, match="archive_format"):
        container.extract_archive(b"", archive_format="zip")


# -- TempURL, FormPost, sendmefile -------------------------------------------------------------


@pytest.mark.parametrize("digest", ["sha256", "sha512", "sha1"])
def test_temp_url_gives_anonymous_access_until_it_expires(
    fake_swift: FakeSwift, storage: ObjectStorage, container: Container, digest: str
) -> None:
    storage.set_account_metadata(temp_url_key="account-key")
    container.put_object("private/ü.txt", b"secret content")
    url = container.temp_url("private/ü.txt", key="account-key", expires_in=60, digest=digest)
    assert "account-key" not in url
    assert _anonymous("GET", url).data == b"secret content"
    assert _anonymous("GET", container.public_url("private/ü.txt")).status == 401
    expired = container.temp_url(
        "private/ü.txt", key="account-key", expires_at=int(time.time()) - 1
    )
    assert _anonymous("GET", expired).status == 401
    wrong = container.temp_url("private/ü.txt", key="other-key", expires_in=60)
    assert _anonymous("GET", wrong).status == 401


def test_temp_url_for_upload_and_as_attachment(
    storage: ObjectStorage, container: Container
) -> None:
    container.set_metadata(temp_url_key="container-key")
    put_url = container.temp_url("up.bin", key="container-key", expires_in=60, method="PUT")
    assert _anonymous("PUT", put_url, body=b"uploaded").status == 201
    assert container.get_object_bytes("up.bin") == b"uploaded"
    get_url = container.temp_url("up.bin", key="container-key", expires_in=60, filename="a b.bin")
    reply = _anonymous("GET", get_url)
    assert reply.headers["Content-Disposition"].startswith("attachment")
    with pytest.raises(ValueError, match="expires"):
        container.temp_url("x", key="k")
    with pytest.raises(ValueError, match="expires"):
        container.temp_url("x", key="k", expires_in=10, expires_at=10)


def test_form_post_uploads_from_a_browser_form(
    storage: ObjectStorage, container: Container
) -> None:
    storage.set_account_metadata(temp_url_key="form-key")
    form = container.form_post(
        key="form-key", max_file_size=1000, max_file_count=2, prefix="in/", expires_in=60
    )
    body = encode_multipart(
        form.fields, [FormFile("one.txt", b"first"), FormFile("two.txt", b"second")]
    )
    reply = _anonymous(
        "POST",
        form.action,
        body=b"".join(body),
        headers={"Content-Type": body.content_type},
    )
    assert reply.status in (201, 303)
    assert container.get_object_bytes("in/one.txt") == b"first"
    assert container.get_object_bytes("in/two.txt") == b"second"


def test_sendmefile_link(fake_swift: FakeSwift, container: Container) -> None:
    result = container.create_sendmefile_link("drop/inbox", variant="inplace", help_text="Hi")
    assert result.etag == hashlib.md5(b"Hi").hexdigest()
    info = container.head_object("drop/inbox")
    assert info.content_type == "x-storage/sendmefile+inplace"
    reply = _anonymous(
        "PUT", container.public_url("drop/inbox"), body=b"file!", headers={"X-Filename": "f.txt"}
    )
    assert reply.status == 201
    assert container.get_object_bytes("drop/inbox") == b"file!"
    with pytest.raises(NotFoundError):
        container.storage.container("nope").create_sendmefile_link("x")


def test_sendmefile_link_takes_every_option(fake_swift: FakeSwift, container: Container) -> None:
    delete_at = int(fake_swift.clock.time()) + 86_400
    container.create_sendmefile_link(
        "drop/all",
        variant="inplace",
        disable_web=True,
        max_size=100,
        allow_overwrite=True,
        default_expire=7200,
        expire=3600,
        delete_at=delete_at,
        ignore_filename=True,
        password="secret-pass",
    )
    meta = container.head_object("drop/all").metadata
    assert meta["sendmefile-disable-web"] == "yes"
    assert meta["sendmefile-max-size"] == "100"
    assert meta["sendmefile-allow-overwrite"] == "yes"
    assert meta["sendmefile-default-expire"] == "7200"
    assert meta["sendmefile-expire"] == "3600"
    assert meta["sendmefile-delete-at"] == str(delete_at)
    assert meta["sendmefile-ignore-filename"] == "yes"
    assert "secret-pass" not in meta.values()


def test_sendmefile_variant_is_public() -> None:
    import selectel_objects

    assert "SendMeFileVariant" in selectel_objects.__all__
    assert selectel_objects.SendMeFileVariant is not None
