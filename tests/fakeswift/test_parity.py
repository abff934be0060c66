"""Parity with real OpenStack Swift 2.38: what the fake must answer exactly as Swift does.

Every expectation here was seen on the wire from a real Swift (scripts/realswift.py; see
docs/real-swift-observed.md). The tests use the ``swift`` fixture and a raw ``http.client``
session, so they run against the fake by default and against real Swift with
``SWIFT_TARGET=real`` (``scripts/test.py --only real-swift``): an expectation that is wrong
for Swift fails there, one the fake breaks fails here. The few that need the fake's own
switches (a second user, a fresh account) use ``fake_swift`` and are fake-only.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import io
import json
import re
import secrets
import socket
import tarfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from tests.fakeswift import FakeSwift
from tests.fakeswift.real import RealSwift

Target = FakeSwift | RealSwift

TRANS_ID = re.compile(r"tx[0-9a-f]{21}-[0-9a-f]{10}")
HTML = "text/html; charset=UTF-8"
STOCK_404 = b"<html><h1>Not Found</h1><p>The resource could not be found.</p></html>"
STOCK_401 = (
    b"<html><h1>Unauthorized</h1><p>This server could not verify that you are authorized to "
    b"access the document you requested.</p></html>"
)
RANGE_416 = (
    b"<html><h1>Requested Range Not Satisfiable</h1><p>The Range requested is not "
    b"available.</p></html>"
)
ACCEPTED = b"<html><h1>Accepted</h1><p>The request is accepted for processing.</p></html>"
HELLO = b"hello world"
HELLO_MD5 = hashlib.md5(HELLO).hexdigest()


@dataclass
class Answer:
    """One reply as it came off the wire: header names in their original case."""

    status: int
    header_list: list[tuple[str, str]]
    body: bytes

    @property
    def names(self) -> set[str]:
        return {name for name, _ in self.header_list}

    def get(self, name: str) -> str | None:
        for key, value in self.header_list:
            if key.lower() == name.lower():
                return value
        return None

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def json(self) -> Any:
        return json.loads(self.body)


class Raw:
    """Exact requests with ``http.client``: no header added, none renamed."""

    def __init__(self, target: Target) -> None:
        self.target = target
        parts = urlsplit(target.base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        auth = self.request(
            "GET",
            urlsplit(target.auth_v1_url).path,
            {"X-Auth-User": target.v1_user, "X-Auth-Key": target.v1_key},
            auth=False,
        )
        assert auth.status == 200, auth
        self.token = auth["X-Auth-Token"]
        self.storage_url = auth["X-Storage-Url"]
        self.account_path = urlsplit(self.storage_url).path
        self.account = self.account_path.rsplit("/", 1)[-1]

    def request(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        *,
        auth: bool = True,
    ) -> Answer:
        """``path``: absolute (``/info``) or relative to the account (``c/o?x``)."""
        if not path.startswith("/"):
            path = self.account_path + ("/" + path if path else "")
        sent = dict(headers or {})
        if auth:
            sent.setdefault("X-Auth-Token", self.token)
        if body is not None and not any(
            k.lower() in ("content-length", "transfer-encoding") for k in sent
        ):
            sent["Content-Length"] = str(len(body))
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for name, value in sent.items():
                conn.putheader(name, value)
            conn.endheaders()
            if body:
                conn.send(body)
            reply = conn.getresponse()
            return Answer(reply.status, reply.getheaders(), reply.read())
        finally:
            conn.close()

    def put(self, path: str, body: bytes = b"", **headers: str) -> Answer:
        """PUT with headers given as keyword arguments (``X_Object_Meta_A="1"``)."""
        sent = {k.replace("_", "-"): v for k, v in headers.items()}
        return self.request("PUT", path, sent, body)


@pytest.fixture
def raw(swift: Target) -> Raw:
    """A raw session as the target's v1 user; the account is empty (``swift`` resets it)."""
    return Raw(swift)


@pytest.fixture
def box(raw: Raw) -> Raw:
    """``raw`` with a container ``c`` holding ``hello.txt`` (meta, stored extras)."""
    assert raw.put("c").status == 201
    stored = raw.put(
        "c/hello.txt",
        HELLO,
        Content_Type="text/plain",
        X_Object_Meta_CamelCase="A",
        Content_Disposition="inline",
    )
    assert stored.status == 201
    return raw


# -- every response -------------------------------------------------------------------------------


def test_header_names_are_title_cased_and_ids_paired(box: Raw) -> None:
    got = box.request("GET", "c/hello.txt")
    assert got.status == 200
    assert {"Etag", "X-Object-Meta-Camelcase", "Content-Disposition", "Accept-Ranges"} <= (
        got.names
    )
    assert "ETag" not in got.names
    assert got["Etag"] == HELLO_MD5  # unquoted for a plain object
    assert TRANS_ID.fullmatch(got["X-Trans-Id"])
    assert got["X-Openstack-Request-Id"] == got["X-Trans-Id"]


def test_write_replies(raw: Raw) -> None:
    created = raw.put("c")
    assert (created.status, created.body, created["Content-Type"]) == (201, b"", HTML)
    again = raw.put("c", X_Container_Meta_Color="blue")
    assert (again.status, again.body) == (202, ACCEPTED)
    assert raw.request("HEAD", "c")["X-Container-Meta-Color"] == "blue"
    put = raw.put("c/o", b"x")
    assert (put.status, put["Content-Length"], put["Content-Type"]) == (201, "0", HTML)
    assert "X-Timestamp" not in put.names
    posted = raw.request("POST", "c/o", {"X-Object-Meta-A": "1"}, b"")
    assert (posted.status, posted.body) == (202, ACCEPTED)
    deleted = raw.request("DELETE", "c/o")
    assert (deleted.status, deleted.body, deleted["Content-Type"]) == (204, b"", HTML)


def test_head_errors_announce_no_body(raw: Raw) -> None:
    missing = raw.request("HEAD", "nope")
    assert (missing.status, missing["Content-Length"], missing.body) == (404, "0", b"")
    denied = raw.request("HEAD", "", {"X-Auth-Token": "AUTH_tk" + "0" * 32})
    assert (denied.status, denied["Content-Length"]) == (401, "0")
    got = raw.request("GET", "nope")
    assert (got.status, got.body, got["Content-Type"]) == (404, STOCK_404, HTML)


def test_paths_outside_the_api(raw: Raw) -> None:
    assert raw.request("GET", "/", auth=False).status == 404
    for path in ("/v1", "/v1/", "/v1.0", "/v2", "/foo"):
        bad_url = raw.request("GET", path)
        assert (bad_url.status, bad_url.body) == (412, b"Bad URL"), path
    for path in ("/v2/x", "/foo/bar", "/info/x"):
        assert raw.request("GET", path).status == 400, path
    # v1.0 is a valid API version too.
    assert raw.request("GET", "/v1.0/" + raw.account + "?format=json").status == 200
    health = raw.request("GET", "/healthcheck", auth=False)
    assert (health.status, health.body, health["Content-Type"]) == (200, b"OK", "text/plain")


# -- v1 auth --------------------------------------------------------------------------------------


def test_v1_auth_answers(swift: Target, raw: Raw) -> None:
    path = urlsplit(swift.auth_v1_url).path
    good = {"X-Auth-User": swift.v1_user, "X-Auth-Key": swift.v1_key}
    ok = raw.request("GET", path, good, auth=False)
    assert (ok.status, ok.body, ok["Content-Type"]) == (200, b"", HTML)
    assert ok["X-Storage-Token"] == ok["X-Auth-Token"] == raw.token  # the same while it lives
    assert ok["X-Auth-Token-Expires"].isdigit()
    assert ok["X-Storage-Url"] == raw.storage_url
    storage_user = {"X-Storage-User": swift.v1_user, "X-Storage-Pass": swift.v1_key}
    assert raw.request("GET", path + "/", storage_user, auth=False).status == 200
    account = swift.v1_user.split(":", 1)[0]
    wrong = raw.request("GET", path, {**good, "X-Auth-Key": "wrong"}, auth=False)
    assert (wrong.status, wrong.body) == (401, STOCK_401)
    assert wrong["Www-Authenticate"] == f'Swift realm="{account}"'
    for headers in ({}, {"X-Auth-User": "no-colon", "X-Auth-Key": "x"}):
        anonymous = raw.request("GET", path, headers, auth=False)
        assert anonymous.status == 401
        assert anonymous["Www-Authenticate"] == 'Swift realm="unknown"'
    assert raw.request("POST", path, good, b"", auth=False).status == 405
    assert raw.request("HEAD", path, good, auth=False).status == 405


def test_storage_401_names_the_account_realm(raw: Raw) -> None:
    for headers in ({}, {"X-Auth-Token": "AUTH_tk" + "0" * 32}):
        denied = raw.request("GET", "c/o", headers, auth=False)
        assert (denied.status, denied.body) == (401, STOCK_401)
        assert denied["Www-Authenticate"] == f'Swift realm="{raw.account}"'


# -- account and container ------------------------------------------------------------------------


