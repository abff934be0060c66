"""Large objects: SLO uploads in parallel segments, resuming, deleting, reading SLOs and DLOs."""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selectel_objects import (
    AlreadyExistsError,
    ChecksumMismatchError,
    Container,
    NotFoundError,
    ObjectStorage,
    ReadError,
    RetryPolicy,
    ServerError,
)
from selectel_objects._protocol.slo import SegmentInfo, manifest_etag

from tests.fakeswift.app import FakeSwift

ROOT = Path(__file__).resolve().parents[2]
#: 10 244 bytes that do not repeat within a segment: 11 segments of 1000.
BIG = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(320)) + b"tail"
SEGMENTS = "media_segments"
#: Enough failures of one request to exhaust the test retry policy (total=3).
EXHAUST = 4


def _segment_puts(fake: FakeSwift) -> int:
    return sum(
        1
        for r in fake.requests
        if r.method == "PUT" and r.container == SEGMENTS and r.object and r.status == 201
    )


def _object_puts(fake: FakeSwift) -> int:
    return fake.count(kind="object", method="PUT")


def _segment(index: int) -> re.Pattern[str]:
    return re.compile(rf"/{SEGMENTS}/.*/{index:08d}$")


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "big.bin"
    path.write_bytes(BIG)
    return path


# -- uploads ------------------------------------------------------------------------------------


def test_upload_large_from_a_seekable_file(fake_swift: FakeSwift, container: Container) -> None:
    seen: list[int] = []
    result = container.upload_large(
        "big.bin",
        io.BytesIO(BIG),
        segment_size=1000,
        metadata={"kind": "big"},
        progress=lambda done, total: seen.append(done),
    )
    info = container.head_object("big.bin")
    assert info.static_large_object
    assert info.content_length == len(BIG)
    assert info.metadata == {"kind": "big"}
    assert container.get_object_bytes("big.bin") == BIG
    assert container.get_object_bytes("big.bin", range=(995, 2004)) == BIG[995:2005]
    segments = fake_swift.store.object_names(SEGMENTS)
    assert len(segments) == 11
    assert all(name.startswith("big.bin/slo/") for name in segments)
    assert seen[-1] == len(BIG)
    # The manifest PUT carried the large object's ETag, for Swift to check.
    stored = [fake_swift.store.get_object(SEGMENTS, name) for name in segments]
    expected = manifest_etag(
        SegmentInfo(SEGMENTS, name, obj.etag, obj.size)
        for name, obj in zip(segments, stored, strict=True)
        if obj is not None
    )
    (manifest_put,) = [r for r in fake_swift.requests if r.query.get("multipart-manifest")]
    assert {k.lower(): v for k, v in manifest_put.headers.items()}["etag"] == expected
    assert result.etag == expected


def test_upload_large_takes_bytes_and_streams(fake_swift: FakeSwift, container: Container) -> None:
    def chunks() -> Iterator[bytes]:
        for i in range(0, len(BIG), 777):
            yield BIG[i : i + 777]

    container.upload_large("s.bin", chunks(), segment_size=1000, segment_container="segs")
    assert container.get_object_bytes("s.bin") == BIG
    assert len(fake_swift.store.object_names("segs")) == 11
    container.upload_large("b.bin", BIG, segment_size=4096)
    assert container.get_object_bytes("b.bin") == BIG


def test_segments_go_up_in_parallel_but_never_more_than_threads(
    fake_swift: FakeSwift, container: Container
) -> None:
    # The first segments answer late, so the next ones must go out meanwhile.
    fake_swift.delay_next(0.2, times=2, method="PUT", path=re.compile(rf"/{SEGMENTS}/"))
    workers: set[int] = set()
    lock = threading.Lock()
    in_flight: dict[int, int] = {}
    most = 0

    def progress(_done: int, _total: int | None) -> None:
        nonlocal most
        with lock:
            workers.add(threading.get_ident())
            in_flight[threading.get_ident()] = 1
            most = max(most, len(in_flight))

    container.upload_large(
        "p.bin", io.BytesIO(BIG), segment_size=1000, threads=3, progress=progress
    )
    assert container.get_object_bytes("p.bin") == BIG
    assert 1 < len(workers) <= 3
    assert threading.get_ident() not in workers


def test_a_segment_failure_is_retried(fake_swift: FakeSwift, container: Container) -> None:
    fake_swift.fail_next(503, kind="object", method="PUT", path=_segment(3))
    container.upload_large("r.bin", io.BytesIO(BIG), segment_size=1000)
    assert container.get_object_bytes("r.bin") == BIG
    # 11 segments, one of them twice, and the manifest.
    assert _object_puts(fake_swift) == 13


