"""Sending one operation: token, transport, 401 re-authentication, retries, typed errors."""

from __future__ import annotations

import html
import logging
import re
import time
from collections.abc import Mapping
from http import HTTPStatus

from selectel_auth import AccessToken, TokenCredential

from selectel_objects._pipeline.body import BodySourceError, UploadBody
from selectel_objects._pipeline.retry import RetryPolicy, parse_retry_after
from selectel_objects._protocol._generated.errors import error_class
from selectel_objects._protocol.codec import first_header
from selectel_objects._protocol.http import HttpRequest, HttpResponse, Timeout
from selectel_objects._transports.seam import Transport, safe_url
from selectel_objects.errors import (
    AuthorizationError,
    ConnectError,
    NotRewindableError,
    ObjectStorageError,
    ReadError,
    TransportError,
)

__all__ = ["Pipeline", "request_id_of"]

logger = logging.getLogger("selectel_objects")


def request_id_of(headers: Mapping[str, str]) -> str | None:
    """Swift's id for a request, which support asks for."""
    return first_header(headers, "X-Openstack-Request-Id", "X-Trans-Id")


def _excerpt(body: bytes) -> str:
    # Swift's error pages are tiny HTML documents; keep their words only.
    text = html.unescape(re.sub(r"<[^>]*>", " ", body.decode("utf-8", "replace")))
    text = " ".join(text.split())
    return text if len(text) <= 200 else f"{text[:200]}..."


# A 403 comes with a valid token: the user lacks a role (Swift only says "Access was denied").
_FORBIDDEN_HINT = (
    " (the token is valid but its user lacks the role for this: a Keystone user needs an "
    "operator role on the project, such as member, and the reader role alone is refused; "
    "a v1 user needs .admin on the account or a container ACL that names it)"
)


class Pipeline:
    """Runs requests for one client; stateless apart from the transport, so thread-safe."""

    def __init__(
        self,
        transport: Transport,
        credential: TokenCredential,
        *,
        timeout: Timeout,
        retry: RetryPolicy,
        user_agent: str,
        storage_url: str | None = None,
    ) -> None:
        self.transport = transport
        #: ``storage_url=`` as the caller gave it: where requests go whatever a token says.
        self.storage_url_override = storage_url.rstrip("/") if storage_url else None
        #: Where the last token used sent requests, so URLs can be built without a request.
        self.last_token_storage_url: str | None = None
        self.credential = credential
        self.timeout = timeout
        self.retry = retry
        self._user_agent = user_agent

    def token(self) -> tuple[AccessToken, str]:
        """A token and the storage URL to send to (the override, else the token's)."""
        token = self.credential.get_token()
        url = self.storage_url_override or (token.storage_url or "").rstrip("/")
        if not url:
            raise ObjectStorageError(
                "the credential gave a token without a storage URL; "
                "pass storage_url= to ObjectStorage (or SELECTEL_STORAGE_URL)"
            )
        self.last_token_storage_url = url
        return token, url

    def known_storage_url(self) -> str | None:
        """Where requests go, if that is known without a request: the override, else the
        last token's URL, else ``None``. Never authenticates."""
        return self.storage_url_override or self.last_token_storage_url

    def send(
        self,
        request: HttpRequest,
        *,
        body: UploadBody | None = None,
        stream: bool = False,
        errors: Mapping[int, type[ObjectStorageError]] | None = None,
        ok_after_retry: frozenset[int] = frozenset(),
    ) -> HttpResponse:
        """Send ``request`` (its URL relative to the account's) until it succeeds or must fail.

        ``body`` is attached per attempt and must be replayable for a retry. The answer has
        a success status of the request (or one of ``ok_after_retry`` once a retry happened:
        a DELETE whose first attempt went through finds nothing the second time).
        ``stream=False`` answers are read. ``errors`` overrides the generated
        status -> exception table.
        """
        retries = 0
        reauthenticated = False
        while True:
            token, storage_url = self.token()
            sent = HttpRequest(
                method=request.method,
                url=request.at(storage_url),
                headers=request.headers.merged(
                    {"X-Auth-Token": token.token, "User-Agent": self._user_agent}
                ),
                body=body.payload() if body is not None else None,
                expected=request.expected,
                operation=request.operation,
            )
            started = time.monotonic()
            try:
                response = self.transport.send(sent, timeout=self.timeout, stream=stream)
            except BodySourceError as exc:
                raise exc.original from None
            except TransportError as exc:
                self._log(sent, None, started, exc)
                # Every Swift operation is idempotent (PUT replaces, POST sets, DELETE deletes),
                # so "sent, outcome unknown" is retried like "not sent" -- if the body allows.
                if not isinstance(exc, ConnectError | ReadError):
                    raise
                self._check_replayable(body, exc)
                retries += 1
                if not self.retry.wait(retries):
                    raise
                continue
            self._log(sent, response, started, None)
            status = response.status

            if status == 401 and not reauthenticated:
                reauthenticated = True
                if self.credential.invalidate(token):
                    error = self._error(sent, response, errors)
                    self._check_replayable(body, error)
                    continue
            if status in request.expected or (retries and status in ok_after_retry):
                return response
            error = self._error(sent, response, errors)
            if status not in self.retry.statuses:
                raise error
            self._check_replayable(body, error)
            retries += 1
            if not self.retry.wait(retries, error.retry_after):
                raise error

    @staticmethod
    def _check_replayable(body: UploadBody | None, cause: BaseException) -> None:
        if body is not None and not body.replayable:
            raise NotRewindableError(
                f"cannot retry ({cause}): the upload body is a one-shot stream and part of it "
                "was sent; pass bytes or a seekable file to allow retries",
                cause=cause,
            ) from cause

    def _error(
        self,
        request: HttpRequest,
        response: HttpResponse,
        errors: Mapping[int, type[ObjectStorageError]] | None,
    ) -> ObjectStorageError:
        """The typed error for an unsuccessful answer (its body is read and released)."""
        status = response.status
        try:
            excerpt = _excerpt(response.read(4096)) if request.method != "HEAD" else ""
        except TransportError:
            excerpt = ""
        finally:
            response.close()
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Unknown"
        message = f"{request.method} {safe_url(request.url)}: {status} {phrase}"
        if excerpt and excerpt.lower() != phrase.lower():
            message += f": {excerpt}"
        cls = (errors or {}).get(status) or error_class(status)
        if status == 401 and cls is AuthorizationError:
            message += " (the token was refused even after re-authenticating)"
        elif status == 403 and cls is AuthorizationError:
            message += _FORBIDDEN_HINT
        return cls(
            message,
            status=status,
            request_id=request_id_of(response.headers),
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )

    @staticmethod
    def _log(
        request: HttpRequest,
        response: HttpResponse | None,
        started: float,
        failure: TransportError | None,
    ) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        elapsed = time.monotonic() - started
        if response is None:
            logger.debug(
                "%s %s failed after %.3fs: %s", request.method, request.url, elapsed, failure
            )
        else:
            logger.debug(
                "%s %s -> %d in %.3fs (request id %s)",
                request.method,
                request.url,
                response.status,
                elapsed,
                request_id_of(response.headers),
            )
