"""Fault switches and counters of the fake, seen from a real socket."""

from __future__ import annotations

import http.client
import re
import threading
import time
from urllib.parse import urlsplit

import pytest
import urllib3

from tests.fakeswift import FakeSwift, serve
from tests.fakeswift.conftest import Client

BIG = bytes(range(256)) * 400  # 100 KiB
BROKEN = (
    ConnectionError,
    http.client.IncompleteRead,
    http.client.RemoteDisconnected,
    urllib3.exceptions.ProtocolError,
)


def conn_for(fake: FakeSwift, timeout: float = 5) -> http.client.HTTPConnection:
    parts = urlsplit(fake.base_url)
    return http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)


def path_of(client: Client, name: str) -> str:
    return urlsplit(client.url(name)).path


@pytest.fixture
def seeded(fake_swift: FakeSwift, client: Client) -> Client:
    fake_swift.store.put_object("c", "big", BIG)
    fake_swift.store.put_object("c", "small", b"hello world")
    return client


def test_fail_next_with_retry_after_and_filters(fake_swift: FakeSwift, seeded: Client) -> None:
    fake_swift.fail_next(503, times=2, retry_after=1, kind="object")
    assert seeded.request("HEAD", "c").status == 204  # a container request: not matched
    for _ in range(2):
        failed = seeded.request("GET", "c/small")
        assert failed.status == 503
        assert failed.headers["Retry-After"] == "1"
        assert failed.headers["X-Trans-Id"]
    assert seeded.request("GET", "c/small").data == b"hello world"
    assert fake_swift.count("object") == 3
    assert fake_swift.count("object", "GET") == 3
    assert [r.status for r in fake_swift.requests if r.kind == "object"] == [503, 503, 200]
    assert fake_swift.requests[-2].faults == ["fail"]


def test_fail_next_by_method_path_and_regex(fake_swift: FakeSwift, seeded: Client) -> None:
    fake_swift.fail_next(500, method="PUT")
    fake_swift.fail_next(429, path="/c/small")
    fake_swift.fail_next(502, path=re.compile(r"/big$"))
    assert seeded.request("GET", "c/big").status == 502
    limited = seeded.request("GET", "c/small")
    assert limited.status == 429
    assert b"Rate Limit exceeded" in limited.data
    assert seeded.put("c/new", b"x").status == 500
    assert not fake_swift.store.has_object("c", "new")
    assert seeded.put("c/new", b"x").status == 201
    assert fake_swift.faults.pending() == 0


def test_fault_arguments_are_checked(fake_swift: FakeSwift) -> None:
    with pytest.raises(ValueError, match="kind"):
        fake_swift.fail_next(503, kind="objects")
    with pytest.raises(ValueError, match="times"):
        fake_swift.fail_next(503, times=0)
    with pytest.raises(ValueError, match="phase"):
        fake_swift.reset_next("later")


def test_fail_next_hits_auth_when_unfiltered(fake_swift: FakeSwift) -> None:
    fake_swift.fail_next(503)
    http = urllib3.PoolManager(retries=False)
    headers = {"X-Auth-User": fake_swift.v1_user, "X-Auth-Key": fake_swift.v1_key}
    assert http.request("GET", fake_swift.auth_v1_url, headers=headers).status == 503
    assert http.request("GET", fake_swift.auth_v1_url, headers=headers).status == 200
    assert fake_swift.count("auth") == 2


def test_reset_before_reply_after_processing(fake_swift: FakeSwift, seeded: Client) -> None:
    fake_swift.reset_next(kind="object", method="PUT")
    conn = conn_for(fake_swift)
    with pytest.raises(BROKEN):
        conn.request(
            "PUT",
            path_of(seeded, "c/put-then-reset"),
            body=b"data",
            headers={"X-Auth-Token": seeded.token},
        )
        conn.getresponse()
    conn.close()
    assert fake_swift.store.has_object("c", "put-then-reset")  # outcome unknown to the client
    assert fake_swift.requests[-1].faults == ["reset:before_reply"]


def test_reset_before_processing(fake_swift: FakeSwift, seeded: Client) -> None:
    fake_swift.reset_next(processed=False, kind="object")
    with pytest.raises(BROKEN):
        seeded.put("c/never", b"data")
    assert not fake_swift.store.has_object("c", "never")
    assert seeded.put("c/never", b"data").status == 201


def test_reset_mid_body(fake_swift: FakeSwift, seeded: Client) -> None:
    fake_swift.reset_next("mid_body", after_bytes=1000, path="/c/big")
    conn = conn_for(fake_swift)
    conn.request("GET", path_of(seeded, "c/big"), headers={"X-Auth-Token": seeded.token})
    reply = conn.getresponse()
    assert reply.status == 200
    assert reply.getheader("Content-Length") == str(len(BIG))
    with pytest.raises(BROKEN):
        reply.read()
    conn.close()
    assert seeded.request("GET", "c/big").data == BIG


