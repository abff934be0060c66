"""The requests and urllib3 adapters: one 401 -> invalidate -> one resend.

A revoked Keystone token gets its one 401 from the fake and from a real Keystone + Swift alike
(``swift``), as does a token that never worked; expiring v1 tokens on purpose needs the fake.
Requests are counted on the client side.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
import urllib3
from selectel_auth import StaticCredential
from selectel_auth.contrib.requests import SelectelAuth
from selectel_auth.contrib.urllib3 import request_with_token

from tests.auth.conftest import CountingSender, swift_v1
from tests.fakeswift.v3target import revoke

if TYPE_CHECKING:
    from tests.fakeswift import FakeSwift
    from tests.fakeswift.real import RealSwift

REPO = Path(__file__).resolve().parents[2]


class CountingAdapter(requests.adapters.HTTPAdapter):
    """requests' own adapter, counting what it sends (resends of an auth handler included)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        self.sent += 1
        return super().send(request, *args, **kwargs)


class CountingPool(urllib3.PoolManager):
    """urllib3's pool manager, counting the requests it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    def urlopen(self, method: str, url: str, *args: Any, **kw: Any) -> Any:
        self.sent += 1
        return super().urlopen(method, url, *args, **kw)


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def test_requests_adds_token_and_reauths_once(
    swift: FakeSwift | RealSwift, session: requests.Session
) -> None:
    sender = CountingSender()
    credential = swift.v3_credential(sender=sender)
    session.auth = SelectelAuth(credential)
    first = credential.get_token()
    url = first.storage_url
    assert url is not None
    assert session.head(url, timeout=5).status_code in (200, 204)

    revoke(swift, first.token)
    reply = session.head(url, timeout=5)
    assert reply.status_code in (200, 204)
    assert [r.status_code for r in reply.history] == [401]
    assert sender.count == 2
    assert credential.get_token().token != first.token


def test_requests_replays_bytes_and_seekable_bodies(
    fake_swift: FakeSwift, session: requests.Session
) -> None:
    credential = swift_v1(fake_swift)
    session.auth = SelectelAuth(credential)
    base = credential.get_token().storage_url
    assert session.put(f"{base}/box", timeout=5).status_code in (201, 202)

    fake_swift.expire_tokens()
    reply = session.put(f"{base}/box/bytes", data=b"payload-1", timeout=5)
    assert reply.status_code == 201 and len(reply.history) == 1

    fake_swift.expire_tokens()
    body = io.BytesIO(b"skip:payload-2")
    body.seek(5)
    reply = session.put(f"{base}/box/file", data=body, timeout=5)
    assert reply.status_code == 201 and len(reply.history) == 1

    assert session.get(f"{base}/box/bytes", timeout=5).content == b"payload-1"
    assert session.get(f"{base}/box/file", timeout=5).content == b"payload-2"
    assert fake_swift.count(kind="auth") == 3


def test_requests_does_not_replay_a_consumed_stream(
    fake_swift: FakeSwift, session: requests.Session
) -> None:
    credential = swift_v1(fake_swift)
    session.auth = SelectelAuth(credential)
    base = credential.get_token().storage_url
    assert session.put(f"{base}/box", timeout=5).status_code in (201, 202)
    fake_swift.expire_tokens()

    def chunks() -> Iterator[bytes]:
        yield b"streamed "
        yield b"data"

    reply = session.put(f"{base}/box/stream", data=chunks(), timeout=5)
    assert reply.status_code == 401 and reply.history == []
    assert fake_swift.count(kind="auth") == 1  # no pointless re-auth either
    assert session.head(f"{base}/box/stream", timeout=5).status_code == 404  # nothing stored


def test_requests_static_token_gets_one_401(
    swift: FakeSwift | RealSwift, session: requests.Session
) -> None:
    storage_url = swift.storage_url()
    adapter = CountingAdapter()
    session.mount("http://", adapter)
    session.auth = SelectelAuth(StaticCredential("AUTH_tk-bogus-000000", storage_url))
    reply = session.get(storage_url, timeout=5)
    assert reply.status_code == 401 and reply.history == []
    assert adapter.sent == 1


def test_urllib3_helper_reauths_once(swift: FakeSwift | RealSwift) -> None:
    sender = CountingSender()
    credential = swift.v3_credential(sender=sender)
    with CountingPool() as pool:
        assert request_with_token(pool, credential, "PUT", "box").status in (201, 202)
        revoke(swift, credential.get_token().token)
        reply = request_with_token(pool, credential, "PUT", "/box/obj", body=b"hello")
        assert reply.status == 201
        assert sender.count == 2
        assert pool.sent == 3  # the container, then the object twice: refused, then stored
        url = f"{credential.get_token().storage_url}/box/obj"  # absolute URLs work too
        assert request_with_token(pool, credential, "GET", url).data == b"hello"


def test_urllib3_helper_seekable_and_stream_bodies(fake_swift: FakeSwift) -> None:
    credential = swift_v1(fake_swift)
    with urllib3.PoolManager() as pool:
        request_with_token(pool, credential, "PUT", "box")
        fake_swift.expire_tokens()
        reply = request_with_token(pool, credential, "PUT", "box/f", body=io.BytesIO(b"abc"))
        assert reply.status == 201
        assert request_with_token(pool, credential, "GET", "box/f").data == b"abc"

        fake_swift.expire_tokens()
        reply = request_with_token(
            pool,
            credential,
            "PUT",
            "box/g",
            body=iter([b"x", b"y"]),
            headers={"Transfer-Encoding": "chunked"},
        )
        assert reply.status == 401
        assert fake_swift.count(kind="auth") == 2


def test_urllib3_static_token_is_not_retried(swift: FakeSwift | RealSwift) -> None:
    credential = StaticCredential("AUTH_tk-bogus-000000", swift.storage_url())
    with CountingPool() as pool:
        assert request_with_token(pool, credential, "GET", "").status == 401
        assert pool.sent == 1


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
        check=False,
    )


def test_import_selectel_auth_pulls_in_no_http_library() -> None:
    result = run_python(
        """
        import sys
        import selectel_auth, selectel_auth.cli
        loaded = sorted({"requests", "urllib3"} & set(sys.modules))
        print(loaded)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("library", ["requests", "urllib3"])
def test_adapter_without_its_library_names_it(library: str) -> None:
    result = run_python(
        f"""
        import sys
        sys.modules["{library}"] = None  # as if it were not installed
        try:
            import selectel_auth.contrib.{library}
        except ImportError as exc:
            print(exc)
        """
    )
    assert result.returncode == 0, result.stderr
    assert f"needs the '{library}' library: pip install {library}" in result.stdout
