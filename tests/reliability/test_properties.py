"""Property tests: any valid name round-trips, any invalid one fails before a request, and
paginated listings equal a pure-Python model of Swift's listing rules.

Examples share one fake per test (hypothesis runs them inside one pytest test), so each
example cleans up after itself or starts from a store it rebuilt directly.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from selectel_objects import InvalidNameError, ObjectEntry, ObjectStorage, SubdirEntry

from tests.fakeswift import FakeSwift
from tests.reliability._support import TRANSPORTS, v1_storage

pytestmark = pytest.mark.fake_only

PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    database=None,  # no .hypothesis folder in the work tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Any code point but NUL and the surrogates: exactly what Swift accepts (as UTF-8).
_VALID_CHAR = st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00")
valid_names = st.text(_VALID_CHAR, min_size=1, max_size=120).filter(
    lambda n: len(n.encode("utf-8")) <= 1024
)


@pytest.fixture(params=TRANSPORTS)
def storage(request: pytest.FixtureRequest, fake_swift: FakeSwift) -> ObjectStorage:
    built = v1_storage(fake_swift, request.param)
    request.addfinalizer(built.close)
    fake_swift.store.create_container("props")
    return built


@PROPERTY_SETTINGS
@given(name=valid_names, data=st.binary(max_size=2048))
def test_any_valid_name_round_trips(
    fake_swift: FakeSwift, storage: ObjectStorage, name: str, data: bytes
) -> None:
    container = storage.container("props")
    result = container.put_object(name, data, content_type="application/octet-stream")
    try:
        assert result.etag == hashlib.md5(data).hexdigest()
        stored = fake_swift.store.get_object("props", name)
        assert stored is not None and stored.data == data, "stored under another name"
        assert container.get_object_bytes(name) == data
        listed = [e.name for e in container.list_objects(prefix=name) if isinstance(e, ObjectEntry)]
        assert listed == [name]
    finally:
        container.delete_object(name)
    assert fake_swift.store.object_names("props") == []


_LONE_SURROGATE = st.characters(whitelist_categories=["Cs"])
invalid_names = st.one_of(
    st.just(""),
    st.tuples(st.text(_VALID_CHAR, max_size=20), st.text(_VALID_CHAR, max_size=20)).map(
        lambda parts: f"{parts[0]}\x00{parts[1]}"
    ),
    st.tuples(st.text(_VALID_CHAR, max_size=20), _LONE_SURROGATE).map("".join),
    st.text(_VALID_CHAR, min_size=257, max_size=400).filter(
        lambda n: len(n.encode("utf-8")) > 1024
    ),
    st.integers(min_value=1025, max_value=3000).map(lambda size: "n" * size),
)


@PROPERTY_SETTINGS
@given(name=invalid_names)
def test_any_invalid_name_fails_before_any_request(
    fake_swift: FakeSwift, storage: ObjectStorage, name: str
) -> None:
    before = fake_swift.count()
    container = storage.container("props")
    for call in (
        lambda: container.put_object(name, b"x"),
        lambda: container.get_object_bytes(name),
        lambda: container.head_object(name),
        lambda: container.delete_object(name),
        lambda: container.copy_object("source", "props", name),
    ):
        with pytest.raises(InvalidNameError):
            call()
    assert fake_swift.count() == before


# -- listings against a model -----------------------------------------------------------------

# A small alphabet so that names share prefixes and delimiters, with multi-byte characters
# whose UTF-8 order differs from their code point order relative to ASCII neighbours.
_ALPHABET = st.sampled_from(["a", "b", "/", "-", ".", "\u00e9", "\u4e00", "\U0001f600", "~"])
_short = st.lists(_ALPHABET, min_size=1, max_size=5).map("".join)


def _utf8(name: str) -> bytes:
    return name.encode("utf-8")


def model_listing(
    names: set[str],
    *,
    prefix: str | None,
    delimiter: str | None,
    marker: str | None,
    end_marker: str | None,
    reverse: bool,
) -> list[tuple[str, bool]]:
    """Swift's container listing (all pages at once): ``(name, is_subdir)`` in order.

    Order is by UTF-8 bytes (reversed with ``reverse``). ``marker`` and ``end_marker`` are
    exclusive bounds: after/before in listing order (with ``reverse`` they swap roles).
    Names under ``prefix`` that contain ``delimiter`` after it fold into one subdir entry
    ``name[:index + len(delimiter)]``, listed once, where its first name would be; a subdir
    equal to ``marker`` is not listed again (Swift skips it, so pagination resumes after it).
    """
    ordered = sorted(names, key=_utf8, reverse=reverse)
    out: list[tuple[str, bool]] = []
    for name in ordered:
        key = _utf8(name)
        if marker and (key >= _utf8(marker) if reverse else key <= _utf8(marker)):
            continue
        if end_marker and (key <= _utf8(end_marker) if reverse else key >= _utf8(end_marker)):
            continue
        if prefix and not name.startswith(prefix):
            continue
        if delimiter:
            index = name.find(delimiter, len(prefix or ""))
            if index >= 0:
                subdir = name[: index + len(delimiter)]
                if subdir != marker and (not out or out[-1] != (subdir, True)):
                    out.append((subdir, True))
                continue
        out.append((name, False))
    return out


@PROPERTY_SETTINGS
@given(
    names=st.sets(_short, max_size=25),
    page_size=st.integers(min_value=1, max_value=6),
    prefix=st.none() | _short,
    delimiter=st.none() | st.sampled_from(["/", "-", "\u00e9"]),
    marker=st.none() | _short,
    end_marker=st.none() | _short,
    reverse=st.booleans(),
)
def test_paginated_listing_matches_the_model(
    fake_swift: FakeSwift,
    storage: ObjectStorage,
    names: set[str],
    page_size: int,
    prefix: str | None,
    delimiter: str | None,
    marker: str | None,
    end_marker: str | None,
    reverse: bool,
) -> None:
    cont = fake_swift.store.get_container("props")
    assert cont is not None
    cont.objects.clear()
    for name in names:
        fake_swift.store.put_object("props", name, name.encode("utf-8"))
    listed = [
        (entry.name, isinstance(entry, SubdirEntry))
        for entry in storage.container("props").list_objects(
            prefix=prefix,
            delimiter=delimiter,
            marker=marker,
            end_marker=end_marker,
            reverse=reverse,
            page_size=page_size,
        )
    ]
    expected = model_listing(
        names,
        prefix=prefix,
        delimiter=delimiter,
        marker=marker,
        end_marker=end_marker,
        reverse=reverse,
    )
    assert listed == expected
    for entry_name, is_subdir in listed:
        if not is_subdir:
            assert entry_name is not None
            stored = fake_swift.store.get_object("props", entry_name)
            assert stored is not None and stored.data == entry_name.encode("utf-8")
