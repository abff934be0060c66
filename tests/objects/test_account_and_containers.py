"""Account and container operations."""

from __future__ import annotations

import pytest
from selectel_objects import (
    AlreadyExistsError,
    ConflictError,
    ContainerEntry,
    NotFoundError,
    ObjectStorage,
)

from tests.fakeswift.app import FakeSwift


@pytest.mark.fake_only(
    "account object and byte counts settle only when real Swift's container-updater runs"
)
def test_account_info_counts_and_metadata(storage: ObjectStorage) -> None:
    storage.container("a").create()
    storage.container("b").create()
    storage.container("a").put_object("x", b"12345")
    storage.set_account_metadata({"Owner": "team", "Gone": "soon"})
    storage.set_account_metadata({"Gone": None})
    info = storage.account_info()
    assert info.container_count == 2
    assert info.object_count == 1
    assert info.bytes_used == 5
    assert info.metadata == {"owner": "team"}
    assert info.request_id


def test_temp_url_keys_are_fields_not_metadata_and_stay_out_of_reprs(
    storage: ObjectStorage,
) -> None:
    storage.set_account_metadata(temp_url_key="k1-secret-value", temp_url_key_2="k2-secret-value")
    info = storage.account_info()
    assert info.temp_url_key == "k1-secret-value"
    assert info.temp_url_key_2 == "k2-secret-value"
    assert "temp-url-key" not in info.metadata
    assert "secret-value" not in repr(info)


def test_storage_url_comes_from_auth(fake_swift: FakeSwift, storage: ObjectStorage) -> None:
    assert storage.storage_url == fake_swift.storage_url()


def test_create_info_delete_container(fake_swift: FakeSwift, storage: ObjectStorage) -> None:
    box = storage.container("box")
    assert box.create(metadata={"Purpose": "tests"}) is True
    assert box.create() is False  # already there: fine by default
    with pytest.raises(AlreadyExistsError):
        box.create(exist_ok=False)
    info = box.info()
    assert info.object_count == 0
    assert info.bytes_used == 0
    assert info.metadata == {"purpose": "tests"}
    assert box.exists()
    box.delete()
    assert not box.exists()
    assert not fake_swift.store.has_container("box")
    with pytest.raises(NotFoundError):
        box.delete()
    box.delete(missing_ok=True)
    with pytest.raises(NotFoundError):
        box.info()


def test_create_exist_ok_false_changes_nothing_when_it_exists(storage: ObjectStorage) -> None:
    box = storage.container("box")
    box.create(metadata={"v": "1"})
    with pytest.raises(AlreadyExistsError):
        box.create(exist_ok=False, metadata={"v": "2"})
    assert box.info().metadata == {"v": "1"}


def test_deleting_a_non_empty_container_is_a_conflict(storage: ObjectStorage) -> None:
    box = storage.container("full")
    box.create()
    box.put_object("x", b"x")
    with pytest.raises(ConflictError) as caught:
        box.delete()
    assert caught.value.status == 409
    assert box.exists()


def test_container_metadata_acl_and_type(storage: ObjectStorage) -> None:
    box = storage.container("pub")
    box.create(read_acl=".r:*,.rlistings", container_type="public")
    info = box.info()
    assert info.read_acl == ".r:*,.rlistings"
    assert info.container_type == "public"
    assert "type" not in info.metadata  # mapped to its own field
    box.set_metadata({"a": "1", "b": "2"})
    box.set_metadata({"a": None, "c": "3"}, container_type="private")
    info = box.info()
    assert info.metadata == {"b": "2", "c": "3"}
    assert info.container_type == "private"
    box.set_metadata(temp_url_key="container-key-value")
    info = box.info()
    assert info.temp_url_key == "container-key-value"
    assert "container-key-value" not in repr(info)


@pytest.mark.fake_only(
    "account object and byte counts settle only when real Swift's container-updater runs"
)
def test_list_containers(storage: ObjectStorage) -> None:
    for name in ["b", "a", "c", "ab"]:
        storage.container(name).create()
    storage.container("a").put_object("x", b"123")
    entries = list(storage.list_containers())
    assert [e.name for e in entries] == ["a", "ab", "b", "c"]
    assert all(isinstance(e, ContainerEntry) for e in entries)
    assert entries[0].object_count == 1
    assert entries[0].bytes_used == 3
    assert [e.name for e in storage.list_containers(prefix="a")] == ["a", "ab"]
    assert [e.name for e in storage.list_containers(marker="ab")] == ["b", "c"]
    assert [e.name for e in storage.list_containers(end_marker="b")] == ["a", "ab"]
    assert [e.name for e in storage.list_containers(reverse=True)] == ["c", "b", "ab", "a"]


def test_list_containers_paginates(fake_swift: FakeSwift, storage: ObjectStorage) -> None:
    names = [f"c{i:02d}" for i in range(7)]
    for name in names:
        fake_swift.store.create_container(name)
    before = fake_swift.count(kind="account", method="GET")
    assert [e.name for e in storage.list_containers(page_size=3)] == names
    # 3 + 3 + 1: the short page ends it.
    assert fake_swift.count(kind="account", method="GET") - before == 3


def test_cluster_info(storage: ObjectStorage) -> None:
    info = storage.info()
    assert "swift" in info
