"""The default transport, on a urllib3 ``PoolManager``.

Also home of the urllib3 exception mapping and response wrapper, which the requests backend
reuses: requests reads bodies through urllib3 too.
"""

from __future__ import annotations

import http.client
import io
import os
from typing import Any

import urllib3
from urllib3 import exceptions as u3

from selectel_objects._protocol.http import Headers, HttpRequest, HttpResponse, Timeout
from selectel_objects._transports.seam import DEFAULT_POOL_MAXSIZE, safe_url
from selectel_objects.errors import (
    ConnectError,
    ConnectTimeout,
    ReadError,
    ReadTimeout,
    TlsError,
    TransportError,
)

__all__ = ["BufferedResponse", "Urllib3Response", "Urllib3Transport", "map_urllib3_error"]


def _describe(exc: BaseException) -> str:
    # urllib3 nests the useful part (e.g. "[Errno 111] Connection refused") in `reason`/args.
    reason = getattr(exc, "reason", None)
    inner = reason if isinstance(reason, BaseException) else exc
    text = str(inner) or type(inner).__name__
    return text if len(text) <= 300 else f"{text[:300]}..."


def map_urllib3_error(exc: BaseException, url: str, *, reading: bool) -> TransportError:
    """The selectel-objects error for a urllib3 (or socket) exception.

    ``reading`` is true once the answer has started: a TLS error is then a broken body, not a
    failed handshake.
    """
    where = safe_url(url)
    if isinstance(exc, u3.MaxRetryError) and isinstance(exc.reason, BaseException):
        exc = exc.reason
    if isinstance(exc, u3.ReadTimeoutError | TimeoutError) and not isinstance(
        exc, u3.ConnectTimeoutError
    ):
        return ReadTimeout(f"{where}: no data within the read timeout")
    if isinstance(exc, u3.NewConnectionError | u3.ProxyError):
        return ConnectError(f"{where}: cannot connect ({_describe(exc)})")
    if isinstance(exc, u3.ConnectTimeoutError):
        return ConnectTimeout(f"{where}: connecting timed out")
    if isinstance(exc, u3.SSLError) and not reading:
        return TlsError(f"{where}: TLS failed ({_describe(exc)}); for a private CA pass ca_bundle=")
    if isinstance(exc, u3.ProtocolError | u3.SSLError | u3.DecodeError | OSError):
        return ReadError(f"{where}: connection broken ({_describe(exc)})")
    if isinstance(exc, http.client.HTTPException):
        return ReadError(f"{where}: bad HTTP answer ({_describe(exc)})")
    return TransportError(f"{where}: {type(exc).__name__}: {_describe(exc)}")


# What urllib3 may raise while sending or reading; anything else (our own errors from the body
# iterator, KeyboardInterrupt) passes through untouched.
URLLIB3_ERRORS = (u3.HTTPError, OSError, http.client.HTTPException)

#: Hosts whose connection pool a transport remembers (a client talks to one or two).
_MAX_ORIGINS = 16

# What ``retries=False`` means to urllib3, made once (it would build one per request).
_NO_RETRIES = urllib3.Retry(total=False, redirect=False)


def headers_of(raw: urllib3.HTTPHeaderDict) -> Headers:
    """urllib3's response headers as :class:`Headers`."""
    # Every answer goes through here: itermerged() has joined repeated names already, so
    # the two tables are filled in one pass, without Headers' duplicate check.
    values: dict[str, str] = {}
    names: dict[str, str] = {}
    for name, value in raw.itermerged():
        key = name.lower()
        values[key] = value
        names[key] = name
    return Headers._of(values, names)


class Urllib3Response:
    """A streaming answer over a urllib3 ``HTTPResponse`` (raw bytes, no decoding)."""

    def __init__(self, raw: urllib3.BaseHTTPResponse, url: str) -> None:
        self._raw = raw
        self._url = url
        self.status: int = raw.status
        self.headers = headers_of(raw.headers)
        self._done = False

    def read(self, amt: int | None = None) -> bytes:
        """Up to ``amt`` bytes (all when ``None``); ``b""`` at the end of the body."""
        if self._done:
            return b""
        try:
            data = self._raw.read(amt, decode_content=False)
        except URLLIB3_ERRORS as exc:
            self._done = True
            self._raw.close()
            self._raw.release_conn()
            raise map_urllib3_error(exc, self._url, reading=True) from exc
        if amt is None or not data:
            self._done = True
        return data

    def close(self) -> None:
        """Return the connection to the pool, or drop it if unread body is left on it."""
        if not self._raw.closed:
            self._raw.close()  # unread bytes would corrupt the next answer on this connection
        self._raw.release_conn()
        self._done = True


