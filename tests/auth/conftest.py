"""Helpers of the selectel-auth tests: a controllable clock, credentials on the fake, replies.

Tests of the legacy v1 credential run against the ``swift`` fixture (the fake, or a real Swift
with ``SWIFT_TARGET=real``) and count their auth requests with :class:`CountingSender`, on
the client side; Keystone v3, the fake's clock and its fault switches need ``fake_swift``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import pytest
from selectel_auth import HttpReply, KeystoneCredential, SwiftV1Credential
from selectel_auth._http import UrllibSender
from werkzeug import Request, Response

if TYPE_CHECKING:
    from tests.fakeswift import FakeSwift
    from tests.fakeswift.real import RealSwift


class FakeClock:
    """Wall and monotonic clocks that start at the real time and move only when told."""

    def __init__(self) -> None:
        self._wall = time.time()
        self._mono = time.monotonic()
        self.offset = 0.0
        self.sleeps: list[float] = []
        self._linked: list[Any] = []

    def link(self, other: Any) -> None:
        """Move ``other`` (the fake server's clock) along, so both sides agree on expiry."""
        self._linked.append(other)

    def time(self) -> float:
        return self._wall + self.offset

    def monotonic(self) -> float:
        return self._mono + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds
        for other in self._linked:
            other.advance(seconds)

    def sleep(self, seconds: float) -> None:
        # Injected as the retry sleep: record the delay, let time pass, return at once.
        self.sleeps.append(seconds)
        self.advance(seconds)

    def kwargs(self) -> dict[str, Any]:
        return {"clock": self.time, "monotonic": self.monotonic, "sleep": self.sleep}


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> FakeClock:
    """A controllable clock; in tests on the fake it moves the fake's clock too."""
    result = FakeClock()
    for name in ("fake_swift", "fake_swift_tls"):
        if name in request.fixturenames:
            result.link(request.getfixturevalue(name).clock)
    return result


def keystone(fake: FakeSwift, **kw: Any) -> KeystoneCredential:
    """A KeystoneCredential for the fake's v3 user (project by id unless told otherwise)."""
    settings: dict[str, Any] = {
        "username": fake.v3.name,
        "password": fake.v3.password,
        "account_id": fake.v3.account_id,
        "project_id": fake.v3.project_id,
        "region": fake.v3.region,
        "auth_url": fake.auth_v3_url,
    }
    settings.update(kw)
    return KeystoneCredential(**settings)


def swift_v1(swift: FakeSwift | RealSwift, **kw: Any) -> SwiftV1Credential:
    """A SwiftV1Credential for the tempauth user of the fake or of a real Swift."""
    settings: dict[str, Any] = {
        "user": swift.v1_user,
        "key": swift.v1_key,
        "auth_url": swift.auth_v1_url,
    }
    settings.update(kw)
    return SwiftV1Credential(**settings)


class CountingSender:
    """selectel-auth's own HTTP sender, keeping each request it sends and the reply.

    Counts requests on the client side, so a test can count them on a real Swift too (the
    fake's own counter sees only the fake). Give one to the credential as ``sender=``.
    """

    def __init__(self) -> None:
        self._inner = UrllibSender()
        self._lock = threading.Lock()
        self.sent: list[tuple[str, str]] = []  # (method, url)
        self.replies: list[HttpReply] = []

    def __call__(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
    ) -> HttpReply:
        with self._lock:
            self.sent.append((method, url))
        reply = self._inner(method, url, headers, body, timeout)
        with self._lock:
            self.replies.append(reply)
        return reply

    @property
    def count(self) -> int:
        """Requests sent so far."""
        with self._lock:
            return len(self.sent)


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def catalog(*endpoints: tuple[str, str, str], service_type: str = "object-store") -> list[Any]:
    """A Keystone catalog with one service of ``service_type``: (interface, region, url)."""
    return [
        {"type": "identity", "name": "keystone", "endpoints": []},
        {
            "type": service_type,
            "name": "swift",
            "endpoints": [
                {"interface": i, "region_id": r, "region": r, "url": u} for i, r, u in endpoints
            ],
        },
    ]


def keystone_reply(
    token: str | None = "gAAAAAB-test-token-0123456789",
    *,
    expires_at: float | str | None = None,
    catalog_: Any = None,
    status: int = 201,
    body: bytes | None = None,
) -> Response:
    """A Keystone v3 token reply as a werkzeug response for the ``httpserver`` fixture."""
    if body is None:
        moment = time.time() + 3600 if expires_at is None else expires_at
        document: dict[str, Any] = {
            "token": {
                "expires_at": iso(moment) if isinstance(moment, float) else moment,
                "methods": ["password"],
            }
        }
        if catalog_ is not None:
            document["token"]["catalog"] = catalog_
        body = json.dumps(document).encode()
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["X-Subject-Token"] = token
    return Response(body, status=status, headers=headers)


def recording(reply: Callable[[], Response]) -> tuple[list[Request], Callable[[Request], Response]]:
    """A handler that records each request and answers ``reply()``."""
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        request.get_data()
        seen.append(request)
        return reply()

    return seen, handler
