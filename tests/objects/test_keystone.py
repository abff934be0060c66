"""selectel-objects over Keystone v3, the Selectel path: a token from Keystone, the object-store
endpoint from its catalog, ``/v1/<project id>`` served by Swift's keystoneauth.

Runs on the fake and, with ``SWIFT_TARGET=real``, on a real Keystone and a real Swift proxy
with ``authtoken`` + ``keystoneauth`` (scripts/realswift.py); once per transport.
Auth requests are counted on the client side.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from selectel_objects import AuthorizationError, ObjectStorage, RetryPolicy

from tests.auth.conftest import CountingSender
from tests.fakeswift.plugin import REAL_TARGET
from tests.fakeswift.v3target import FAKE_HAS_NO_READER, reader_v3_credential, revoke

if TYPE_CHECKING:
    from tests.fakeswift import FakeSwift
    from tests.fakeswift.real import RealSwift


@pytest.fixture
def open_storage(transport_name: str, retry: RetryPolicy) -> Iterator[Any]:
    """``open_storage(credential)``: an ObjectStorage on that credential, closed at teardown."""
    made: list[ObjectStorage] = []

    def make(credential: Any) -> ObjectStorage:
        storage = ObjectStorage(credential, transport=transport_name, retry=retry, timeout=10.0)
        made.append(storage)
        return storage

    yield make
    for storage in made:
        storage.close()


def test_objects_live_in_the_project_account(
    swift: FakeSwift | RealSwift, open_storage: Any
) -> None:
    storage = open_storage(swift.v3_credential())
    assert storage.storage_url == swift.storage_url(swift.v3.project_id)
    assert storage.storage_url.endswith(f"/v1/{swift.v3.project_id}")  # no AUTH_ prefix
    box = storage.container("ks-box")
    box.create()
    box.put_object("a.txt", b"hello")
    box.upload_large("big.bin", b"0123456789" * 300, segment_size=1000)
    assert box.get_object_bytes("a.txt") == b"hello"
    assert box.get_object_bytes("big.bin") == b"0123456789" * 300
    names = [entry.name for entry in box.list_objects()]
    assert "a.txt" in names and "big.bin" in names
    assert "ks-box" in [c.name for c in storage.list_containers()]


def test_other_region_reaches_the_same_project(
    swift: FakeSwift | RealSwift, open_storage: Any
) -> None:
    home = open_storage(swift.v3_credential())
    away = open_storage(swift.v3_credential(region=swift.regions[1]))
    assert away.storage_url == swift.storage_url(swift.v3.project_id, region=swift.regions[1])
    box = away.container("far")
    box.create()
    box.put_object("x", b"from the other region")
    assert home.container("far").get_object_bytes("x") == b"from the other region"


def test_temp_url_without_a_token(swift: FakeSwift | RealSwift, open_storage: Any) -> None:
    # keystoneauth decides late (delay_auth_decision): TempURL serves requests without a token.
    storage = open_storage(swift.v3_credential())
    storage.set_account_metadata(temp_url_key="ks-temp-url-key")
    box = storage.container("shared")
    box.create()
    box.put_object("doc.txt", b"signed")
    url = box.temp_url("doc.txt", key="ks-temp-url-key", expires_in=300)
    with urllib.request.urlopen(url, timeout=10) as reply:
        assert reply.read() == b"signed"


def test_revoked_token_costs_exactly_one_reauth(
    swift: FakeSwift | RealSwift, open_storage: Any
) -> None:
    sender = CountingSender()
    credential = swift.v3_credential(sender=sender)
    storage = open_storage(credential)
    box = storage.container("rev")
    box.create()
    first = credential.get_token()
    revoke(swift, first.token)
    box.put_object("after-revoke", b"still works")
    assert box.get_object_bytes("after-revoke") == b"still works"
    assert sender.count == 2
    assert credential.get_token().token != first.token


@pytest.mark.xfail(not REAL_TARGET, reason=FAKE_HAS_NO_READER, strict=True)
def test_reader_role_gets_a_typed_error_naming_the_missing_role(
    swift: FakeSwift | RealSwift, open_storage: Any
) -> None:
    writer = open_storage(swift.v3_credential())
    writer.container("ro").create()
    reader = open_storage(reader_v3_credential(swift))
    assert reader.storage_url == swift.storage_url(swift.v3.project_id)
    with pytest.raises(AuthorizationError) as caught:
        reader.container("ro").put_object("nope", b"x")
    assert caught.value.status == 403
    message = str(caught.value)
    assert "operator role" in message and "member" in message and "reader" in message


def test_v1_user_without_admin_gets_the_same_typed_hint(
    swift: FakeSwift | RealSwift, open_storage: Any
) -> None:
    # Swift's SAIO user test:tester3 has no role on AUTH_test (on the fake as on tempauth).
    admin = open_storage(swift.v1_credential())
    admin.container("v1ro").create()
    plain = open_storage(swift.v1_credential(user="test:tester3", key="testing3"))
    with pytest.raises(AuthorizationError) as caught:
        plain.container("v1ro").put_object("nope", b"x")
    assert caught.value.status == 403
    assert ".admin on the account or a container ACL" in str(caught.value)
