"""Helpers of the fake's self-tests: a tiny urllib3 client that speaks to the fake over a socket."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

import pytest
import urllib3

from tests.fakeswift import FakeSwift


class Client:
    """Authenticates as a v1 user and sends requests relative to its storage URL."""

    def __init__(self, fake: FakeSwift, user: str = "test:tester", key: str = "testing") -> None:
        self.fake = fake
        self.http = urllib3.PoolManager(
            ca_certs=fake.ca_path, retries=False, timeout=urllib3.Timeout(connect=2, read=10)
        )
        reply = self.http.request(
            "GET", fake.auth_v1_url, headers={"X-Auth-User": user, "X-Auth-Key": key}
        )
        assert reply.status == 200, reply.status
        self.token = reply.headers["X-Auth-Token"]
        self.storage_url = reply.headers["X-Storage-Url"]

    def url(self, path: str = "") -> str:
        """Storage URL + quoted ``path`` (``"c/o?x=y"``: the query is kept as is)."""
        if not path:
            return self.storage_url
        name, sep, query = path.partition("?")
        return f"{self.storage_url}/{quote(name)}{sep}{query}"

    def request(
        self,
        method: str,
        path: str = "",
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | Iterable[bytes] | None = None,
        auth: bool = True,
        **kw: Any,
    ) -> urllib3.BaseHTTPResponse:
        """One request with the token (unless ``auth=False``)."""
        sent = dict(headers or {})
        if auth:
            sent.setdefault("X-Auth-Token", self.token)
        return self.http.request(method, self.url(path), headers=sent, body=body, **kw)

    def json(self, path: str = "", **kw: Any) -> Any:
        """GET a listing as JSON."""
        sep = "&" if "?" in path else "?"
        reply = self.request("GET", f"{path}{sep}format=json", **kw)
        assert reply.status == 200, (reply.status, reply.data)
        return json.loads(reply.data)

    def put(self, path: str, data: bytes | str = b"", **headers: str) -> urllib3.BaseHTTPResponse:
        """PUT with headers given as keyword arguments (``X_Object_Meta_A="1"``)."""
        sent = {k.replace("_", "-"): v for k, v in headers.items()}
        return self.request("PUT", path, headers=sent, body=data)


@pytest.fixture
def client(fake_swift: FakeSwift) -> Client:
    """An admin of ``AUTH_test`` on the plain-HTTP fake."""
    return Client(fake_swift)