def test_account_and_container_headers(raw: Raw) -> None:
    raw.put("c", X_Container_Meta_A="1")
    account = raw.request("HEAD", "")
    assert account.status == 204
    assert account["Vary"] == "Accept"
    assert account["Accept-Ranges"] == "bytes"
    assert account["X-Account-Container-Count"] == "1"
    assert account["X-Account-Storage-Policy-Gold-Container-Count"] == "1"
    assert "X-Put-Timestamp" not in account.names
    container = raw.request("HEAD", "c")
    assert container.status == 204
    assert (container["Content-Length"], container["Content-Type"]) == (
        "0",
        "text/plain; charset=utf-8",
    )
    assert container["X-Storage-Policy"] == "gold"
    assert container["Vary"] == "Accept"
    assert {"X-Timestamp", "Last-Modified", "X-Container-Meta-A"} <= container.names
    assert "X-Put-Timestamp" not in container.names
    # format= chooses the type itself: no Vary.
    assert "Vary" not in raw.request("GET", "c?format=json").names


def test_fresh_account_has_no_database_yet(fake_swift: FakeSwift) -> None:
    raw = Raw(fake_swift)
    head = raw.request("HEAD", "")
    assert head.status == 200  # not 204: account_autocreate has written nothing yet
    assert {"X-Timestamp", "X-Put-Timestamp"} <= head.names
    assert "Accept-Ranges" not in head.names
    assert not any("Storage-Policy" in name for name in head.names)
    assert raw.request("GET", "").status == 204
    assert raw.request("GET", "?format=json").body == b"[]"
    raw.request("POST", "", {"X-Account-Meta-A": "1"}, b"")
    written = raw.request("HEAD", "")
    assert written.status == 204
    assert "X-Put-Timestamp" not in written.names
    assert not any("Storage-Policy" in name for name in written.names)  # no container yet


def test_acls_are_shown_to_the_owner_only(fake_swift: FakeSwift) -> None:
    owner = Raw(fake_swift)
    owner.put("c", X_Container_Read=".r:*,.rlistings", X_Container_Write="test2:tester2")
    assert owner.request("HEAD", "c")["X-Container-Read"] == ".r:*,.rlistings"
    other = owner.request("HEAD", "c", {"X-Auth-Token": _token(fake_swift, "test2:tester2")})
    assert other.status == 204
    assert "X-Container-Read" not in other.names
    assert "X-Container-Write" not in other.names


def _token(fake: FakeSwift, user: str) -> str:
    key = fake.auth.v1_users[user].key
    reply = Raw(fake).request(
        "GET", "/auth/v1.0", {"X-Auth-User": user, "X-Auth-Key": key}, auth=False
    )
    return reply["X-Auth-Token"]


def test_container_errors(raw: Raw) -> None:
    too_long = raw.put("k" * 257)
    assert (too_long.status, too_long.body) == (
        400,
        b"Container name length of 257 longer than 256",
    )
    assert raw.request("GET", "k" * 257).status == 404  # only PUT checks the length
    assert raw.put("c").status == 201
    raw.put("c/o", b"x")
    conflict = raw.request("DELETE", "c")
    assert conflict.status == 409
    assert raw.request("POST", "nope", body=b"").status == 404
    quota = raw.request("POST", "c", {"X-Container-Meta-Quota-Bytes": "abc"}, b"")
    assert (quota.status, quota.body) == (400, b"Invalid bytes quota.")
    # Swift lists the methods from a set: their order changes from one process to the next.
    not_allowed = raw.request("PATCH", "c")
    assert not_allowed.status == 405
    assert set(not_allowed["Allow"].split(", ")) == {
        "OPTIONS",
        "DELETE",
        "GET",
        "PUT",
        "POST",
        "HEAD",
    }
    options = raw.request("OPTIONS", "c/o", auth=False)
    assert set(options["Allow"].split(", ")) == {
        "OPTIONS",
        "DELETE",
        "GET",
        "PUT",
        "POST",
        "HEAD",
        "COPY",
    }


def test_container_quota(raw: Raw) -> None:
    raw.put("q", X_Container_Meta_Quota_Bytes="2")
    over = raw.put("q/o", b"abc")
    assert (over.status, over.body) == (413, b"Upload exceeds quota.")
    assert raw.put("q/o", b"ab").status == 201


# -- listings -------------------------------------------------------------------------------------

NAMES = ["Z", "a", "a b", "a-", "a.b", "a/b", "a/b/c", "b", "d/x", "d/y/z", "é", "中"]


@pytest.fixture
def listed(raw: Raw) -> Raw:
    """Container ``c`` with objects named to show Swift's byte order and folders."""
    raw.put("c")
    for name in NAMES:
        assert raw.put("c/" + quote(name), b"x").status == 201
    return raw


def test_object_listing_formats(listed: Raw) -> None:
    plain = listed.request("GET", "c")
    assert plain.body == "".join(n + "\n" for n in NAMES).encode()
    assert plain["Content-Type"] == "text/plain; charset=utf-8"
    entries = listed.request("GET", "c?format=json").json()
    assert [e["name"] for e in entries] == NAMES
    assert list(entries[0]) == ["bytes", "hash", "name", "content_type", "last_modified"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}", entries[0]["last_modified"])
    assert b'"\\u00e9"' in listed.request("GET", "c?format=json&prefix=%C3%A9").body
    xml = listed.request("GET", "c?format=xml&limit=1").body
    assert re.fullmatch(
        rb'<\?xml version="1.0" encoding="UTF-8"\?>\n<container name="c"><object><name>Z</name>'
        rb"<hash>[0-9a-f]{32}</hash><bytes>1</bytes><content_type>application/octet-stream"
        rb"</content_type><last_modified>[^<]+</last_modified></object></container>",
        xml,
    )
    folders = listed.request("GET", "c?format=xml&delimiter=/&prefix=d/").body
    assert folders.endswith(b'<subdir name="d/y/"><name>d/y/</name></subdir></container>')
    listed.put("empty")
    assert listed.request("GET", "empty?format=xml").body.endswith(b'<container name="empty" />')
    assert listed.request("GET", "empty").status == 204
    assert listed.request("GET", "c?prefix=zzz").status == 204
    assert listed.request("GET", "c?prefix=zzz&format=json").body == b"[]"


def test_listing_parameters(listed: Raw) -> None:
    def names(query: str) -> list[str]:
        return [e.get("name") or e["subdir"] for e in listed.request("GET", f"c?{query}").json()]

    assert names("format=json&delimiter=/") == [
        "Z",
        "a",
        "a b",
        "a-",
        "a.b",
        "a/",
        "b",
        "d/",
        "é",
        "中",
    ]
    assert names("format=json&delimiter=/&prefix=a/") == ["a/b", "a/b/"]
    # A delimiter may be longer than one character.
    assert names("format=json&delimiter=/b&prefix=a") == ["a", "a b", "a-", "a.b", "a/b"]
    assert names("format=json&path=d") == ["d/x"]  # objects right inside, no subfolders
    assert names("format=json&marker=a.b&end_marker=b") == ["a/b", "a/b/c"]
    assert names("format=json&reverse=on&limit=2") == ["中", "é"]
    assert names("format=json&limit=0") == []
    assert len(names("format=json&limit=abc")) == len(NAMES)  # ignored
    over = listed.request("GET", "c?limit=10001")
    assert (over.status, over.body) == (412, b"Maximum limit is 10000")
    assert "X-Container-Object-Count" not in over.names
    bad = listed.request("GET", "c?marker=%FF")
    assert (bad.status, bad.body, bad["Content-Type"]) == (
        400,
        b'"marker" parameter not valid UTF-8',
        "text/plain",
    )


def test_listing_content_negotiation(listed: Raw) -> None:
    def answer(accept: str) -> tuple[int, str | None]:
        got = listed.request("GET", "c?limit=1", {"Accept": accept})
        return got.status, got.get("Content-Type")

    assert answer("application/json") == (200, "application/json; charset=utf-8")
    assert answer("text/xml") == (200, "text/xml; charset=utf-8")
    assert answer("*/*") == (200, "text/plain; charset=utf-8")
    assert answer("text/html, application/json") == (200, "application/json; charset=utf-8")
    assert answer("application/json;q=0.5, application/xml;q=0.9")[1] == (
        "application/xml; charset=utf-8"
    )
    refused = listed.request("GET", "c", {"Accept": "text/html"})
    assert refused.status == 406
    assert refused.body.startswith(b"<html><h1>Not Acceptable</h1>")
    assert listed.request("HEAD", "c", {"Accept": "text/html"}).status == 406
    assert listed.request("GET", "c?format=bogus", {"Accept": "text/html"}).status == 200


def test_account_listing_formats(raw: Raw) -> None:
    raw.put("p")
    entries = raw.request("GET", "?format=json").json()
    assert list(entries[0]) == ["name", "count", "bytes", "last_modified", "storage_policy"]
    assert entries[0]["storage_policy"] == "gold"
    xml = raw.request("GET", "?format=xml").body
    assert re.fullmatch(
        rb'<\?xml version="1.0" encoding="UTF-8"\?>\n<account name="[^"]+">\n<container>'
        rb"<name>p</name><count>0</count><bytes>0</bytes><last_modified>[^<]+</last_modified>"
        rb"<storage_policy>gold</storage_policy></container>\n</account>",
        xml,
    )


