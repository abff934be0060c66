"""Faults end in the right bytes or a typed error: retries, re-authentication, resets,
timeouts, corrupted and truncated transfers."""

from __future__ import annotations

import hashlib
import io
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from selectel_auth import StaticCredential
from selectel_objects import (
    AlreadyExistsError,
    AuthorizationError,
    ChecksumMismatchError,
    ConnectError,
    Container,
    NotRewindableError,
    ObjectStorage,
    ObjectStorageError,
    RateLimitedError,
    ReadError,
    ReadTimeout,
    RetryPolicy,
    ServerError,
    Timeout,
)
from werkzeug import Request, Response

from tests.reliability._support import FaultTarget, view_of

DATA = b"0123456789abcdef" * 4096  # 64 KiB


def object_requests(fake: FaultTarget, method: str) -> int:
    return fake.count(kind="object", method=method)


def chunks_of(data: bytes, size: int = 8192) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


# -- status retries ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504, 507, 408, 499])
def test_transient_statuses_are_retried(
    faulty_swift: FaultTarget, container: Container, sleeps: list[float], status: int
) -> None:
    container.put_object("x", DATA)
    faulty_swift.fail_next(status, kind="object", method="GET")
    assert container.get_object_bytes("x") == DATA
    assert object_requests(faulty_swift, "GET") == 2
    assert len(sleeps) == 1


def test_backoff_grows_and_is_bounded(
    faulty_swift: FaultTarget, make_storage: Any, sleeps: list[float]
) -> None:
    policy = RetryPolicy(total=3, backoff=0.1, max_backoff=0.3, sleep=sleeps.append)
    storage = make_storage(retry=policy)
    box = storage.container("media")
    box.create()
    faulty_swift.fail_next(503, times=10, kind="container", method="HEAD")
    with pytest.raises(ServerError) as caught:
        box.info()
    assert caught.value.status == 503
    assert faulty_swift.count(kind="container", method="HEAD") == 4  # 1 + 3 retries
    assert len(sleeps) == 3
    # Exponential with jitter: each wait in [ceiling/2, ceiling]; ceilings 0.1, 0.2, 0.3 (cap).
    for wait, ceiling in zip(sleeps, [0.1, 0.2, 0.3], strict=True):
        assert ceiling / 2 <= wait <= ceiling


@pytest.mark.parametrize("status", [429, 498])
def test_rate_limits_honour_retry_after(
    faulty_swift: FaultTarget, container: Container, sleeps: list[float], status: int
) -> None:
    faulty_swift.fail_next(status, retry_after=0.5, kind="container")
    assert container.info().object_count == 0
    assert sleeps == [0.5]


def test_a_retry_after_too_long_is_not_waited_for(
    faulty_swift: FaultTarget, container: Container, sleeps: list[float]
) -> None:
    faulty_swift.fail_next(429, retry_after=3600, kind="container")
    with pytest.raises(RateLimitedError) as caught:
        container.info()
    assert caught.value.retry_after == 3600
    assert caught.value.status == 429
    assert sleeps == []
    assert faulty_swift.count(kind="container", method="HEAD") == 1


@pytest.mark.parametrize("status", [400, 403, 404, 405, 409, 411, 413])
def test_other_client_errors_are_never_retried(
    faulty_swift: FaultTarget, container: Container, sleeps: list[float], status: int
) -> None:
    faulty_swift.fail_next(status, kind="object", method="PUT")
    with pytest.raises(ObjectStorageError) as caught:
        container.put_object("x", DATA)
    assert caught.value.status == status
    assert caught.value.request_id
    assert object_requests(faulty_swift, "PUT") == 1
    assert sleeps == []


def test_retries_can_be_turned_off(faulty_swift: FaultTarget, make_storage: Any) -> None:
    box = make_storage(retry=RetryPolicy(total=0)).container("media")
    box.create()
    faulty_swift.fail_next(503, kind="container", method="HEAD")
    with pytest.raises(ServerError):
        box.info()
    assert faulty_swift.count(kind="container", method="HEAD") == 1


def test_a_one_shot_body_is_not_resent_after_a_5xx(
    faulty_swift: FaultTarget, container: Container
) -> None:
    faulty_swift.fail_next(503, kind="object", method="PUT")
    with pytest.raises(NotRewindableError) as caught:
        container.put_object("x", chunks_of(DATA))
    assert isinstance(caught.value.cause, ServerError)
    assert isinstance(caught.value.__cause__, ServerError)
    assert caught.value.status == 503
    assert object_requests(faulty_swift, "PUT") == 1
    assert not view_of(faulty_swift).exists("media", "x")


