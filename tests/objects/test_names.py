"""Names are validated before any request and encoded so that every valid name round-trips."""

from __future__ import annotations

import pytest
from selectel_objects import Container, InvalidNameError, ObjectStorage
from selectel_objects._protocol.names import quote_container, quote_object

from tests.fakeswift.app import FakeSwift

ODD_NAMES = [
    "with space.txt",
    "unicode/Ёжик в тумане.png",
    "query?and#hash&amp=1",
    "percent%20literal%",
    "plus+sign",
    "a/../b",
    "./dot/./x",
    "trailing/",
    "double//slash",
    "semi;colon,comma'quote\"",
    "emoji 🎉.gif",
    "x" * 1024,
    "ж" * 512,  # 1024 bytes in UTF-8
]


@pytest.mark.parametrize("name", ODD_NAMES, ids=lambda n: n[:30])
def test_odd_names_round_trip(fake_swift: FakeSwift, container: Container, name: str) -> None:
    container.put_object(name, name.encode())
    assert container.get_object_bytes(name) == name.encode()
    assert fake_swift.store.has_object("media", name)
    assert name in [e.name for e in container.list_objects(prefix=name)]
    container.delete_object(name)
    assert not fake_swift.store.has_object("media", name)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "empty"),
        ("a\x00b", "NUL"),
        ("x" * 1025, "1025 bytes"),
        ("ж" * 513, "1026 bytes"),
        ("bad\udc80surrogate", "lone surrogate"),
    ],
)
def test_bad_object_names_are_refused_before_any_request(
    fake_swift: FakeSwift, container: Container, name: str, message: str
) -> None:
    before = len(fake_swift.requests)
    for call in (
        lambda: container.put_object(name, b"x"),
        lambda: container.open_object(name),
        lambda: container.head_object(name),
        lambda: container.delete_object(name),
        lambda: container.copy_object(name, container, "ok"),
        lambda: container.copy_object("ok", container, name),
        lambda: container.public_url(name),
    ):
        with pytest.raises(InvalidNameError, match=message):
            call()
    assert len(fake_swift.requests) == before


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "empty"),
        ("a/b", "'/'"),
        ("x" * 257, "257 bytes"),
        ("..", "path step"),
        ("nul\x00", "NUL"),
        ("\ud800", "lone surrogate"),
    ],
)
def test_bad_container_names_are_refused(
    fake_swift: FakeSwift, storage: ObjectStorage, name: str, message: str
) -> None:
    with pytest.raises(InvalidNameError, match=message):
        storage.container(name)
    assert fake_swift.count(kind="container") == 0


def test_invalid_name_error_is_a_value_error(storage: ObjectStorage) -> None:
    with pytest.raises(ValueError):
        storage.container("")
    with pytest.raises(TypeError, match="must be str"):
        storage.container(b"bytes")  # type: ignore[arg-type]


def test_quoting() -> None:
    assert quote_object("a b/c?d#e%f") == "a%20b/c%3Fd%23e%25f"
    assert quote_object("../x/./y/..") == "%2E%2E/x/%2E/y/%2E%2E"
    assert quote_object("..a/.b.") == "..a/.b."
    assert quote_container("a b/c") == "a%20b%2Fc"


def test_container_name_with_odd_characters(fake_swift: FakeSwift, storage: ObjectStorage) -> None:
    box = storage.container("Ёж & co ?")
    box.create()
    box.put_object("x", b"1")
    assert fake_swift.store.has_object("Ёж & co ?", "x")
    assert [e.name for e in storage.list_containers()] == ["Ёж & co ?"]
