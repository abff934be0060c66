"""Bulk delete request bodies and the bulk middleware's answers (pure functions)."""

from __future__ import annotations

import io
import itertools
import json
import tarfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, unquote

import pytest
import urllib3
from selectel_objects._features.bulk import (
    BulkDeleteResult,
    BulkError,
    bulk_delete_bodies,
    bulk_delete_line,
    parse_bulk_delete,
    parse_extract_archive,
)
from selectel_objects.errors import InvalidNameError, ObjectStorageError

from tests.objects._signed_http import PlainSwift


@pytest.mark.parametrize(
    ("container", "name", "line"),
    [
        ("media", "a.txt", "/media/a.txt"),
        ("media", "dir/sub/a b.txt", "/media/dir/sub/a%20b.txt"),
        ("media", " lead and trail ", "/media/%20lead%20and%20trail%20"),
        ("media", "new\nline", "/media/new%0Aline"),
        ("media", "100%&?#", "/media/100%25%26%3F%23"),
        ("медиа", "кот.jpg", "/%D0%BC%D0%B5%D0%B4%D0%B8%D0%B0/%D0%BA%D0%BE%D1%82.jpg"),
        ("media", None, "/media"),
    ],
)
def test_lines_are_url_encoded_and_decode_back(container: str, name: str | None, line: str) -> None:
    assert bulk_delete_line(container, name) == line
    assert unquote(line) == f"/{container}" + ("" if name is None else f"/{name}")


@pytest.mark.parametrize(
    ("container", "name", "message"),
    [
        ("", "a", "container name is empty"),
        ("a/b", "c", "contains '/'"),
        ("..", "c", "path step"),
        ("c", "", "object name is empty"),
        ("c", "x" * 1025, "at most 1024"),
    ],
)
def test_bad_names_raise_invalid_name_error(container: str, name: str, message: str) -> None:
    with pytest.raises(InvalidNameError, match=message):
        bulk_delete_line(container, name)


def test_bodies_are_chunked_at_ten_thousand_lines() -> None:
    items = [("c", f"obj-{i}") for i in range(25_001)]
    bodies = list(bulk_delete_bodies(items))
    assert [body.count(b"\n") for body in bodies] == [10_000, 10_000, 5_001]
    assert all(body.endswith(b"\n") for body in bodies)
    lines = b"".join(bodies).decode().splitlines()
    assert lines == [f"/c/obj-{i}" for i in range(25_001)]


def test_bodies_are_produced_lazily() -> None:
    endless = (("c", str(i)) for i in itertools.count())
    first = next(bulk_delete_bodies(endless, max_per_request=3))
    assert first == b"/c/0\n/c/1\n/c/2\n"


def test_no_items_no_bodies() -> None:
    assert list(bulk_delete_bodies([])) == []


@pytest.mark.parametrize("limit", [0, -1, True, 2.5])
def test_bad_limit(limit: object) -> None:
    with pytest.raises(ValueError, match="max_per_request"):
        list(bulk_delete_bodies([("c", "o")], max_per_request=limit))  # type: ignore[arg-type]


def test_parse_success_after_heartbeat_whitespace() -> None:
    body = (
        b"   \r\n\r\n"
        + json.dumps(
            {
                "Number Not Found": 1,
                "Response Status": "200 OK",
                "Response Body": "",
                "Errors": [],
                "Number Deleted": 2,
            }
        ).encode()
    )
    result = parse_bulk_delete(body)
    assert (result.status, result.reason, result.deleted, result.not_found) == (200, "OK", 2, 1)
    assert result.errors == ()
    assert result.ok


def test_parse_failures_per_object() -> None:
    body = json.dumps(
        {
            "Number Not Found": 0,
            "Response Status": "400 Bad Request",
            "Response Body": "",
            "Errors": [
                ["/media/dir/a%20b.txt", "409 Conflict"],
                ["/other", "409 Conflict"],
                ["/media/%D0%BA%D0%BE%D1%82", 503],
                ["/media/x", "Access Denied"],
            ],
            "Number Deleted": 7,
        }
    )
    result = parse_bulk_delete(body)
    assert not result.ok
    assert result.status == 400
    assert result.deleted == 7
    assert result.errors == (
        BulkError(path="/media/dir/a b.txt", status=409, reason="Conflict"),
        BulkError(path="/other", status=409, reason="Conflict"),
        BulkError(path="/media/кот", status=503, reason=""),
        BulkError(path="/media/x", status=None, reason="Access Denied"),
    )