class BufferedResponse:
    """An answer whose whole body is already in memory (``stream=False``)."""

    def __init__(self, status: int, headers: Headers, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self._body = io.BytesIO(body)

    def read(self, amt: int | None = None) -> bytes:
        """Up to ``amt`` bytes of the body (all when ``None``)."""
        return self._body.read(amt)

    def close(self) -> None:
        """Nothing to release."""


def buffer(response: HttpResponse) -> BufferedResponse:
    """Read ``response`` to the end and release its connection."""
    try:
        body = response.read()
    finally:
        response.close()
    return BufferedResponse(response.status, response.headers, body)


class Urllib3Transport:
    """The default transport: a urllib3 ``PoolManager`` (thread-safe, pooled, TLS verified).

    ``pool``: a ``PoolManager`` of your own (borrowed: :meth:`close` leaves it open). Otherwise
    one is built with ``pool_maxsize`` connections per host (``block=False``: extra threads get
    a temporary connection instead of waiting), TLS verification on (``verify=False`` turns it
    off; ``ca_bundle`` trusts a private CA).
    """

    def __init__(
        self,
        pool: urllib3.PoolManager | None = None,
        *,
        ca_bundle: str | os.PathLike[str] | None = None,
        verify: bool = True,
        pool_maxsize: int = DEFAULT_POOL_MAXSIZE,
    ) -> None:
        self._last_timeout: tuple[Timeout, urllib3.Timeout] | None = None
        self._origins: dict[str, urllib3.HTTPConnectionPool] = {}
        # A proxy manager (or another subclass) decides per request how to reach a URL.
        self._direct = pool is None or type(pool) is urllib3.PoolManager
        if pool is not None:
            self._pool, self._owner = pool, False
            return
        self._pool = urllib3.PoolManager(
            num_pools=10,
            maxsize=pool_maxsize,
            block=False,
            cert_reqs="CERT_REQUIRED" if verify else "CERT_NONE",
            ca_certs=os.fspath(ca_bundle) if ca_bundle is not None else None,
        )
        self._owner = True

    def __repr__(self) -> str:
        return f"Urllib3Transport(owner={self._owner})"

    def send(self, request: HttpRequest, *, timeout: Timeout, stream: bool = False) -> HttpResponse:
        """Send ``request``; see :class:`selectel_objects.Transport`."""
        body = request.body
        chunked = (
            body is not None
            and not isinstance(body, bytes)
            and "content-length" not in request.headers
        )
        options: dict[str, Any] = {
            "body": body,
            "headers": request.headers.to_dict(),
            "redirect": False,
            "retries": _NO_RETRIES,
            "preload_content": False,
            "decode_content": False,
            "chunked": chunked,
            "timeout": self._urllib3_timeout(timeout),
        }
        try:
            raw = self._urlopen(request.method, request.url, options)
        except URLLIB3_ERRORS as exc:
            raise map_urllib3_error(exc, request.url, reading=False) from exc
        response = Urllib3Response(raw, request.url)
        return response if stream else buffer(response)

    def _urlopen(self, method: str, url: str, options: dict[str, Any]) -> urllib3.BaseHTTPResponse:
        if not self._direct:
            return self._pool.urlopen(method, url, **options)
        # What PoolManager.urlopen does for a plain URL, without parsing the URL and building
        # the pool key again on every request: remember each origin's connection pool.
        host_end = url.find("/", url.find("://") + 3)
        origin, path = (url, "/") if host_end < 0 else (url[:host_end], url[host_end:])
        pool = self._origins.get(origin)
        if pool is None or pool.pool is None:  # new, or closed by the manager
            if len(self._origins) >= _MAX_ORIGINS:
                self._origins.clear()
            pool = self._origins[origin] = self._pool.connection_from_url(origin)
        try:
            return pool.urlopen(method, path, assert_same_host=False, **options)
        except u3.ClosedPoolError:  # closed between the check and the request: nothing sent
            return self._pool.urlopen(method, url, **options)

    def _urllib3_timeout(self, timeout: Timeout) -> urllib3.Timeout:
        # A client passes the same Timeout every time; urllib3 copies it per request anyway.
        made = self._last_timeout
        if made is None or made[0] is not timeout:
            made = self._last_timeout = (
                timeout,
                urllib3.Timeout(connect=timeout.connect, read=timeout.read),
            )
        return made[1]

    def close(self) -> None:
        """Close the pool's connections, unless the pool was borrowed."""
        if self._owner:
            self._pool.clear()
