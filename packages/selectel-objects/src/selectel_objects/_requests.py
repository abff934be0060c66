"""The requests transport (extra ``selectel-objects[requests]``); imported only when chosen."""

from __future__ import annotations

import os

try:
    import requests
    import requests.adapters
except ImportError as exc:  # pragma: no cover - exercised in a clean environment only
    raise ImportError(
        "the 'requests' transport needs the requests package: "
        "pip install 'selectel-objects[requests]'"
    ) from exc

from selectel_objects._http import HttpRequest, HttpResponse, Timeout
from selectel_objects._transport import DEFAULT_POOL_MAXSIZE, safe_url
from selectel_objects._urllib3 import (
    URLLIB3_ERRORS,
    Urllib3Response,
    buffer,
    map_urllib3_error,
)
from selectel_objects.errors import (
    ConnectError,
    ConnectTimeout,
    ReadError,
    ReadTimeout,
    TlsError,
    TransportError,
)

__all__ = ["RequestsTransport"]


def _map_requests_error(exc: requests.RequestException, url: str) -> TransportError:
    where = safe_url(url)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return ConnectTimeout(f"{where}: connecting timed out")
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return ReadTimeout(f"{where}: no data within the read timeout")
    if isinstance(exc, requests.exceptions.SSLError):
        return TlsError(f"{where}: TLS failed; for a private CA pass ca_bundle=")
    if isinstance(exc, requests.exceptions.ConnectionError):
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
        mapped = map_urllib3_error(inner, url, reading=False)
        # requests wraps "could not connect" and "connection broke" alike; urllib3's own
        # classes, inside, tell them apart.
        return (
            mapped
            if isinstance(mapped, ConnectError | ReadError | TlsError)
            else ReadError(f"{where}: connection broken")
        )
    return TransportError(f"{where}: {type(exc).__name__}")


class RequestsTransport:
    """A transport on a ``requests.Session``.

    ``session``: a session of your own (borrowed: :meth:`close` leaves it open; its adapters,
    proxies and headers apply). Otherwise one is built with an adapter of ``pool_maxsize``
    connections per host and no retries of its own. ``verify`` / ``ca_bundle`` as for
    :class:`~selectel_objects.Urllib3Transport`.
    """

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        ca_bundle: str | os.PathLike[str] | None = None,
        verify: bool = True,
        pool_maxsize: int = DEFAULT_POOL_MAXSIZE,
    ) -> None:
        self._verify: bool | str = os.fspath(ca_bundle) if ca_bundle is not None else verify
        if session is not None:
            self._session, self._owner = session, False
            return
        self._session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=10, pool_maxsize=pool_maxsize, max_retries=0, pool_block=False
        )
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._owner = True

    def __repr__(self) -> str:
        return f"RequestsTransport(owner={self._owner})"

    def send(self, request: HttpRequest, *, timeout: Timeout, stream: bool = False) -> HttpResponse:
        """Send ``request``; see :class:`selectel_objects.Transport`."""
        prepared = self._session.prepare_request(
            requests.Request(request.method, request.url, headers=dict(request.headers))
        )
        # Our URL is already encoded; requests' re-quoting would turn %2E back into "." and
        # let the path collapse.
        prepared.url = request.url
        body = request.body
        if "Accept-Encoding" not in request.headers:
            prepared.headers["Accept-Encoding"] = "identity"  # bytes as stored, never re-encoded
        if isinstance(body, bytes):
            prepared.headers["Content-Length"] = str(len(body))
        elif body is not None and "Content-Length" not in request.headers:
            # requests says "Content-Length: 0" for a body it cannot measure; the adapter sends
            # chunked when the header is absent.
            prepared.headers.pop("Content-Length", None)
        prepared.body = body  # type: ignore[assignment]  # requests accepts iterables of bytes
        try:
            reply = self._session.send(
                prepared,
                stream=True,
                timeout=(timeout.connect, timeout.read),
                verify=self._verify,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise _map_requests_error(exc, request.url) from exc
        except URLLIB3_ERRORS as exc:
            raise map_urllib3_error(exc, request.url, reading=False) from exc
        response = Urllib3Response(reply.raw, request.url)
        return response if stream else buffer(response)

    def close(self) -> None:
        """Close the session's connections, unless the session was borrowed."""
        if self._owner:
            self._session.close()
