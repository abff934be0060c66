"""URLs and forms of :class:`~selectel_objects.Container`: offline once the storage URL is known."""

from __future__ import annotations

import math
import time
from datetime import datetime

from selectel_objects._client.large import LargeMethods
from selectel_objects._features.formpost import FormPostForm, sign_form_post
from selectel_objects._features.sendmefile import SendMeFileVariant, build_sendmefile_link
from selectel_objects._features.tempurl import sign_temp_url
from selectel_objects._protocol._generated.models import (
    PutResult,
)
from selectel_objects._protocol.names import (
    check_object_name,
    quote_container,
    quote_object,
)
from selectel_objects.errors import (
    ObjectStorageError,
)

__all__ = ["UrlMethods"]


def _expires(expires_in: float | None, expires_at: int | datetime | None) -> int:
    if (expires_in is None) == (expires_at is None):
        raise ValueError("give expires_in (seconds from now) or expires_at, not both or neither")
    if expires_at is not None:
        return int(expires_at.timestamp()) if isinstance(expires_at, datetime) else expires_at
    assert expires_in is not None
    if expires_in <= 0:
        raise ValueError(f"expires_in must be > 0 seconds, not {expires_in!r}")
    return math.ceil(time.time() + expires_in)


class UrlMethods(LargeMethods):
    """Public URLs, TempURLs, FormPost forms and sendmefile links: made without a request
    once the storage URL is known."""

    def public_url(self, name: str) -> str:
        """The anonymous URL of object ``name``.

        With ``public_base_url`` (given to :meth:`ObjectStorage.container`):
        ``<public_base_url>/<name>``; otherwise ``<storage_url>/<container>/<name>``, which
        serves anonymous readers once the container is public (``read_acl=".r:*"`` or
        Selectel's ``container_type="public"``). Offline once the storage URL is known.
        """
        if self._public_base_url is not None:
            return f"{self._public_base_url}/{quote_object(check_object_name(name))}"
        return self._object_url(name)

    # -- signed URLs and forms (offline once the storage URL is known) -----------------------

    def _offline_url(self) -> str:
        """``<storage_url>/<container>``, built without a request."""
        base = self._pipeline.known_storage_url()
        if base is None:
            raise ObjectStorageError(
                "the storage URL is not known yet (no request has been made): pass "
                "storage_url= to ObjectStorage, or public_base_url= to container() for "
                "public URLs"
            )
        return f"{base}/{quote_container(self._name)}"

    def _object_url(self, name: str) -> str:
        check_object_name(name)
        return f"{self._offline_url()}/{quote_object(name)}"

    def temp_url(
        self,
        name: str,
        *,
        key: str | bytes,
        expires_in: float | None = None,
        expires_at: int | datetime | None = None,
        method: str = "GET",
        digest: str = "sha256",
        filename: str | None = None,
        inline: bool = False,
        ip_range: str | None = None,
    ) -> str:
        """A TempURL: anyone holding it may ``method`` the object until it expires.

        ``key`` is the account's (or this container's) Temp-URL key (see
        :meth:`ObjectStorage.set_account_metadata`). Give ``expires_in`` seconds or
        ``expires_at`` (Unix time or aware datetime). ``digest`` must be one the cluster allows
        (``storage.info()["tempurl"]["allowed_digests"]``). ``filename`` makes a download an
        attachment of that name, ``inline`` shows it in the browser; ``ip_range`` limits the
        clients. No request is made once the storage URL is known.
        """
        return sign_temp_url(
            method=method,
            url_or_path=self._object_url(name),
            key=key,
            expires=_expires(expires_in, expires_at),
            digest=digest,
            filename=filename,
            inline=inline,
            ip_range=ip_range,
        )

    def form_post(
        self,
        *,
        key: str | bytes,
        max_file_size: int,
        max_file_count: int = 1,
        prefix: str = "",
        expires_in: float | None = None,
        expires_at: int | datetime | None = None,
        redirect: str | None = None,
        digest: str = "sha256",
        delete_after: int | None = None,
    ) -> FormPostForm:
        """A signed browser upload form (Swift FormPost): POST ``multipart/form-data`` with
        ``form.fields`` (before the file fields) to ``form.action``. Files are stored as
        ``<prefix><filename>``. ``key`` is a Temp-URL key; see :meth:`temp_url` for expiry."""
        action = self._offline_url()
        if prefix:
            action += "/" + quote_object(check_object_name(prefix))
        return sign_form_post(
            url_or_path=action,
            key=key,
            expires=_expires(expires_in, expires_at),
            max_file_size=max_file_size,
            max_file_count=max_file_count,
            redirect=redirect,
            digest=digest,
            x_delete_after=delete_after,
        )

    def create_sendmefile_link(
        self,
        name: str,
        *,
        variant: SendMeFileVariant = "plain",
        disable_web: bool | None = None,
        max_size: int | None = None,
        allow_overwrite: bool | None = None,
        default_expire: int | None = None,
        expire: int | None = None,
        delete_at: int | None = None,
        ignore_filename: bool | None = None,
        password: str | bytes | None = None,
        help_text: str | None = None,
    ) -> PutResult:
        """Create a Selectel *sendmefile* upload link at ``name`` (legacy storage only):
        anyone may then PUT files to :meth:`public_url` of ``name``.

        Options left as ``None`` are not sent (the service default applies): ``disable_web``
        turns off the web upload form; ``max_size`` caps an upload; ``allow_overwrite`` lets
        uploads replace objects; ``default_expire`` and ``expire`` are seconds (at least
        3600); ``delete_at`` is a Unix time; ``ignore_filename`` ignores the uploader's file
        name; ``password`` protects the link (only its SHA-1 is sent); ``help_text`` is shown
        on the web form."""
        headers, body = build_sendmefile_link(
            variant=variant,
            disable_web=disable_web,
            max_size=max_size,
            allow_overwrite=allow_overwrite,
            default_expire=default_expire,
            expire=expire,
            delete_at=delete_at,
            ignore_filename=ignore_filename,
            password=password,
            help_text=help_text,
        )
        content_type = headers.pop("Content-Type")
        return self.put_object(name, body, content_type=content_type, headers=headers)