def test_reset_during_upload(fake_swift: FakeSwift, seeded: Client) -> None:
    fake_swift.reset_next("during_upload", after_bytes=1024)
    conn = conn_for(fake_swift)
    with pytest.raises(BROKEN):
        conn.request(
            "PUT",
            path_of(seeded, "c/upload"),
            body=b"x" * (4 * 1024 * 1024),
            headers={"X-Auth-Token": seeded.token},
        )
        conn.getresponse()
    conn.close()
    assert not fake_swift.store.has_object("c", "upload")
    assert fake_swift.requests[-1].faults == ["reset:during_upload"]


def test_truncate_next(fake_swift: FakeSwift, seeded: Client) -> None:
    fake_swift.truncate_next(after_bytes=5, path="/c/small")
    conn = conn_for(fake_swift)
    conn.request("GET", path_of(seeded, "c/small"), headers={"X-Auth-Token": seeded.token})
    reply = conn.getresponse()
    assert reply.getheader("Content-Length") == "11"
    with pytest.raises(http.client.IncompleteRead) as caught:
        reply.read()
    assert caught.value.partial == b"hello"
    conn.close()
    # The default cut is half of the body.
    fake_swift.truncate_next(path="/c/big")
    reply_2 = seeded.request("GET", "c/big", preload_content=False)
    with pytest.raises(urllib3.exceptions.ProtocolError):
        reply_2.read()


def test_delay_next_gives_read_timeouts_and_other_requests_proceed(
    fake_swift: FakeSwift, seeded: Client
) -> None:
    fake_swift.delay_next(0.6, path="/c/small")
    slow = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=1, read=0.2))
    started = time.monotonic()
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        slow.request("GET", seeded.url("c/small"), headers={"X-Auth-Token": seeded.token})
    assert time.monotonic() - started < 0.5

    fake_swift.delay_next(0.4, path="/c/small")
    results: dict[str, float] = {}

    def fetch_slow() -> None:
        seeded.request("GET", "c/small")
        results["slow"] = time.monotonic()

    thread = threading.Thread(target=fetch_slow)
    thread.start()
    time.sleep(0.05)
    assert seeded.request("GET", "c/big").data == BIG
    results["fast"] = time.monotonic()
    thread.join(5)
    assert results["fast"] < results["slow"]


def test_delay_mid_body(fake_swift: FakeSwift, seeded: Client) -> None:
    fake_swift.delay_next(0.3, phase="mid_body", after_bytes=10, path="/c/big")
    reply = seeded.request("GET", "c/big", preload_content=False)
    started = time.monotonic()
    assert reply.read(10) == BIG[:10]
    rest = reply.read()
    assert time.monotonic() - started >= 0.25
    assert rest == BIG[10:]


def test_trickle_next(fake_swift: FakeSwift, seeded: Client) -> None:
    fake_swift.trickle_next(chunk_size=2, interval=0.02, path="/c/small")
    started = time.monotonic()
    assert seeded.request("GET", "c/small").data == b"hello world"
    assert time.monotonic() - started >= 0.1


def test_counters_and_records(fake_swift: FakeSwift, seeded: Client) -> None:
    seeded.request("GET", "c/small")
    seeded.request("HEAD", "c")
    seeded.request("GET")
    urllib3.request("GET", fake_swift.info_url)
    assert fake_swift.count() == 5  # with the client's auth
    assert fake_swift.count("auth") == 1
    assert fake_swift.count("info") == 1
    assert fake_swift.count(method="GET") == 4
    assert fake_swift.count("container", "HEAD") == 1
    record = fake_swift.requests[1]
    assert (record.kind, record.account, record.container, record.object) == (
        "object",
        "AUTH_test",
        "c",
        "small",
    )
    assert record.authenticated
    assert record.status == 200


def test_faults_and_clock_reset_between_tests(fake_swift: FakeSwift) -> None:
    assert fake_swift.faults.pending() == 0
    assert fake_swift.requests == []
    assert abs(fake_swift.clock.time() - time.time()) < 1


def test_reset_brings_timestamps_back_to_the_clock(fake_swift: FakeSwift) -> None:
    fake_swift.clock.advance(86400)
    assert fake_swift.store.put_object("c", "future").timestamp > time.time() + 86000
    fake_swift.reset()
    assert abs(fake_swift.store.put_object("c", "now").timestamp - time.time()) < 1


def test_bug_in_the_fake_fails_loudly() -> None:
    with serve() as running:

        def broken(ctx: object) -> object:
            raise RuntimeError("fake bug")

        running.fake._dispatch = broken  # type: ignore[method-assign,assignment]
        reply = urllib3.request("GET", running.fake.info_url, retries=False)
        assert reply.status == 500
        with pytest.raises(RuntimeError, match="fake bug"):
            running.server.check_handler_errors()


def test_many_threads_share_the_threaded_server(fake_swift: FakeSwift, client: Client) -> None:
    client.request("PUT", "t")
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        http = urllib3.PoolManager(maxsize=1, retries=False, timeout=5)
        try:
            for i in range(5):
                url = client.url(f"t/{n}-{i}")
                body = f"{n}:{i}".encode()
                headers = {"X-Auth-Token": client.token}
                assert http.request("PUT", url, body=body, headers=headers).status == 201
                assert http.request("GET", url, headers=headers).data == body
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert len(fake_swift.store.object_names("t")) == 80
    assert fake_swift.count("object") == 160
