"""The account client, :class:`ObjectStorage`: construction, account operations, listings."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from importlib import metadata
from types import TracebackType
from typing import TYPE_CHECKING, Any

from selectel_auth import HttpSender, TokenCredential

from selectel_objects._client.containers import bulk_delete
from selectel_objects._client.listing import MAX_PAGE_SIZE, listing
from selectel_objects._client.urls import UrlMethods
from selectel_objects._features.bulk import BulkDeleteResult
from selectel_objects._pipeline.pipeline import Pipeline
from selectel_objects._pipeline.retry import RetryPolicy
from selectel_objects._protocol._generated import operations as ops
from selectel_objects._protocol._generated.models import AccountInfo, ContainerEntry
from selectel_objects._protocol.http import Timeout
from selectel_objects._transports.seam import (
    DEFAULT_POOL_MAXSIZE,
    Transport,
    TransportSender,
    get_transport,
)

if TYPE_CHECKING:
    from typing import Self

__all__ = ["Container", "ObjectStorage"]


#: Sent with every request; the version is the installed distribution's.
USER_AGENT = f"selectel-objects/{metadata.version('selectel-objects')}"


class ObjectStorage:
    """A client for one Swift account (a Selectel project's object storage).

    Thread-safe: share one instance between threads. It owns a connection pool; call
    :meth:`close` (or use it as a context manager) when done.

    Args:
        credential: Anything with ``get_token()`` / ``invalidate(token)``
            (:class:`selectel_auth.TokenCredential`). To send token requests through this
            client's transport, build it with :meth:`from_env`, :meth:`keystone` or
            :meth:`swift_v1` instead.
        transport: ``"urllib3"`` (default), ``"requests"`` (extra
            ``selectel-objects[requests]``) or a :class:`Transport` instance (borrowed: never
            closed by this client).
        timeout: Connect and read timeouts: a :class:`Timeout`, or seconds for both.
        retry: A :class:`RetryPolicy`; ``RetryPolicy(total=0)`` disables retries.
        ca_bundle: A PEM file of CAs to trust instead of the system's.
        verify: ``False`` disables TLS verification (test setups only).
        pool_maxsize: Connections kept per host (size it to your thread count).
        storage_url: The account URL (``https://.../v1/<account>``) to use for requests and
            URLs instead of the one that comes with the token; with it,
            :meth:`Container.public_url`, :meth:`Container.temp_url` and
            :meth:`Container.form_post` work before any request.
    """

    def __init__(
        self,
        credential: TokenCredential,
        *,
        transport: str | Transport | None = None,
        timeout: Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        ca_bundle: str | os.PathLike[str] | None = None,
        verify: bool = True,
        pool_maxsize: int = DEFAULT_POOL_MAXSIZE,
        storage_url: str | None = None,
    ) -> None:
        self._start(
            lambda _sender: credential,
            transport=transport,
            timeout=timeout,
            retry=retry,
            ca_bundle=ca_bundle,
            verify=verify,
            pool_maxsize=pool_maxsize,
            storage_url=storage_url,
        )

    def _start(
        self,
        make_credential: Callable[[HttpSender], TokenCredential],
        *,
        transport: str | Transport | None = None,
        timeout: Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        ca_bundle: str | os.PathLike[str] | None = None,
        verify: bool = True,
        pool_maxsize: int = DEFAULT_POOL_MAXSIZE,
        storage_url: str | None = None,
    ) -> None:
        """The one way a client is set up: its transport, then the credential
        (``make_credential`` gets a sender over that transport), then the pipeline."""
        if storage_url is not None and not storage_url.startswith(("https://", "http://")):
            raise ValueError("storage_url must be an http(s):// URL")
        built, owned = get_transport(
            transport, ca_bundle=ca_bundle, verify=verify, pool_maxsize=pool_maxsize
        )
        try:
            credential = make_credential(TransportSender(built))
            if not isinstance(credential, TokenCredential):
                raise TypeError(
                    "credential must have get_token() and invalidate(), "
                    f"not {type(credential).__name__}"
                )
        except BaseException:
            if owned:
                built.close()
            raise
        self._owns_transport = owned
        self._pipeline = Pipeline(
            built,
            credential,
            timeout=Timeout.of(timeout),
            retry=retry if retry is not None else RetryPolicy(),
            user_agent=USER_AGENT,
            storage_url=storage_url,
        )

    @classmethod
    def _with_sender(
        cls,
        make_credential: Callable[[HttpSender], TokenCredential],
        *,
        transport: str | Transport | None = None,
        timeout: Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        ca_bundle: str | os.PathLike[str] | None = None,
        verify: bool = True,
        pool_maxsize: int = DEFAULT_POOL_MAXSIZE,
        storage_url: str | None = None,
    ) -> ObjectStorage:
        storage = cls.__new__(cls)
        storage._start(
            make_credential,
            transport=transport,
            timeout=timeout,
            retry=retry,
            ca_bundle=ca_bundle,
            verify=verify,
            pool_maxsize=pool_maxsize,
            storage_url=storage_url,
        )
        return storage

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        transport: str | Transport | None = None,
        timeout: Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        ca_bundle: str | os.PathLike[str] | None = None,
        verify: bool = True,
        pool_maxsize: int = DEFAULT_POOL_MAXSIZE,
        storage_url: str | None = None,
        **credential_options: Any,
    ) -> ObjectStorage:
        """A client configured by ``SELECTEL_*`` variables (see
        :func:`selectel_auth.credential_from_env`); token requests use this client's transport.

        The client options are the constructor's; ``storage_url`` (default
        ``SELECTEL_STORAGE_URL``) is given to the credential too. ``credential_options``
        override variables and configure the credential (``cache``, ``refresh_margin``, ...).
        """
        from selectel_auth import credential_from_env  # noqa: PLC0415 - keeps import light

        if storage_url is None:
            env = os.environ if environ is None else environ
            storage_url = env.get("SELECTEL_STORAGE_URL") or None
        with_url = _with_storage_url(credential_options, storage_url)
        return cls._with_sender(
            lambda sender: credential_from_env(environ, sender=sender, **with_url),
            transport=transport,
            timeout=timeout,
            retry=retry,
            ca_bundle=ca_bundle,
            verify=verify,
            pool_maxsize=pool_maxsize,
            storage_url=storage_url,
        )

    @classmethod
    def keystone(
        cls,
        *,
        transport: str | Transport | None = None,
        timeout: Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        ca_bundle: str | os.PathLike[str] | None = None,
        verify: bool = True,
        pool_maxsize: int = DEFAULT_POOL_MAXSIZE,
        storage_url: str | None = None,
        **credential_options: Any,
    ) -> ObjectStorage:
        """A client authenticated by Keystone v3 (:class:`selectel_auth.KeystoneCredential`:
        ``username``, ``password``, ``account_id``, ``project_name`` / ``project_id``, ...);
        token requests use this client's transport. Client options as for :meth:`from_env`."""
        from selectel_auth import KeystoneCredential  # noqa: PLC0415

        with_url = _with_storage_url(credential_options, storage_url)
        return cls._with_sender(
            lambda sender: KeystoneCredential(sender=sender, **with_url),
            transport=transport,
            timeout=timeout,
            retry=retry,
            ca_bundle=ca_bundle,
            verify=verify,
            pool_maxsize=pool_maxsize,
            storage_url=storage_url,
        )

    @classmethod
    def swift_v1(
        cls,
        *,
        transport: str | Transport | None = None,
        timeout: Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        ca_bundle: str | os.PathLike[str] | None = None,
        verify: bool = True,
        pool_maxsize: int = DEFAULT_POOL_MAXSIZE,
        storage_url: str | None = None,
        **credential_options: Any,
    ) -> ObjectStorage:
        """A client authenticated by legacy Swift v1 auth (:class:`selectel_auth.SwiftV1Credential`:
        ``user``, ``key``, ``auth_url``); token requests use this client's transport. Client
        options as for :meth:`from_env`."""
        from selectel_auth import SwiftV1Credential  # noqa: PLC0415

        with_url = _with_storage_url(credential_options, storage_url)
        return cls._with_sender(
            lambda sender: SwiftV1Credential(sender=sender, **with_url),
            transport=transport,
            timeout=timeout,
            retry=retry,
            ca_bundle=ca_bundle,
            verify=verify,
            pool_maxsize=pool_maxsize,
            storage_url=storage_url,
        )

    def __repr__(self) -> str:
        return f"ObjectStorage(transport={self._pipeline.transport!r})"

    def __enter__(self) -> ObjectStorage:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool (unless the transport was borrowed)."""
        if self._owns_transport:
            self._pipeline.transport.close()

    @property
    def credential(self) -> TokenCredential:
        """The credential tokens come from."""
        return self._pipeline.credential

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy."""
        return self._pipeline.retry

    @property
    def storage_url(self) -> str:
        """The account URL (``https://.../v1/<account>``); authenticates when not known.

        See :attr:`known_storage_url` for the variant that never makes a request.
        """
        return self.known_storage_url or self._pipeline.token()[1]

    @property
    def known_storage_url(self) -> str | None:
        """The account URL if known without a request, else ``None``: the ``storage_url``
        given to the constructor, else the URL of the last token used. Never authenticates."""
        return self._pipeline.known_storage_url()

    def container(self, name: str, *, public_base_url: str | None = None) -> Container:
        """A client for container ``name``; no request is made.

        ``public_base_url`` is where its objects are served anonymously (e.g. Selectel's
        ``https://<uuid>.selstorage.ru``); :meth:`Container.public_url` uses it.
        """
        return Container(self, name, public_base_url=public_base_url)

    def account_info(self) -> AccountInfo:
        """Totals and metadata of the account."""
        response = self._pipeline.send(ops.build_head_account_request())
        return ops.parse_head_account_response(response.headers)

    def set_account_metadata(
        self,
        metadata: Mapping[str, str | None] | None = None,
        *,
        temp_url_key: str | None = None,
        temp_url_key_2: str | None = None,
    ) -> None:
        """Set account metadata keys (``None`` removes one; others are kept) and TempURL keys."""
        self._pipeline.send(
            ops.build_post_account_request(
                ops.PostAccountOptions(
                    metadata=metadata, temp_url_key=temp_url_key, temp_url_key_2=temp_url_key_2
                )
            )
        )

    def list_containers(
        self,
        *,
        prefix: str | None = None,
        marker: str | None = None,
        end_marker: str | None = None,
        reverse: bool = False,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[ContainerEntry]:
        """The account's containers in name order, fetched lazily ``page_size`` at a time."""
        return listing(
            self._pipeline,
            lambda after: ops.build_list_containers_request(
                ops.ListContainersOptions(
                    limit=page_size,
                    marker=after,
                    end_marker=end_marker,
                    prefix=prefix,
                    reverse=reverse,
                )
            ),
            ops.parse_list_containers_response,
            marker=marker,
            page_size=page_size,
        )

    def info(self) -> dict[str, Any]:
        """The cluster's capabilities (``GET /info``): limits, middleware, TempURL digests."""
        response = self._pipeline.send(ops.build_get_info_request())
        return ops.parse_get_info_response(response.read())

    def bulk_delete(self, items: Iterable[tuple[str, str | None]]) -> BulkDeleteResult:
        """Delete many objects (and empty containers) with few requests (``?bulk-delete``).

        ``items`` are ``(container, object name)`` pairs, or ``(container, None)`` to delete an
        (empty) container; they are sent 10 000 per request, read lazily. Missing objects
        count as ``not_found``, not as errors. The result sums every request; check
        ``result.ok`` and ``result.errors``. A name Swift cannot store raises
        :class:`InvalidNameError` before its batch is sent.
        """
        return bulk_delete(self._pipeline, items)


def _with_storage_url(options: dict[str, Any], storage_url: str | None) -> dict[str, Any]:
    # The credential takes the override too: a static token, for one, needs it.
    return options if storage_url is None else {**options, "storage_url": storage_url}


class Container(UrlMethods):
    """A client for one container; get it from :meth:`ObjectStorage.container`.

    Cheap to create, shares its storage's connection pool, thread-safe. Its methods come in
    layers, one concern per module: the container (``containers``), objects (``objects``),
    copies and metadata (``metadata``), large objects (``large``), URLs and forms (``urls``).
    """

    def __init__(
        self, storage: ObjectStorage, name: str, *, public_base_url: str | None = None
    ) -> None:
        super().__init__(storage._pipeline, name, public_base_url=public_base_url)
        self._storage = storage

    @property
    def storage(self) -> ObjectStorage:
        """The account client this container belongs to."""
        return self._storage

    def _sibling(self, name: str) -> Self:
        return type(self)(self._storage, name)
