"""Account and container verbs of the fake, listings, metadata and ACLs."""

from __future__ import annotations

import json

import pytest

from tests.fakeswift import FakeSwift
from tests.fakeswift.conftest import Client


def test_account_head_counts_and_metadata(fake_swift: FakeSwift, client: Client) -> None:
    fake_swift.store.put_object("a", "x", b"12345")
    fake_swift.store.put_object("b", "y", b"123")
    head = client.request("HEAD")
    assert head.status == 204
    assert head.headers["X-Account-Container-Count"] == "2"
    assert head.headers["X-Account-Object-Count"] == "2"
    assert head.headers["X-Account-Bytes-Used"] == "8"
    assert head.headers["Content-Length"] == "0"
    assert "X-Timestamp" in head.headers
    post = client.request(
        "POST", headers={"X-Account-Meta-Temp-URL-Key": "k1", "X-Account-Meta-Color": "red"}
    )
    assert post.status == 204
    head = client.request("HEAD")
    assert head.headers["X-Account-Meta-Temp-Url-Key"] == "k1"
    assert head.headers["X-Account-Meta-Color"] == "red"
    client.request(
        "POST", headers={"X-Remove-Account-Meta-Color": "x", "X-Account-Meta-Temp-URL-Key": ""}
    )
    head = client.request("HEAD")
    assert "X-Account-Meta-Color" not in head.headers
    assert "X-Account-Meta-Temp-Url-Key" not in head.headers


def test_account_listing_formats(fake_swift: FakeSwift, client: Client) -> None:
    empty_plain = client.request("GET")
    assert empty_plain.status == 204
    assert empty_plain.data == b""
    assert client.json() == []
    fake_swift.store.put_object("photos", "p", b"abc")
    fake_swift.store.create_container("docs")
    plain = client.request("GET")
    assert plain.status == 200
    assert plain.data == b"docs\nphotos\n"
    assert plain.headers["Content-Type"] == "text/plain; charset=utf-8"
    listing = client.json()
    assert [c["name"] for c in listing] == ["docs", "photos"]
    assert listing[1]["count"] == 1
    assert listing[1]["bytes"] == 3
    assert list(listing[1]) == ["name", "count", "bytes", "last_modified", "storage_policy"]
    assert listing[1]["storage_policy"] == "gold"
    by_accept = client.request("GET", headers={"Accept": "application/json"})
    assert json.loads(by_accept.data) == listing
    xml = client.request("GET", "?format=xml")
    assert xml.headers["Content-Type"].startswith("application/xml")
    assert b"<name>docs</name>" in xml.data
    assert client.request("GET", "?limit=10001").status == 412


def test_container_create_head_post_delete(fake_swift: FakeSwift, client: Client) -> None:
    assert client.request("PUT", "box", headers={"X-Container-Meta-Tag": "v1"}).status == 201
    assert client.request("PUT", "box").status == 202
    head = client.request("HEAD", "box")
    assert head.status == 204
    assert head.headers["X-Container-Object-Count"] == "0"
    assert head.headers["X-Container-Meta-Tag"] == "v1"
    assert head.headers["X-Storage-Policy"] == "gold"
    post = client.request(
        "POST", "box", headers={"X-Container-Meta-Type": "public", "X-Container-Read": ".r:*"}
    )
    assert post.status == 204
    head = client.request("HEAD", "box")
    assert head.headers["X-Container-Meta-Type"] == "public"
    assert head.headers["X-Container-Read"] == ".r:*"
    assert head.headers["X-Container-Meta-Tag"] == "v1"
    fake_swift.store.put_object("box", "o", b"1")
    assert client.request("DELETE", "box").status == 409
    fake_swift.store.delete_object("box", "o")
    assert client.request("DELETE", "box").status == 204
    assert client.request("DELETE", "box").status == 404
    assert client.request("HEAD", "box").status == 404
    assert client.request("POST", "box").status == 404


def test_container_name_limits(client: Client) -> None:
    assert client.request("PUT", "c" * 256).status == 201
    too_long = client.request("PUT", "c" * 257)
    assert too_long.status == 400
    assert b"longer than 256" in too_long.data