# -- object writes --------------------------------------------------------------------------------


def test_object_put_checks(box: Raw) -> None:
    def plain_error(reply: Answer, status: int, text: bytes) -> None:
        assert (reply.status, reply.body, reply["Content-Type"]) == (status, text, "text/plain")

    plain_error(
        box.put("c/" + "o" * 1025, b"x"), 400, b"Object name length of 1025 longer than 1024"
    )
    plain_error(
        box.put("c/m", b"x", X_Object_Meta_K="v" * 257),
        400,
        b"Metadata value longer than 256: x-object-meta-K",
    )
    plain_error(
        box.put("c/m", b"x", **{"X_Object_Meta_" + "k" * 129: "v"}),
        400,
        b"Metadata name too long: x-object-meta-K" + b"k" * 128,
    )
    plain_error(box.put("c/m", b"x", If_None_Match="abc"), 400, b"If-None-Match only supports *")
    plain_error(box.put("c/m", b"x", X_Delete_After="0"), 400, b"X-Delete-After in past")
    plain_error(box.put("c/m", b"x", X_Delete_After="abc"), 400, b"Non-integer X-Delete-After")
    plain_error(box.put("c/m", b"x", X_Delete_At="1000"), 400, b"X-Delete-At in past")
    no_length = box.request("PUT", "c/m")
    plain_error(no_length, 411, b"Missing Content-Length header.")
    swift_param = box.put("c/m", b"x", Content_Type="text/plain;swift_bytes=5")
    assert (swift_param.status, swift_param.body) == (
        400,
        b"Invalid Content-Type, swift_* is not a valid parameter name.",
    )
    mismatch = box.put("c/m", b"x", ETag="0" * 32)
    assert mismatch.status == 422
    assert box.put("c/hello.txt", b"x", If_None_Match="*").status == 412
    assert box.put("nope/o", b"x").status == 404


def test_content_type_is_guessed_when_missing_or_empty(box: Raw) -> None:
    box.put("c/a.json", b"{}", Content_Type="")
    box.request("PUT", "c/b.json", {"Content-Length": "2"}, b"{}")
    box.put("c/c.zzqq", b"{}")
    box.put("c/d.json", b"{}", Content_Type="text/plain", X_Detect_Content_Type="true")
    for name, wanted in (
        ("a.json", "application/json"),
        ("b.json", "application/json"),
        ("c.zzqq", "application/octet-stream"),
        ("d.json", "application/json"),
    ):
        assert box.request("HEAD", "c/" + name)["Content-Type"] == wanted, name


def test_stored_headers_and_dropped_ones(raw: Raw) -> None:
    raw.put("c")
    raw.put(
        "c/o",
        b"x",
        Cache_Control="no-cache",
        Content_Language="en",
        X_Robots_Tag="noindex",
        X_Custom_Header="dropped",
        X_Object_Meta_With_Dash="kept",
    )
    # A header with "_" in its name never reaches Swift (the WSGI server drops it).
    raw.request("POST", "c/o", {"X-Object-Meta-A_B": "lost", "X-Object-Meta-C": "1"}, b"")
    head = raw.request("HEAD", "c/o")
    assert head["X-Object-Meta-C"] == "1"
    assert "X-Object-Meta-With-Dash" not in head.names  # POST replaced the metadata...
    assert "Cache-Control" not in head.names  # ...and the stored extras
    assert not any("A_B" in name or "A-B" in name for name in head.names)
    assert "X-Custom-Header" not in head.names


def _wire(text: str) -> str:
    """``text`` as http.client carries a header value: its UTF-8 bytes, one character each."""
    return text.encode("utf-8").decode("latin-1")


def test_header_values_are_bytes_in_bytes_out(raw: Raw) -> None:
    raw.put("c", X_Container_Meta_Name=_wire("ёмкость"))
    assert raw.request("HEAD", "c")["X-Container-Meta-Name"] == _wire("ёмкость")
    sent = {
        "X-Object-Meta-Name": _wire("привет"),
        "X-Object-Meta-Raw": "caf\xe9",  # not UTF-8: stored and returned all the same
        "Content-Disposition": _wire('attachment; filename="отчёт.pdf"'),
    }
    assert raw.request("PUT", "c/o", sent, b"x").status == 201
    head = raw.request("HEAD", "c/o")
    assert {name: head[name] for name in sent} == sent
    posted = {"X-Object-Meta-Zz": _wire("ёж")}
    assert raw.request("POST", "c/o", posted, b"").status == 202
    assert raw.request("HEAD", "c/o")["X-Object-Meta-Zz"] == _wire("ёж")
    copied = raw.request(
        "COPY", "c/o", {"Destination": "/c/copy", "X-Object-Meta-Extra": _wire("ü")}
    )
    assert (copied.status, copied["X-Object-Meta-Extra"]) == (201, _wire("ü"))
    assert copied["X-Object-Meta-Zz"] == _wire("ёж")
    # A raw UTF-8 Destination names the object in UTF-8.
    raw.request("COPY", "c/o", {"Destination": _wire("/c/ключ")})
    assert raw.request("HEAD", "c/" + quote("ключ")).status == 200
    # The limits count bytes: 128 two-byte letters fit in 256, 129 do not.
    fits = raw.request("PUT", "c/l", {"X-Object-Meta-L": _wire("я" * 128)}, b"")
    assert fits.status == 201
    over = raw.request("PUT", "c/l", {"X-Object-Meta-L": _wire("я" * 129)}, b"")
    assert (over.status, over.body) == (400, b"Metadata value longer than 256: x-object-meta-L")


def test_delete_conditions(raw: Raw) -> None:
    raw.put("c")
    raw.put("c/o", b"x")
    raw.put("c/e", b"x", X_Delete_After="1000")
    at = raw.request("HEAD", "c/e")["X-Delete-At"]
    no_expiry = raw.request("DELETE", "c/o", {"X-If-Delete-At": at})
    assert (no_expiry.status, no_expiry.body) == (
        412,
        b"X-If-Delete-At and X-Delete-At do not match",
    )
    bad = raw.request("DELETE", "c/e", {"X-If-Delete-At": "abc"})
    assert (bad.status, bad.body) == (400, b"Bad X-If-Delete-At header value")
    assert raw.request("DELETE", "c/e", {"X-If-Delete-At": at}).status == 204


# -- object reads: conditionals and ranges --------------------------------------------------------


def test_failed_precondition_has_object_headers_and_no_body(box: Raw) -> None:
    for method in ("GET", "HEAD"):
        failed = box.request(method, "c/hello.txt", {"If-Match": '"nope"', "Range": "bytes=0-1"})
        assert (failed.status, failed.body, failed["Content-Length"]) == (412, b"", "0")
        assert failed["Content-Type"] == HTML
        assert failed["Etag"] == HELLO_MD5
        assert failed["X-Object-Meta-Camelcase"] == "A"
        assert failed["Content-Disposition"] == "inline"
        assert {"Last-Modified", "X-Timestamp"} <= failed.names
        assert "Accept-Ranges" not in failed.names
    past = box.request(
        "GET", "c/hello.txt", {"If-Unmodified-Since": "Wed, 21 Oct 2015 07:28:00 GMT"}
    )
    assert past.status == 412


def test_not_modified(box: Raw) -> None:
    for value in (f'"{HELLO_MD5}"', HELLO_MD5, "*", f'"x", "{HELLO_MD5}"'):
        same = box.request("GET", "c/hello.txt", {"If-None-Match": value})
        assert (same.status, same.body, same["Content-Length"]) == (304, b"", "0"), value
        assert same["Content-Type"] == "text/plain"
        assert same["Accept-Ranges"] == "bytes"
    future = box.request(
        "GET", "c/hello.txt", {"If-Modified-Since": "Wed, 21 Oct 2037 07:28:00 GMT"}
    )
    assert future.status == 304
    assert box.request("GET", "c/hello.txt", {"If-Modified-Since": "garbage"}).status == 200


def test_ranges(box: Raw) -> None:
    def get(spec: str, method: str = "GET") -> Answer:
        return box.request(method, "c/hello.txt", {"Range": spec})

    assert (get("bytes=-3").status, get("bytes=-3")["Content-Range"]) == (206, "bytes 8-10/11")
    assert get("bytes=-30")["Content-Range"] == "bytes 0-10/11"
    for ignored in ("bytes=junk", "bytes=5-2", "items=0-1"):
        assert (get(ignored).status, get(ignored).body) == (200, HELLO), ignored
    head = get("bytes=0-1", "HEAD")
    assert (head.status, head["Content-Length"]) == (200, "11")
    assert get("bytes=0-1")["Content-Length"] == "2"
    wrong_if_range = box.request("GET", "c/hello.txt", {"Range": "bytes=0-1", "If-Range": '"x"'})
    assert wrong_if_range.status == 206
    for unsatisfiable in ("bytes=11-", "bytes=20-30", "bytes=-0", "bytes=0-2,0-2,0-2,1-1"):
        refused = get(unsatisfiable)
        assert (refused.status, refused.body) == (416, RANGE_416), unsatisfiable
        assert refused["Content-Range"] == "bytes */11"
        assert refused["Content-Type"] == "text/plain"  # the object's
        assert refused["X-Object-Meta-Camelcase"] == "A"
    assert get("bytes=" + ",".join(["0-0"] * 51)).status == 416
    assert get("bytes=0-1,0-1,0-1").status == 206
    descending = ",".join(f"{i}-{i}" for i in range(8, 0, -1))
    assert get("bytes=" + descending).status == 416
    assert get("bytes=" + descending.partition(",")[2]).status == 206


