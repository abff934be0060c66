"""Middleware of the fake: /info, bulk delete, archive extraction, SLO, DLO, TempURL, FormPost,
and Selectel's sendmefile."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import tarfile
import time
from urllib.parse import quote, urlencode, urlsplit

import pytest
import urllib3

from tests.fakeswift import FakeSwift
from tests.fakeswift.conftest import Client


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def test_info_needs_no_auth(fake_swift: FakeSwift) -> None:
    reply = urllib3.request("GET", fake_swift.info_url)
    assert reply.status == 200
    info = json.loads(reply.data)
    assert set(info) == {
        "swift",
        "symlink",
        "tempauth",
        "tempurl",
        "formpost",
        "slo",
        "container_quotas",
        "bulk_delete",
        "bulk_upload",
    }
    assert info["symlink"] == {"symloop_max": 2, "static_links": True}
    assert info["swift"]["container_listing_limit"] == 10000
    assert info["swift"]["max_object_name_length"] == 1024
    assert info["tempurl"]["allowed_digests"] == ["sha1", "sha256", "sha512"]
    assert info["slo"]["max_manifest_segments"] == 1000
    assert info["bulk_delete"]["max_deletes_per_request"] == 10000


# -- bulk delete ----------------------------------------------------------------------------------


def test_bulk_delete(fake_swift: FakeSwift, client: Client) -> None:
    fake_swift.store.put_object("c", "a b", b"1")
    fake_swift.store.put_object("c", "ü", b"2")
    fake_swift.store.put_object("full", "x", b"3")
    fake_swift.store.create_container("empty")
    body = "\n".join([quote("/c/a b"), quote("/c/ü"), "/c/missing", "/empty", "/full", ""]).encode()
    reply = client.request(
        "POST",
        "?bulk-delete",
        body=body,
        headers={"Content-Type": "text/plain", "Accept": "application/json"},
    )
    assert reply.status == 200
    result = json.loads(reply.data)
    assert result["Number Deleted"] == 3
    assert result["Number Not Found"] == 1
    assert result["Response Status"] == "400 Bad Request"
    assert result["Errors"] == [["/full", "409 Conflict"]]
    assert fake_swift.store.object_names("c") == []
    assert not fake_swift.store.has_container("empty")
    plain = client.request("DELETE", "?bulk-delete", body=b"/c/gone\n")
    assert plain.status == 200
    assert b"Number Not Found: 1" in plain.data
    assert b"Response Status: 200 OK" in plain.data


# -- archive extraction --------------------------------------------------------------------------


def _tar(files: dict[str, bytes], mode: str = "w") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:  # type: ignore[call-overload]
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.parametrize(("fmt", "mode"), [("tar", "w"), ("tar.gz", "w:gz"), ("tar.bz2", "w:bz2")])
def test_extract_archive(fake_swift: FakeSwift, client: Client, fmt: str, mode: str) -> None:
    client.request("PUT", "dest")
    archive = _tar({"a.txt": b"A", "dir/b.txt": b"BB"}, mode)
    reply = client.request(
        "PUT",
        f"dest/pre?extract-archive={fmt}",
        body=archive,
        headers={"Accept": "application/json"},
    )
    assert reply.status == 200
    result = json.loads(reply.data)
    assert result["Number Files Created"] == 2
    assert result["Response Status"] == "201 Created"
    assert fake_swift.store.object_names("dest") == ["pre/a.txt", "pre/dir/b.txt"]
    assert client.request("GET", "dest/pre/dir/b.txt").data == b"BB"


def test_extract_archive_to_account_and_bad_archive(fake_swift: FakeSwift, client: Client) -> None:
    archive = _tar({"top.txt": b"ignored", "newcont/x": b"X"})
    reply = client.request(
        "PUT", "?extract-archive=tar", body=archive, headers={"Accept": "application/json"}
    )
    assert json.loads(reply.data)["Number Files Created"] == 1
    assert fake_swift.store.object_names("newcont") == ["x"]
    bad = client.request(
        "PUT", "?extract-archive=tar.gz", body=b"not a tar", headers={"Accept": "application/json"}
    )
    assert bad.status == 200
    assert json.loads(bad.data)["Response Status"] == "400 Bad Request"


# -- SLO / DLO ------------------------------------------------------------------------------------


@pytest.fixture
def segments(fake_swift: FakeSwift, client: Client) -> list[bytes]:
    client.request("PUT", "c")
    client.request("PUT", "c_segments")
    parts = [b"a" * 10, b"b" * 7, b"c" * 3]
    for i, part in enumerate(parts):
        assert client.put(f"c_segments/big/{i:08d}", part).status == 201
    return parts


def _manifest(parts: list[bytes]) -> list[dict[str, object]]:
    return [
        {"path": f"/c_segments/big/{i:08d}", "etag": md5(p), "size_bytes": len(p)}
        for i, p in enumerate(parts)
    ]


def test_slo_put_get_manifest_delete(
    fake_swift: FakeSwift, client: Client, segments: list[bytes]
) -> None:
    manifest = json.dumps(_manifest(segments))
    slo_etag = md5("".join(md5(p) for p in segments).encode())
    put = client.request(
        "PUT",
        "c/big?multipart-manifest=put",
        body=manifest,
        headers={"X-Object-Meta-Kind": "large", "Content-Type": "application/x-big"},
    )
    assert put.status == 201, put.data
    assert put.headers["ETag"] == f'"{slo_etag}"'
    got = client.request("GET", "c/big")
    assert got.data == b"".join(segments)
    assert got.headers["ETag"] == f'"{slo_etag}"'
    assert got.headers["X-Static-Large-Object"] == "True"
    assert got.headers["Content-Length"] == "20"
    assert got.headers["X-Object-Meta-Kind"] == "large"
    head = client.request("HEAD", "c/big")
    assert head.headers["Content-Length"] == "20"
    ranged = client.request("GET", "c/big", headers={"Range": "bytes=8-11"})
    assert ranged.status == 206
    assert ranged.data == b"aabb"
    stored = json.loads(client.request("GET", "c/big?multipart-manifest=get").data)
    assert [s["name"] for s in stored] == [f"/c_segments/big/{i:08d}" for i in range(3)]
    assert [s["hash"] for s in stored] == [md5(p) for p in segments]
    assert [s["bytes"] for s in stored] == [10, 7, 3]
    raw = json.loads(client.request("GET", "c/big?multipart-manifest=get&format=raw").data)
    assert raw[0] == {
        "path": "/c_segments/big/00000000",
        "etag": md5(segments[0]),
        "size_bytes": 10,
    }
    listing = client.json("c")
    assert listing[0]["bytes"] == 20
    assert listing[0]["slo_etag"] == f'"{slo_etag}"'
    deleted = client.request(
        "DELETE", "c/big?multipart-manifest=delete", headers={"Accept": "application/json"}
    )
    assert deleted.status == 200
    assert json.loads(deleted.data)["Number Deleted"] == 4
    assert fake_swift.store.object_names("c_segments") == []
    assert fake_swift.store.object_names("c") == []


def test_slo_validation(client: Client, segments: list[bytes]) -> None:
    bad = _manifest(segments)
    bad[0]["etag"] = "0" * 32
    bad[1]["size_bytes"] = 99
    bad[2]["path"] = "/c_segments/missing"
    reply = client.request("PUT", "c/big?multipart-manifest=put", body=json.dumps(bad))
    assert reply.status == 400
    assert reply.data.decode() == (
        "Errors:\n"
        "/c_segments/big/00000000, Etag Mismatch\n"
        "/c_segments/big/00000001, Size Mismatch\n"
        "/c_segments/missing, 404 Not Found\n"
    )
    assert client.request("PUT", "c/big?multipart-manifest=put", body=b"{no").status == 400
    good = json.dumps(_manifest(segments))
    assert (
        client.request(
            "PUT", "c/big?multipart-manifest=put", body=good, headers={"ETag": "0" * 32}
        ).status
        == 422
    )
    slo_etag = md5("".join(md5(p) for p in segments).encode())
    with_etag = client.request(
        "PUT", "c/big?multipart-manifest=put", body=good, headers={"ETag": f'"{slo_etag}"'}
    )
    assert with_etag.status == 201
    loose = [{"path": s["path"], "etag": None, "size_bytes": None} for s in _manifest(segments)]
    assert (
        client.request("PUT", "c/loose?multipart-manifest=put", body=json.dumps(loose)).status
        == 201
    )
    # Plain DELETE removes only the manifest.
    assert client.request("DELETE", "c/loose").status == 204
    assert client.request("HEAD", "c_segments/big/00000000").status == 200


def test_slo_changed_segment_breaks_the_download(client: Client, segments: list[bytes]) -> None:
    client.request("PUT", "c/big?multipart-manifest=put", body=json.dumps(_manifest(segments)))
    client.put("c_segments/big/00000001", b"changed")
    reply = client.request("GET", "c/big", preload_content=False)
    assert reply.headers["Content-Length"] == "20"
    with pytest.raises(urllib3.exceptions.ProtocolError):
        reply.read()
    client.put("c_segments/big/00000000", b"changed")
    assert client.request("GET", "c/big").status == 409


def test_slo_ranges_and_inline_data(client: Client, segments: list[bytes]) -> None:
    manifest = [
        {"path": "/c_segments/big/00000000", "range": "2-4"},
        {"data": base64.b64encode(b"INLINE").decode()},
        {"path": "/c_segments/big/00000002", "range": "-2"},
    ]
    put = client.request("PUT", "c/mix?multipart-manifest=put", body=json.dumps(manifest))
    assert put.status == 201, put.data
    assert client.request("GET", "c/mix").data == b"aaaINLINEcc"
    expected = md5(f"{md5(segments[0])}:2-4;{md5(b'INLINE')}{md5(segments[2])}:1-2;".encode())
    assert put.headers["ETag"] == f'"{expected}"'


def test_dlo(client: Client, segments: list[bytes]) -> None:
    put = client.request("PUT", "c/dlo", body=b"", headers={"X-Object-Manifest": "c_segments/big/"})
    assert put.status == 201
    got = client.request("GET", "c/dlo")
    assert got.data == b"".join(segments)
    assert got.headers["X-Object-Manifest"] == "c_segments/big/"
    assert got.headers["ETag"] == '"{}"'.format(md5("".join(md5(p) for p in segments).encode()))
    assert client.request("GET", "c/dlo", headers={"Range": "bytes=-4"}).data == b"bccc"
    bad = client.request("PUT", "c/bad", body=b"", headers={"X-Object-Manifest": "noslash"})
    assert bad.status == 400
    copy = client.request("PUT", "c/flat", headers={"X-Copy-From": "c/dlo"})
    assert copy.status == 201
    flat = client.request("GET", "c/flat")
    assert flat.data == b"".join(segments)
    assert "X-Object-Manifest" not in flat.headers


# -- TempURL ----------------------------------------------------------------------------------


def _sign(key: str, method: str, expires: int, path: str, digest: str = "sha256") -> str:
    return hmac.new(key.encode(), f"{method}\n{expires}\n{path}".encode(), digest).hexdigest()


@pytest.fixture
def temp_setup(fake_swift: FakeSwift, client: Client) -> tuple[Client, str]:
    fake_swift.store.put_object(
        "c", "dir/file.txt", b"secret data", metadata={"private": "p", "public-x": "x"}
    )
    client.request("POST", headers={"X-Account-Meta-Temp-URL-Key": "acctkey"})
    return client, urlsplit(client.url("c/dir/file.txt")).path


def test_tempurl_get_digests_and_expiry(
    fake_swift: FakeSwift, temp_setup: tuple[Client, str]
) -> None:
    _, path = temp_setup
    expires = int(time.time()) + 60
    http = urllib3.PoolManager(retries=False)
    base = fake_swift.base_url + path
    for digest in ("sha1", "sha256"):
        sig = _sign("acctkey", "GET", expires, path, digest)
        reply = http.request("GET", f"{base}?temp_url_sig={sig}&temp_url_expires={expires}")
        assert reply.status == 200, digest
        assert reply.data == b"secret data"
        assert (
            reply.headers["Content-Disposition"]
            == "attachment; filename=\"file.txt\"; filename*=UTF-8''file.txt"
        )
        assert "X-Object-Meta-Private" not in reply.headers
        assert reply.headers["X-Object-Meta-Public-X"] == "x"
        assert "Expires" in reply.headers
    raw = hmac.new(b"acctkey", f"GET\n{expires}\n{path}".encode(), "sha512").digest()
    b64 = "sha512:" + base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert (
        http.request(
            "GET", f"{base}?{urlencode({'temp_url_sig': b64, 'temp_url_expires': expires})}"
        ).status
        == 200
    )
    hex512 = _sign("acctkey", "GET", expires, path, "sha512")
    assert (
        http.request("GET", f"{base}?temp_url_sig={hex512}&temp_url_expires={expires}").status
        == 200
    )
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))
    sig = _sign("acctkey", "GET", expires, path)
    assert http.request("GET", f"{base}?temp_url_sig={sig}&temp_url_expires={iso}").status == 200
    head = http.request("HEAD", f"{base}?temp_url_sig={sig}&temp_url_expires={expires}")
    assert head.status == 200  # HEAD is allowed with a GET signature
    assert (
        http.request(
            "PUT", f"{base}?temp_url_sig={sig}&temp_url_expires={expires}", body=b"x"
        ).status
        == 401
    )
    bad = http.request("GET", f"{base}?temp_url_sig={'0' * 64}&temp_url_expires={expires}")
    assert bad.status == 401
    assert bad.data == b"401 Unauthorized: Temp URL invalid\n"
    fake_swift.clock.advance(61)
    assert (
        http.request("GET", f"{base}?temp_url_sig={sig}&temp_url_expires={expires}").status == 401
    )


def test_tempurl_filename_inline_prefix_and_keys(
    fake_swift: FakeSwift, temp_setup: tuple[Client, str]
) -> None:
    client, path = temp_setup
    http = urllib3.PoolManager(retries=False)
    expires = int(time.time()) + 60
    base = fake_swift.base_url + path
    sig = _sign("acctkey", "GET", expires, path)
    named = http.request(
        "GET", f"{base}?temp_url_sig={sig}&temp_url_expires={expires}&filename=My%20File.txt"
    )
    assert (
        named.headers["Content-Disposition"]
        == "attachment; filename=\"My File.txt\"; filename*=UTF-8''My%20File.txt"
    )
    inline = http.request("GET", f"{base}?temp_url_sig={sig}&temp_url_expires={expires}&inline")
    assert inline.headers["Content-Disposition"] == "inline"
    container_path = urlsplit(client.url("c")).path
    prefix_sig = _sign("acctkey", "GET", expires, f"prefix:{container_path}/dir/")
    prefixed = http.request(
        "GET", f"{base}?temp_url_sig={prefix_sig}&temp_url_expires={expires}&temp_url_prefix=dir/"
    )
    assert prefixed.status == 200
    client.request("POST", headers={"X-Account-Meta-Temp-URL-Key-2": "second"})
    client.request("POST", "c", headers={"X-Container-Meta-Temp-URL-Key": "contkey"})
    for key in ("second", "contkey"):
        sig = _sign(key, "GET", expires, path)
        assert (
            http.request("GET", f"{base}?temp_url_sig={sig}&temp_url_expires={expires}").status
            == 200
        )
    assert (
        http.request(
            "GET",
            f"{base}?temp_url_sig={_sign('other', 'GET', expires, path)}"
            f"&temp_url_expires={expires}",
        ).status
        == 401
    )


def test_tempurl_ip_range(fake_swift: FakeSwift, temp_setup: tuple[Client, str]) -> None:
    _, path = temp_setup
    expires = int(time.time()) + 60
    http = urllib3.PoolManager(retries=False)
    # A network with host bits set ("127.0.0.1/8") is no network: Swift refuses the URL.
    for ip_range, status in (
        ("127.0.0.0/8", 200),
        ("127.0.0.1", 200),
        ("10.0.0.1", 401),
        ("127.0.0.1/8", 401),
    ):
        message = f"ip={ip_range}\nGET\n{expires}\n{path}"
        sig = hmac.new(b"acctkey", message.encode(), "sha256").hexdigest()
        query = urlencode(
            {"temp_url_sig": sig, "temp_url_expires": expires, "temp_url_ip_range": ip_range}
        )
        assert http.request("GET", f"{fake_swift.base_url}{path}?{query}").status == status


def test_tempurl_put_and_missing_object(
    fake_swift: FakeSwift, temp_setup: tuple[Client, str]
) -> None:
    client, _ = temp_setup
    http = urllib3.PoolManager(retries=False)
    expires = int(time.time()) + 60
    path = urlsplit(client.url("c/uploaded")).path
    sig = _sign("acctkey", "PUT", expires, path)
    put = http.request(
        "PUT",
        f"{fake_swift.base_url}{path}?temp_url_sig={sig}&temp_url_expires={expires}",
        body=b"via tempurl",
    )
    assert put.status == 201
    assert fake_swift.store.get_object("c", "uploaded") is not None
    get_sig = _sign("acctkey", "GET", expires, path.replace("uploaded", "nothing"))
    missing_path = path.replace("uploaded", "nothing")
    missing = http.request(
        "GET",
        f"{fake_swift.base_url}{missing_path}?temp_url_sig={get_sig}&temp_url_expires={expires}",
    )
    assert missing.status == 404


# -- FormPost -------------------------------------------------------------------------------------


def test_formpost(fake_swift: FakeSwift, client: Client) -> None:
    client.request("PUT", "uploads")
    client.request("POST", headers={"X-Account-Meta-Temp-URL-Key": "formkey"})
    path = urlsplit(client.url("uploads")).path + "/inbox/"
    expires = int(time.time()) + 60

    def form(
        redirect: str = "", max_size: int = 100, count: int = 2, key: str = "formkey"
    ) -> dict[str, str]:
        message = f"{path}\n{redirect}\n{max_size}\n{count}\n{expires}"
        signature = hmac.new(key.encode(), message.encode(), "sha256").hexdigest()
        fields: dict[str, str] = {
            "max_file_size": str(max_size),
            "max_file_count": str(count),
            "expires": str(expires),
            "signature": signature,
        }
        if redirect:
            fields["redirect"] = redirect
        return fields

    url = fake_swift.base_url + path
    http = urllib3.PoolManager(retries=urllib3.Retry(total=0, redirect=False))
    ok = http.request(
        "POST",
        url,
        fields={**form(), "file1": ("a.txt", b"AAA", "text/plain"), "file2": ("b.bin", b"BB")},
    )
    assert ok.status == 201
    assert fake_swift.store.object_names("uploads") == ["inbox/a.txt", "inbox/b.bin"]
    stored = fake_swift.store.get_object("uploads", "inbox/a.txt")
    assert stored is not None
    assert stored.content_type == "text/plain"
    redirected = http.request(
        "POST", url, fields={**form("https://example.invalid/done"), "f": ("c.txt", b"C")}
    )
    assert redirected.status == 303
    assert redirected.headers["Location"] == "https://example.invalid/done?status=201&message="
    too_big = http.request("POST", url, fields={**form(max_size=2), "f": ("d.txt", b"DDD")})
    assert too_big.status == 400
    assert b"max_file_size exceeded" in too_big.data
    too_many = http.request(
        "POST", url, fields={**form(count=1), "f1": ("e", b"E"), "f2": ("f", b"F")}
    )
    assert too_many.data == b"400 Bad Request\r\nFormPost: Max File Count Exceeded"
    forged = http.request("POST", url, fields={**form(key="wrong"), "f": ("g", b"G")})
    assert forged.status == 401
    assert b"FormPost: Invalid Signature" in forged.data
    fake_swift.clock.advance(120)
    expired = http.request("POST", url, fields={**form(), "f": ("h", b"H")})
    assert b"FormPost: Form Expired" in expired.data
    assert not fake_swift.store.has_object("uploads", "inbox/d.txt")


# -- Selectel sendmefile ----------------------------------------------------------------------


def test_sendmefile_inplace_and_plain(fake_swift: FakeSwift, client: Client) -> None:
    client.request("PUT", "drop")
    secret = hashlib.sha1(b"pw").hexdigest()
    link = client.put(
        "drop/in/link",
        b"Upload your file here",
        Content_Type="x-storage/sendmefile+inplace",
        X_Object_Meta_Sendmefile_Secret=secret,
    )
    assert link.status == 201
    http = urllib3.PoolManager(retries=False)
    url = client.url("drop/in/link")
    assert http.request("PUT", url, body=b"doc", headers={"X-Filename": "report.pdf"}).status == 403
    up = http.request("PUT", url + "?_ssuk=pw", body=b"doc", headers={"X-Filename": "report.pdf"})
    assert up.status == 201
    assert up.headers["X-Uploaded-As"] == "in/link"
    stored = fake_swift.store.get_object("drop", "in/link")
    assert stored is not None
    assert stored.data == b"doc"
    assert stored.metadata["origin-filename"] == "report.pdf"
    assert stored.content_type == "application/pdf"

    client.put("drop/box", b"", Content_Type="x-storage/sendmefile")
    agent = "test-agent/1.0"
    expires = str(int(time.time()) + 60)
    sig = hmac.new(secret.encode(), f"{agent}\n{expires}".encode(), "sha1").hexdigest()
    client.request(
        "POST",
        "drop/box",
        headers={"X-Object-Meta-Sendmefile-Secret": secret, "Content-Type": "x-storage/sendmefile"},
    )
    plain = http.request(
        "PUT",
        client.url("drop/box"),
        body=b"data",
        headers={
            "X-Filename": "photo.jpg",
            "X-Sendmefile-Secret-Sig": f"{expires}.{sig}",
            "User-Agent": agent,
        },
    )
    assert plain.status == 201
    assert plain.headers["X-Uploaded-As"] == "photo.jpg"
    assert fake_swift.store.has_object("drop", "photo.jpg")
    assert (
        http.request("PUT", client.url("drop/box"), body=b"x", headers={"X-Filename": "y"}).status
        == 403
    )
    # An anonymous PUT elsewhere is still refused.
    assert http.request("PUT", client.url("drop/other"), body=b"x").status == 401


def test_sendmefile_non_latin_filename_goes_out_as_utf8(
    fake_swift: FakeSwift, client: Client
) -> None:
    client.request("PUT", "drop")
    assert client.put("drop/link", b"", Content_Type="x-storage/sendmefile+inplace").status == 201
    http = urllib3.PoolManager(retries=False)
    filename = "мой договор.pdf"
    up = http.request(
        "PUT", client.url("drop/link"), body=b"%PDF", headers={"X-Filename": quote(filename)}
    )
    assert up.status == 201
    stored = fake_swift.store.get_object("drop", "link")
    assert stored is not None and stored.metadata["origin-filename"] == filename
    head = client.request("HEAD", "drop/link")
    assert head.status == 200
    sent = head.headers["X-Object-Meta-Origin-Filename"]
    assert sent.encode("latin-1") == filename.encode("utf-8")
