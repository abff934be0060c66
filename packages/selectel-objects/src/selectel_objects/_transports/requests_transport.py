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

from selectel_objects._protocol.http import Headers, HttpRequest, HttpResponse, RequestBody, Timeout
from selectel_objects._transports.seam import DEFAULT_POOL_MAXSIZE, safe_url
from selectel_objects._transports.urllib3_transport import (
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
    proxies, headers, auth and environment settings apply). Otherwise one is built with an
    adapter of ``pool_maxsize`` connections per host and no retries of its own; it takes
    proxies from the environment (``HTTPS_PROXY``, ``NO_PROXY``, ...) once per host, and
    nothing else from the environment (no ``~/.netrc`` credentials on storage requests).
    ``verify`` / ``ca_bundle`` as for :class:`~selectel_objects.Urllib3Transport`.
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
        self._proxies: dict[str, dict[str, str]] = {}
        if session is not None:
            self._session, self._owner = session, False
            return
        self._session = requests.Session()
        # requests would read the environment (proxies, .netrc) on every request.
        self._session.trust_env = False
        self._adapter = requests.adapters.HTTPAdapter(
            pool_connections=10, pool_maxsize=pool_maxsize, max_retries=0, pool_block=False
        )
        self._session.mount("https://", self._adapter)
        self._session.mount("http://", self._adapter)
        self._defaults = Headers(
            (name, value) for name, value in self._session.headers.items() if isinstance(value, str)
        )
        self._owner = True

    def __repr__(self) -> str:
        return f"RequestsTransport(owner={self._owner})"

    def send(self, request: HttpRequest, *, timeout: Timeout, stream: bool = False) -> HttpResponse:
        """Send ``request``; see :class:`selectel_objects.Transport`."""
        body = request.body
        headers = request.headers
        if "Accept-Encoding" not in headers:
            headers = headers.merged({"Accept-Encoding": "identity"})  # bytes as stored
        if isinstance(body, bytes):
            headers = headers.merged({"Content-Length": str(len(body))})
        try:
            if self._owner:
                reply = self._send_own(request.method, request.url, headers, body, timeout)
            else:
                reply = self._send_borrowed(request.method, request.url, headers, body, timeout)
        except requests.RequestException as exc:
            raise _map_requests_error(exc, request.url) from exc
        except URLLIB3_ERRORS as exc:
            raise map_urllib3_error(exc, request.url, reading=False) from exc
        response = Urllib3Response(reply.raw, request.url)
        return response if stream else buffer(response)

    def _send_own(
        self, method: str, url: str, headers: Headers, body: RequestBody, timeout: Timeout
    ) -> requests.Response:
        # Our own session has no cookies, hooks or auth, and fixed default headers: prepare
        # the request directly and hand it to the adapter.
        prepared = requests.PreparedRequest()
        prepared.method = method
        prepared.url = url  # already encoded; requests' re-quoting could collapse %2E
        prepared.headers = requests.structures.CaseInsensitiveDict(
            self._defaults.merged(headers).to_dict()
        )
        prepared.body = body  # type: ignore[assignment]  # requests sends iterables too
        return self._adapter.send(
            prepared,
            stream=True,
            timeout=(timeout.connect, timeout.read),
            verify=self._verify,
            proxies=self._proxies_for(url),
        )

    def _send_borrowed(
        self, method: str, url: str, headers: Headers, body: RequestBody, timeout: Timeout
    ) -> requests.Response:
        prepared = self._session.prepare_request(
            requests.Request(method, url, headers=headers.to_dict())
        )
        prepared.url = url  # already encoded; requests' re-quoting could collapse %2E
        if body is not None and not isinstance(body, bytes) and "Content-Length" not in headers:
            # requests says "Content-Length: 0" for a body it cannot measure; the adapter sends
            # chunked when the header is absent.
            prepared.headers.pop("Content-Length", None)
        prepared.body = body  # type: ignore[assignment]  # requests sends iterables too
        return self._session.send(
            prepared,
            stream=True,
            timeout=(timeout.connect, timeout.read),
            verify=self._verify,
            allow_redirects=False,
        )

    def _proxies_for(self, url: str) -> dict[str, str]:
        """The environment's proxies for ``url``'s host, read once per host."""
        origin = "/".join(url.split("/", 3)[:3])  # scheme://host:port
        found = self._proxies.get(origin)
        if found is None:
            found = self._proxies[origin] = requests.utils.get_environ_proxies(url)
        return found

    def close(self) -> None:
        """Close the session's connections, unless the session was borrowed."""
        if self._owner:
            self._session.close()