def test_a_seekable_file_is_rewound_and_resent(
    faulty_swift: FaultTarget, container: Container
) -> None:
    faulty_swift.fail_next(503, kind="object", method="PUT")
    f = io.BytesIO(b"prefix" + DATA)
    f.seek(6)
    result = container.put_object("x", f)
    assert result.etag == hashlib.md5(DATA).hexdigest()
    assert container.get_object_bytes("x") == DATA
    assert object_requests(faulty_swift, "PUT") == 2


def test_a_corrupted_upload_422_is_resent(faulty_swift: FaultTarget, container: Container) -> None:
    faulty_swift.fail_next(422, kind="object", method="PUT")
    container.put_object("x", DATA)
    assert container.get_object_bytes("x") == DATA
    assert object_requests(faulty_swift, "PUT") == 2


def test_a_persistently_corrupted_upload_is_a_checksum_error(
    faulty_swift: FaultTarget, container: Container
) -> None:
    faulty_swift.fail_next(422, times=10, kind="object", method="PUT")
    with pytest.raises(ChecksumMismatchError) as caught:
        container.put_object("x", DATA)
    assert caught.value.status == 422
    assert object_requests(faulty_swift, "PUT") == 4


def test_swift_refuses_a_body_that_does_not_match_its_etag(
    faulty_swift: FaultTarget, container: Container
) -> None:
    with pytest.raises(ChecksumMismatchError):
        container.put_object("x", DATA, headers={"ETag": "0" * 32})
    assert not view_of(faulty_swift).exists("media", "x")


# -- 401: re-authenticate once ----------------------------------------------------------------


def test_an_expired_token_is_renewed_once_mid_operation(
    faulty_swift: FaultTarget, container: Container
) -> None:
    container.put_object("x", DATA)
    assert faulty_swift.count(kind="auth") == 1
    faulty_swift.expire_tokens()
    assert container.get_object_bytes("x") == DATA
    assert faulty_swift.count(kind="auth") == 2
    assert object_requests(faulty_swift, "GET") == 2
    container.put_object("y", DATA)
    assert faulty_swift.count(kind="auth") == 2


def test_an_upload_is_replayed_after_a_401(faulty_swift: FaultTarget, container: Container) -> None:
    faulty_swift.expire_tokens()
    container.put_object("x", DATA)
    assert container.get_object_bytes("x") == DATA
    assert object_requests(faulty_swift, "PUT") == 2


def test_a_one_shot_upload_is_not_replayed_after_a_401(
    faulty_swift: FaultTarget, container: Container
) -> None:
    faulty_swift.expire_tokens()
    with pytest.raises(NotRewindableError) as caught:
        container.put_object("x", chunks_of(DATA))
    assert isinstance(caught.value.cause, AuthorizationError)
    assert object_requests(faulty_swift, "PUT") == 1


def test_a_second_401_is_an_authorization_error(
    faulty_swift: FaultTarget, container: Container, sleeps: list[float]
) -> None:
    faulty_swift.fail_next(401, times=5, kind="container")
    with pytest.raises(AuthorizationError) as caught:
        container.info()
    assert caught.value.status == 401
    assert faulty_swift.count(kind="container", method="HEAD") == 2
    assert sleeps == []


def test_a_static_token_that_is_refused_is_not_retried(
    faulty_swift: FaultTarget, transport_name: str
) -> None:
    credential = StaticCredential("not-a-real-token-1234567", faulty_swift.storage_url())
    with (
        ObjectStorage(credential, transport=transport_name) as storage,
        pytest.raises(AuthorizationError) as caught,
    ):
        storage.account_info()
    assert "not-a-real-token-1234567" not in str(caught.value)
    assert faulty_swift.count(kind="account") == 1


# -- transport faults -------------------------------------------------------------------------


def test_a_reset_before_the_reply_of_a_get_is_retried(
    faulty_swift: FaultTarget, container: Container
) -> None:
    container.put_object("x", DATA)
    faulty_swift.reset_next("before_reply", kind="object", method="GET")
    assert container.get_object_bytes("x") == DATA
    assert object_requests(faulty_swift, "GET") == 2


