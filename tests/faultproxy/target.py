"""``FaultySwift``: a real Swift behind the fault proxy, with the fake's fault switches.

What tests use of it is what they use of a ``FakeSwift`` in a fault test: ``auth_v1_url``,
``v1_user``, ``v1_key``, ``storage_url()``, ``v1_credential()``, the fault switches
(``fail_next``, ``reset_next``, ``truncate_next``, ``delay_next``, ``trickle_next``,
``corrupt_next``, ``wrong_etag_next``, ``expire_tokens``), the request log ``requests`` and
``count()``, ``secrets()``; and ``view``, which reads and writes Swift directly, past the proxy.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import urllib3

from tests.fakeswift.app import RequestRecord
from tests.fakeswift.faults import Faults, FaultSwitches
from tests.faultproxy.proxy import FaultProxy

if TYPE_CHECKING:
    from selectel_auth import SwiftV1Credential

    from tests.fakeswift.real import RealSwift

__all__ = ["FaultySwift", "RealView"]


class RealView:
    """What Swift stored, read (and seeded) with direct requests: no proxy, no faults."""

    def __init__(self, real: RealSwift) -> None:
        self._real = real
        self._http = urllib3.PoolManager(
            retries=False, timeout=urllib3.Timeout(connect=5.0, read=30.0)
        )
        self._auth: tuple[str, str] | None = None

    def _url(self, container: str, name: str | None = None) -> tuple[str, dict[str, str]]:
        if self._auth is None:
            self._auth = self._real.authenticate()
        token, url = self._auth
        url = f"{url}/{quote(container, safe='')}"
        if name is not None:
            url += "/" + quote(name)
        return url, {"X-Auth-Token": token}

    def _request(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None = None
    ) -> urllib3.BaseHTTPResponse:
        return self._http.request(method, url, headers=headers, body=body, preload_content=True)

    def create_container(self, container: str) -> None:
        """PUT the container."""
        url, auth = self._url(container)
        reply = self._request("PUT", url, auth)
        assert reply.status in (201, 202), f"PUT {container} answered {reply.status}"

    def put(
        self, container: str, name: str, data: bytes, metadata: dict[str, str] | None = None
    ) -> None:
        """PUT an object with its ETag (and ``X-Object-Meta-*``)."""
        url, auth = self._url(container, name)
        headers = {**auth, "ETag": hashlib.md5(data).hexdigest()}
        headers.update({f"X-Object-Meta-{k}": v for k, v in (metadata or {}).items()})
        reply = self._request("PUT", url, headers, data)
        assert reply.status == 201, f"PUT {container}/{name} answered {reply.status}"

    def md5(self, container: str, name: str) -> str | None:
        """MD5 of what a GET serves (a large object's joined segments), None when absent."""
        url, auth = self._url(container, name)
        reply = self._http.request("GET", url, headers=auth, preload_content=False)
        try:
            if reply.status == 404:
                return None
            assert reply.status == 200, f"GET {container}/{name} answered {reply.status}"
            digest = hashlib.md5()
            for piece in reply.stream(64 * 1024):
                digest.update(piece)
            return digest.hexdigest()
        finally:
            reply.release_conn()

    def _head(self, container: str, name: str) -> urllib3.BaseHTTPResponse | None:
        url, auth = self._url(container, name)
        reply = self._request("HEAD", url, auth)
        if reply.status == 404:
            return None
        assert reply.status == 200, f"HEAD {container}/{name} answered {reply.status}"
        return reply

    def exists(self, container: str, name: str) -> bool:
        """Whether the object is there."""
        return self._head(container, name) is not None

    def is_slo(self, container: str, name: str) -> bool:
        """Whether the object is a static large object (its manifest)."""
        reply = self._head(container, name)
        return reply is not None and reply.headers.get("X-Static-Large-Object") == "True"

    def metadata(self, container: str, name: str) -> dict[str, str] | None:
        """The object's user metadata (names lower-cased, as Swift title-cases them)."""
        reply = self._head(container, name)
        if reply is None:
            return None
        prefix = "x-object-meta-"
        return {
            key[len(prefix) :].lower(): value
            for key, value in reply.headers.items()
            if key.lower().startswith(prefix)
        }

    def names(self, container: str) -> list[str]:
        """The object names of the container, in listing order ([] when it is absent)."""
        url, auth = self._url(container)
        out: list[str] = []
        marker = ""
        while True:
            reply = self._http.request(
                "GET", url, fields={"format": "json", "marker": marker}, headers=auth
            )
            if reply.status == 404:
                return out
            assert reply.status == 200, f"listing {container} answered {reply.status}"
            page = json.loads(reply.data)
            if not page:
                return out
            out += [str(item["name"]) for item in page]
            marker = out[-1]

    def forget_token(self) -> None:
        """Authenticate again on next use (the account was emptied, the token may be new)."""
        self._auth = None

    def close(self) -> None:
        """Drop the pooled connections."""
        self._http.clear()


class FaultySwift(FaultSwitches):
    """A real Swift reached through a :class:`FaultProxy`."""

    ca_path: str | None = None

    def __init__(self, real: RealSwift) -> None:
        self.real = real
        self.faults = Faults()
        self.requests: list[RequestRecord] = []
        self._lock = threading.Lock()
        upstream = urlsplit(real.auth_v1_url)
        assert upstream.hostname is not None and upstream.port is not None
        self.proxy = FaultProxy((upstream.hostname, upstream.port), self.faults, self._record)
        self.view = RealView(real)
        self.v1_user = real.v1_user
        self.v1_key = real.v1_key
        self.auth_v1_url = self.proxy.base_url + urlsplit(real.auth_v1_url).path

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self.requests.append(record)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<proxy port>``."""
        return self.proxy.base_url

    @property
    def info_url(self) -> str:
        """``GET /info`` through the proxy."""
        return self.base_url + "/info"

    def storage_url(self, account: str | None = None) -> str:
        """The storage URL through the proxy (``account`` swaps the last path segment)."""
        url = self.real.storage_url(account)
        return self.proxy.base_url + urlsplit(url).path

    def v1_credential(self, **kw: Any) -> SwiftV1Credential:
        """``selectel_auth.SwiftV1Credential`` for the user, authenticating through the proxy."""
        kw.setdefault("auth_url", self.auth_v1_url)
        return self.real.v1_credential(**kw)

    def reset(self) -> None:
        """Empty the account; no faults, no recorded requests, no client connections left."""
        self.faults.reset()
        self.proxy.expire_tokens()  # no token of an earlier test lives on
        self.proxy.drop_connections()
        self.real.empty_account()
        self.view.forget_token()
        with self._lock:
            self.requests.clear()

    def expire_tokens(self) -> int:
        """Every token handed out through the proxy so far is refused (401) from now on;
        returns how many were handed out since the last expiry."""
        return self.proxy.expire_tokens()

    def count(self, kind: str | None = None, method: str | None = None) -> int:
        """Requests the proxy saw so far, optionally of one kind and/or method."""
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (kind is None or r.kind == kind)
                and (method is None or r.method == method.upper())
            )

    def secrets(self) -> frozenset[str]:
        """The user's key and every token a request carried through the proxy."""
        with self._lock:
            tokens = {
                value
                for r in self.requests
                for key, value in r.headers.items()
                if key.lower() == "x-auth-token" and value
            }
        return frozenset({self.v1_key, *tokens})

    def close(self) -> None:
        """Stop the proxy, drop pooled connections."""
        self.proxy.stop()
        self.view.close()