def test_object_listing(fake_swift: FakeSwift, client: Client) -> None:
    for name in ["b", "a/2", "a/1", "é", "Z", "a/sub/3", "c.txt"]:
        fake_swift.store.put_object("c", name, name.encode(), content_type="text/plain")
    names = [e["name"] for e in client.json("c")]
    assert names == sorted(names, key=lambda n: n.encode())
    assert names == ["Z", "a/1", "a/2", "a/sub/3", "b", "c.txt", "é"]
    entry = client.json("c?prefix=b")[0]
    assert set(entry) == {"name", "hash", "bytes", "content_type", "last_modified"}
    assert entry["hash"] == "92eb5ffee6ae2fec3ad71c777531578f"
    assert entry["content_type"] == "text/plain"
    rolled = client.json("c?delimiter=/")
    assert [e.get("subdir", e.get("name")) for e in rolled] == ["Z", "a/", "b", "c.txt", "é"]
    assert rolled[1] == {"subdir": "a/"}
    assert [e.get("subdir", e.get("name")) for e in client.json("c?prefix=a/&delimiter=/")] == [
        "a/1",
        "a/2",
        "a/sub/",
    ]
    assert [e["name"] for e in client.json("c?marker=a/2&end_marker=c.txt")] == ["a/sub/3", "b"]
    assert [e["name"] for e in client.json("c?limit=2")] == ["Z", "a/1"]
    assert [e["name"] for e in client.json("c?reverse=true&limit=3")] == ["é", "c.txt", "b"]
    assert [e["name"] for e in client.json("c?reverse=on&marker=b&end_marker=a/1")] == [
        "a/sub/3",
        "a/2",
    ]
    plain = client.request("GET", "c?prefix=a/&delimiter=/")
    assert plain.data == b"a/1\na/2\na/sub/\n"
    assert client.request("GET", "c?limit=10001").status == 412
    # Swift takes delimiters of more than one character.
    assert client.request("GET", "c?prefix=a&delimiter=/s").data == b"a/1\na/2\na/s\n"
    assert client.request("GET", "nope").status == 404


def test_empty_container_listing(client: Client) -> None:
    client.request("PUT", "empty")
    plain = client.request("GET", "empty")
    assert plain.status == 204
    assert plain.data == b""
    as_json = client.request("GET", "empty?format=json")
    assert as_json.status == 200
    assert as_json.data == b"[]"


def test_listing_pages_past_10000(fake_swift: FakeSwift, client: Client) -> None:
    for i in range(10001):
        fake_swift.store.put_object("big", f"o{i:05d}", b"")
    first = client.json("big")
    assert len(first) == 10000
    rest = client.json(f"big?marker={first[-1]['name']}")
    assert [e["name"] for e in rest] == ["o10000"]


def test_subdir_marker_pages_do_not_repeat(fake_swift: FakeSwift, client: Client) -> None:
    for name in ["a/1", "a/2", "b/1", "c"]:
        fake_swift.store.put_object("d", name, b"x")
    page1 = client.json("d?delimiter=/&limit=1")
    assert page1 == [{"subdir": "a/"}]
    page2 = client.json("d?delimiter=/&limit=1&marker=a/")
    assert page2 == [{"subdir": "b/"}]


def test_metadata_limits(client: Client) -> None:
    client.request("PUT", "m")
    assert client.request("POST", "m", headers={"X-Container-Meta-" + "k" * 129: "v"}).status == 400
    assert client.request("POST", "m", headers={"X-Container-Meta-K": "v" * 257}).status == 400
    many = {f"X-Container-Meta-K{i}": "v" for i in range(91)}
    assert client.request("POST", "m", headers=many).status == 400
    assert client.request("POST", "m", headers={"X-Container-Meta-K": "v" * 256}).status == 204


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_account_management_is_forbidden(client: Client, method: str) -> None:
    assert client.request(method).status == 403


def test_non_admin_user_and_acls(fake_swift: FakeSwift, client: Client) -> None:
    fake_swift.store.put_object("shared", "doc", b"hello")
    tester3 = Client(fake_swift, "test:tester3", "testing3")
    assert tester3.request("GET").status == 403
    assert tester3.request("GET", "shared").status == 403
    assert tester3.request("GET", "shared/doc").status == 403
    assert tester3.request("PUT", "mine").status == 403
    client.request("POST", "shared", headers={"X-Container-Read": "test:tester3"})
    assert tester3.request("GET", "shared").status == 200
    assert tester3.request("GET", "shared/doc").data == b"hello"
    assert tester3.request("PUT", "shared/new", body=b"x").status == 403
    client.request("POST", "shared", headers={"X-Container-Write": "test:tester3"})
    assert tester3.request("PUT", "shared/new", body=b"x").status == 201
    assert tester3.request("DELETE", "shared/new").status == 204
    # Owners see ACL headers, others do not.
    assert "X-Container-Read" not in tester3.request("HEAD", "shared").headers
    assert client.request("HEAD", "shared").headers["X-Container-Write"] == "test:tester3"


def test_public_read_acl_and_selectel_public_type(fake_swift: FakeSwift, client: Client) -> None:
    fake_swift.store.put_object("pub", "o", b"data")
    fake_swift.store.put_object("sel", "o", b"data")
    assert client.request("GET", "pub/o", auth=False).status == 401
    client.request("POST", "pub", headers={"X-Container-Read": ".r:*"})
    assert client.request("GET", "pub/o", auth=False).data == b"data"
    assert client.request("GET", "pub", auth=False).status == 401
    client.request("POST", "pub", headers={"X-Container-Read": ".r:*,.rlistings"})
    assert client.request("GET", "pub", auth=False).data == b"o\n"
    assert client.request("PUT", "pub/o", body=b"x", auth=False).status == 401
    client.request("POST", "sel", headers={"X-Container-Meta-Type": "public"})
    assert client.request("GET", "sel/o", auth=False).data == b"data"
    client.request("POST", "sel", headers={"X-Container-Meta-Type": "private"})
    assert client.request("GET", "sel/o", auth=False).status == 401
