"""The ``storage_url=`` override: URLs built with no request, requests sent to it."""

from __future__ import annotations

from typing import Any

import pytest
from selectel_objects import AuthorizationError, ObjectStorage, ObjectStorageError

from tests.fakeswift import FakeSwift


def _known(storage: ObjectStorage) -> str | None:
    # A call, so that mypy does not carry a narrowed property type across requests.
    return storage.known_storage_url


def test_url_builders_make_no_request_with_the_override(
    fake_swift: FakeSwift, make_storage: Any
) -> None:
    url = fake_swift.storage_url()
    storage = make_storage(storage_url=url + "/")
    media = storage.container("media")

    assert storage.known_storage_url == url
    assert media.public_url("a b.txt") == f"{url}/media/a%20b.txt"
    assert media.temp_url("a.txt", key="k", expires_in=60).startswith(f"{url}/media/a.txt?")
    assert media.form_post(key="k", max_file_size=10, expires_in=60).action == f"{url}/media"
    assert storage.storage_url == url
    assert fake_swift.count() == 0


def test_requests_go_to_the_override(fake_swift: FakeSwift, make_storage: Any) -> None:
    fake_swift.add_account("AUTH_other")
    storage = make_storage(storage_url=fake_swift.storage_url("AUTH_other"))
    # The v1 user may not write to another account: Swift's 403 proves where the PUT went.
    with pytest.raises(AuthorizationError):
        storage.container("media").create()

    assert [r.account for r in fake_swift.requests if r.kind == "container"] == ["AUTH_other"]


def test_without_override_the_url_is_known_after_a_request(
    fake_swift: FakeSwift, make_storage: Any
) -> None:
    storage = make_storage()
    media = storage.container("media")
    assert _known(storage) is None
    with pytest.raises(ObjectStorageError, match="storage_url="):
        media.public_url("a.txt")
    with pytest.raises(ObjectStorageError, match="storage_url="):
        media.temp_url("a.txt", key="k", expires_in=60)
    with pytest.raises(ObjectStorageError, match="storage_url="):
        media.form_post(key="k", max_file_size=10, expires_in=60)
    assert fake_swift.count() == 0

    media.create()
    assert _known(storage) == fake_swift.storage_url()
    assert media.public_url("a.txt") == f"{fake_swift.storage_url()}/media/a.txt"


def test_public_base_url_needs_no_storage_url(fake_swift: FakeSwift, make_storage: Any) -> None:
    media = make_storage().container("media", public_base_url="https://cdn.example")
    assert media.public_url("a.txt") == "https://cdn.example/a.txt"
    assert fake_swift.count() == 0


def test_from_env_reads_the_override(fake_swift: FakeSwift, transport_name: str) -> None:
    url = fake_swift.storage_url()
    environ = {
        "SELECTEL_AUTH_URL": fake_swift.auth_v1_url,
        "SELECTEL_USERNAME": fake_swift.v1_user,
        "SELECTEL_PASSWORD": fake_swift.v1_key,
        "SELECTEL_AUTH_VERSION": "1",
        "SELECTEL_STORAGE_URL": url,
    }
    with ObjectStorage.from_env(environ, transport=transport_name) as storage:
        assert storage.container("m").public_url("x") == f"{url}/m/x"
        assert fake_swift.count() == 0


def test_constructor_override_with_any_credential(
    fake_swift: FakeSwift, transport_name: str
) -> None:
    url = fake_swift.storage_url()
    with ObjectStorage(
        fake_swift.v1_credential(), transport=transport_name, storage_url=url
    ) as storage:
        assert storage.container("m").temp_url("x", key="k", expires_in=5).startswith(url)
        assert fake_swift.count() == 0
        storage.container("m").create()
        assert fake_swift.count(kind="container") == 1


def test_override_must_be_a_url(fake_swift: FakeSwift, transport_name: str) -> None:
    with pytest.raises(ValueError, match="storage_url"):
        ObjectStorage(fake_swift.v1_credential(), transport=transport_name, storage_url="v1/x")
