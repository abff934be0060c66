"""Test helpers shared by the django-selectel tests.

Two of them let a test run against the fake and a real Swift alike (``SWIFT_TARGET``):
:class:`Direct` reads and seeds the target over plain HTTP, past our packages, and
:class:`Wire` records every request the storages send, on the client side.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias
from urllib.parse import quote, urlsplit

import django
import urllib3
from django.conf import settings
from django.core.files.storage import storages
from django.test.utils import override_settings
from selectel_objects import HttpRequest, HttpResponse, Timeout, Transport

from tests.fakeswift import FakeSwift
from tests.fakeswift.real import RealSwift

#: The Swift a test runs against: the fake, or a real one with ``SWIFT_TARGET=real``.
Swift: TypeAlias = FakeSwift | RealSwift


@contextlib.contextmanager
def override_storages(**overrides: Any) -> Iterator[None]:
    """``override_settings`` that keeps ``STORAGES[...]['OPTIONS']`` on Django 4.2 too.

    Django 4.2 mirrors an overridden ``STORAGES`` into the deprecated ``DEFAULT_FILE_STORAGE``
    and then rebuilds the default entry from it without its ``OPTIONS`` (settings modules are
    not affected, only ``override_settings``/``settings.configure()``). Handing the storage
    handler the setting itself avoids that.
    """
    with override_settings(**overrides):
        if django.VERSION < (5, 1) and "STORAGES" in overrides:
            storages._backends = dict(settings.STORAGES)  # type: ignore[attr-defined]
        yield


# --- reading and seeding the target Swift ------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """An object as the Swift keeps it: the bytes on disk (no decoding) and its headers."""

    data: bytes
    headers: Mapping[str, str]  # lower-case names

    @property
    def content_type(self) -> str:
        return self.headers["content-type"]

    @property
    def metadata(self) -> dict[str, str]:
        """``X-Object-Meta-*`` by lower-case name without the prefix."""
        prefix = "x-object-meta-"
        return {k[len(prefix) :]: v for k, v in self.headers.items() if k.startswith(prefix)}

    @property
    def is_slo(self) -> bool:
        return self.headers.get("x-static-large-object", "").lower() == "true"


class Direct:
    """Plain HTTP to the target Swift as its v1 user, past our packages.

    For what a test used to do inside the fake: put objects in place and look at what was
    stored. It works on both targets, so such tests also run against a real Swift.
    """

    def __init__(self, target: Swift) -> None:
        self._target = target
        self._http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(5.0, 30.0))
        self._auth: tuple[str, str] | None = None

    def close(self) -> None:
        self._http.clear()

    def _token(self) -> tuple[str, str]:
        if self._auth is None:
            reply = self._http.request(
                "GET",
                self._target.auth_v1_url,
                headers={"X-Auth-User": self._target.v1_user, "X-Auth-Key": self._target.v1_key},
            )
            assert reply.status // 100 == 2, f"v1 auth answered {reply.status}"
            self._auth = reply.headers["X-Auth-Token"], reply.headers["X-Storage-Url"].rstrip("/")
        return self._auth

    def request(
        self,
        method: str,
        container: str,
        name: str | None = None,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
    ) -> urllib3.BaseHTTPResponse:
        """One request to ``container`` (or to an object in it), whatever the answer."""
        token, storage_url = self._token()
        url = f"{storage_url}/{quote(container, safe='')}"
        if name is not None:
            url += "/" + quote(name, safe="/")
        return self._http.request(
            method,
            url,
            body=body,
            fields=dict(query) if query else None,
            headers={"X-Auth-Token": token, **(headers or {})},
            decode_content=False,  # the bytes as stored, gzip included
        )

    def put(
        self, container: str, name: str, data: bytes, headers: Mapping[str, str] | None = None
    ) -> None:
        """Store ``data`` under ``name``."""
        reply = self.request("PUT", container, name, body=data, headers=headers)
        assert reply.status == 201, f"PUT {name!r} answered {reply.status}"

    def get(self, container: str, name: str) -> Stored | None:
        """The object as stored (``None`` when absent): no ``Content-Encoding`` is undone."""
        reply = self.request("GET", container, name)
        if reply.status == 404:
            return None
        assert reply.status == 200, f"GET {name!r} answered {reply.status}"
        headers = {k.lower(): v for k, v in reply.headers.items()}
        return Stored(reply.data, headers)

    def has(self, container: str, name: str) -> bool:
        status = self.request("HEAD", container, name).status
        assert status in (200, 404), f"HEAD {name!r} answered {status}"
        return status == 200

    def names(self, container: str) -> list[str]:
        """Every object name in ``container``, in listing order."""
        names: list[str] = []
        while True:
            query = {"format": "json", "marker": names[-1] if names else ""}
            reply = self.request("GET", container, query=query)
            assert reply.status == 200, f"listing {container!r} answered {reply.status}"
            page = [str(entry["name"]) for entry in json.loads(reply.data)]
            if not page:
                return names
            names += page


# --- counting the storages' requests ------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """One request a storage sent: ``kind`` is auth, info, account, container or object."""

    method: str
    url: str
    kind: str
    headers: Mapping[str, str]


def _kind(url: str) -> str:
    path = urlsplit(url).path
    if path.startswith(("/auth/", "/identity/", "/v3/")):
        return "auth"
    if path == "/info":
        return "info"
    # /v1/<account>[/<container>[/<object>]], as Swift's proxy splits it.
    segments = [part for part in path.split("/v1/", 1)[-1].split("/", 2) if part]
    return {1: "account", 2: "container", 3: "object"}.get(len(segments), "other")


class Wire:
    """Every request the storages' shared clients send (auth included), seen client side.

    The fake counts requests on its side; a real Swift cannot, so tests that count go through
    this instead and run against both. Install it with :meth:`install` before the storage
    builds its client.
    """

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self._lock = threading.Lock()

    def record(self, request: HttpRequest) -> None:
        sent = Sent(request.method, request.url, _kind(request.url), dict(request.headers))
        with self._lock:
            self.sent.append(sent)

    def count(self, kind: str | None = None, method: str | None = None) -> int:
        """Requests sent so far, optionally of one kind and/or method."""
        return len(self.of(kind, method))

    def of(self, kind: str | None = None, method: str | None = None) -> list[Sent]:
        with self._lock:
            return [
                s
                for s in self.sent
                if (kind is None or s.kind == kind) and (method is None or s.method == method)
            ]

    def wrap(self, transport: Transport) -> Transport:
        return RecordingTransport(transport, self)


class RecordingTransport:
    """A :class:`selectel_objects.Transport` that records each request, then sends it."""

    def __init__(self, inner: Transport, wire: Wire) -> None:
        self._inner = inner
        self._wire = wire

    def send(self, request: HttpRequest, *, timeout: Timeout, stream: bool = False) -> HttpResponse:
        self._wire.record(request)
        return self._inner.send(request, timeout=timeout, stream=stream)

    def close(self) -> None:
        self._inner.close()
