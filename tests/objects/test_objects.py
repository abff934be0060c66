"""Object operations end to end: put, get, head, metadata, copy, delete, URLs."""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from selectel_objects import (
    AlreadyExistsError,
    Container,
    NotFoundError,
    NotModifiedError,
    ObjectStorage,
    PreconditionFailedError,
    RangeNotSatisfiableError,
)

from tests.fakeswift.app import FakeSwift

DATA = bytes(range(256)) * 1000  # 256 000 bytes: several chunks


def test_put_bytes_round_trip(fake_swift: FakeSwift, container: Container) -> None:
    result = container.put_object("dir/file.bin", DATA)
    assert result.etag == hashlib.md5(DATA).hexdigest()
    assert result.last_modified is not None
    assert result.request_id
    assert container.get_object_bytes("dir/file.bin") == DATA
    stored = fake_swift.store.get_object("media", "dir/file.bin")
    assert stored is not None and stored.data == DATA
    assert fake_swift.count(kind="object", method="PUT") == 1


def test_bytes_are_sent_with_content_length_and_etag(
    fake_swift: FakeSwift, container: Container
) -> None:
    container.put_object("a", DATA)
    [put] = [r for r in fake_swift.requests if r.method == "PUT" and r.kind == "object"]
    headers = {k.lower(): v for k, v in put.headers.items()}
    assert headers["content-length"] == str(len(DATA))
    assert headers["etag"] == hashlib.md5(DATA).hexdigest()
    assert "transfer-encoding" not in headers


def test_put_str_is_utf8_and_text_gets_a_charset(container: Container) -> None:
    container.put_object("note.txt", "héllo ✓")
    assert container.get_object_bytes("note.txt") == "héllo ✓".encode()
    assert container.head_object("note.txt").content_type == "text/plain; charset=utf-8"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("photo.JPG", "image/jpeg"),
        ("page.html", "text/html"),
        ("archive.tar.gz", "application/x-tar"),
        ("no-extension", "application/octet-stream"),
    ],
)
def test_content_type_is_guessed_from_the_name(
    container: Container, name: str, expected: str
) -> None:
    container.put_object(name, b"x")
    info = container.head_object(name)
    assert info.content_type == expected
    # A guessed compression is not declared as Content-Encoding: browsers would unpack it.
    assert info.content_encoding is None


def test_explicit_content_type_wins(container: Container) -> None:
    container.put_object("photo.jpg", b"x", content_type="application/x-custom")
    assert container.head_object("photo.jpg").content_type == "application/x-custom"


def test_put_seekable_file_streams_from_its_position(
    fake_swift: FakeSwift, container: Container, tmp_path: Path
) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"HEADER" + DATA)
    with path.open("rb") as f:
        f.seek(6)
        result = container.put_object("file", f)
    assert result.etag == hashlib.md5(DATA).hexdigest()
    assert container.get_object_bytes("file") == DATA
    [put] = [r for r in fake_swift.requests if r.method == "PUT" and r.kind == "object"]
    assert {k.lower(): v for k, v in put.headers.items()}["content-length"] == str(len(DATA))


def test_put_file_with_content_length_sends_only_that_much(container: Container) -> None:
    container.put_object("part", io.BytesIO(DATA), content_length=100)
    assert container.get_object_bytes("part") == DATA[:100]


def test_put_iterator_is_sent_chunked(fake_swift: FakeSwift, container: Container) -> None:
    def chunks() -> Iterator[bytes]:
        for i in range(0, len(DATA), 10_000):
            yield DATA[i : i + 10_000]

    result = container.put_object("stream", chunks())
    assert result.etag == hashlib.md5(DATA).hexdigest()
    assert container.get_object_bytes("stream") == DATA
    [put] = [r for r in fake_swift.requests if r.method == "PUT" and r.kind == "object"]
    headers = {k.lower(): v for k, v in put.headers.items()}
    assert headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in headers


def test_put_iterator_with_content_length_is_not_chunked(
    fake_swift: FakeSwift, container: Container
) -> None:
    container.put_object("stream", iter([b"abc", b"def"]), content_length=6)
    assert container.get_object_bytes("stream") == b"abcdef"
    [put] = [r for r in fake_swift.requests if r.method == "PUT" and r.kind == "object"]
    assert {k.lower(): v for k, v in put.headers.items()}["content-length"] == "6"


