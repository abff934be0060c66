"""One rule for ``None`` as a metadata value, and ``headers=`` values checked by us.

``None`` means "this key is not there afterwards": a replacing write (``put_object``,
``post_object_metadata``, ``copy_object(fresh_metadata=True)``, ``upload_large``) leaves it out,
``update_object_metadata`` removes it; a merging copy cannot drop a key and refuses it. A
``headers=`` value with CR, LF or NUL is refused before any request, naming the parameter and
the header (as metadata values are).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from selectel_objects import Container, ObjectStorage

META: Any = {"gone": None, "kept": "yes"}  # None is outside the declared type: a runtime rule


def test_none_leaves_the_key_out_of_a_put(container: Container) -> None:
    container.put_object("o", b"data", metadata=META)
    assert container.head_object("o").metadata == {"kept": "yes"}


def test_none_leaves_the_key_out_of_a_large_upload(container: Container) -> None:
    container.upload_large("big", io.BytesIO(b"x" * 3000), segment_size=1024, metadata=META)
    assert container.head_object("big").metadata == {"kept": "yes"}


def test_none_leaves_the_key_out_of_a_post(container: Container) -> None:
    container.put_object("o", b"data", metadata={"gone": "before"})
    container.post_object_metadata("o", META)
    assert container.head_object("o").metadata == {"kept": "yes"}


def test_none_removes_the_key_in_an_update(container: Container) -> None:
    container.put_object("o", b"data", metadata={"gone": "before", "other": "1"})
    assert container.update_object_metadata("o", META) == {"kept": "yes", "other": "1"}
    assert container.head_object("o").metadata == {"kept": "yes", "other": "1"}


def test_none_in_a_fresh_copy_leaves_the_key_out(container: Container) -> None:
    container.put_object("o", b"data", metadata={"gone": "before"})
    container.copy_object("o", container, "copy", metadata=META, fresh_metadata=True)
    assert container.head_object("copy").metadata == {"kept": "yes"}


def test_none_in_a_merging_copy_is_refused(container: Container) -> None:
    container.put_object("o", b"data", metadata={"gone": "before"})
    with pytest.raises(ValueError, match="fresh_metadata=True"):
        container.copy_object("o", container, "copy", metadata=META)
    assert [entry.name for entry in container.list_objects()] == ["o"]


def test_a_metadata_value_that_is_no_str_is_refused(container: Container) -> None:
    with pytest.raises(TypeError, match="metadata value for 'n'"):
        container.put_object("o", b"data", metadata={"n": 1})  # type: ignore[dict-item]
    assert list(container.list_objects()) == []


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\nb", "a\rb", "a\x00b"])
def test_a_line_break_in_a_headers_value_is_refused_by_us(
    container: Container, storage: ObjectStorage, value: str
) -> None:
    bad = {"X-Custom": value}
    calls: list[Callable[[], object]] = [
        lambda: container.put_object("o", b"data", headers=bad),
        lambda: container.put_object("o", io.BytesIO(b"data"), headers=bad),
        lambda: container.head_object("o", headers=bad),
        lambda: container.open_object("o", headers=bad),
        lambda: container.post_object_metadata("o", {}, headers=bad),
        lambda: container.delete_object("o", headers=bad),
        lambda: container.copy_object("o", container, "p", headers=bad),
        lambda: storage.container("other").create(headers=bad),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=r"headers=: the value of 'X-Custom' contains"):
            call()
    assert list(container.list_objects()) == []


@pytest.mark.parametrize("name", ["X-Bad\r\nName", "X Bad", "X-Bad:", ""])
def test_a_bad_header_name_in_headers_is_refused(container: Container, name: str) -> None:
    with pytest.raises(ValueError, match=r"headers=: .* is not a valid header name"):
        container.put_object("o", b"data", headers={name: "v"})
