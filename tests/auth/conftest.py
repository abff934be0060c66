"""Helpers of the selectel-auth tests: a controllable clock, credentials on the fake, replies."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import pytest
from selectel_auth import KeystoneCredential, SwiftV1Credential
from werkzeug import Request, Response

if TYPE_CHECKING:
    from tests.fakeswift import FakeSwift


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


def swift_v1(fake: FakeSwift, **kw: Any) -> SwiftV1Credential:
    """A SwiftV1Credential for the fake's tempauth user."""
    settings: dict[str, Any] = {
        "user": fake.v1_user,
        "key": fake.v1_key,
        "auth_url": fake.auth_v1_url,
    }
    settings.update(kw)
    return SwiftV1Credential(**settings)


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
