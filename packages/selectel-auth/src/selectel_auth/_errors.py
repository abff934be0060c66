"""Typed errors. Messages say what to fix and never carry a password, key or token."""

from __future__ import annotations

__all__ = [
    "AuthConfigError",
    "AuthError",
    "AuthServiceError",
    "AuthTransportError",
    "InvalidCredentialsError",
]


class AuthError(Exception):
    """Base of every selectel-auth error. ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthConfigError(AuthError, ValueError):
    """Missing or contradictory settings; the message names the setting or variable."""


class InvalidCredentialsError(AuthError):
    """The auth service refused the credentials (401/403). Retrying will not help."""


class AuthServiceError(AuthError):
    """The auth service failed (5xx, 429) or answered something unusable.

    That covers malformed replies, a missing token, and a catalog without the wanted endpoint.
    ``retry_after`` carries the server's ``Retry-After`` in seconds when it sent one.
    """

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class AuthTransportError(AuthError):
    """The auth request did not complete: connection refused or reset, timeout, TLS failure.

    ``retryable`` is false for failures that cannot heal by trying again, such as a
    certificate that is not trusted or does not match the host.
    """

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = True) -> None:
        super().__init__(message, status=status)
        self.retryable = retryable