def test_multipart_ranges(box: Raw) -> None:
    got = box.request("GET", "c/hello.txt", {"Range": "bytes=0-1,4-5"})
    match = re.fullmatch(r"multipart/byteranges;boundary=([0-9a-f]{32})", got["Content-Type"])
    assert got.status == 206 and match
    marker = b"--" + match.group(1).encode()
    assert got.body == (
        marker
        + b"\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/11\r\n\r\nhe\r\n"
        + marker
        + b"\r\nContent-Type: text/plain\r\nContent-Range: bytes 4-5/11\r\n\r\no \r\n"
        + marker
        + b"--"
    )
    one = box.request("GET", "c/hello.txt", {"Range": "bytes=0-1,40-50"})
    assert (one.status, one["Content-Range"], one.body) == (206, "bytes 0-1/11", b"he")


def test_empty_object_ranges(raw: Raw) -> None:
    raw.put("c")
    raw.put("c/e")
    suffix = raw.request("GET", "c/e", {"Range": "bytes=-1"})
    assert (suffix.status, suffix.body) == (200, b"")
    refused = raw.request("GET", "c/e", {"Range": "bytes=0-"})
    assert (refused.status, refused["Content-Range"]) == (416, "bytes */0")


# -- copy -----------------------------------------------------------------------------------------


def test_copy_reply_headers(box: Raw) -> None:
    box.put("d")
    copied = box.request("COPY", "c/hello.txt", {"Destination": "/d/x", "X-Object-Meta-Extra": "e"})
    assert (copied.status, copied.body) == (201, b"")
    assert copied["X-Copied-From"] == "c/hello.txt"
    assert copied["X-Copied-From-Account"] == box.account
    assert copied["X-Object-Meta-Camelcase"] == "A"
    assert copied["X-Object-Meta-Extra"] == "e"
    assert copied["Etag"] == HELLO_MD5
    assert {"Last-Modified", "X-Copied-From-Last-Modified"} <= copied.names
    fresh = box.request(
        "COPY",
        "c/hello.txt",
        {"Destination": "d/y", "X-Fresh-Metadata": "true", "X-Object-Meta-Only": "o"},
    )
    assert "X-Object-Meta-Camelcase" not in fresh.names
    assert fresh["X-Object-Meta-Only"] == "o"


def test_copy_errors(box: Raw) -> None:
    missing = box.request("COPY", "c/hello.txt")
    assert (missing.status, missing.body) == (412, b"Destination header required")
    bad = box.request("COPY", "c/hello.txt", {"Destination": "nocontainer"})
    assert (bad.status, bad.body) == (
        412,
        b"Destination header must be of the form <container name>/<object name>",
    )
    body = box.put("c/x", b"xx", X_Copy_From="/c/hello.txt")
    assert (body.status, body.body, body["Content-Type"]) == (
        400,
        b"Copy requests require a zero byte body",
        "text/plain",
    )
    # Conditions apply to the source: a failed one answers with the source's headers.
    failed = box.request(
        "PUT", "c/y", {"X-Copy-From": "c/hello.txt", "Content-Length": "0", "If-Match": '"no"'}
    )
    assert (failed.status, failed.body, failed["Etag"]) == (412, b"", HELLO_MD5)
    assert box.request("HEAD", "c/y").status == 404
    assert box.request("COPY", "c/nope", {"Destination": "/c/z"}).status == 404
    assert box.request("COPY", "c/hello.txt", {"Destination": "/nope/z"}).status == 404


# -- bulk -----------------------------------------------------------------------------------------


