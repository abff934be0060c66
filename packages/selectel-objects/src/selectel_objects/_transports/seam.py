"""The transport seam: the protocol, choosing a backend by name, and the auth sender adapter."""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from selectel_auth import MAX_REPLY_BYTES, AuthTransportError, HttpReply, safe_url

from selectel_objects._protocol.http import Headers, HttpRequest, HttpResponse, Timeout
from selectel_objects.errors import TlsError, TransportError

__all__ = [
    "DEFAULT_POOL_MAXSIZE",
    "TRANSPORTS",
    "Transport",
    "TransportSender",
    "get_transport",
    "safe_url",
]

#: Connections kept per host: enough for a thread pool of that size to never wait or reconnect.
DEFAULT_POOL_MAXSIZE = 32

#: Backend names and where each lives; a backend module is imported only when chosen.
TRANSPORTS: Mapping[str, tuple[str, str]] = {
    "urllib3": ("selectel_objects._transports.urllib3_transport", "Urllib3Transport"),
    "requests": ("selectel_objects._transports.requests_transport", "RequestsTransport"),
}


@runtime_checkable
class Transport(Protocol):
    """Sends one request and returns the answer; thread-safe.

    With ``stream=False`` the body is read before returning; with ``stream=True`` it stays on
    the socket until the caller reads or closes the response. Library exceptions never leave
    a transport: they become :class:`~selectel_objects.errors.ConnectError` (not sent),
    :class:`~selectel_objects.errors.ReadError` (sent, outcome unknown), their timeout
    subclasses, or :class:`~selectel_objects.errors.TlsError`. A transport does not retry,
    follow redirects or decode ``Content-Encoding``.
    """

    def send(self, request: HttpRequest, *, timeout: Timeout, stream: bool = False) -> HttpResponse:
        """Send ``request`` and return the answer, whatever its status."""
        ...

    def close(self) -> None:
        """Release the connections this transport owns."""
        ...


def get_transport(
    spec: str | Transport | None = None,
    *,
    ca_bundle: str | os.PathLike[str] | None = None,
    verify: bool = True,
    pool_maxsize: int = DEFAULT_POOL_MAXSIZE,
) -> tuple[Transport, bool]:
    """``(transport, owned)`` for a backend name (``"urllib3"``, ``"requests"``), an
    instance (borrowed: ``owned`` is false) or ``None`` (urllib3).

    ``ca_bundle``, ``verify`` and ``pool_maxsize`` configure a transport built by name; with an
    instance, configure the instance instead.
    """
    if spec is None:
        spec = "urllib3"
    if not isinstance(spec, str):
        if not isinstance(spec, Transport):
            raise TypeError(f"transport must be a name or a Transport, not {type(spec).__name__}")
        if ca_bundle is not None or not verify or pool_maxsize != DEFAULT_POOL_MAXSIZE:
            raise ValueError(
                "ca_bundle/verify/pool_maxsize configure a transport built by name; "
                "pass them to the transport instance instead"
            )
        return spec, False
    if spec not in TRANSPORTS:
        raise ValueError(f"unknown transport {spec!r}; choose one of {sorted(TRANSPORTS)}")
    module_name, class_name = TRANSPORTS[spec]
    cls = getattr(importlib.import_module(module_name), class_name)
    transport: Transport = cls(ca_bundle=ca_bundle, verify=verify, pool_maxsize=pool_maxsize)
    return transport, True


class TransportSender:
    """A :class:`selectel_auth.HttpSender` over a :class:`Transport`.

    Token requests then share the storage client's pool, TLS settings and timeouts.
    """

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def __repr__(self) -> str:
        return f"TransportSender({type(self._transport).__name__})"

    def __call__(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
    ) -> HttpReply:
        """Send one auth request; network failures raise ``selectel_auth.AuthTransportError``."""
        request = HttpRequest(method=method, url=url, headers=Headers(headers), body=body)
        try:
            response = self._transport.send(
                request, timeout=Timeout(connect=timeout, read=timeout), stream=True
            )
            try:
                parts: list[bytes] = []
                size = 0
                while size <= MAX_REPLY_BYTES and (part := response.read(64 * 1024)):
                    parts.append(part)
                    size += len(part)
                data = b"".join(parts)
            finally:
                response.close()
        except TransportError as exc:
            raise AuthTransportError(
                f"auth request to {safe_url(url)} failed: {exc}",
                retryable=not isinstance(exc, TlsError),  # a bad certificate does not heal
            ) from None
        if len(data) > MAX_REPLY_BYTES:
            raise AuthTransportError(
                f"{safe_url(url)} sent a reply over {MAX_REPLY_BYTES} bytes: is the auth URL right?"
            )
        lowered: dict[str, str] = {name.lower(): value for name, value in response.headers.items()}
        return HttpReply(status=response.status, headers=lowered, body=data)
