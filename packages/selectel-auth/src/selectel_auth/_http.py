"""The default :class:`HttpSender` on ``urllib.request``, and log redaction helpers."""

from __future__ import annotations

import datetime
import email.message
import email.utils
import http.client
import logging
import os
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Mapping

from selectel_auth._errors import AuthConfigError, AuthServiceError, AuthTransportError
from selectel_auth._types import HttpReply, _mask

__all__ = ["MAX_REPLY_BYTES", "UrllibSender", "parse_retry_after", "redact_headers", "safe_url"]

logger = logging.getLogger("selectel_auth")

#: The largest auth reply a sender reads. Auth replies are a few KiB (a big catalog tens of
#: KiB); anything far larger is not an auth reply.
MAX_REPLY_BYTES = 8 * 1024 * 1024

_SECRET_HEADERS = frozenset(
    {
        "authorization",
        "x-auth-key",
        "x-auth-token",
        "x-storage-pass",
        "x-storage-token",
        "x-subject-token",
    }
)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` fit for a log line: secret values masked."""
    return {k: (_mask(v) if k.lower() in _SECRET_HEADERS else v) for k, v in headers.items()}


def safe_url(url: str) -> str:
    """``url`` without user info, query or fragment, for messages and logs."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (seconds or an HTTP date), or ``None``.

    A date without a zone is taken as UTC; a moment already past gives 0.
    """
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return max(0.0, when.timestamp() - now())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirected auth request would carry the password to wherever the Location points.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _ssl_context(verify: bool | str | os.PathLike[str]) -> ssl.SSLContext:
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if verify is True:
        return ssl.create_default_context()
    try:
        return ssl.create_default_context(cafile=os.fspath(verify))
    except (OSError, ssl.SSLError) as exc:
        raise AuthConfigError(
            f"verify: cannot load the CA bundle {os.fspath(verify)!r} ({exc.__class__.__name__}); "
            "give the path of a PEM file (CLI: --cacert)"
        ) from exc


class UrllibSender:
    """Sends auth requests with ``urllib.request``: TLS verified, no redirects, env proxies.

    ``verify`` is ``True`` (system CAs), a CA bundle path, or ``False`` (no verification; warns).
    """

    def __init__(self, verify: bool | str | os.PathLike[str] = True) -> None:
        if verify is False:
            warnings.warn(
                "selectel_auth: TLS verification is off (verify=False); the password can be "
                "stolen by anyone on the path. Pass verify='path/to/ca.pem' instead.",
                UserWarning,
                stacklevel=3,
            )
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=_ssl_context(verify)), _NoRedirect()
        )

    def __repr__(self) -> str:
        return "UrllibSender()"

    def __call__(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
    ) -> HttpReply:
        """Send one request and return the whole reply, whatever its status."""
        if not url.startswith(("https://", "http://")):
            raise AuthTransportError(f"auth URLs are http(s) URLs, not {safe_url(url)!r}")
        # S310: the scheme is checked just above, so no file: or custom-scheme opener runs.
        request = urllib.request.Request(  # noqa: S310
            url, data=body, headers={"User-Agent": "selectel-auth", **headers}, method=method
        )
        try:
            try:
                with self._opener.open(request, timeout=timeout) as response:
                    return HttpReply(
                        response.status, _lower(response.headers), _read_capped(response, url)
                    )
            except urllib.error.HTTPError as exc:
                with exc:
                    return HttpReply(exc.code, _lower(exc.headers), _read_capped(exc, url))
        except urllib.error.URLError as exc:
            raise AuthTransportError(
                _describe(url, exc.reason), retryable=not _untrusted(exc.reason)
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            raise AuthTransportError(_describe(url, exc), retryable=not _untrusted(exc)) from None


def _lower(headers: email.message.Message[str, str] | None) -> dict[str, str]:
    result: dict[str, str] = {}
    for name, value in headers.items() if headers is not None else ():
        key = name.lower()
        result[key] = f"{result[key]}, {value}" if key in result else value
    return result


def _read_capped(response: http.client.HTTPResponse | urllib.error.HTTPError, url: str) -> bytes:
    data = response.read(MAX_REPLY_BYTES + 1)
    if len(data) > MAX_REPLY_BYTES:
        raise AuthServiceError(
            f"{safe_url(url)} sent a reply over {MAX_REPLY_BYTES} bytes: is the auth URL right?"
        )
    return data


def _untrusted(reason: object) -> bool:
    # A certificate the CA bundle does not vouch for stays untrusted however often we ask.
    return isinstance(reason, ssl.SSLCertVerificationError)


def _describe(url: str, reason: object) -> str:
    if isinstance(reason, TimeoutError):
        what = "timed out (raise timeout= if the network is slow)"
    elif isinstance(reason, ssl.SSLCertVerificationError):
        what = f"TLS certificate not trusted ({reason.verify_message}); pass verify='ca.pem'"
    elif isinstance(reason, ssl.SSLError):
        what = f"TLS failed ({reason.reason or reason})"
    elif isinstance(reason, BaseException):
        what = (
            f"{reason.__class__.__name__}: {reason}" if str(reason) else reason.__class__.__name__
        )
    else:
        what = str(reason)
    return f"auth request to {safe_url(url)} failed: {what}"