def test_bulk_delete_results(box: Raw) -> None:
    box.put("d")
    box.put("d/1", b"1")
    box.put("d/2", b"2")
    # Objects go before containers, whatever the order of the lines; no leading "/" is fine.
    lines = b"/d\n/d/1\n\nd/2\n/d/missing\n/d/1\n"
    done = box.request(
        "POST", "?bulk-delete", {"Accept": "application/json", "Content-Type": "text/plain"}, lines
    )
    assert done.status == 200
    assert done["Content-Type"] == "application/json"
    assert done["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in done.names
    assert done.body == (
        b'{"Response Status": "200 OK", "Response Body": "", "Number Deleted": 3, '
        b'"Number Not Found": 2, "Errors": []}'
    )


def test_bulk_delete_failures_and_formats(box: Raw) -> None:
    failed = box.request(
        "DELETE", "?bulk-delete", {"Accept": "application/json"}, b"/c\n/with%20space\n/\n"
    )
    report = failed.json()
    # Swift deletes in a pool of workers, so its Errors list comes in no fixed order.
    report["Errors"] = sorted(report["Errors"])
    assert report == {
        "Response Status": "400 Bad Request",
        "Response Body": "",
        "Number Deleted": 0,
        "Number Not Found": 1,
        "Errors": [["/", "403 Forbidden"], ["/c", "409 Conflict"]],
    }
    text = box.request("POST", "?bulk-delete", body=b"/c/nope\n")
    assert text["Content-Type"] == "text/plain"
    assert text.body == (
        b"Number Deleted: 0\nNumber Not Found: 1\nResponse Body: \nResponse Status: 200 OK\n"
        b"Errors:\n"
    )
    xml = box.request("POST", "?bulk-delete", {"Accept": "application/xml"}, b"/c/nope\n")
    assert xml["Content-Type"] == "application/xml"
    assert xml.body == (
        b"<delete>\n<number_deleted>0</number_deleted>\n<number_not_found>1</number_not_found>\n"
        b"<response_body></response_body>\n<response_status>200 OK</response_status>\n"
        b"<errors>\n</errors>\n</delete>\n"
    )
    empty = box.request("POST", "?bulk-delete", {"Accept": "application/json"}, b"")
    assert empty.json()["Response Status"] == "400 Bad Request"
    assert empty.json()["Response Body"] == "Invalid bulk delete."
    anonymous = box.request(
        "POST", "?bulk-delete", {"Accept": "application/json"}, b"/c/hello.txt\n", auth=False
    )
    assert anonymous.status == 200
    assert anonymous.json()["Errors"] == [["/c/hello.txt", "401 Unauthorized"]]
    assert anonymous.json()["Response Status"] == "400 Bad Request"
    wrong_type = box.request(
        "POST",
        "?bulk-delete",
        {"Accept": "application/json", "Content-Type": "application/json"},
        b"/c/hello.txt\n",
    )
    assert wrong_type.json()["Response Status"] == "406 Not Acceptable"
    assert box.request("HEAD", "c/hello.txt").status == 200


def _tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_extract_archive(raw: Raw) -> None:
    tar = _tar({"x/one.json": b"1", "x/two.txt": b"22", "top.txt": b"3"})
    json_accept = {"Accept": "application/json", "X-Object-Meta-From": "tar"}
    done = raw.request("PUT", "?extract-archive=tar", json_accept, tar)
    assert (done.status, done["Content-Type"]) == (200, "application/json")
    assert done.body == (
        b'{"Response Status": "201 Created", "Response Body": "", "Number Files Created": 2, '
        b'"Errors": []}'
    )
    head = raw.request("HEAD", "x/one.json")
    assert head["Content-Type"] == "application/json"  # guessed, not the archive's type
    assert head["X-Object-Meta-From"] == "tar"
    nothing = raw.request("PUT", "?extract-archive=tar", json_accept, b"\0" * 1024)
    assert nothing.json()["Response Body"] == "Invalid Tar File: No Valid Files"
    unsupported = raw.request("PUT", "x?extract-archive=gz", json_accept, b"x")
    assert (unsupported.status, unsupported.body) == (400, b"Unsupported archive format")


def test_extract_archive_paths_and_pax_metadata(raw: Raw) -> None:
    tar = _tar({"one.txt": b"1", "d/two.txt": b"22"})
    accept = {"Accept": "application/json"}
    raw.put("c")
    # Trailing slashes of the upload path go (all of them): no empty path segment.
    for path in ("c/up/", "c/up2//", "c2/", "c3//"):
        done = raw.request("PUT", f"{path}?extract-archive=tar", accept, tar)
        assert done.json()["Number Files Created"] == 2, path
    assert [e["name"] for e in raw.request("GET", "c?format=json").json()] == [
        "up/d/two.txt",
        "up/one.txt",
        "up2/d/two.txt",
        "up2/one.txt",
    ]
    for container in ("c2", "c3"):
        listed = raw.request("GET", f"{container}?format=json").json()
        assert [e["name"] for e in listed] == ["d/two.txt", "one.txt"]
    # pax extended headers carry text; it goes out as UTF-8, like request header bytes.
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo("x/ёж.txt")
        info.size = 1
        info.pax_headers = {
            "SCHILY.xattr.user.meta.name": "привет",
            "SCHILY.xattr.user.mime_type": "text/plain; charset=ы",
        }
        archive.addfile(info, io.BytesIO(b"1"))
    sent = {**accept, "X-Object-Meta-Hdr": _wire("ü")}
    done = raw.request("PUT", "?extract-archive=tar", sent, buf.getvalue())
    assert done.json()["Number Files Created"] == 1
    head = raw.request("HEAD", "x/" + quote("ёж.txt"))
    assert head["X-Object-Meta-Name"] == _wire("привет")
    assert head["X-Object-Meta-Hdr"] == _wire("ü")
    assert head["Content-Type"] == _wire("text/plain; charset=ы")


# -- static large objects -------------------------------------------------------------------------


@pytest.fixture
def segments(raw: Raw) -> Raw:
    raw.put("seg")
    raw.put("seg/p0", b"aaaaa")
    raw.put("seg/p1", b"bbbbb")
    raw.put("c")
    return raw


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def test_slo_put_and_manifest_formats(segments: Raw) -> None:
    manifest = json.dumps(
        [
            {"path": "/seg/p0", "etag": _md5(b"aaaaa"), "size_bytes": 5},
            {"path": "/seg/p1", "etag": None, "size_bytes": None},
        ]
    ).encode()
    put = segments.request("PUT", "c/big?multipart-manifest=put", body=manifest)
    slo_etag = _md5((_md5(b"aaaaa") + _md5(b"bbbbb")).encode())
    assert (put.status, put["Etag"]) == (201, f'"{slo_etag}"')
    got = segments.request("GET", "c/big")
    assert (got.body, got["Etag"], got["X-Static-Large-Object"]) == (
        b"aaaaabbbbb",
        f'"{slo_etag}"',
        "True",
    )
    stored = segments.request("GET", "c/big?multipart-manifest=get")
    assert stored["Content-Type"] == "application/json; charset=utf-8"
    assert stored["Etag"] == _md5(stored.body) == got["X-Manifest-Etag"]
    first = stored.json()[0]
    assert list(first) == ["name", "bytes", "hash", "content_type", "last_modified"]
    assert first["last_modified"].endswith(".000000")  # the segment's Last-Modified second
    raw_form = segments.request("GET", "c/big?multipart-manifest=get&format=raw")
    assert raw_form["Content-Type"] == "application/octet-stream"  # the object's type
    assert raw_form.json() == [
        {"etag": _md5(b"aaaaa"), "path": "/seg/p0", "size_bytes": 5},
        {"etag": _md5(b"bbbbb"), "path": "/seg/p1", "size_bytes": 5},
    ]
    assert raw_form["Etag"] == _md5(raw_form.body)
    entry = segments.request("GET", "c?format=json").json()[0]
    assert (entry["bytes"], entry["hash"], entry["slo_etag"]) == (
        10,
        got["X-Manifest-Etag"],
        f'"{slo_etag}"',
    )


def test_slo_put_errors(segments: Raw) -> None:
    def put(body: object, **headers: str) -> Answer:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return segments.request("PUT", "c/s?multipart-manifest=put", headers, data)

    invalid = put(b"nope")
    assert (invalid.status, invalid.body) == (400, b"Manifest must be valid JSON.\n")
    extra = put([{"path": "/seg/p0", "foo": 1}])
    assert (extra.status, extra.body) == (400, b'Index 0: extraneous keys "foo"\n')
    assert put([{"path": "/c/s"}]).body == (
        b"Index 0: manifest must not include itself as a segment\n"
    )
    mismatch = put([{"path": "/seg/p0", "etag": "0" * 32, "size_bytes": 3}])
    assert (mismatch.status, mismatch["Content-Type"], mismatch.body) == (
        400,
        "text/plain",
        b"Errors:\n/seg/p0, Size Mismatch\n/seg/p0, Etag Mismatch\n",
    )
    assert mismatch["Transfer-Encoding"] == "chunked"
    as_json = put([{"path": "/seg/missing"}], Accept="application/json")
    assert as_json.json() == {"Errors": [["/seg/missing", "404 Not Found"]]}
    beat = segments.request(
        "PUT",
        "c/s?multipart-manifest=put&heartbeat=on",
        body=json.dumps([{"path": "/seg/p0"}]).encode(),
    )
    assert beat.status == 202
    assert beat.body.startswith(b' \r\n\r\nEtag: "')
    assert beat.body.endswith(b"Response Body: \nResponse Status: 201 Created\nErrors:\n")


def test_slo_segment_paths_are_taken_literally(segments: Raw) -> None:
    # Objects named "a%20b", "a b" and "p%q" (their URLs percent-encode the name).
    segments.put("seg/a%2520b", b"percent")
    segments.put("seg/a%20b", b"space")
    segments.put("seg/p%25q", b"pq")

    def put(url: str, path: str) -> Answer:
        body = json.dumps([{"path": path}]).encode()
        return segments.request("PUT", f"c/{url}?multipart-manifest=put", body=body)

    assert put("m1", "/seg/a%20b").status == 201
    assert segments.request("GET", "c/m1").body == b"percent"  # "%20" is not a space
    assert put("m2", "/seg/p%q").status == 201
    assert segments.request("GET", "c/m2").body == b"pq"
    listed = segments.request("GET", "c/m2?multipart-manifest=get").json()
    assert listed[0]["name"] == "/seg/p%q"
    missing = put("m3", "/seg/p%25q")
    assert (missing.status, missing.body) == (400, b"Errors:\n/seg/p%2525q, 404 Not Found\n")
    # A manifest naming itself, literally, is refused; "%20" does not name "a b".
    itself = b"Index 0: manifest must not include itself as a segment\n"
    assert put("s%2520x", "/c/s%20x").body == itself
    assert put("s%20x", "/c/s x").body == itself
    segments.put("c/s%2520x", b"other")
    assert put("s%20x", "/c/s%20x").status == 201


def test_slo_delete(segments: Raw) -> None:
    segments.request(
        "PUT", "c/big?multipart-manifest=put", body=json.dumps([{"path": "/seg/p0"}]).encode()
    )
    segments.put("c/plain", b"x")
    not_slo = segments.request("DELETE", "c/plain?multipart-manifest=delete")
    assert not_slo.status == 200
    assert not_slo.body == (
        b"Number Deleted: 0\nNumber Not Found: 0\nResponse Body: \n"
        b"Response Status: 400 Bad Request\nErrors:\n/c/plain, Not an SLO manifest\n"
    )
    assert segments.request("HEAD", "c/plain").status == 200
    gone = segments.request(
        "DELETE", "c/big?multipart-manifest=delete", {"Accept": "application/json"}
    )
    assert gone.json()["Number Deleted"] == 2
    assert segments.request("HEAD", "seg/p0").status == 404


# -- TempURL and FormPost -------------------------------------------------------------------------


def _sign(key: bytes, message: str, digest: str = "sha256") -> str:
    return hmac.new(key, message.encode(), digest).hexdigest()


def test_tempurl_answers(box: Raw) -> None:
    box.request("POST", "", {"X-Account-Meta-Temp-URL-Key": "k3y"}, b"")
    expires = int(time.time()) + 600
    path = f"{box.account_path}/c/hello.txt"
    sig = _sign(b"k3y", f"GET\n{expires}\n{path}")
    got = box.request(
        "GET", f"c/hello.txt?temp_url_sig={sig}&temp_url_expires={expires}", auth=False
    )
    assert got.status == 200
    assert got["Content-Disposition"] == "inline"  # the stored one wins without filename=
    assert "X-Object-Meta-Camelcase" not in got.names
    hex512 = _sign(b"k3y", f"GET\n{expires}\n{path}", "sha512")
    assert (
        box.request(
            "GET", f"c/hello.txt?temp_url_sig={hex512}&temp_url_expires={expires}", auth=False
        ).status
        == 200
    )
    for query in (
        f"temp_url_sig={'0' * 64}&temp_url_expires={expires}",
        f"temp_url_sig={sig}",
    ):
        refused = box.request("GET", f"c/hello.txt?{query}", auth=False)
        assert (refused.status, refused.body) == (401, b"401 Unauthorized: Temp URL invalid\n")
        assert refused["Www-Authenticate"] == 'Swift realm="unknown"'
    head = box.request(
        "HEAD", f"c/hello.txt?temp_url_sig={'0' * 64}&temp_url_expires=1", auth=False
    )
    assert (head.status, head["Content-Length"]) == (401, "0")


def test_tempurl_ip_range(box: Raw) -> None:
    box.request("POST", "", {"X-Account-Meta-Temp-URL-Key": "k3y"}, b"")
    expires = int(time.time()) + 600
    path = f"{box.account_path}/c/hello.txt"

    def get(ip_range: str, signed_range: str | None, method: str = "GET") -> Answer:
        lead = "" if signed_range is None else f"ip={signed_range}\n"
        sig = _sign(b"k3y", f"{lead}{method}\n{expires}\n{path}")
        query = f"temp_url_sig={sig}&temp_url_expires={expires}&temp_url_ip_range={ip_range}"
        return box.request(method, f"c/hello.txt?{query}", auth=False)

    # The client is 127.0.0.1.
    for ip_range in ("127.0.0.0/8", "127.0.0.1"):
        got = get(quote(ip_range, safe=""), ip_range)
        assert (got.status, got.body) == (200, HELLO), ip_range
    for ip_range, signed in (
        ("10.0.0.0/8", "10.0.0.0/8"),  # signed right, client outside
        ("127.0.0.0/8", None),  # the range is not signed
        ("127.0.0.0/8", "127.0.0.1"),  # another range signed
        ("127.0.0.1/8", "127.0.0.1/8"),  # host bits set: not a network
        ("bogus", "bogus"),
    ):
        refused = get(quote(ip_range, safe=""), signed)
        assert (refused.status, refused.body) == (401, b"401 Unauthorized: Temp URL invalid\n")
    put_sig = _sign(b"k3y", f"ip=127.0.0.0/8\nPUT\n{expires}\n{path}")
    query = f"temp_url_sig={put_sig}&temp_url_expires={expires}&temp_url_ip_range=127.0.0.0%2F8"
    assert box.request("PUT", f"c/hello.txt?{query}", body=b"new", auth=False).status == 201


def _form(fields: Mapping[str, str], files: list[tuple[str, bytes]]) -> bytes:
    out = []
    for name, value in fields.items():
        out.append(
            f'--B0UNDARY\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    for filename, data in files:
        out.append(
            f'--B0UNDARY\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f"Content-Type: text/x-up\r\n\r\n{data.decode()}\r\n"
        )
    out.append("--B0UNDARY--\r\n")
    return "".join(out).encode()


def test_formpost_answers(raw: Raw) -> None:
    raw.request("POST", "", {"X-Account-Meta-Temp-URL-Key": "k3y"}, b"")
    raw.put("c")
    path = f"{raw.account_path}/c/up/"
    expires = str(int(time.time()) + 600)

    def post(redirect: str = "", files: list[tuple[str, bytes]] | None = None, **kw: str) -> Answer:
        fields = {
            "redirect": redirect,
            "max_file_size": "5",
            "max_file_count": "1",
            "expires": expires,
        }
        fields.update(kw)
        message = "\n".join(
            [path, redirect, fields["max_file_size"], fields["max_file_count"], expires]
        )
        fields.setdefault("signature", _sign(b"k3y", message))
        body = _form(fields, [("f.txt", b"abc")] if files is None else files)
        headers = {"Content-Type": "multipart/form-data; boundary=B0UNDARY"}
        return raw.request("POST", "c/up/", headers, body, auth=False)

    ok = post()
    assert (ok.status, ok.body, ok["Content-Type"]) == (201, b"201 Created", "text/plain")
    assert raw.request("HEAD", "c/up/f.txt")["Content-Type"] == "text/x-up"
    redirected = post("http://x.test/r?a=1")
    assert redirected.status == 303
    assert redirected["Location"] == "http://x.test/r?a=1&status=201&message="
    assert "Content-Type" not in redirected.names
    too_many = post(files=[("a.txt", b"1"), ("b.txt", b"2")])
    assert too_many.body == b"400 Bad Request\r\nFormPost: Max File Count Exceeded"
    assert raw.request("HEAD", "c/up/a.txt").status == 200  # stored before the limit hit
    assert post(files=[]).body == b"400 Bad Request\r\nFormPost: No Files To Process"
    too_big = post(files=[("big.txt", b"123456789")])
    assert (too_big.status, too_big.body) == (400, b"FormPost: max_file_size exceeded")
    forged = post("http://x.test/r", signature="0" * 64)
    assert (forged.status, forged.body) == (401, b"FormPost: Invalid Signature")  # no redirect
    assert forged["Www-Authenticate"] == 'Swift realm="unknown"'


# -- Expect: 100-continue -------------------------------------------------------------------------


def _exchange(raw: Raw, head: bytes, body: bytes | None) -> bytes:
    """Send ``head``; send ``body`` only after "100 Continue"; everything read until EOF."""
    with socket.create_connection((raw.host, raw.port), timeout=5) as sock:
        sock.sendall(head)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                return received
            received += chunk
        if received.startswith(b"HTTP/1.1 100") and body is not None:
            sock.sendall(body)
        sock.settimeout(1.0)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            received += b"<open>"
        return received


def test_early_answers_to_expect_100_continue(box: Raw) -> None:
    def put(path: str, token: str, *extra: str) -> bytes:
        lines = [
            f"PUT {box.account_path}/{path} HTTP/1.1",
            "Host: swift",
            f"X-Auth-Token: {token}",
            "Content-Length: 5",
            "Expect: 100-continue",
            *extra,
        ]
        return _exchange(box, ("\r\n".join(lines) + "\r\n\r\n").encode(), b"hello")

    for path, token, extra, status in (
        ("nope/o", box.token, (), b"404"),
        ("c/o", "AUTH_tk" + "0" * 32, (), b"401"),
        ("c/hello.txt", box.token, ("If-None-Match: *",), b"412"),
    ):
        answer = put(path, token, *extra)
        assert answer.startswith(b"HTTP/1.1 " + status), answer[:80]
        assert b"\r\nConnection: close\r\n" in answer
        assert not answer.endswith(b"<open>")
    good = put("c/o", box.token)
    assert good.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n")
    assert good.endswith(b"<open>")  # keep-alive


# -- /info ----------------------------------------------------------------------------------------


def test_info(raw: Raw) -> None:
    got = raw.request("GET", "/info", auth=False)
    assert got["Content-Type"] == "application/json; charset=UTF-8"
    info = got.json()
    assert info["swift"]["version"].startswith("2.38.")
    assert info["swift"]["policies"] == [{"name": "gold", "aliases": "gold", "default": True}]
    limits = {
        "max_file_size": 5368709122,
        "max_meta_name_length": 128,
        "max_meta_value_length": 256,
        "max_meta_count": 90,
        "max_meta_overall_size": 4096,
        "max_object_name_length": 1024,
        "container_listing_limit": 10000,
        "max_container_name_length": 256,
    }
    assert {k: info["swift"][k] for k in limits} == limits
    assert info["tempurl"]["allowed_digests"] == ["sha1", "sha256", "sha512"]
    assert info["slo"]["max_manifest_segments"] == 1000
    assert info["bulk_delete"] == {"max_deletes_per_request": 10000, "max_failed_deletes": 1000}
    assert {"container_quotas", "formpost", "bulk_upload"} <= set(info)
    assert info["symlink"] == {"symloop_max": 2, "static_links": True}


# -- issue 16: conditionals, names and limits, policies, ACLs --------------------------------------

PAST = "Thu, 01 Jan 1970 00:00:00 GMT"
FUTURE = "Thu, 01 Jan 2099 00:00:00 GMT"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        # Each condition is judged on its own: If-Match does not silence If-Unmodified-Since,
        # nor If-None-Match If-Modified-Since; a reason for 304 wins over one for 412.
        ({"If-Match": HELLO_MD5, "If-Unmodified-Since": PAST}, 412),
        ({"If-Match": '"nope"', "If-Unmodified-Since": FUTURE}, 412),
        ({"If-None-Match": '"nope"', "If-Modified-Since": FUTURE}, 304),
        ({"If-Match": '"nope"', "If-None-Match": HELLO_MD5}, 304),
        ({"If-None-Match": HELLO_MD5, "If-Unmodified-Since": PAST}, 304),
        ({"If-Modified-Since": FUTURE, "If-Unmodified-Since": PAST}, 304),
        ({"If-Match": '"nope"', "If-None-Match": '"nope"'}, 412),
        ({"If-Match": "*", "If-None-Match": "*"}, 304),
        ({"If-Match": "*", "If-Unmodified-Since": "garbage"}, 200),
    ],
)
def test_conditions_are_judged_each_on_its_own(
    box: Raw, headers: dict[str, str], status: int
) -> None:
    for method in ("GET", "HEAD"):
        got = box.request(method, "c/hello.txt", headers)
        assert got.status == status, (method, headers)
        if status == 412:
            assert (got["Content-Type"], got.body) == (HTML, b"")
            assert "Accept-Ranges" not in got.names
        if status == 304:
            assert (got["Content-Type"], got["Content-Length"]) == ("text/plain", "0")


