"""SLO helpers: segment plan, names, manifest JSON in and out, expected ETag."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import urllib3
from hypothesis import given
from hypothesis import strategies as st
from selectel_objects._features.bulk import BulkError
from selectel_objects._protocol.slo import (
    MAX_SEGMENT_SIZE,
    ManifestEntry,
    SegmentInfo,
    build_manifest,
    manifest_etag,
    parse_manifest,
    plan_segments,
    segment_name,
    segment_prefix,
    segments_container,
)
from selectel_objects.errors import InvalidNameError, ObjectStorageError

from tests.objects._manifest_put import parse_manifest_put
from tests.objects._signed_http import PlainSwift


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def test_plan_cuts_a_short_last_segment() -> None:
    assert plan_segments(10, 4) == [4, 4, 2]
    assert plan_segments(12, 4) == [4, 4, 4]
    assert plan_segments(3, 4) == [3]
    assert plan_segments(1, 1) == [1]


@given(
    total=st.integers(min_value=1, max_value=10**13),
    segment=st.integers(min_value=1, max_value=MAX_SEGMENT_SIZE),
    limit=st.integers(min_value=1, max_value=2000),
)
def test_plan_properties(total: int, segment: int, limit: int) -> None:
    try:
        sizes = plan_segments(total, segment, limit)
    except ValueError as exc:
        assert -(-total // segment) > limit
        hint = str(exc).rsplit("segment_size >= ", 1)
        if len(hint) == 2:  # the suggested size really fits
            assert len(plan_segments(total, int(hint[1]), limit)) <= limit
        return
    assert sum(sizes) == total
    assert len(sizes) <= limit
    assert all(size == segment for size in sizes[:-1])
    assert 1 <= sizes[-1] <= segment


def test_too_many_segments_names_the_smallest_size_that_fits() -> None:
    with pytest.raises(ValueError, match=r"need 1001 segments.*use segment_size >= 1001"):
        plan_segments(1_001_000, 1000)
    assert len(plan_segments(1_001_000, 1001)) == 1000


def test_an_object_too_large_for_one_manifest_says_so() -> None:
    with pytest.raises(ValueError, match="do not fit in one manifest"):
        plan_segments(MAX_SEGMENT_SIZE * 1000 + 1, MAX_SEGMENT_SIZE)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 10), "total_size must be >= 1"),
        ((10, 0), "segment_size must be >= 1"),
        ((10, 5, 0), "max_segments must be >= 1"),
        ((10, MAX_SEGMENT_SIZE + 1), "exceeds the largest object"),
        ((10.0, 5), "total_size must be an int"),
        ((True, 5), "total_size must be an int"),
    ],
)
def test_plan_rejects_bad_input(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan_segments(*args)  # type: ignore[arg-type]


def test_segment_names_are_deterministic_and_sort_in_order() -> None:
    names = [
        segment_name("video/film.mkv", upload_id="u1", total_size=10, segment_size=4, index=i)
        for i in (0, 1, 2, 10)
    ]
    assert names[0] == "video/film.mkv/slo/u1/10/4/00000000"
    assert names == sorted(names)
    assert names[0] == segment_name(
        "video/film.mkv", upload_id="u1", total_size=10, segment_size=4, index=0
    )
    prefix = segment_prefix("video/film.mkv", upload_id="u1", total_size=10, segment_size=4)
    assert all(name.startswith(prefix) for name in names)
    assert prefix == "video/film.mkv/slo/u1/10/4/"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"upload_id": "a/b"}, "upload_id"),
        ({"upload_id": ""}, "upload_id"),
        ({"upload_id": "a\nb"}, "upload_id"),
        ({"name": ""}, "object name is empty"),
        ({"index": -1}, "index must be >= 0"),
    ],
)
def test_segment_name_rejects_bad_input(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "name": "obj",
        "upload_id": "u",
        "total_size": 10,
        "segment_size": 5,
        "index": 0,
    }
    arguments.update(kwargs)
    name = arguments.pop("name")
    with pytest.raises(ValueError, match=message):
        segment_name(name, **arguments)  # type: ignore[arg-type]


def test_too_long_segment_names_raise_invalid_name_error_with_a_hint() -> None:
    with pytest.raises(InvalidNameError, match="over Swift's 1024-byte limit; use a shorter"):
        segment_name("n" * 1010, upload_id="u", total_size=10, segment_size=5, index=0)


def test_segments_container() -> None:
    assert segments_container("media") == "media_segments"
    with pytest.raises(InvalidNameError, match="'/'"):
        segments_container("a/b")


def test_manifest_json_has_unquoted_paths_normalised_etags_and_sizes() -> None:
    etag_a, etag_b = _md5(b"aaaa"), _md5(b"bb")
    segments = [
        SegmentInfo("media_segments", "кот 1.mkv/slo/u/6/4/00000000", f'"{etag_a.upper()}"', 4),
        SegmentInfo("media_segments", "кот 1.mkv/slo/u/6/4/00000001", etag_b, 2, range="0-0"),
    ]
    document = json.loads(build_manifest(segments))
    assert document == [
        {"path": "/media_segments/кот 1.mkv/slo/u/6/4/00000000", "etag": etag_a, "size_bytes": 4},
        {
            "path": "/media_segments/кот 1.mkv/slo/u/6/4/00000001",
            "etag": etag_b,
            "size_bytes": 2,
            "range": "0-0",
        },
    ]


@pytest.mark.parametrize(
    ("segments", "message"),
    [
        ([], "at least one segment"),
        ([SegmentInfo("c", "o", "0" * 32, 0)], "size_bytes must be >= 1"),
        ([SegmentInfo("c/d", "o", "0" * 32, 1)], "contains '/'"),
        ([SegmentInfo("c", "", "0" * 32, 1)], "object name is empty"),
        ([SegmentInfo("c", "o", "0" * 32, 5, range="3-1")], "range start is after its end"),
        ([SegmentInfo("c", "o", "0" * 32, 5, range="x")], "range must look like"),
        (["/c/o"], "not a SegmentInfo"),
    ],
)
def test_build_manifest_rejects_bad_segments(segments: list[SegmentInfo], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_manifest(segments)


def test_segment_etag_must_be_md5() -> None:
    with pytest.raises(ValueError, match="MD5 hex"):
        SegmentInfo("c", "o", "not-an-etag", 1)


def test_manifest_size_limit() -> None:
    segments = [SegmentInfo("c", "o" * 900 + str(i), "0" * 32, 1) for i in range(10)]
    with pytest.raises(ValueError, match="over the 1000-byte limit"):
        build_manifest(segments, max_manifest_size=1000)


def test_manifest_etag_is_md5_of_the_concatenated_segment_etags() -> None:
    parts = [b"hello ", b"large ", b"world"]
    segments = [SegmentInfo("c", f"s{i}", _md5(part), len(part)) for i, part in enumerate(parts)]
    expected = _md5("".join(_md5(part) for part in parts).encode())
    assert manifest_etag(segments) == expected


def test_ranged_segments_contribute_etag_colon_resolved_range() -> None:
    etag = _md5(b"0123456789")
    segments = [
        SegmentInfo("c", "a", etag, 10, range="2-5"),
        SegmentInfo("c", "b", etag, 10, range="-3"),
        SegmentInfo("c", "c", etag, 10, range="8-"),
    ]
    expected = _md5(f"{etag}:2-5;{etag}:7-9;{etag}:8-9;".encode())
    assert manifest_etag(segments) == expected


def test_manifest_etag_needs_segments() -> None:
    with pytest.raises(ValueError, match="at least one segment"):
        manifest_etag([])


STORED_MANIFEST = json.dumps(
    [
        {
            "name": "/media_segments/big/slo/u/7/4/00000000",
            "hash": _md5(b"abcd"),
            "bytes": 4,
            "content_type": "application/octet-stream",
            "last_modified": "2024-01-02T03:04:05.000000",
        },
        {
            "name": "/media_segments/big/slo/u/7/4/00000001",
            "hash": _md5(b"efg"),
            "bytes": 3,
            "content_type": "application/octet-stream",
            "last_modified": "2024-01-02T03:04:06.000000",
            "range": "0-1",
            "sub_slo": False,
        },
        {"data": "eHl6"},
    ]
)


def test_parse_stored_manifest() -> None:
    entries = parse_manifest("   " + STORED_MANIFEST)
    assert entries[0] == ManifestEntry(
        path="/media_segments/big/slo/u/7/4/00000000",
        etag=_md5(b"abcd"),
        size_bytes=4,
        content_type="application/octet-stream",
        last_modified="2024-01-02T03:04:05.000000",
    )
    assert entries[0].container == "media_segments"
    assert entries[0].name == "big/slo/u/7/4/00000000"
    assert entries[1].range == "0-1"
    assert entries[1].length == 2
    assert entries[2].data == b"xyz"
    assert entries[2].path is None and entries[2].container is None and entries[2].name is None
    assert [entry.length for entry in entries] == [4, 2, 3]
    expected = _md5(f"{_md5(b'abcd')}{_md5(b'efg')}:0-1;{_md5(b'xyz')}".encode())
    assert manifest_etag(entries) == expected


def test_parse_raw_format_manifest_round_trips_build_manifest() -> None:
    segments = [SegmentInfo("c", "n/0", _md5(b"x"), 1), SegmentInfo("c", "n/1", _md5(b"y"), 1)]
    entries = parse_manifest(build_manifest(segments))
    assert [(e.path, e.etag, e.size_bytes) for e in entries] == [
        (s.path, s.etag, s.size_bytes) for s in segments
    ]
    assert manifest_etag(entries) == manifest_etag(segments)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>", "not valid JSON"),
        (b'{"a": 1}', "must be a JSON list"),
        (b"[1]", "entry 0 is not a JSON object"),
        (b'[{"name": "nocontainer", "hash": null, "bytes": 1}]', "path must be"),
        (b'[{"name": "/c/o", "hash": "x", "bytes": 1}]', "MD5 hex"),
        (b'[{"name": "/c/o", "hash": null, "bytes": -1}]', "size must be"),
        (b'[{"name": "/c/o", "hash": null, "bytes": 1, "range": 5}]', "range must be a string"),
        (b'[{"data": "!!!"}]', "not valid base64"),
        (b'[{"data": 5}]', "base64 string"),
    ],
)
def test_parse_manifest_rejects_malformed_documents(body: bytes, message: str) -> None:
    with pytest.raises(ObjectStorageError, match=message):
        parse_manifest(body)


def test_segment_name_of_exactly_1024_bytes_is_allowed() -> None:
    name = segment_name("n" * 1004, upload_id="u", total_size=10, segment_size=5, index=0)
    assert len(name.encode()) == 1024


def test_parse_heartbeat_manifest_put_success() -> None:
    body = (
        b" " * 3
        + json.dumps(
            {
                "Response Status": "201 Created",
                "Response Body": "",
                "Etag": f'"{_md5(b"x")}"',
                "Last Modified": "Tue, 01 Jan 2030 00:00:00 GMT",
                "Errors": [],
            }
        ).encode()
    )
    result = parse_manifest_put(body)
    assert (result.status, result.etag, result.errors, result.ok) == (201, _md5(b"x"), (), True)


def test_parse_heartbeat_manifest_put_failure() -> None:
    body = json.dumps(
        {
            "Response Status": "400 Bad Request",
            "Response Body": "Bad Request\nThe server could not comply",
            "Errors": [["/segs/a%20b", "Etag Mismatch"], ["/segs/c", "404 Not Found"]],
        }
    )
    result = parse_manifest_put(body)
    assert not result.ok
    assert result.etag is None
    assert result.errors == (
        BulkError(path="/segs/a b", status=None, reason="Etag Mismatch"),
        BulkError(path="/segs/c", status=404, reason="Not Found"),
    )
    with pytest.raises(ObjectStorageError, match="not JSON"):
        parse_manifest_put("<html>")


# -- against the fake Swift, over HTTP with bare urllib3 ---------------------------------------


@pytest.fixture
def plain(fake_swift: Any) -> Iterator[PlainSwift]:
    with urllib3.PoolManager(retries=False, timeout=5.0) as http:
        session = PlainSwift(fake_swift, http)
        session.put("/media")
        session.put("/" + segments_container("media"))
        yield session


def _upload_segments(plain: PlainSwift, name: str, data: bytes, size: int) -> list[SegmentInfo]:
    segments = []
    offset = 0
    for index, length in enumerate(plan_segments(len(data), size)):
        seg_name = segment_name(
            name, upload_id="1700000000.5", total_size=len(data), segment_size=size, index=index
        )
        chunk = data[offset : offset + length]
        offset += length
        reply = plain.request("PUT", f"/media_segments/{quote(seg_name)}", body=chunk)
        assert reply.status == 201
        segments.append(SegmentInfo("media_segments", seg_name, reply.headers["ETag"], length))
    return segments


def test_fake_accepts_the_manifest_and_its_expected_etag(plain: PlainSwift) -> None:
    data = bytes(range(256)) * 4 + b"tail"
    name = "видео/фильм 1.mkv"
    segments = _upload_segments(plain, name, data, 300)
    assert [s.size_bytes for s in segments] == [300, 300, 300, 128]
    expected = manifest_etag(segments)
    reply = plain.request(
        "PUT",
        f"/media/{quote(name)}?multipart-manifest=put",
        body=build_manifest(segments),
        headers={"ETag": expected},
    )
    assert reply.status == 201, reply.data
    assert reply.headers["ETag"].strip('"') == expected
    assert plain.get(f"/media/{quote(name)}") == data
    head = plain.request("HEAD", f"/media/{quote(name)}")
    assert head.headers["ETag"].strip('"') == expected

    stored = plain.request("GET", f"/media/{quote(name)}?multipart-manifest=get")
    entries = parse_manifest(stored.data)
    assert [(e.path, e.etag, e.size_bytes) for e in entries] == [
        (s.path, s.etag, s.size_bytes) for s in segments
    ]
    assert manifest_etag(entries) == expected
    raw = plain.request("GET", f"/media/{quote(name)}?multipart-manifest=get&format=raw")
    assert parse_manifest(raw.data) == [
        ManifestEntry(path=s.path, etag=s.etag, size_bytes=s.size_bytes) for s in segments
    ]


def test_fake_accepts_the_expected_etag_on_the_manifest_put(plain: PlainSwift) -> None:
    segments = _upload_segments(plain, "obj", b"abcdefgh", 4)
    reply = plain.request(
        "PUT",
        "/media/obj?multipart-manifest=put",
        body=build_manifest(segments),
        headers={"ETag": manifest_etag(segments)},
    )
    assert reply.status == 201


def test_fake_checks_a_wrong_manifest_etag(plain: PlainSwift) -> None:
    segments = _upload_segments(plain, "obj", b"abcdefgh", 4)
    reply = plain.request(
        "PUT",
        "/media/obj?multipart-manifest=put",
        body=build_manifest(segments),
        headers={"ETag": manifest_etag(segments[::-1])},
    )
    assert reply.status == 422


def test_fake_ranged_segments_match_the_expected_etag(plain: PlainSwift) -> None:
    segments = _upload_segments(plain, "r", b"0123456789", 10)
    ranged = [
        SegmentInfo(s.container, s.name, s.etag, s.size_bytes, range=r)
        for s, r in zip(segments * 3, ["2-4", "-3", "8-"], strict=True)
    ]
    reply = plain.request("PUT", "/media/r?multipart-manifest=put", body=build_manifest(ranged))
    assert reply.status == 201, reply.data
    assert reply.headers["ETag"].strip('"') == manifest_etag(ranged)
    assert plain.get("/media/r") == b"234" + b"789" + b"89"


def test_fake_heartbeat_answer_parses(plain: PlainSwift) -> None:
    segments = _upload_segments(plain, "hb", b"abcdefgh", 4)
    good = plain.request(
        "PUT",
        "/media/hb?multipart-manifest=put&heartbeat=on",
        body=build_manifest(segments),
        headers={"Accept": "application/json"},
    )
    assert good.status == 202
    result = parse_manifest_put(good.data)
    assert result.ok and result.etag == manifest_etag(segments)
    wrong = [SegmentInfo(s.container, s.name, _md5(b"other"), s.size_bytes) for s in segments]
    bad = plain.request(
        "PUT",
        "/media/hb2?multipart-manifest=put&heartbeat=on",
        body=build_manifest(wrong),
        headers={"Accept": "application/json"},
    )
    failed = parse_manifest_put(bad.data, http_status=bad.status)
    assert failed.status == 400 and not failed.ok
    assert [e.path for e in failed.errors] == [s.path for s in segments]