def test_put_non_seekable_stream(container: Container) -> None:
    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self._data = io.BytesIO(DATA)

        def readable(self) -> bool:
            return True

        def readinto(self, b: bytearray) -> int:  # type: ignore[override]
            chunk = self._data.read(len(b))
            b[: len(chunk)] = chunk
            return len(chunk)

    container.put_object("pipe", Pipe())
    assert container.get_object_bytes("pipe") == DATA


def test_put_empty_object(container: Container) -> None:
    result = container.put_object("empty", b"")
    assert result.etag == hashlib.md5(b"").hexdigest()
    assert container.get_object_bytes("empty") == b""
    assert container.head_object("empty").content_length == 0
    container.put_object("empty-stream", iter([]))
    assert container.get_object_bytes("empty-stream") == b""


@pytest.mark.parametrize("data", [iter([b"short"]), io.BytesIO(b"short")], ids=["iterator", "file"])
def test_data_shorter_than_content_length_is_an_error_and_stores_nothing(
    container: Container, data: object
) -> None:
    with pytest.raises(ValueError, match="content_length"):
        container.put_object("short", data, content_length=10)  # type: ignore[arg-type]
    assert not container.object_exists("short")


def test_iterator_longer_than_content_length_is_an_error(container: Container) -> None:
    with pytest.raises(ValueError, match="longer than content_length=3"):
        container.put_object("long", iter([b"abcdef"]), content_length=3)
    assert not container.object_exists("long")


def test_bytes_with_a_wrong_content_length_are_refused_before_sending(
    container: Container,
) -> None:
    with pytest.raises(ValueError, match="content_length=3 but the data is 6 bytes"):
        container.put_object("x", b"abcdef", content_length=3)


