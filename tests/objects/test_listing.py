"""Listing objects: lazy, paginated, prefix / delimiter / markers / reverse."""

from __future__ import annotations

import pytest
from selectel_objects import Container, NotFoundError, ObjectEntry, ObjectStorage, SubdirEntry

from tests.fakeswift.app import FakeSwift

NAMES = ["a.txt", "b/1.txt", "b/2.txt", "b/c/3.txt", "d.txt", "e/4.txt"]


@pytest.fixture
def filled(container: Container) -> Container:
    for name in NAMES:
        container.put_object(name, name.encode())
    return container


def test_list_all(filled: Container) -> None:
    entries = list(filled.list_objects())
    assert [e.name for e in entries] == NAMES
    first = entries[0]
    assert isinstance(first, ObjectEntry)
    assert first.size == len(b"a.txt")
    assert first.content_type == "text/plain"
    assert first.etag is not None and len(first.etag) == 32
    assert first.last_modified is not None and first.last_modified.tzinfo is not None


def test_prefix_delimiter(filled: Container) -> None:
    top = list(filled.list_objects(delimiter="/"))
    assert [(type(e).__name__, e.name) for e in top] == [
        ("ObjectEntry", "a.txt"),
        ("SubdirEntry", "b/"),
        ("ObjectEntry", "d.txt"),
        ("SubdirEntry", "e/"),
    ]
    inside = list(filled.list_objects(prefix="b/", delimiter="/"))
    assert [e.name for e in inside] == ["b/1.txt", "b/2.txt", "b/c/"]
    assert isinstance(inside[-1], SubdirEntry)
    assert [e.name for e in filled.list_objects(prefix="b/")] == ["b/1.txt", "b/2.txt", "b/c/3.txt"]


def test_markers_and_reverse(filled: Container) -> None:
    assert [e.name for e in filled.list_objects(marker="b/2.txt")] == NAMES[3:]
    assert [e.name for e in filled.list_objects(end_marker="b/2.txt")] == NAMES[:2]
    assert [e.name for e in filled.list_objects(reverse=True)] == NAMES[::-1]


@pytest.mark.parametrize("page_size", [1, 2, 5, 6, 7])
def test_pagination_gives_everything_once(
    fake_swift: FakeSwift, filled: Container, page_size: int
) -> None:
    before = fake_swift.count(kind="container", method="GET")
    assert [e.name for e in filled.list_objects(page_size=page_size)] == NAMES
    pages = fake_swift.count(kind="container", method="GET") - before
    assert pages == len(NAMES) // page_size + 1


def test_pagination_with_delimiter_and_reverse(filled: Container) -> None:
    assert [e.name for e in filled.list_objects(delimiter="/", page_size=1)] == [
        "a.txt",
        "b/",
        "d.txt",
        "e/",
    ]
    assert [e.name for e in filled.list_objects(reverse=True, page_size=2)] == NAMES[::-1]


def test_listing_is_lazy(fake_swift: FakeSwift, filled: Container) -> None:
    before = fake_swift.count(kind="container", method="GET")
    entries = filled.list_objects(page_size=2)
    assert fake_swift.count(kind="container", method="GET") == before
    assert next(entries).name == "a.txt"
    assert fake_swift.count(kind="container", method="GET") == before + 1


def test_bad_page_size_is_refused_at_once(container: Container) -> None:
    with pytest.raises(ValueError, match="page_size"):
        container.list_objects(page_size=0)
    with pytest.raises(ValueError, match="page_size"):
        container.list_objects(page_size=10_001)


def test_empty_and_missing_containers(storage: ObjectStorage, container: Container) -> None:
    assert list(container.list_objects()) == []
    with pytest.raises(NotFoundError):
        list(storage.container("missing").list_objects())


@pytest.mark.slow
def test_more_than_ten_thousand_objects(fake_swift: FakeSwift, container: Container) -> None:
    names = [f"obj/{i:05d}" for i in range(10_003)]
    for name in names:
        fake_swift.store.put_object("media", name, b"")
    before = fake_swift.count(kind="container", method="GET")
    listed = [e.name for e in container.list_objects()]
    assert listed == names
    assert fake_swift.count(kind="container", method="GET") - before == 2