def test_name_limits_count_characters(raw: Raw) -> None:
    # Names this long are too long for a line of bulk delete: each test removes its own.
    longest_object = "c/" + quote("é" * 1024)
    longest_container = quote("é" * 256)
    assert raw.put("c").status == 201
    try:
        assert raw.put(longest_object, b"x").status == 201
        too_long = raw.put("c/" + quote("é" * 1025), b"x")
        assert (too_long.status, too_long.body) == (
            400,
            b"Object name length of 1025 longer than 1024",
        )
        assert raw.put(longest_container).status == 201
        long_container = raw.put(quote("é" * 257))
        assert long_container.status == 400
        assert long_container.body == b"Container name length of 257 longer than 256"
    finally:
        raw.request("DELETE", longest_object)
        raw.request("DELETE", longest_container)


def test_a_request_line_over_8192_bytes_is_refused(raw: Raw) -> None:
    assert raw.put("c").status == 201
    fits = "c/" + "a" * 1000
    assert raw.put(fits, b"x").status == 201
    huge = raw.request("GET", "c/" + quote("中" * 1000))  # 9000 bytes of the request line
    assert (huge.status, huge.body) == (414, b"")


def test_unknown_storage_policy(raw: Raw) -> None:
    bad = raw.put("p", X_Storage_Policy="nope")
    assert (bad.status, bad.body, bad["Content-Type"]) == (
        400,
        b"Invalid X-Storage-Policy 'nope'",
        "text/plain",
    )
    assert raw.request("HEAD", "p").status == 404
    assert raw.put("p", X_Storage_Policy="GOLD").status == 201
    assert raw.put("p", X_Storage_Policy="nope").status == 400
    assert raw.request("HEAD", "p")["X-Storage-Policy"] == "gold"
    # POST cannot change a policy: Swift ignores the header there.
    assert raw.request("POST", "p", {"X-Storage-Policy": "nope"}).status == 204