def test_a_bad_request_with_no_entries_is_not_ok() -> None:
    body = (
        '{"Response Status": "400 Bad Request", "Response Body": "Invalid bulk delete.", '
        '"Number Deleted": 0, "Number Not Found": 0, "Errors": []}'
    )
    result = parse_bulk_delete(body)
    assert not result.ok
    assert result.response_body == "Invalid bulk delete."


def test_missing_response_status_falls_back_to_the_http_status() -> None:
    body = '{"Number Deleted": 1, "Number Not Found": 0, "Errors": []}'
    assert parse_bulk_delete(body, http_status=200).ok
    with pytest.raises(ObjectStorageError, match="no 'Response Status'"):
        parse_bulk_delete(body)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "not JSON"),
        ("Number Deleted: 1\nErrors:\n", "not JSON"),
        ("[]", "not a JSON object"),
        ('{"Response Status": "weird"}', "unreadable 'Response Status'"),
        ('{"Response Status": "200 OK", "Number Deleted": -1}', "'Number Deleted'"),
        ('{"Response Status": "200 OK", "Errors": {"a": 1}}', "'Errors' must be a list"),
        ('{"Response Status": "200 OK", "Errors": [["only-name"]]}', r"\[name, status\]"),
    ],
)
def test_malformed_answers_raise_object_storage_error(body: str, message: str) -> None:
    with pytest.raises(ObjectStorageError, match=message):
        parse_bulk_delete(body)


def test_parse_extract_archive() -> None:
    body = (
        b"  "
        + json.dumps(
            {
                "Response Status": "201 Created",
                "Response Body": "",
                "Number Files Created": 3,
                "Errors": [],
            }
        ).encode()
    )
    result = parse_extract_archive(body)
    assert (result.status, result.files_created, result.ok) == (201, 3, True)


def test_parse_extract_archive_with_failures() -> None:
    body = json.dumps(
        {
            "Response Status": "400 Bad Request",
            "Response Body": "",
            "Number Files Created": 1,
            "Errors": [["cont/big%20file", "413 Request Entity Too Large"]],
        }
    )
    result = parse_extract_archive(body)
    assert not result.ok
    assert result.errors == (
        BulkError(path="cont/big file", status=413, reason="Request Entity Too Large"),
    )


# -- against the fake Swift, over HTTP with bare urllib3 ---------------------------------------


@pytest.fixture
def plain(fake_swift: Any) -> Iterator[PlainSwift]:
    with urllib3.PoolManager(retries=False, timeout=5.0) as http:
        session = PlainSwift(fake_swift, http)
        yield session


def _bulk_delete(plain: PlainSwift, body: bytes) -> BulkDeleteResult:
    reply = plain.request(
        "POST",
        "?bulk-delete",
        body=body,
        headers={"Content-Type": "text/plain", "Accept": "application/json"},
    )
    assert reply.status == 200
    return parse_bulk_delete(reply.data)


def test_fake_deletes_every_line_of_the_bodies(fake_swift: Any, plain: PlainSwift) -> None:
    names = ["a.txt", "dir/with space.txt", " edge ", "new\nline", "100%.txt", "кот/мяу.jpg"]
    plain.put("/media")
    for name in names:
        plain.put("/media/" + quote(name, safe=""), b"x")
    plain.put("/empty")
    items: list[tuple[str, str | None]] = [("media", name) for name in names]
    items += [("media", "missing"), ("empty", None)]
    results = [_bulk_delete(plain, body) for body in bulk_delete_bodies(items, max_per_request=5)]
    assert [(r.deleted, r.not_found, r.ok) for r in results] == [(5, 0, True), (2, 1, True)]
    assert fake_swift.store.object_names("media") == []
    assert fake_swift.store.get_container("empty") is None


def test_fake_reports_a_container_that_is_not_empty(plain: PlainSwift) -> None:
    plain.put("/full")
    plain.put("/full/keep", b"x")
    (body,) = bulk_delete_bodies([("full", None)])
    result = _bulk_delete(plain, body)
    assert not result.ok
    assert result.errors == (BulkError(path="/full", status=409, reason="Conflict"),)


def test_fake_extract_archive_answer_parses(fake_swift: Any, plain: PlainSwift) -> None:
    plain.put("/media")
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for name, data in [("a.txt", b"a"), ("sub/b.txt", b"bb")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    reply = plain.request(
        "PUT",
        "/media/imported?extract-archive=tar.gz",
        body=archive.getvalue(),
        headers={"Accept": "application/json"},
    )
    result = parse_extract_archive(reply.data, http_status=reply.status)
    assert (result.status, result.files_created, result.ok) == (201, 2, True)
    assert fake_swift.store.object_names("media") == ["imported/a.txt", "imported/sub/b.txt"]