def test_a_put_whose_reply_was_lost_is_resent(
    faulty_swift: FaultTarget, container: Container
) -> None:
    # The object was stored but the answer never came: PUT is idempotent, bytes can be resent.
    faulty_swift.reset_next("before_reply", kind="object", method="PUT")
    container.put_object("x", DATA)
    assert container.get_object_bytes("x") == DATA
    assert object_requests(faulty_swift, "PUT") == 2


@pytest.mark.parametrize("wrap", [bytes, io.BytesIO], ids=["bytes", "file"])
def test_a_create_only_put_whose_reply_was_lost_finds_its_own_object(
    faulty_swift: FaultTarget, container: Container, wrap: Any
) -> None:
    # The resent PUT gets 412: the object exists -- it is the one just stored.
    faulty_swift.reset_next("before_reply", kind="object", method="PUT")
    result = container.put_object("x", wrap(DATA), if_none_match=True)
    assert result.etag == hashlib.md5(DATA).hexdigest()
    assert object_requests(faulty_swift, "PUT") == 2
    assert container.get_object_bytes("x") == DATA
    # Someone else's object under the name is still a conflict.
    view_of(faulty_swift).put("media", "y", b"theirs")
    faulty_swift.reset_next("before_reply", kind="object", method="PUT", processed=False)
    with pytest.raises(AlreadyExistsError):
        container.put_object("y", DATA, if_none_match=True)
    assert container.get_object_bytes("y") == b"theirs"


@pytest.mark.parametrize("after_bytes", [0, 1000])
def test_a_reset_during_upload_resends_rewindable_data(
    faulty_swift: FaultTarget, container: Container, after_bytes: int
) -> None:
    faulty_swift.reset_next("during_upload", kind="object", method="PUT", after_bytes=after_bytes)
    container.put_object("x", io.BytesIO(DATA))
    assert container.get_object_bytes("x") == DATA
    assert object_requests(faulty_swift, "PUT") == 2


def test_a_reset_during_a_one_shot_upload_is_not_rewindable(
    faulty_swift: FaultTarget, container: Container
) -> None:
    faulty_swift.reset_next("during_upload", kind="object", method="PUT", after_bytes=1000)
    with pytest.raises(NotRewindableError) as caught:
        container.put_object("x", chunks_of(DATA))
    assert isinstance(caught.value.cause, ReadError)
    assert object_requests(faulty_swift, "PUT") == 1
    assert not view_of(faulty_swift).exists("media", "x")


def test_a_delete_whose_reply_was_lost_succeeds(
    faulty_swift: FaultTarget, container: Container
) -> None:
    container.put_object("x", DATA)
    faulty_swift.reset_next("before_reply", kind="object", method="DELETE")
    container.delete_object("x")  # the retry finds it gone: that is success
    assert object_requests(faulty_swift, "DELETE") == 2
    assert not view_of(faulty_swift).exists("media", "x")


