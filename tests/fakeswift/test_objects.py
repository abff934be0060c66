"""Object verbs of the fake: PUT, GET (ranges, conditionals), HEAD, POST, COPY, DELETE."""

from __future__ import annotations

import hashlib
import http.client
import re
import time
from collections.abc import Iterator
from email.utils import formatdate
from urllib.parse import urlsplit

import pytest

from tests.fakeswift import FakeSwift
from tests.fakeswift.conftest import Client

DATA = b"0123456789abcdefghij"
MD5 = hashlib.md5(DATA).hexdigest()


@pytest.fixture
def box(client: Client) -> Client:
    assert client.request("PUT", "box").status == 201
    return client


def raw_conn(fake: FakeSwift) -> http.client.HTTPConnection:
    parts = urlsplit(fake.base_url)
    return http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)


def test_put_get_head(fake_swift: FakeSwift, box: Client) -> None:
    put = box.put(
        "box/dir/file.bin", DATA, Content_Type="application/x-test", X_Object_Meta_Color="blue"
    )
    assert put.status == 201
    assert put.headers["ETag"] == MD5
    assert put.data == b""
    assert "Last-Modified" in put.headers
    got = box.request("GET", "box/dir/file.bin")
    assert got.status == 200
    assert got.data == DATA
    assert got.headers["ETag"] == MD5
    assert got.headers["Content-Type"] == "application/x-test"
    assert got.headers["Content-Length"] == str(len(DATA))
    assert got.headers["Accept-Ranges"] == "bytes"
    assert got.headers["X-Object-Meta-Color"] == "blue"
    assert re.fullmatch(r"\d{10}\.\d{5}", got.headers["X-Timestamp"])
    assert got.headers["X-Trans-Id"].startswith("tx")
    head = box.request("HEAD", "box/dir/file.bin")
    assert head.status == 200
    assert head.data == b""
    assert head.headers["Content-Length"] == str(len(DATA))
    assert head.headers["Last-Modified"] == got.headers["Last-Modified"]
    stored = fake_swift.store.get_object("box", "dir/file.bin")
    assert stored is not None
    assert stored.data == DATA
    assert stored.metadata == {"color": "blue"}


def test_every_answer_has_request_ids(box: Client) -> None:
    for method, path in [("GET", "box/missing"), ("HEAD", "box"), ("PUT", "nobox/o"), ("GET", "")]:
        reply = box.request(method, path)
        assert reply.headers["X-Trans-Id"] == reply.headers["X-Openstack-Request-Id"]


def test_put_errors(fake_swift: FakeSwift, box: Client) -> None:
    assert box.put("nobox/o", b"x").status == 404
    assert box.put("box/o", DATA, ETag="0" * 32).status == 422
    assert box.put("box/o", DATA, ETag=f'"{MD5}"').status == 201
    assert box.put("box/o", DATA, If_None_Match="*").status == 412
    assert box.put("box/new", DATA, If_None_Match="*").status == 201
    assert box.put("box/o", DATA, If_None_Match=MD5).status == 400
    assert box.put("box/" + "n" * 1024, b"").status == 201
    long_name = box.put("box/" + "n" * 1025, b"")
    assert long_name.status == 400
    assert b"longer than 1024" in long_name.data
    conn = raw_conn(fake_swift)
    conn.putrequest("PUT", urlsplit(box.url("box/nolength")).path)
    conn.putheader("X-Auth-Token", box.token)
    conn.endheaders()
    assert conn.getresponse().status == 411
    conn.close()