@pytest.mark.parametrize(
    ("header", "value", "message"),
    [
        (
            "X-Container-Read",
            ".r:",
            "No host/domain value after referrer designation in ACL: '.r:'",
        ),
        (
            "X-Container-Read",
            ".r:-",
            "No host/domain value after referrer designation in ACL: '.r:-'",
        ),
        ("X-Container-Write", ".r:*", "Referrers not allowed in write ACL: '.r:*'"),
        ("X-Container-Read", ".bogus:x", "Unknown designator '.bogus' in ACL: '.bogus:x'"),
    ],
)
def test_invalid_container_acls(raw: Raw, header: str, value: str, message: str) -> None:
    for method in ("PUT", "POST"):
        if method == "POST":
            assert raw.put("a").status == 201
        bad = raw.request(method, "a", {header: value}, b"" if method == "POST" else None)
        assert (bad.status, bad.body.decode()) == (400, message), method
        assert bad["Content-Type"] == HTML


def test_container_acls_are_stored_cleaned(raw: Raw) -> None:
    sent = ".r:*, test:tester3 ,, .referrer:*.example.com, .r:-bad.com, .rlistings"
    assert raw.put("a", X_Container_Read=sent).status == 201
    shown = raw.request("HEAD", "a")["X-Container-Read"]
    assert shown == ".r:*,test:tester3,.r:.example.com,.r:-bad.com,.rlistings"


def _login(raw: Raw, user: str, key: str) -> str:
    auth = raw.request(
        "GET",
        urlsplit(raw.target.auth_v1_url).path,
        {"X-Auth-User": user, "X-Auth-Key": key},
        auth=False,
    )
    assert auth.status == 200
    return auth["X-Auth-Token"]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("not json", "Syntax error in input ('not json')"),
        ("[]", "Syntax error in input ('[]')"),
        ('{"bogus": ["x"]}', 'Key "bogus" not recognized'),
        ('{"admin": "x"}', 'Value for key "admin" must be a list'),
    ],
)
def test_invalid_account_acl(raw: Raw, value: str, reason: str) -> None:
    bad = raw.request("POST", "", {"X-Account-Access-Control": value}, b"")
    assert bad.status == 400
    assert bad["Content-Type"] == "text/plain; charset=UTF-8"
    assert bad.body.decode() == f"X-Account-Access-Control invalid: {reason}\n\nInput: {value}\n"


def test_account_acl_grants(raw: Raw) -> None:
    # The account's reset keeps the ACL (it is no X-Account-Meta-*): each test clears its own.
    clear = {"X-Account-Access-Control": "{}"}
    assert raw.request("POST", "", clear, b"").status == 204
    try:
        _check_account_acl_grants(raw)
    finally:
        raw.request("POST", "", clear, b"")


def _check_account_acl_grants(raw: Raw) -> None:
    assert raw.put("c").status == 201
    assert raw.put("c/o", b"data").status == 201
    other = _login(raw, "test2:tester2", "testing2")
    assert raw.request("GET", "c/o", {"X-Auth-Token": other}).status == 403
    acl = '{"read-only": ["test2:tester2"]}'
    assert raw.request("POST", "", {"X-Account-Access-Control": acl}, b"").status == 204
    assert raw.request("HEAD", "")["X-Account-Access-Control"] == '{"read-only":["test2:tester2"]}'
    reader = {"X-Auth-Token": other}
    assert raw.request("GET", "c/o", reader).body == b"data"
    assert raw.request("GET", "c", reader).body == b"o\n"
    assert "X-Account-Access-Control" not in raw.request("HEAD", "", reader).names
    assert raw.request("PUT", "c/new", reader, b"x").status == 403
    writer = '{"read-write": ["test2:tester2"]}'
    assert raw.request("POST", "", {"X-Account-Access-Control": writer}, b"").status == 204
    assert raw.request("PUT", "c/new", reader, b"x").status == 201
    assert raw.request("POST", "", {**reader, "X-Account-Meta-A": "1"}, b"").status == 403
    assert raw.request("POST", "", {"X-Account-Access-Control": "{}"}, b"").status == 204
    assert "X-Account-Access-Control" not in raw.request("HEAD", "").names
    assert raw.request("GET", "c/o", reader).status == 403


# -- issue 16: large objects -------------------------------------------------------------------


def _slo(raw: Raw, name: str = "c/big") -> None:
    manifest = json.dumps(
        [
            {"path": "/seg/p0", "etag": None, "size_bytes": None},
            {"path": "/seg/p1", "etag": None, "size_bytes": None, "range": "1-3"},
        ]
    ).encode()
    assert raw.request("PUT", f"{name}?multipart-manifest=put", body=manifest).status == 201


def test_slo_part_number(segments: Raw) -> None:
    _slo(segments)
    for method in ("GET", "HEAD"):
        second = segments.request(method, "c/big?part-number=2")
        assert second.status == 206, method
        assert (second["Content-Range"], second["Content-Length"]) == ("bytes 5-7/8", "3")
        assert (second["X-Parts-Count"], second["X-Static-Large-Object"]) == ("2", "True")
        assert second.body == (b"bbb" if method == "GET" else b"")
        past = segments.request(method, "c/big?part-number=3")
        assert (past.status, past["Content-Range"], past["X-Parts-Count"]) == (
            416,
            "bytes */8",
            "2",
        )
        assert past["Content-Type"] == "application/octet-stream"
    assert segments.request("GET", "c/big?part-number=3").body == (
        b"The requested part number is not satisfiable"
    )
    for bad in ("0", "x", "-1"):
        refused = segments.request("GET", f"c/big?part-number={bad}")
        assert (refused.status, refused.body) == (
            400,
            b"Part number must be an integer greater than 0",
        )
    ranged = segments.request("GET", "c/big?part-number=1", {"Range": "bytes=0-1"})
    assert (ranged.status, ranged.body) == (
        400,
        b"Range requests are not supported with part number queries",
    )
    failed = segments.request("GET", "c/big?part-number=1", {"If-Match": '"nope"'})
    assert failed.status == 412
    assert "X-Parts-Count" not in failed.names
    # Not an SLO, or the manifest itself: the parameter is ignored.
    assert segments.request("GET", "seg/p0?part-number=2").status == 200
    manifest = segments.request("GET", "c/big?part-number=1&multipart-manifest=get")
    assert manifest.status == 200
    assert manifest["Content-Type"] == "application/json; charset=utf-8"


def test_dlo_ranges_and_manifest_copy(segments: Raw) -> None:
    assert segments.put("c/dlo", X_Object_Manifest="seg/p").status == 201
    one = segments.request("GET", "c/dlo", {"Range": "bytes=3-6"})
    assert (one.status, one.body, one["Content-Range"]) == (206, b"aabb", "bytes 3-6/10")
    several = segments.request("GET", "c/dlo", {"Range": "bytes=0-1,7-8"})
    assert (several.status, several.body) == (200, b"aaaaabbbbb")
    assert segments.request("GET", "c/dlo?part-number=2").body == b"aaaaabbbbb"
    flat = segments.put("c/flat", X_Copy_From="c/dlo")
    assert flat.status == 201
    flat_head = segments.request("HEAD", "c/flat")
    assert (flat_head["Content-Length"], flat_head["Etag"]) == ("10", _md5(b"aaaaabbbbb"))
    assert "X-Object-Manifest" not in flat_head.names
    kept = segments.request("PUT", "c/again?multipart-manifest=get", {"X-Copy-From": "c/dlo"}, b"")
    assert kept.status == 201
    again = segments.request("GET", "c/again")
    assert (again.body, again["X-Object-Manifest"]) == (b"aaaaabbbbb", "seg/p")
    raw_manifest = segments.request("GET", "c/again?multipart-manifest=get")
    assert (raw_manifest.body, raw_manifest["Etag"]) == (b"", _md5(b""))


