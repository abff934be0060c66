"""The URL side of a storage: public and signed URLs, upload forms, sendmefile links.

None of these makes a request except :meth:`UrlMethods.sendmefile_link` (the link is an
object). Direct browser uploads build on :meth:`UrlMethods.signed_url` (``method="PUT"``) and
:meth:`UrlMethods.upload_form`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from django.core.exceptions import ImproperlyConfigured
from selectel_objects import Container, FormPostForm, ObjectStorage, SendMeFileVariant

if TYPE_CHECKING:
    from django_selectel._config import StorageConfig

__all__ = ["UrlMethods"]

_METHODS: Final = frozenset({"GET", "HEAD", "PUT", "POST", "DELETE"})


class UrlMethods:
    """URL methods of :class:`~django_selectel.storages.SelectelStorage` (a mixin)."""

    if TYPE_CHECKING:
        _config: StorageConfig

        @property
        def client(self) -> ObjectStorage: ...

        def known_storage_url(self) -> str | None: ...

        def _locate(self, name: object) -> tuple[str, str, str]: ...

        def _prefix(self, path: object) -> tuple[str, str]: ...

        def _container(self, name: str) -> Container: ...

    def url(
        self,
        name: str | None,
        *,
        expire: int | None = None,
        inline: bool | None = None,
        filename: str | None = None,
        method: str | None = None,
    ) -> str:
        """The object's URL, built without any request.

        Public storages get the custom domain (``custom_domain``/``domains``) or the storage
        URL. Private ones (``public: False``) get a signed temporary URL (TempURL) valid for
        ``expire`` seconds (default ``url_expires``) for ``method`` (default GET); it opens in
        the browser (``inline``, default ``url_inline``) or downloads as an attachment, saved
        as ``filename`` when one is given. A public storage signs too when one of these
        options is given and it has a ``temp_url_key``.
        """
        _, container, object_name = self._locate(name)
        config = self._config
        per_call = expire is not None or inline is not None or filename is not None
        per_call = per_call or (method is not None and method.upper() != "GET")
        if not config.public or per_call:
            if config.public and not config.temp_url_key:
                raise ValueError(
                    "url() options (expire, inline, filename, method) need a signed URL, and "
                    "this public storage has no 'temp_url_key' to sign with"
                )
            return self.signed_url(
                name or "",
                method=method or "GET",
                expires_in=expire,
                filename=filename,
                inline=config.url_inline if inline is None else inline,
            )
        domain = config.domain_for(container)
        if domain:
            return self.client.container(container, public_base_url=domain).public_url(object_name)
        return self._offline(container).public_url(object_name)

    def signed_url(
        self,
        name: str,
        *,
        method: str = "GET",
        expires_in: int | None = None,
        filename: str | None = None,
        inline: bool = False,
    ) -> str:
        """A TempURL for ``name``: GET for private downloads, PUT for direct browser uploads.

        Needs ``temp_url_key`` (the account or container ``Temp-URL-Key``); valid for
        ``expires_in`` seconds (default ``url_expires``). ``inline`` shows the file in the
        browser; otherwise it downloads as an attachment (as ``filename`` if given). No
        request is made.
        """
        if method.upper() not in _METHODS:
            raise ValueError(f"method must be one of {sorted(_METHODS)}, not {method!r}")
        if expires_in is not None and (isinstance(expires_in, bool) or expires_in < 1):
            raise ValueError(f"expires_in must be at least 1 second, not {expires_in!r}")
        _, container, object_name = self._locate(name)
        key = self._temp_url_key()
        return self._offline(container).temp_url(
            object_name,
            key=key,
            expires_in=expires_in or self._config.url_expires,
            method=method.upper(),
            digest=self._config.temp_url_digest,
            filename=filename,
            inline=inline,
        )

    def upload_form(
        self,
        folder: str = "",
        *,
        max_file_size: int,
        max_file_count: int = 1,
        expires_in: int | None = None,
        redirect: str | None = None,
        delete_after: int | None = None,
    ) -> FormPostForm:
        """A signed FormPost form for direct browser uploads into ``folder`` (no request).

        POST ``multipart/form-data`` to ``form.action`` with ``form.fields`` as hidden fields
        *before* the file field(s); each file is stored as ``<folder>/<its file name>``. Needs
        ``temp_url_key``; valid for ``expires_in`` seconds (default ``url_expires``).
        """
        container, prefix = self._prefix(folder)
        key = self._temp_url_key()
        return self._offline(container).form_post(
            key=key,
            max_file_size=max_file_size,
            max_file_count=max_file_count,
            prefix=prefix,
            expires_in=expires_in or self._config.url_expires,
            redirect=redirect,
            digest=self._config.temp_url_digest,
            delete_after=delete_after,
        )

    def sendmefile_link(
        self,
        name: str,
        *,
        variant: SendMeFileVariant = "inplace",
        disable_web: bool | None = None,
        max_size: int | None = None,
        allow_overwrite: bool | None = None,
        default_expire: int | None = None,
        expire: int | None = None,
        delete_at: int | None = None,
        ignore_filename: bool | None = None,
        password: str | None = None,
        help_text: str | None = None,
    ) -> str:
        """Create a Selectel *sendmefile* link (legacy storage only) and return its URL.

        Anyone may then ``PUT`` a file to the URL (with ``X-Filename``), without
        credentials; ``variant`` ``"inplace"`` stores exactly one file under ``name``.
        Costs one request (the link is an object). Options as in
        :meth:`selectel_objects.Container.create_sendmefile_link`.
        """
        _, container, object_name = self._locate(name)
        self._container(container).create_sendmefile_link(
            object_name,
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
        return self._offline(container).public_url(object_name)

    def _temp_url_key(self) -> str:
        if not self._config.temp_url_key:
            raise ImproperlyConfigured(
                "signed URLs need the 'temp_url_key' option (the Temp-URL-Key set on the "
                "account or container)"
            )
        return self._config.temp_url_key

    def _offline(self, container: str) -> Container:
        """A client for ``container`` that builds URLs and signatures, and never sends."""
        if self.known_storage_url() is None:
            raise ImproperlyConfigured(
                "url() makes no request, and the storage URL is not known yet (no request has "
                "been made): set the 'storage_url' option, or 'custom_domain'/'domains' for "
                "public files"
            )
        return self.client.container(container)