def test_text_mode_files_and_odd_data_are_refused(container: Container) -> None:
    with pytest.raises(TypeError, match="binary mode"):
        container.put_object("x", io.StringIO("text"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cannot upload int"):
        container.put_object("x", 42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected bytes"):
        container.put_object("x", ["not", "bytes"])  # type: ignore[list-item]


def test_errors_of_the_callers_data_come_out_unchanged(container: Container) -> None:
    class Boom(Exception):
        pass

    def chunks() -> Iterator[bytes]:
        yield b"abc"
        raise Boom("disk on fire")

    with pytest.raises(Boom, match="disk on fire"):
        container.put_object("x", chunks())

    def failing_read() -> Iterator[bytes]:
        yield from ()
        raise OSError("read failed")

    with pytest.raises(OSError, match="read failed"):
        container.put_object("y", failing_read())


def test_put_metadata_and_headers(container: Container) -> None:
    container.put_object(
        "doc.pdf",
        b"%PDF",
        metadata={"Owner": "Анна", "Kind": "report"},
        cache_control="max-age=60",
        content_disposition='attachment; filename="doc.pdf"',
        content_encoding="identity",
    )
    info = container.head_object("doc.pdf")
    assert info.metadata == {"owner": "Анна", "kind": "report"}
    assert info.cache_control == "max-age=60"
    assert info.content_disposition == 'attachment; filename="doc.pdf"'
    assert info.content_encoding == "identity"


def test_put_replaces_object_and_metadata(container: Container) -> None:
    container.put_object("x", b"one", metadata={"a": "1"})
    container.put_object("x", b"two")
    assert container.get_object_bytes("x") == b"two"
    assert container.head_object("x").metadata == {}


def test_delete_at_and_delete_after(fake_swift: FakeSwift, container: Container) -> None:
    at = int(time.time()) + 3600
    container.put_object("a", b"x", delete_at=at)
    assert container.head_object("a").delete_at == at
    container.put_object("b", b"x", delete_at=datetime.fromtimestamp(at, timezone.utc))
    assert container.head_object("b").delete_at == at
    container.put_object("c", b"x", delete_after=60)
    delete_at = container.head_object("c").delete_at
    assert delete_at is not None and abs(delete_at - (time.time() + 60)) < 5


def test_if_none_match_creates_only_once(fake_swift: FakeSwift, container: Container) -> None:
    container.put_object("once", b"first", if_none_match=True)
    with pytest.raises(AlreadyExistsError) as caught:
        container.put_object("once", b"second", if_none_match=True)
    assert isinstance(caught.value, PreconditionFailedError)
    assert caught.value.status == 412
    assert caught.value.request_id
    assert container.get_object_bytes("once") == b"first"
    # Without the flag a 412 cannot happen and a PUT simply replaces.
    container.put_object("once", b"third")
    assert container.get_object_bytes("once") == b"third"


def test_progress_of_upload_and_download(container: Container) -> None:
    sent: list[tuple[int, int | None]] = []
    container.put_object("p", DATA, progress=lambda done, total: sent.append((done, total)))
    assert sent[0] == (0, len(DATA))
    assert sent[-1] == (len(DATA), len(DATA))
    assert [d for d, _ in sent] == sorted(d for d, _ in sent)
    received: list[tuple[int, int | None]] = []
    container.get_object_bytes("p", progress=lambda done, total: received.append((done, total)))
    assert received[-1] == (len(DATA), len(DATA))

    chunked: list[tuple[int, int | None]] = []
    container.put_object("q", iter([b"ab", b"cd"]), progress=lambda d, t: chunked.append((d, t)))
    assert chunked == [(0, None), (2, None), (4, None)]


def test_a_progress_callback_can_abort_an_upload(container: Container) -> None:
    def stop(done: int, total: int | None) -> None:
        if done > 100_000:
            raise KeyError("stop")

    with pytest.raises(KeyError):
        container.put_object("aborted", DATA, progress=stop, chunk_size=10_000)
    assert not container.object_exists("aborted")


def test_head_object_and_exists(container: Container) -> None:
    container.put_object("x.txt", b"hello")
    info = container.head_object("x.txt")
    assert info.content_length == 5
    assert info.etag == hashlib.md5(b"hello").hexdigest()
    assert info.last_modified is not None and info.last_modified.tzinfo is not None
    assert container.object_exists("x.txt")
    assert not container.object_exists("nope")
    with pytest.raises(NotFoundError) as caught:
        container.head_object("nope")
    assert caught.value.status == 404
    assert caught.value.request_id


def test_get_missing_object(container: Container) -> None:
    with pytest.raises(NotFoundError, match="404"):
        container.get_object_bytes("missing")


def test_object_in_missing_container(storage: ObjectStorage) -> None:
    ghost = storage.container("ghost")
    with pytest.raises(NotFoundError):
        ghost.put_object("x", b"data")
    with pytest.raises(NotFoundError):
        ghost.head_object("x")


@pytest.mark.parametrize(
    ("byte_range", "expected"),
    [
        ((0, 9), DATA[:10]),
        ((100, None), DATA[100:]),
        ((None, 5), DATA[-5:]),
        ((len(DATA) - 1, len(DATA) + 50), DATA[-1:]),
    ],
)
def test_ranges(
    container: Container, byte_range: tuple[int | None, int | None], expected: bytes
) -> None:
    container.put_object("r", DATA)
    assert container.get_object_bytes("r", range=byte_range) == expected
    with container.open_object("r", range=byte_range) as reader:
        assert reader.info.content_length == len(expected)
        assert reader.info.content_range is not None


def test_unsatisfiable_range(container: Container) -> None:
    container.put_object("r", b"abc")
    with pytest.raises(RangeNotSatisfiableError) as caught:
        container.get_object_bytes("r", range=(10, 20))
    assert caught.value.status == 416


@pytest.mark.parametrize("bad", [(None, None), (5, 2), (-1, 3), (None, 0)])
def test_bad_ranges_are_refused_before_sending(
    container: Container, bad: tuple[int | None, int | None]
) -> None:
    with pytest.raises(ValueError, match="range"):
        container.open_object("r", range=bad)


def test_conditional_get(container: Container) -> None:
    etag = container.put_object("c", b"content").etag
    assert etag is not None
    assert container.get_object_bytes("c", if_match=etag) == b"content"
    with pytest.raises(PreconditionFailedError):
        container.get_object_bytes("c", if_match="0" * 32)
    with pytest.raises(NotModifiedError) as caught:
        container.open_object("c", if_none_match=etag)
    assert caught.value.status == 304
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    with pytest.raises(NotModifiedError):
        container.open_object("c", if_modified_since=later)
    earlier = datetime.now(timezone.utc) - timedelta(days=1)
    with pytest.raises(PreconditionFailedError):
        container.open_object("c", if_unmodified_since=earlier)
    with pytest.raises(NotModifiedError):
        container.head_object("c", if_none_match=etag)


def test_delete_object(container: Container) -> None:
    container.put_object("gone", b"x")
    container.delete_object("gone")
    assert not container.object_exists("gone")
    with pytest.raises(NotFoundError):
        container.delete_object("gone")
    container.delete_object("gone", missing_ok=True)


def test_copy_within_and_across_containers(storage: ObjectStorage, container: Container) -> None:
    other = storage.container("other")
    other.create()
    container.put_object("src.txt", b"payload", metadata={"a": "1", "b": "2"})
    result = container.copy_object("src.txt", container, "dst.txt")
    assert result.etag == hashlib.md5(b"payload").hexdigest()
    assert result.copied_from == "media/src.txt"
    assert container.get_object_bytes("dst.txt") == b"payload"
    assert container.head_object("dst.txt").metadata == {"a": "1", "b": "2"}

    container.copy_object("src.txt", "other", metadata={"b": "3"})
    assert other.get_object_bytes("src.txt") == b"payload"
    assert other.head_object("src.txt").metadata == {"a": "1", "b": "3"}

    container.copy_object("src.txt", other, "fresh", metadata={"c": "4"}, fresh_metadata=True)
    assert other.head_object("fresh").metadata == {"c": "4"}
    # The source is untouched.
    assert container.get_object_bytes("src.txt") == b"payload"


def test_copy_of_a_missing_object_or_into_a_missing_container(container: Container) -> None:
    with pytest.raises(NotFoundError):
        container.copy_object("missing", container, "x")
    container.put_object("src", b"x")
    with pytest.raises(NotFoundError):
        container.copy_object("src", "no-such-container", "x")


def test_post_object_metadata_replaces_all(container: Container) -> None:
    container.put_object("m", b"x", metadata={"a": "1", "b": "2"})
    container.post_object_metadata("m", {"c": "3"})
    assert container.head_object("m").metadata == {"c": "3"}
    assert container.get_object_bytes("m") == b"x"


def test_update_object_metadata_merges_and_keeps_other_headers(container: Container) -> None:
    at = int(time.time()) + 3600
    container.put_object(
        "m.txt",
        b"x",
        metadata={"a": "1", "b": "2"},
        content_disposition="inline",
        cache_control="no-cache",
        delete_at=at,
    )
    merged = container.update_object_metadata("m.txt", {"b": None, "C": "3", "a": "one"})
    assert merged == {"a": "one", "c": "3"}
    info = container.head_object("m.txt")
    assert info.metadata == {"a": "one", "c": "3"}
    assert info.content_disposition == "inline"
    assert info.cache_control == "no-cache"
    assert info.delete_at == at
    assert info.content_type == "text/plain"


@pytest.mark.parametrize("key", ["bad key", "ключ", "a:b", ""])
def test_bad_metadata_keys_are_refused(container: Container, key: str) -> None:
    with pytest.raises(ValueError, match="metadata key"):
        container.put_object("x", b"x", metadata={key: "v"})


def test_metadata_values_cannot_inject_headers(container: Container) -> None:
    with pytest.raises(ValueError, match="line break"):
        container.put_object("x", b"x", metadata={"a": "v\r\nX-Evil: 1"})


def test_public_url(storage: ObjectStorage, container: Container) -> None:
    base = storage.storage_url
    assert container.public_url("a b/ü.txt") == f"{base}/media/a%20b/%C3%BC.txt"
    cdn = storage.container("media", public_base_url="https://abc.selstorage.ru/")
    assert cdn.public_url("dir/x y.png") == "https://abc.selstorage.ru/dir/x%20y.png"