def test_large_object_segments_are_read_with_the_callers_rights(segments: Raw) -> None:
    _slo(segments, "c/slo")
    assert segments.put("c/dlo", X_Object_Manifest="seg/p").status == 201
    assert segments.request("POST", "c", {"X-Container-Read": ".r:*"}, b"").status == 204
    # The manifests are public, their segments are not.
    assert segments.request("GET", "c/slo", auth=False).status == 409
    denied = segments.request("GET", "c/dlo", auth=False)
    assert (denied.status, denied.body) == (401, STOCK_401)
    assert denied["Www-Authenticate"] == f'Swift realm="{segments.account}"'
    # A referrer ACL on both: SLO segments are read, a DLO also needs to list them.
    acl = {"X-Container-Read": ".r:.example.com"}
    assert segments.request("POST", "c", acl, b"").status == 204
    assert segments.request("POST", "seg", acl, b"").status == 204
    inside = {"Referer": "http://www.example.com/page"}
    outside = {"Referer": "http://example.org/"}
    assert segments.request("GET", "c/slo", inside, auth=False).body == b"aaaaabbb"
    assert segments.request("GET", "c/slo", outside, auth=False).status == 401
    assert segments.request("GET", "c/dlo", inside, auth=False).status == 401
    listed = {"X-Container-Read": ".r:.example.com,.rlistings"}
    assert segments.request("POST", "seg", listed, b"").status == 204
    assert segments.request("GET", "c/dlo", inside, auth=False).body == b"aaaaabbbbb"
    # The last matching entry wins; "-host" takes a grant back.
    negated = {"X-Container-Read": ".r:*,.r:-www.example.com"}
    assert segments.request("POST", "c", negated, b"").status == 204
    assert segments.request("GET", "seg/p0", outside, auth=False).status == 401  # seg: .r:.ex
    assert segments.request("GET", "c/slo", inside, auth=False).status == 401
    public = segments.request("GET", "c/slo", outside, auth=False)
    assert public.status == 409  # the manifest is readable, the segments are not


def test_tempurl_on_large_objects_with_segments_elsewhere(segments: Raw) -> None:
    _slo(segments, "c/slo")
    assert segments.put("c/dlo", X_Object_Manifest="seg/p").status == 201
    assert segments.request("POST", "", {"X-Account-Meta-Temp-URL-Key": "k3y"}, b"").status == 204
    expires = int(time.time()) + 600
    for name, body in (("dlo", b"aaaaabbbbb"), ("slo", b"aaaaabbb")):
        path = f"{segments.account_path}/c/{name}"
        sig = _sign(b"k3y", f"GET\n{expires}\n{path}")
        query = f"temp_url_sig={sig}&temp_url_expires={expires}"
        got = segments.request("GET", f"c/{name}?{query}", auth=False)
        assert (got.status, got.body) == (200, body), name
        ranged = segments.request("GET", f"c/{name}?{query}", {"Range": "bytes=4-5"}, auth=False)
        assert (ranged.status, ranged.body) == (206, b"ab"), name


# -- issue 16: tempauth's sample users -------------------------------------------------------------


def reseller(target: Target) -> tuple[str, str]:
    """The reseller admin's user and key on the target."""
    if isinstance(target, FakeSwift):
        return target.reseller_user, target.reseller_key
    return "admin:admin", "admin"  # scripts/realswift.py: Swift's sample configuration


def test_reseller_admin(raw: Raw) -> None:
    admin = {"X-Auth-Token": _login(raw, *reseller(raw.target))}
    assert raw.put("c").status == 201
    head = raw.request("HEAD", "", admin)
    assert head.status == 204
    assert "X-Account-Container-Count" in head.names
    container = raw.request("HEAD", "c", admin)
    assert (container.status, container["X-Container-Sharding"]) == (204, "False")
    assert "X-Container-Sharding" not in raw.request("HEAD", "c").names
    assert raw.request("PUT", "c/by-admin", admin, b"x").status == 201
    # Only a reseller manages accounts; a deleted one is gone for good (a fresh name each run).
    assert raw.request("PUT", "", body=b"").status == 403
    assert raw.request("DELETE", "").status == 403
    fresh = f"/v1/AUTH_h16{secrets.token_hex(6)}"
    created = raw.request("PUT", fresh, admin, b"")
    assert (created.status, created.body) == (201, b"")
    assert raw.request("PUT", fresh, admin, b"").status == 202
    assert raw.request("HEAD", fresh, admin).status == 204
    gone = raw.request("DELETE", fresh, admin)
    assert (gone.status, gone["X-Account-Status"]) == (204, "Deleted")
    after = raw.request("HEAD", fresh, admin)
    assert (after.status, after["X-Account-Status"]) == (410, "Deleted")
    again = raw.request("PUT", fresh, admin, b"")
    assert (again.status, again.body) == (403, b"Recently deleted")
    assert raw.request("DELETE", fresh, admin).status == 404


# -- issue 16: symlinks ------------------------------------------------------------------------


def test_symlinks(box: Raw) -> None:
    made = box.put("c/link", X_Symlink_Target="c/hello.txt")
    assert (made.status, made["Etag"]) == (201, _md5(b""))
    for method in ("GET", "HEAD"):
        followed = box.request(method, "c/link")
        assert followed.status == 200, method
        assert followed["Content-Location"] == f"{box.account_path}/c/hello.txt"
        assert (followed["Content-Type"], followed["Etag"]) == ("text/plain", HELLO_MD5)
        assert followed["X-Object-Meta-Camelcase"] == "A"
        itself = box.request(method, "c/link?symlink=get")
        assert (itself.status, itself["Content-Type"]) == (200, "application/symlink")
        assert (itself["X-Symlink-Target"], itself["Content-Length"]) == ("c/hello.txt", "0")
        assert "Content-Location" not in itself.names
    ranged = box.request("GET", "c/link", {"Range": "bytes=0-1"})
    assert (ranged.status, ranged.body) == (206, b"he")
    bad = box.put("c/bad", X_Symlink_Target="nocontainer")
    assert (bad.status, bad.body) == (
        412,
        b"X-Symlink-Target header must be of the form <container name>/<object name>",
    )
    body = box.put("c/body", b"xx", X_Symlink_Target="c/hello.txt")
    assert (body.status, body.body) == (400, b"Symlink requests require a zero byte body")
    assert box.put("c/dangling", X_Symlink_Target="c/missing").status == 201
    dangling = box.request("GET", "c/dangling")
    assert (dangling.status, dangling["Content-Location"]) == (404, f"{box.account_path}/c/missing")
    posted = box.request("POST", "c/link", {"X-Object-Meta-B": "2"}, b"")
    assert (posted.status, posted["Location"]) == (307, f"{box.account_path}/c/hello.txt")
    assert box.request("HEAD", "c/link?symlink=get")["X-Object-Meta-B"] == "2"
    assert box.request("GET", "c/link").body == HELLO  # the link still leads there
    # At most two links in a row are followed.
    assert box.put("c/l2", X_Symlink_Target="c/link").status == 201
    assert box.request("GET", "c/l2").body == HELLO
    assert box.put("c/l3", X_Symlink_Target="c/l2").status == 201
    loop = box.request("GET", "c/l3")
    assert (loop.status, loop.body) == (
        409,
        b"Too many levels of symbolic links, maximum allowed is 2",
    )


def test_static_symlinks_listing_and_copy(box: Raw) -> None:
    wrong = box.put("c/static", X_Symlink_Target="c/hello.txt", X_Symlink_Target_Etag="nope")
    assert wrong.status == 409
    assert wrong.body == (
        f"Object Etag '{HELLO_MD5}' does not match X-Symlink-Target-Etag header 'nope'".encode()
    )
    assert wrong["Content-Location"] == f"{box.account_path}/c/hello.txt"
    static = box.put("c/static", X_Symlink_Target="c/hello.txt", X_Symlink_Target_Etag=HELLO_MD5)
    assert static.status == 201
    shown = box.request("HEAD", "c/static?symlink=get")
    assert (shown["X-Symlink-Target-Etag"], shown["X-Symlink-Target-Bytes"]) == (HELLO_MD5, "11")
    assert shown["Content-Type"] == "text/plain"  # a static link takes its target's type
    assert box.put("c/link", X_Symlink_Target="c/hello.txt").status == 201
    listed = {item["name"]: item for item in box.request("GET", "c?format=json").json()}
    path = f"{box.account_path}/c/hello.txt"
    assert listed["link"]["symlink_path"] == path
    assert listed["link"]["content_type"] == "application/symlink"
    assert list(listed["static"])[-3:] == ["symlink_etag", "symlink_bytes", "symlink_path"]
    assert (listed["static"]["symlink_etag"], listed["static"]["symlink_bytes"]) == (HELLO_MD5, 11)
    assert "symlink_path" not in listed["hello.txt"]
    # A copy follows the link unless asked for the link itself.
    copied = box.put("c/copy", X_Copy_From="c/link")
    assert (copied.status, copied["X-Copied-From"]) == (201, "c/link")
    assert box.request("GET", "c/copy").body == HELLO
    again = box.request("PUT", "c/copy2?symlink=get", {"X-Copy-From": "c/link"}, b"")
    assert again.status == 201
    kept = box.request("HEAD", "c/copy2?symlink=get")
    assert (kept["Content-Type"], kept["X-Symlink-Target"]) == (
        "application/symlink",
        "c/hello.txt",
    )
    assert box.request("DELETE", "c/link").status == 204
    assert box.request("GET", "c/hello.txt").body == HELLO