def test_chunked_upload(box: Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"abc"
        yield b"defg"

    reply = box.request("PUT", "box/chunky", body=chunks(), chunked=True)
    assert reply.status == 201
    assert reply.headers["ETag"] == hashlib.md5(b"abcdefg").hexdigest()
    assert box.request("GET", "box/chunky").data == b"abcdefg"


def test_content_type_rules(box: Client) -> None:
    box.request("PUT", "box/guess.txt", body=b"x", headers={})
    assert box.request("HEAD", "box/guess.txt").headers["Content-Type"] == "text/plain"
    box.request("PUT", "box/unknown", body=b"x")
    assert box.request("HEAD", "box/unknown").headers["Content-Type"] == "application/octet-stream"
    box.put("box/pic.png", b"x", Content_Type="text/plain", X_Detect_Content_Type="true")
    assert box.request("HEAD", "box/pic.png").headers["Content-Type"] == "image/png"


def test_stored_system_headers(box: Client) -> None:
    box.put(
        "box/h",
        b"x",
        Content_Encoding="gzip",
        Content_Disposition='attachment; filename="h.txt"',
        Cache_Control="max-age=60",
    )
    head = box.request("HEAD", "box/h").headers
    assert head["Content-Encoding"] == "gzip"
    assert head["Content-Disposition"] == 'attachment; filename="h.txt"'
    assert head["Cache-Control"] == "max-age=60"


def test_delete_at_and_after(fake_swift: FakeSwift, box: Client) -> None:
    now = int(time.time())
    assert box.put("box/at", b"x", X_Delete_At=str(now + 100)).status == 201
    assert box.request("HEAD", "box/at").headers["X-Delete-At"] == str(now + 100)
    assert box.put("box/after", b"x", X_Delete_After="50").status == 201
    assert box.put("box/past", b"x", X_Delete_At=str(now - 10)).status == 400
    assert box.put("box/bad", b"x", X_Delete_After="soon").status == 400
    assert box.put("box/bad", b"x", X_Delete_After="0").status == 400
    assert box.put("box/bad", b"x", X_Delete_At="12.5").status == 400
    fake_swift.clock.advance(60)
    assert box.request("GET", "box/after").status == 404
    assert box.request("HEAD", "box/at").status == 200
    # Listed until the expirer runs, as in Swift.
    assert "after" in fake_swift.store.object_names("box")
    assert fake_swift.run_expirer() == 1
    assert "after" not in fake_swift.store.object_names("box")
    fake_swift.clock.advance(60)
    assert box.request("DELETE", "box/at").status == 404


def test_ranges(box: Client) -> None:
    box.put("box/r", DATA, Content_Type="text/plain")

    def get(spec: str) -> tuple[int, bytes, dict[str, str]]:
        reply = box.request("GET", "box/r", headers={"Range": spec})
        return reply.status, reply.data, dict(reply.headers)

    status, body, headers = get("bytes=2-5")
    assert (status, body, headers["Content-Range"]) == (206, b"2345", "bytes 2-5/20")
    assert get("bytes=15-")[1] == b"fghij"
    assert get("bytes=-3")[1] == b"hij"
    assert get("bytes=-100")[1] == DATA
    assert get("bytes=18-100")[1] == b"ij"
    status, body, headers = get("bytes=20-")
    assert status == 416
    assert headers["Content-Range"] == "bytes */20"
    assert get("bytes=5-2")[0] == 200  # malformed: ignored
    assert get("items=1-2")[0] == 200
    status, body, headers = get("bytes=0-1,5-6")
    assert status == 206
    match = re.fullmatch(r"multipart/byteranges;boundary=(\w+)", headers["Content-Type"])
    assert match
    boundary = match.group(1).encode()
    assert int(headers["Content-Length"]) == len(body)
    parts = body.split(b"--" + boundary)
    assert parts[-1] == b"--"
    assert b"Content-Range: bytes 0-1/20\r\n\r\n01\r\n" in parts[1]
    assert b"Content-Range: bytes 5-6/20\r\n\r\n56\r\n" in parts[2]
    head = box.request("HEAD", "box/r", headers={"Range": "bytes=0-3"})
    assert head.status == 200  # Swift ignores Range on HEAD
    assert head.headers["Content-Length"] == "20"


def test_conditionals(box: Client) -> None:
    box.put("box/c", DATA)
    last_modified = box.request("HEAD", "box/c").headers["Last-Modified"]

    def status(**headers: str) -> int:
        sent = {k.replace("_", "-"): v for k, v in headers.items()}
        return box.request("GET", "box/c", headers=sent).status

    assert status(If_Match=MD5) == 200
    assert status(If_Match=f'"{MD5}"') == 200
    assert status(If_Match="nope") == 412
    assert status(If_None_Match=MD5) == 304
    assert status(If_None_Match="*") == 304
    assert status(If_None_Match="other") == 200
    assert status(If_Modified_Since=last_modified) == 304
    assert status(If_Modified_Since=formatdate(time.time() - 3600, usegmt=True)) == 200
    assert status(If_Unmodified_Since=formatdate(time.time() - 3600, usegmt=True)) == 412
    assert status(If_Unmodified_Since=last_modified) == 200
    not_modified = box.request("GET", "box/c", headers={"If-None-Match": MD5})
    assert not_modified.headers["ETag"] == MD5
    assert not_modified.data == b""


def test_post_replaces_metadata(fake_swift: FakeSwift, box: Client) -> None:
    box.put("box/p", DATA, X_Object_Meta_A="1", X_Object_Meta_B="2", Content_Type="text/plain")
    post = box.request(
        "POST", "box/p", headers={"X-Object-Meta-C": "3", "Content-Type": "text/csv"}
    )
    assert post.status == 202
    head = box.request("HEAD", "box/p").headers
    assert head["X-Object-Meta-C"] == "3"
    assert "X-Object-Meta-A" not in head
    assert head["Content-Type"] == "text/csv"
    assert head["ETag"] == MD5
    assert box.request("POST", "box/missing").status == 404


def test_copy_and_copy_from(fake_swift: FakeSwift, box: Client) -> None:
    box.put("box/src", DATA, X_Object_Meta_Keep="yes", Content_Type="text/plain")
    box.request("PUT", "other")
    copy = box.request(
        "COPY", "box/src", headers={"Destination": "/other/dst", "X-Object-Meta-Extra": "1"}
    )
    assert copy.status == 201
    assert copy.headers["X-Copied-From"] == "box/src"
    assert copy.headers["ETag"] == MD5
    assert "X-Copied-From-Last-Modified" in copy.headers
    head = box.request("HEAD", "other/dst").headers
    assert head["X-Object-Meta-Keep"] == "yes"
    assert head["X-Object-Meta-Extra"] == "1"
    assert head["Content-Type"] == "text/plain"
    fresh = box.request(
        "PUT",
        "box/fresh",
        headers={"X-Copy-From": "/box/src", "X-Fresh-Metadata": "true", "Content-Length": "0"},
    )
    assert fresh.status == 201
    assert "X-Object-Meta-Keep" not in box.request("HEAD", "box/fresh").headers
    assert box.request("GET", "box/fresh").data == DATA
    partial = box.request(
        "PUT", "box/part", headers={"X-Copy-From": "box/src", "Range": "bytes=0-3"}
    )
    assert partial.status == 201
    assert box.request("GET", "box/part").data == b"0123"
    assert box.request("COPY", "box/nope", headers={"Destination": "box/x"}).status == 404
    assert box.request("COPY", "box/src", headers={"Destination": "nobox/x"}).status == 404
    assert box.request("COPY", "box/src", headers={"Destination": "noslash"}).status == 412
    assert box.request("COPY", "box/src").status == 412
    assert box.request("PUT", "box/y", headers={"X-Copy-From": "bad"}).status == 412


def test_delete(box: Client) -> None:
    box.put("box/d", b"x")
    deleted = box.request("DELETE", "box/d")
    assert deleted.status == 204
    assert deleted.data == b""
    assert box.request("DELETE", "box/d").status == 404
    assert box.request("GET", "box/d").status == 404


def test_unicode_and_odd_names(fake_swift: FakeSwift, box: Client) -> None:
    for name in ["пример/файл.txt", "a b+c%d", "q=x&y;1", "  spaced  "]:
        assert box.put(f"box/{name}", name.encode()).status == 201
        assert box.request("GET", f"box/{name}").data == name.encode()
    assert set(fake_swift.store.object_names("box")) == {
        "пример/файл.txt",
        "a b+c%d",
        "q=x&y;1",
        "  spaced  ",
    }
    conn = raw_conn(fake_swift)
    conn.request(
        "GET", urlsplit(box.url("box")).path + "/%FF%FE", headers={"X-Auth-Token": box.token}
    )
    assert conn.getresponse().status == 412
    conn.close()


def test_keep_alive_reuses_one_connection(fake_swift: FakeSwift, box: Client) -> None:
    conn = raw_conn(fake_swift)
    path = urlsplit(box.url("box/k")).path
    conn.request("PUT", path, body=b"abc", headers={"X-Auth-Token": box.token})
    first = conn.getresponse()
    first.read()
    assert first.getheader("Connection") is None
    sock = conn.sock
    for _ in range(3):
        conn.request("GET", path, headers={"X-Auth-Token": box.token})
        reply = conn.getresponse()
        assert reply.read() == b"abc"
        assert conn.sock is sock
    conn.request("HEAD", path, headers={"X-Auth-Token": box.token})
    head = conn.getresponse()
    assert head.read() == b""
    assert head.getheader("Content-Length") == "3"
    conn.request("GET", path, headers={"X-Auth-Token": box.token})
    assert conn.getresponse().read() == b"abc"
    assert conn.sock is sock
    conn.close()


def test_store_helpers(fake_swift: FakeSwift, box: Client) -> None:
    stored = fake_swift.store.put_object(
        "seeded", "a.txt", "text", headers={"X-Object-Meta-K": "v", "Content-Type": "text/x-a"}
    )
    assert stored.etag == hashlib.md5(b"text").hexdigest()
    assert fake_swift.store.has_object("seeded", "a.txt")
    got = box.request("GET", "seeded/a.txt")
    assert got.data == b"text"
    assert got.headers["X-Object-Meta-K"] == "v"
    assert got.headers["Content-Type"] == "text/x-a"
    other = fake_swift.store.put_object("c", "o", b"x", account=fake_swift.v3.project_id)
    assert other.size == 1
    assert fake_swift.store.object_names("c", account=fake_swift.v3.project_id) == ["o"]
    assert fake_swift.store.object_names("c") == []


def _wire(text: str) -> str:
    """``text`` as the HTTP libraries carry header values: its UTF-8 bytes as latin-1."""
    return text.encode("utf-8").decode("latin-1")


def test_header_values_keep_their_bytes(fake_swift: FakeSwift, box: Client) -> None:
    sent = {
        "X-Object-Meta-Name": _wire("привет"),
        "X-Object-Meta-Raw": "caf\xe9",  # one byte 0xE9: not UTF-8, kept as it came
        "Content-Disposition": _wire('attachment; filename="отчёт.pdf"'),
        "Content-Type": _wire("text/plain; charset=ы"),
    }
    assert box.request("PUT", "box/o", headers=sent, body=b"x").status == 201
    stored = fake_swift.store.get_object("box", "o")
    assert stored is not None
    # The store holds text.
    assert stored.metadata == {"name": "привет", "raw": "caf\udce9"}
    assert stored.headers["content-disposition"] == 'attachment; filename="отчёт.pdf"'
    assert stored.content_type == "text/plain; charset=ы"
    head = box.request("HEAD", "box/o")
    assert {name: head.headers[name] for name in sent} == sent
    # Values from elsewhere than a header (seeded, tar pax, sendmefile) go out as UTF-8 too.
    fake_swift.store.put_object(
        "box", "seeded", b"x", metadata={"who": "Ёжик"}, headers={"Cache-Control": "ё"}
    )
    seeded = box.request("GET", "box/seeded")
    assert seeded.status == 200
    assert seeded.headers["X-Object-Meta-Who"] == _wire("Ёжик")
    assert seeded.headers["Cache-Control"] == _wire("ё")
    # Limits count bytes: 128 two-byte letters fit in 256, 129 do not.
    fits = box.request("PUT", "box/l", headers={"X-Object-Meta-L": _wire("я" * 128)}, body=b"")
    assert fits.status == 201
    over = box.request("PUT", "box/l", headers={"X-Object-Meta-L": _wire("я" * 129)}, body=b"")
    assert (over.status, over.data) == (400, b"Metadata value longer than 256: x-object-meta-L")
