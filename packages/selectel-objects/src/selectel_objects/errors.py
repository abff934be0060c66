"""Typed errors of selectel-objects.

Every error derives from :class:`ObjectStorageError`. Errors that come from an HTTP answer carry
``status`` and ``request_id`` (Swift's ``X-Openstack-Request-Id`` / ``X-Trans-Id``, which support
asks for); messages never carry a token, key or password.

Which HTTP status raises which class is fixed in ``api/swift.toml`` (``[errors]``) and generated
into ``selectel_objects._protocol._generated.errors``.
"""

from __future__ import annotations

__all__ = [
    "AlreadyExistsError",
    "AuthorizationError",
    "ChecksumMismatchError",
    "ConflictError",
    "ConnectError",
    "ConnectTimeout",
    "InvalidNameError",
    "NotFoundError",
    "NotModifiedError",
    "NotRewindableError",
    "ObjectStorageError",
    "PreconditionFailedError",
    "RangeNotSatisfiableError",
    "RateLimitedError",
    "ReadError",
    "ReadTimeout",
    "ServerError",
    "TlsError",
    "TransportError",
]


class ObjectStorageError(Exception):
    """Base of every selectel-objects error.

    Raised as such for an HTTP status without a more specific class (e.g. 400, 411, 413).
    ``status`` is the HTTP status (``None`` when no answer was involved), ``request_id`` the
    server's request id when it sent one, ``retry_after`` the server's ``Retry-After`` in
    seconds when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id
        self.retry_after = retry_after

    def __str__(self) -> str:
        if self.request_id:
            return f"{self.message} (request id {self.request_id})"
        return self.message


class NotFoundError(ObjectStorageError):
    """404: the account, container or object does not exist."""


class ConflictError(ObjectStorageError):
    """409: e.g. deleting a container that is not empty."""


class PreconditionFailedError(ObjectStorageError):
    """412: an ``If-Match`` / ``If-Unmodified-Since`` / ``If-None-Match: *`` condition failed."""


class AlreadyExistsError(PreconditionFailedError):
    """A create-only operation found the object (or container) already there."""


class NotModifiedError(ObjectStorageError):
    """304: a conditional GET (``if_none_match`` / ``if_modified_since``) matched."""


class RangeNotSatisfiableError(ObjectStorageError):
    """416: the requested byte range is outside the object (or too many ranges)."""


class ChecksumMismatchError(ObjectStorageError):
    """The bytes do not match their MD5 ETag: 422 on upload, or a download that hashes wrong."""


class RateLimitedError(ObjectStorageError):
    """429 / 498: too many requests; ``retry_after`` says when to try again, if Swift said."""


class ServerError(ObjectStorageError):
    """5xx: the service failed; raised once the retries are spent."""


class AuthorizationError(ObjectStorageError):
    """401 / 403: the token was refused (even after one re-authentication) or lacks rights."""


class InvalidNameError(ObjectStorageError, ValueError):
    """A container or object name Swift cannot store; raised before any request is made."""


class NotRewindableError(ObjectStorageError):
    """A retry was needed but the upload body cannot be sent again.

    The body was a one-shot stream (an iterator or a non-seekable file) and part of it was
    already sent. ``__cause__`` (also ``cause``) is the error that asked for the retry. Pass
    bytes or a seekable file to get retries.
    """

    def __init__(self, message: str, *, cause: BaseException) -> None:
        status = getattr(cause, "status", None)
        request_id = getattr(cause, "request_id", None)
        super().__init__(message, status=status, request_id=request_id)
        self.cause = cause


class TransportError(ObjectStorageError):
    """The HTTP exchange itself failed (no usable answer)."""


class ConnectError(TransportError):
    """The request was not sent (connection refused, DNS failure): always safe to retry."""


class ConnectTimeout(ConnectError):
    """Connecting took longer than the connect timeout; the request was not sent."""


class ReadError(TransportError):
    """The request was (maybe partly) sent and the answer failed: its outcome is unknown.

    Also raised when a download ends before ``Content-Length`` bytes arrived.
    """


class ReadTimeout(ReadError):
    """The server did not answer (or send more body) within the read timeout."""


class TlsError(TransportError):
    """TLS failed: certificate not trusted, hostname mismatch, handshake error. Not retried."""
