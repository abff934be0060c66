"""Plain-urllib3 access to the fake Swift for the signed-URL tests (TempURL, FormPost).

These tests check the pure signing helpers against the server, so they deliberately use no
part of selectel-objects' own HTTP stack.
"""

from __future__ import annotations

from typing import Any

import urllib3

__all__ = ["PlainSwift"]


class PlainSwift:
    """A token-authenticated session on the fake, made of bare urllib3 requests."""

    def __init__(self, fake: Any, http: urllib3.PoolManager) -> None:
        self.http = http
        reply = http.request(
            "GET",
            fake.auth_v1_url,
            headers={"X-Auth-User": fake.v1_user, "X-Auth-Key": fake.v1_key},
        )
        assert reply.status in (200, 204), reply.status
        self.token: str = reply.headers["X-Auth-Token"]
        self.storage_url: str = reply.headers["X-Storage-Url"].rstrip("/")

    def request(self, method: str, path: str, **kw: Any) -> urllib3.BaseHTTPResponse:
        """``method`` on ``<storage url><path>`` (``path`` already URL-encoded) with the token."""
        headers = {"X-Auth-Token": self.token, **kw.pop("headers", {})}
        return self.http.request(method, self.storage_url + path, headers=headers, **kw)

    def set_account_key(self, key: str) -> None:
        """Set ``X-Account-Meta-Temp-URL-Key`` (UTF-8 on the wire, as Swift stores it)."""
        # http.client writes header strings as Latin-1: this sends the key's UTF-8 bytes.
        wire = key.encode("utf-8").decode("latin-1")
        reply = self.request("POST", "", headers={"X-Account-Meta-Temp-URL-Key": wire})
        assert reply.status == 204, reply.status

    def put(self, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        """Create a container (``/c``) or an object (``/c/o``)."""
        reply = self.request("PUT", path, body=body, headers=headers or {})
        assert reply.status in (201, 202), (path, reply.status)

    def get(self, path: str) -> bytes:
        """The object's bytes (asserts it exists)."""
        reply = self.request("GET", path)
        assert reply.status == 200, (path, reply.status)
        return reply.data
