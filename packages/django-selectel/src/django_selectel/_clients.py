"""One lazily built client per configuration and process, shared by every storage instance.

Storages with the same connection settings (credentials, endpoints, transport, timeouts)
share one :class:`selectel_objects.ObjectStorage`, hence one token and one connection pool;
token requests go through the same transport. The process id is part of the key so that a
forked worker never reuses its parent's sockets.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from selectel_auth import (
    FileTokenCache,
    HttpSender,
    KeystoneCredential,
    StaticCredential,
    SwiftV1Credential,
    TokenCredential,
)
from selectel_objects import (
    ObjectStorage,
    RetryPolicy,
    Timeout,
    Transport,
    TransportSender,
    get_transport,
)

from django_selectel.token_cache import DjangoCacheTokenCache

if TYPE_CHECKING:
    from django_selectel._config import StorageConfig

__all__ = ["Client", "build_credential", "clear_clients", "get_client"]


@dataclass(frozen=True)
class Client:
    """A shared client: the object storage, its credential and its (owned) transport."""

    objects: ObjectStorage
    transport: Transport

    def create_container(self, name: str, *, public: bool = False) -> None:
        """Create container ``name`` (fine if it exists meanwhile).

        A ``public`` one gets the read ACL ``.r:*``, so that its public URLs answer anonymous
        readers.
        """
        acl = _PUBLIC_READ if public else None
        self.objects.container(name).create(exist_ok=True, read_acl=acl)

    def close(self) -> None:
        """Close the connection pool."""
        self.transport.close()


# Anyone may read objects (not list them): what url() of a public storage needs.
_PUBLIC_READ = ".r:*"
_lock = threading.Lock()
_clients: dict[tuple[int, str], Client] = {}


def build_credential(config: StorageConfig, sender: HttpSender | None = None) -> TokenCredential:
    """The selectel-auth credential a configuration describes (no request is made).

    Without a ``sender`` the credential uses selectel-auth's own HTTP client.
    """
    problem = config.missing_credentials()
    if problem is not None:
        raise ImproperlyConfigured(f"django-selectel: {problem}")
    if config.auth_version == "static":
        assert config.token is not None
        return StaticCredential(config.token, config.storage_url)
    options: dict[str, Any] = {}
    if sender is not None:
        options["sender"] = sender
    elif config.ca_bundle:
        options["verify"] = config.ca_bundle
    if config.token_cache:
        options["cache"] = FileTokenCache(config.token_cache)
    elif config.token_cache_alias:
        options["cache"] = DjangoCacheTokenCache(config.token_cache_alias)
    if config.refresh_margin is not None:
        options["refresh_margin"] = config.refresh_margin
    if config.timeout is not None:
        timeout = config.timeout
        options["timeout"] = max(timeout) if isinstance(timeout, tuple) else timeout
    assert config.auth_url is not None
    if config.auth_version == "1":
        assert config.user is not None and config.key is not None
        return SwiftV1Credential(
            user=config.user,
            key=config.key,
            auth_url=config.auth_url,
            storage_url=config.storage_url,
            **options,
        )
    assert config.username is not None and config.password is not None
    return KeystoneCredential(
        username=config.username,
        password=config.password,
        account_id=config.account_id,
        project_id=config.project_id,
        project_name=config.project_name,
        region=config.region,
        interface=config.interface,
        auth_url=config.auth_url,
        storage_url=config.storage_url,
        **options,
    )


def _build(config: StorageConfig) -> Client:
    pool: dict[str, Any] = {}
    if config.pool_maxsize:
        pool["pool_maxsize"] = config.pool_maxsize
    transport, _owned = get_transport(config.transport, ca_bundle=config.ca_bundle, **pool)
    try:
        credential = build_credential(config, TransportSender(transport))
        # Known without a request, so url() never authenticates.
        kwargs: dict[str, Any] = {"storage_url": config.known_storage_url()}
        if config.timeout is not None:
            timeout = config.timeout
            kwargs["timeout"] = (
                Timeout(connect=timeout[0], read=timeout[1])
                if isinstance(timeout, tuple)
                else timeout
            )
        policy: dict[str, Any] = {}
        if config.retries is not None:
            policy["total"] = config.retries
        if config.retry_backoff is not None:
            policy["backoff"] = config.retry_backoff
        if policy:
            kwargs["retry"] = RetryPolicy(**policy)
        objects = ObjectStorage(credential, transport=transport, **kwargs)
    except BaseException:
        transport.close()
        raise
    return Client(objects, transport)


def get_client(config: StorageConfig) -> Client:
    """The shared client for ``config``, built on first use (no request is made)."""
    key = (os.getpid(), config.connection_key())
    client = _clients.get(key)
    if client is not None:
        return client
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = _build(config)
        return client


def clear_clients() -> None:
    """Close and forget every shared client; the next use builds fresh ones."""
    with _lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.close()
