"""The streaming reader is a proper read-only binary file."""

from __future__ import annotations

import io
import shutil

import pytest
from selectel_objects import Container, ObjectReader

from tests.fakeswift.app import FakeSwift

DATA = b"line one\nline two\n" + bytes(range(256)) * 600


@pytest.fixture
def stored(container: Container) -> Container:
    container.put_object("blob.bin", DATA, metadata={"k": "v"})
    return container


def test_read_in_pieces(stored: Container) -> None:
    with stored.open_object("blob.bin") as reader:
        assert isinstance(reader, ObjectReader)
        assert isinstance(reader, io.RawIOBase)
        assert reader.readable() and not reader.writable() and not reader.seekable()
        assert reader.name == "blob.bin"
        assert reader.info.content_length == len(DATA)
        assert reader.info.metadata == {"k": "v"}
        assert reader.read(0) == b""
        assert reader.readline() == b"line one\n"
        assert reader.read(9) == b"line two\n"
        assert reader.bytes_read == 18
        assert reader.read() == DATA[18:]
        assert reader.read() == b""
        assert reader.read(10) == b""
    assert reader.closed
    with pytest.raises(ValueError, match="closed"):
        reader.read(1)


def test_readinto_and_buffered_wrapping(stored: Container) -> None:
    with stored.open_object("blob.bin") as reader:
        buffer = bytearray(1000)
        assert reader.readinto(buffer) == 1000
        assert bytes(buffer) == DATA[:1000]
        rest = io.BufferedReader(reader, buffer_size=4096)
        assert rest.read() == DATA[1000:]


def test_iteration_yields_chunks(stored: Container) -> None:
    with stored.open_object("blob.bin") as reader:
        chunks = list(reader)
    assert b"".join(chunks) == DATA
    assert len(chunks) > 1
    with stored.open_object("blob.bin") as reader:
        assert all(len(c) <= 1000 for c in reader.iter_chunks(1000))


def test_copy_to_a_file_streams(stored: Container, tmp_path: object) -> None:
    out = io.BytesIO()
    with stored.open_object("blob.bin") as reader:
        shutil.copyfileobj(reader, out, 8192)
    assert out.getvalue() == DATA


def test_closing_early_releases_the_connection(fake_swift: FakeSwift, stored: Container) -> None:
    for _ in range(40):  # more than the pool holds: an unreleased connection would leak
        reader = stored.open_object("blob.bin")
        assert reader.read(10) == DATA[:10]
        reader.close()
        reader.close()  # twice is fine
    assert stored.get_object_bytes("blob.bin") == DATA


def test_repr_is_short_and_safe(stored: Container) -> None:
    with stored.open_object("blob.bin") as reader:
        assert repr(reader) == f"<ObjectReader 'blob.bin' 0/{len(DATA)} bytes>"
