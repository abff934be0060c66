"""One client shared by many threads."""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor

from selectel_objects import Container, ObjectStorage

from tests.fakeswift.app import FakeSwift

THREADS = 16


def test_sixteen_threads_share_one_client(fake_swift: FakeSwift, storage: ObjectStorage) -> None:
    box = storage.container("shared")
    start = threading.Barrier(THREADS)

    def work(i: int) -> str:
        start.wait()  # everybody needs a token at the same moment
        data = f"object {i} ".encode() * (1000 + i)
        box.put_object(f"obj/{i}", data)
        assert box.get_object_bytes(f"obj/{i}") == data
        with box.open_object(f"obj/{i}") as reader:
            assert reader.read(7) == b"object "
        return hashlib.md5(data).hexdigest()

    box.storage.container("shared").create()
    auth_before = fake_swift.count(kind="auth")
    with ThreadPoolExecutor(THREADS) as pool:
        etags = list(pool.map(work, range(THREADS)))
    assert fake_swift.count(kind="auth") == auth_before  # the token was shared, never refetched
    assert fake_swift.count(kind="object", method="PUT") == THREADS
    listed = {e.name: getattr(e, "etag", None) for e in box.list_objects()}
    assert listed == {f"obj/{i}": etags[i] for i in range(THREADS)}


def test_sixteen_threads_make_one_auth_request(
    fake_swift: FakeSwift, storage: ObjectStorage
) -> None:
    fake_swift.store.create_container("c")
    box: Container = storage.container("c")
    start = threading.Barrier(THREADS)

    def work(i: int) -> None:
        start.wait()
        box.put_object(f"{i}", b"x")

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(work, range(THREADS)))
    assert fake_swift.count(kind="auth") == 1


def test_token_expiry_under_load_reauthenticates_few_times(
    fake_swift: FakeSwift, storage: ObjectStorage
) -> None:
    box = storage.container("c")
    box.create()
    box.put_object("x", b"payload")
    fake_swift.expire_tokens()
    start = threading.Barrier(THREADS)

    def work(_: int) -> bytes:
        start.wait()
        return box.get_object_bytes("x")

    with ThreadPoolExecutor(THREADS) as pool:
        assert set(pool.map(work, range(THREADS))) == {b"payload"}
    # Every thread saw a 401 with the same old token; compare-and-swap invalidation lets
    # only the first drop it, so the others pick up the new token instead of fetching more.
    assert fake_swift.count(kind="auth") == 2