def test_a_read_timeout_is_typed_and_retried(
    faulty_swift: FaultTarget, make_storage: Any, sleeps: list[float]
) -> None:
    storage = make_storage(timeout=Timeout(connect=2, read=0.2))
    box = storage.container("media")
    box.create()
    faulty_swift.delay_next(1.0, kind="container", method="HEAD")
    assert box.info().object_count == 0
    assert faulty_swift.count(kind="container", method="HEAD") == 2

    quick = make_storage(timeout=Timeout(connect=2, read=0.2), retry=RetryPolicy(total=0))
    faulty_swift.delay_next(1.0, kind="container", method="HEAD")
    with pytest.raises(ReadTimeout):
        quick.container("media").info()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_connection_refused_is_a_connect_error_after_retries(
    transport_name: str, sleeps: list[float]
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1/AUTH_x"
    retry = RetryPolicy(total=2, backoff=0.01, sleep=sleeps.append)
    credential = StaticCredential("token-abcdefghijklmnop", url)
    with (
        ObjectStorage(credential, transport=transport_name, retry=retry) as storage,
        pytest.raises(ConnectError, match="cannot connect"),
    ):
        storage.container("c").put_object("x", chunks_of(DATA))
    # Nothing was sent, so even a one-shot body allows the retries.
    assert len(sleeps) == 2


# -- downloads --------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["truncate", "reset"])
def test_a_broken_download_resumes_where_it_stopped(
    faulty_swift: FaultTarget, container: Container, fault: str
) -> None:
    container.put_object("x", DATA)
    if fault == "truncate":
        faulty_swift.truncate_next(after_bytes=10_000, kind="object", method="GET")
    else:
        faulty_swift.reset_next("mid_body", after_bytes=10_000, kind="object", method="GET")
    assert container.get_object_bytes("x") == DATA
    gets = [r for r in faulty_swift.requests if r.kind == "object" and r.method == "GET"]
    assert len(gets) == 2
    resumed = {k.lower(): v for k, v in gets[1].headers.items()}
    assert resumed["range"].startswith("bytes=")
    assert resumed["if-match"].strip('"') == hashlib.md5(DATA).hexdigest()


def test_a_truncated_download_without_retries_raises(
    faulty_swift: FaultTarget, make_storage: Any
) -> None:
    box = make_storage(retry=RetryPolicy(total=0)).container("media")
    box.create()
    box.put_object("x", DATA)
    faulty_swift.truncate_next(after_bytes=1000, kind="object", method="GET")
    with box.open_object("x") as reader, pytest.raises(ReadError):
        reader.read()


def test_a_ranged_download_resumes_inside_its_range(
    faulty_swift: FaultTarget, container: Container
) -> None:
    container.put_object("x", DATA)
    faulty_swift.truncate_next(after_bytes=100, kind="object", method="GET")
    assert container.get_object_bytes("x", range=(1000, 5999)) == DATA[1000:6000]
    faulty_swift.truncate_next(after_bytes=10, kind="object", method="GET")
    assert container.get_object_bytes("x", range=(None, 500)) == DATA[-500:]


def test_an_object_changed_during_a_resume_is_not_spliced(
    faulty_swift: FaultTarget, container: Container
) -> None:
    container.put_object("x", DATA)
    faulty_swift.truncate_next(after_bytes=1000, kind="object", method="GET")
    with container.open_object("x") as reader:
        first = reader.read(1000)
        assert first == DATA[:1000]
        view_of(faulty_swift).put("media", "x", b"other content entirely" * 1000)
        with pytest.raises(ObjectStorageError) as caught:
            reader.read()
    assert caught.value.status == 412


def test_a_download_that_does_not_match_its_etag_is_a_checksum_error(
    faulty_swift: FaultTarget, container: Container
) -> None:
    container.put_object("x", DATA)
    rotten = DATA[:-1] + bytes([DATA[-1] ^ 0xFF])  # one byte changed on the way
    faulty_swift.corrupt_next(after_bytes=len(DATA) - 1, kind="object", method="GET")
    with pytest.raises(ChecksumMismatchError):
        container.get_object_bytes("x")
    # A ranged read cannot be checked against the whole-object ETag and is returned as is.
    faulty_swift.corrupt_next(after_bytes=9, kind="object", method="GET")
    assert container.get_object_bytes("x", range=(0, 9)) == DATA[:9] + bytes([DATA[9] ^ 0xFF])
    # Turning the check off returns the bytes.
    faulty_swift.corrupt_next(after_bytes=len(DATA) - 1, kind="object", method="GET")
    with container.open_object("x", verify_checksum=False) as reader:
        assert reader.read() == rotten


# -- an upload answered with the wrong ETag -------------------------------------------------
# The answer's ETag differs from the MD5 of the data streamed. Before deleting anything the
# client asks Swift what it stored (HEAD): the data's MD5 -> the answer lied, success; the
# answer's ETag -> Swift stored other bytes, deleted; another one -> someone else's, left.

_LIE = "0" * 32


@pytest.mark.parametrize(
    ("stored_etag", "outcome", "deleted_paths"),
    [
        pytest.param(hashlib.md5(DATA).hexdigest(), "ok", [], id="stored-right"),
        pytest.param(_LIE, "error: the object was deleted", ["/v1/AUTH_x/c/o"], id="stored-wrong"),
        pytest.param("f" * 32, "error: left as it is", [], id="replaced-meanwhile"),
        pytest.param(None, "error: left as it is", [], id="gone"),
    ],
)
def test_a_streamed_upload_answered_with_a_wrong_etag_asks_swift_before_deleting(
    httpserver: HTTPServer,
    transport_name: str,
    stored_etag: str | None,
    outcome: str,
    deleted_paths: list[str],
) -> None:
    deleted: list[str] = []

    def put(request: Request) -> Response:
        request.get_data()
        return Response(status=201, headers={"ETag": _LIE, "X-Trans-Id": "tx-put"})

    def head(_request: Request) -> Response:
        if stored_etag is None:
            return Response(status=404)
        return Response(status=200, headers={"ETag": stored_etag, "Content-Length": "0"})

    def delete(request: Request) -> Response:
        deleted.append(request.path)
        return Response(status=204)

    httpserver.expect_request("/v1/AUTH_x/c/o", method="PUT").respond_with_handler(put)
    httpserver.expect_request("/v1/AUTH_x/c/o", method="HEAD").respond_with_handler(head)
    httpserver.expect_request("/v1/AUTH_x/c/o", method="DELETE").respond_with_handler(delete)
    credential = StaticCredential("token-abcdefghijklmnop", httpserver.url_for("/v1/AUTH_x"))
    with ObjectStorage(credential, transport=transport_name) as storage:
        if outcome == "ok":
            result = storage.container("c").put_object("o", chunks_of(DATA))
            assert result.etag == stored_etag
        else:
            with pytest.raises(ChecksumMismatchError) as caught:
                storage.container("c").put_object("o", chunks_of(DATA))
            assert caught.value.request_id == "tx-put"
            assert outcome.removeprefix("error: ") in str(caught.value)
    assert deleted == deleted_paths


def test_a_put_sent_with_its_etag_trusts_swift_over_the_answer(
    faulty_swift: FaultTarget, transport_name: str
) -> None:
    """bytes (and ``etag=``) go with their MD5: Swift checked it; a lying answer changes
    nothing, and the result carries the MD5 Swift verified."""
    storage = ObjectStorage.swift_v1(
        auth_url=faulty_swift.auth_v1_url,
        user=faulty_swift.v1_user,
        key=faulty_swift.v1_key,
        transport=transport_name,
    )
    container = storage.container("c")
    container.create()
    md5 = hashlib.md5(DATA).hexdigest()
    faulty_swift.wrong_etag_next(method="PUT", kind="object")
    assert container.put_object("a", DATA).etag == md5
    faulty_swift.wrong_etag_next(method="PUT", kind="object")
    assert container.put_object("b", chunks_of(DATA), etag=md5).etag == md5
    assert container.get_object_bytes("a") == container.get_object_bytes("b") == DATA
    storage.close()


def test_a_wrong_etag_given_for_a_stream_is_refused_by_swift_before_the_name_is_visible(
    faulty_swift: FaultTarget, transport_name: str
) -> None:
    storage = ObjectStorage.swift_v1(
        auth_url=faulty_swift.auth_v1_url,
        user=faulty_swift.v1_user,
        key=faulty_swift.v1_key,
        retry=RetryPolicy(total=1, backoff=0.001),
        transport=transport_name,
    )
    container = storage.container("c")
    container.create()
    with pytest.raises(ChecksumMismatchError):
        container.put_object("o", io.BytesIO(DATA), etag="f" * 32)
    assert not view_of(faulty_swift).exists("c", "o")
    with pytest.raises(ValueError, match="MD5 hex"):
        container.put_object("o", DATA, etag="nope")
    with pytest.raises(ValueError, match="hashes to"):
        container.put_object("o", DATA, etag="f" * 32)
    storage.close()


# -- a POST whose answer is lost is sent again: with the same absolute X-Delete-At ---------


def test_a_retried_post_keeps_the_deletion_time(
    faulty_swift: FaultTarget, storage: ObjectStorage
) -> None:
    container = storage.container("c")
    container.create()
    container.put_object("o", b"data")
    faulty_swift.reset_next("before_reply", method="POST", kind="object")
    before = time.time()
    container.post_object_metadata("o", {"k": "v"}, delete_after=3600)
    posts = [r for r in faulty_swift.requests if r.method == "POST" and r.kind == "object"]
    assert len(posts) == 2, "the answer was lost: sent again"
    sent = [{k.lower(): v for k, v in r.headers.items()} for r in posts]
    assert all("x-delete-after" not in headers for headers in sent)
    assert sent[0]["x-delete-at"] == sent[1]["x-delete-at"]
    assert before + 3600 <= int(sent[0]["x-delete-at"]) <= time.time() + 3601
    assert container.head_object("o").delete_at == int(sent[0]["x-delete-at"])
    with pytest.raises(ValueError, match="not both"):
        container.post_object_metadata("o", {}, delete_at=int(before) + 60, delete_after=60)