def test_a_failed_upload_that_cannot_resume_removes_its_segments(
    fake_swift: FakeSwift, container: Container
) -> None:
    fake_swift.fail_next(500, times=EXHAUST, kind="object", method="PUT", path="/media/f.bin")
    with pytest.raises(ServerError):
        container.upload_large("f.bin", io.BytesIO(BIG), segment_size=1000)
    assert fake_swift.store.object_names(SEGMENTS) == []
    assert not fake_swift.store.has_object("media", "f.bin")


def test_bad_arguments_are_refused_before_uploading(
    fake_swift: FakeSwift, container: Container
) -> None:
    with pytest.raises(TypeError, match="object name must be str"):
        container.upload_large(7, b"x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="segment_size"):
        container.upload_large("x", io.BytesIO(b"x" * 1001), segment_size=1)
    with pytest.raises(ValueError, match="at least one byte"):
        container.upload_large("x", io.BytesIO(b""), segment_size=1)
    with pytest.raises(ValueError, match="threads"):
        container.upload_large("x", io.BytesIO(b"x"), segment_size=1, threads=0)
    with pytest.raises(TypeError, match="binary mode"):
        container.upload_large("x", io.StringIO("x"), segment_size=1)  # type: ignore[arg-type]
    assert _object_puts(fake_swift) == 0


def test_the_callers_errors_come_out_unchanged(fake_swift: FakeSwift, container: Container) -> None:
    class Boom(Exception):
        pass

    def chunks() -> Iterator[bytes]:
        yield BIG[:2500]
        raise Boom

    with pytest.raises(Boom):
        container.upload_large("boom", chunks(), segment_size=1000)

    def progress(done: int, _total: int | None) -> None:
        if done > 3000:
            raise Boom

    with pytest.raises(Boom):
        container.upload_large("boom", io.BytesIO(BIG), segment_size=1000, progress=progress)
    assert fake_swift.store.object_names(SEGMENTS) == []
    assert not fake_swift.store.has_object("media", "boom")


# -- resuming -----------------------------------------------------------------------------------


def test_a_file_upload_resumes_with_the_missing_segments_only(
    fake_swift: FakeSwift, container: Container, big_file: Path
) -> None:
    fake_swift.fail_next(500, times=EXHAUST, method="PUT", path=_segment(3))
    with big_file.open("rb") as f, pytest.raises(ServerError):
        container.upload_large("big.bin", f, segment_size=1000, threads=1)
    # Resumable: what was stored stays for the next call.
    assert len(fake_swift.store.object_names(SEGMENTS)) == 3
    puts, listings = _object_puts(fake_swift), fake_swift.count("container", "GET")

    with big_file.open("rb") as f:
        container.upload_large("big.bin", f, segment_size=1000, threads=1)
    assert _object_puts(fake_swift) - puts == 8 + 1  # segments 3..10, then the manifest
    assert fake_swift.count("container", "GET") - listings == 1
    assert container.get_object_bytes("big.bin") == BIG
    assert len(fake_swift.store.object_names(SEGMENTS)) == 11


def test_a_parallel_upload_broken_by_a_reset_resumes(
    fake_swift: FakeSwift, container: Container, big_file: Path
) -> None:
    fake_swift.reset_next("during_upload", times=EXHAUST, method="PUT", path=_segment(5))
    with big_file.open("rb") as f, pytest.raises(ReadError):
        container.upload_large("big.bin", f, segment_size=1000, threads=3)
    stored = len(fake_swift.store.object_names(SEGMENTS))
    assert 0 < stored < 11
    before = _segment_puts(fake_swift)
    with big_file.open("rb") as f:
        container.upload_large("big.bin", f, segment_size=1000, threads=3)
    assert _segment_puts(fake_swift) - before == 11 - stored
    assert container.get_object_bytes("big.bin") == BIG


def test_a_resumed_upload_checks_the_stored_segments_against_the_data(
    fake_swift: FakeSwift, container: Container
) -> None:
    container.upload_large("v.bin", BIG, segment_size=1000, upload_id="v1")
    changed = bytearray(BIG)
    changed[5500] ^= 0xFF  # segment 5, same size
    before = _segment_puts(fake_swift)
    container.upload_large("v.bin", bytes(changed), segment_size=1000, upload_id="v1")
    assert _segment_puts(fake_swift) - before == 1
    assert container.get_object_bytes("v.bin") == bytes(changed)


def test_a_stream_resumes_with_its_upload_id(fake_swift: FakeSwift, container: Container) -> None:
    def chunks() -> Iterator[bytes]:
        for i in range(0, len(BIG), 600):
            yield BIG[i : i + 600]

    fake_swift.fail_next(500, times=EXHAUST, method="PUT", path=_segment(6))
    with pytest.raises(ServerError):
        container.upload_large("st.bin", chunks(), segment_size=1000, upload_id="st", threads=1)
    assert len(fake_swift.store.object_names(SEGMENTS)) == 6
    before = _segment_puts(fake_swift)
    container.upload_large("st.bin", chunks(), segment_size=1000, upload_id="st", threads=1)
    assert _segment_puts(fake_swift) - before == 5
    assert container.get_object_bytes("st.bin") == BIG


def test_a_changed_file_is_a_new_upload_and_old_segments_can_go(
    fake_swift: FakeSwift, container: Container, big_file: Path
) -> None:
    def upload(**options: Any) -> set[str]:
        with big_file.open("rb") as f:
            container.upload_large("big.bin", f, segment_size=1000, **options)
        return set(fake_swift.store.object_names(SEGMENTS))

    def change(data: bytes, mtime_ns: int) -> None:
        big_file.write_bytes(data)
        os.utime(big_file, ns=(mtime_ns, mtime_ns))  # whatever the clock's resolution

    change(BIG, 10**18)
    first = upload()
    before = _segment_puts(fake_swift)
    assert upload() == first  # unchanged: nothing to upload but the manifest
    assert _segment_puts(fake_swift) == before

    change(BIG[::-1], 2 * 10**18)
    second = upload() - first
    # By default the replaced version's segments stay (Swift cannot know they are unused).
    assert len(second) == 11
    assert first <= set(fake_swift.store.object_names(SEGMENTS))

    change(BIG, 3 * 10**18)
    third = upload(delete_old_segments=True) - first
    assert container.get_object_bytes("big.bin") == BIG
    assert len(third) == 11
    assert third.isdisjoint(second)  # the version replaced just now lost its segments


def test_a_manifest_swift_refuses_is_an_error(fake_swift: FakeSwift, container: Container) -> None:
    fake_swift.fail_next(422, times=EXHAUST, method="PUT", path="/media/m.bin")
    with pytest.raises(ChecksumMismatchError):
        container.upload_large("m.bin", BIG, segment_size=4096)
    assert not fake_swift.store.has_object("media", "m.bin")


# -- deleting and reading -----------------------------------------------------------------------


def test_delete_segments(fake_swift: FakeSwift, container: Container) -> None:
    container.upload_large("big.bin", BIG, segment_size=1000)
    container.delete_object("big.bin", delete_segments=True)
    assert not container.object_exists("big.bin")
    assert fake_swift.store.object_names(SEGMENTS) == []
    # An ordinary object is deleted alone; a missing one is an error unless missing_ok.
    container.put_object("plain", b"x")
    container.delete_object("plain", delete_segments=True)
    assert not container.object_exists("plain")
    with pytest.raises(NotFoundError):
        container.delete_object("plain", delete_segments=True)
    container.delete_object("plain", delete_segments=True, missing_ok=True)


def test_a_manifest_alone_leaves_the_segments(fake_swift: FakeSwift, container: Container) -> None:
    container.upload_large("big.bin", BIG, segment_size=1000)
    container.delete_object("big.bin")
    assert len(fake_swift.store.object_names(SEGMENTS)) == 11


def test_reading_a_dynamic_large_object(container: Container) -> None:
    parts = [BIG[i : i + 3000] for i in range(0, len(BIG), 3000)]
    for index, part in enumerate(parts):
        container.put_object(f"dlo/part-{index:03d}", part)
    container.put_object("dlo.bin", b"", headers={"X-Object-Manifest": "media/dlo/part-"})
    assert container.get_object_bytes("dlo.bin") == BIG
    assert container.get_object_bytes("dlo.bin", range=(2990, 3009)) == BIG[2990:3010]
    with container.open_object("dlo.bin") as reader:
        assert reader.info.object_manifest == "media/dlo/part-"
        assert b"".join(reader.iter_chunks(1000)) == BIG


# -- memory -------------------------------------------------------------------------------------


class _Pattern:
    """A seekable file of ``size`` generated bytes: large data that is never all in memory."""

    BLOCK = bytes(range(256)) * 256

    def __init__(self, size: int) -> None:
        self.size, self.pos = size, 0

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.pos if n < 0 else min(n, self.size - self.pos)
        offset = self.pos % len(self.BLOCK)
        out = bytearray()
        while len(out) < n:
            out += self.BLOCK[offset : offset + n - len(out)]
            offset = 0
        self.pos += n
        return bytes(out)

    def seek(self, pos: int, whence: int = 0) -> int:
        self.pos = [pos, self.pos + pos, self.size + pos][whence]
        return self.pos

    def tell(self) -> int:
        return self.pos

    def seekable(self) -> bool:
        return True


@pytest.fixture(scope="module")
def separate_swift() -> Iterator[str]:
    """A fake Swift in a process of its own, so this process's memory is the client's only."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakeswift", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    match = re.search(r"listening on (http://\S+)", first)
    if match is None:
        proc.kill()
        raise RuntimeError(f"the fake Swift did not start: {first!r}")
    yield match.group(1)
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.parametrize("kind", ["file", "stream"])
def test_memory_stays_within_threads_times_one_segment(
    separate_swift: str, transport_name: str, retry: RetryPolicy, kind: str
) -> None:
    total, segment, threads = 24 * 1024 * 1024, 2 * 1024 * 1024, 3
    with ObjectStorage.swift_v1(
        auth_url=f"{separate_swift}/auth/v1.0",
        user="test:tester",
        key="testing",
        transport=transport_name,
        retry=retry,
    ) as storage:
        media = storage.container("memory")
        media.create()
        storage.container("memory_segments").create()
        data: Any = _Pattern(total)
        if kind == "stream":
            source = _Pattern(total)
            data = iter(lambda: source.read(64 * 1024), b"")
        tracemalloc.start()
        try:
            media.upload_large("m.bin", data, segment_size=segment, threads=threads)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert media.head_object("m.bin").content_length == total
    assert peak < threads * segment  # at most a segment per worker
    assert peak < total / 4


# -- the object's headers and create-only ---------------------------------------------------------


def test_upload_large_puts_every_header_on_the_manifest(
    fake_swift: FakeSwift, container: Container
) -> None:
    delete_at = int(fake_swift.clock.time()) + 3600
    container.upload_large(
        "h.bin",
        BIG,
        segment_size=4096,
        content_encoding="gzip",
        delete_at=delete_at,
        headers={"X-Object-Meta-Extra": "yes"},
    )
    info = container.head_object("h.bin")
    assert info.content_encoding == "gzip"
    assert info.delete_at == delete_at
    assert info.metadata == {"extra": "yes"}
    assert _object_puts(fake_swift) == 4  # 3 segments and the manifest: no POST follows
    assert fake_swift.count(kind="object", method="POST") == 0


def test_create_only_large_upload_is_one_atomic_manifest_put(
    fake_swift: FakeSwift, container: Container
) -> None:
    container.upload_large("c.bin", BIG, segment_size=4096, if_none_match=True)
    assert container.get_object_bytes("c.bin") == BIG
    (manifest_put,) = [r for r in fake_swift.requests if r.query.get("multipart-manifest")]
    assert {k.lower(): v for k, v in manifest_put.headers.items()}["if-none-match"] == "*"
    assert fake_swift.count(method="HEAD") == 0


def test_create_only_large_upload_of_a_taken_name_removes_its_segments(
    fake_swift: FakeSwift, container: Container
) -> None:
    container.put_object("taken.bin", b"first")
    with pytest.raises(AlreadyExistsError):
        container.upload_large("taken.bin", io.BytesIO(BIG), segment_size=4096, if_none_match=True)
    assert container.get_object_bytes("taken.bin") == b"first"
    assert fake_swift.store.object_names(SEGMENTS) == []


def test_create_only_keeps_the_segments_the_existing_object_uses(
    fake_swift: FakeSwift, container: Container, big_file: Path
) -> None:
    with big_file.open("rb") as f:
        container.upload_large("same.bin", f, segment_size=4096)
    segments = fake_swift.store.object_names(SEGMENTS)
    with big_file.open("rb") as f, pytest.raises(AlreadyExistsError):
        container.upload_large("same.bin", f, segment_size=4096, if_none_match=True)
    assert fake_swift.store.object_names(SEGMENTS) == segments
    assert container.get_object_bytes("same.bin") == BIG


def test_a_create_only_manifest_whose_answer_was_lost_succeeds(
    fake_swift: FakeSwift, container: Container
) -> None:
    fake_swift.reset_next(phase="before_reply", path=re.compile(r"/media/lost\.bin$"))
    result = container.upload_large("lost.bin", BIG, segment_size=4096, if_none_match=True)
    assert container.get_object_bytes("lost.bin") == BIG
    assert result.etag == container.head_object("lost.bin").etag
