"""Storage options: the one table of known options and the resolved :class:`StorageConfig`.

Every way of configuring a storage (``STORAGES`` ``OPTIONS``, constructor keywords, the
settings of the old packages in :mod:`django_selectel._legacy`) ends up as a flat ``dict`` of
snake_case options, checked here option by option and turned into one :class:`StorageConfig`
by :mod:`django_selectel._resolve`. Nothing here reads settings.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from django.core.exceptions import ImproperlyConfigured
from selectel_auth import DEFAULT_KEYSTONE_URL
from selectel_objects import DEFAULT_SEGMENT_SIZE

from django_selectel._body import DEFAULT_GZIP_CONTENT_TYPES

__all__ = [
    "CREDENTIAL_OPTIONS",
    "DEFAULT_V3_AUTH_URL",
    "DIGESTS",
    "INTERFACES",
    "MAX_SINGLE_PUT",
    "OPTION_NAMES",
    "SECRET_OPTIONS",
    "TRANSPORTS",
    "AuthVersion",
    "StorageConfig",
    "coerce",
    "fail",
]

DEFAULT_V3_AUTH_URL: Final = DEFAULT_KEYSTONE_URL

AuthVersion = Literal["1", "3", "static"]

# name -> kind. Kinds drive validation and the coercion of DSN query strings.
_KINDS: Final[dict[str, str]] = {
    # credentials: Keystone v3, legacy v1, or a static token
    "username": "str",
    "password": "str",
    "account_id": "str",
    "project_id": "str",
    "project_name": "str",
    "user": "str",
    "key": "str",
    "token": "str",
    "auth_version": "version",
    # where and how to connect
    "auth_url": "str",
    "region": "str",
    "interface": "str",
    "storage_url": "str",
    "ca_bundle": "str",
    "transport": "str",
    "timeout": "timeout",
    "retries": "int",
    "retry_backoff": "float",
    "refresh_margin": "float",
    "token_cache": "str",
    "token_cache_alias": "str",
    "pool_maxsize": "int",
    # what to store where
    "container": "str",
    "location": "str",
    "auto_create_container": "bool",
    "overwrite_files": "bool",
    "use_gz": "bool",
    "gzip_content_types": "types",
    "object_parameters": "headers",
    "large_file_threshold": "int",
    "segment_size": "int",
    # URLs
    "public": "bool",
    "custom_domain": "str",
    "domains": "domains",
    "temp_url_key": "str",
    "temp_url_digest": "str",
    "url_expires": "int",
    "url_inline": "bool",
    # static files
    "listing_cache_ttl": "float",
}
OPTION_NAMES: Final = frozenset(_KINDS)

SECRET_OPTIONS: Final = frozenset({"password", "key", "token", "temp_url_key"})
# Who the storage authenticates as: replaced as one group when given explicitly, and never
# written into migrations or pickles.
CREDENTIAL_OPTIONS: Final = frozenset(
    {
        "username",
        "password",
        "account_id",
        "project_id",
        "project_name",
        "user",
        "key",
        "token",
        "auth_version",
    }
)

TRANSPORTS: Final = ("urllib3", "requests")
# The Keystone catalog's endpoint kinds; Selectel documents the public one.
INTERFACES: Final = ("public", "internal", "admin")
DIGESTS: Final = ("sha1", "sha256", "sha512")
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off"})
_DEFAULT_URL_EXPIRES: Final = 3600
_DEFAULT_LARGE_FILE_THRESHOLD: Final = 1024**3  # Selectel recommends segments above 1 GB
_DEFAULT_SEGMENT_SIZE: Final = DEFAULT_SEGMENT_SIZE
MAX_SINGLE_PUT: Final = 5 * 1024**3


@dataclass(frozen=True)
class StorageConfig:
    """The resolved, validated configuration of one storage. Secrets stay out of ``repr``."""

    auth_version: AuthVersion | None
    auth_url: str | None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    account_id: str | None = None
    project_id: str | None = None
    project_name: str | None = None
    user: str | None = None
    key: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    region: str | None = None
    interface: str = "public"
    storage_url: str | None = None
    ca_bundle: str | None = None
    transport: str = "urllib3"
    timeout: float | tuple[float, float] | None = None
    retries: int | None = None
    retry_backoff: float | None = None
    refresh_margin: float | None = None
    token_cache: str | None = None
    token_cache_alias: str | None = None
    pool_maxsize: int | None = None
    container: str | None = None
    location: str = ""
    auto_create_container: bool = False
    overwrite_files: bool = False
    use_gz: bool = False
    gzip_content_types: tuple[str, ...] = DEFAULT_GZIP_CONTENT_TYPES
    object_parameters: Mapping[str, str] = field(default_factory=dict)
    large_file_threshold: int = _DEFAULT_LARGE_FILE_THRESHOLD
    segment_size: int = _DEFAULT_SEGMENT_SIZE
    public: bool = True
    custom_domain: str | None = None
    domains: Mapping[str, str] = field(default_factory=dict)
    temp_url_key: str | None = field(default=None, repr=False)
    temp_url_digest: str = "sha256"
    url_expires: int = _DEFAULT_URL_EXPIRES
    url_inline: bool = True
    listing_cache_ttl: float = 60.0

    def missing_credentials(self) -> str | None:
        """Why this configuration cannot authenticate, or ``None`` when it can."""
        if self.auth_version is None:
            return (
                "no credentials: set 'username', 'password', 'account_id' and 'project_id' or "
                "'project_name' (Keystone v3), or 'user' and 'key' (legacy v1), or 'token' and "
                "'storage_url'"
            )
        if self.auth_version == "static":
            return None if self.storage_url else "'token' needs 'storage_url'"
        if self.auth_version == "1":
            missing = [n for n in ("user", "key") if not getattr(self, n)]
        else:
            missing = [n for n in ("username", "password", "account_id") if not getattr(self, n)]
            if not (self.project_id or self.project_name):
                missing.append("project_id or project_name")
        if missing:
            kind = "legacy v1" if self.auth_version == "1" else "Keystone v3"
            return f"{kind} credentials need {', '.join(repr(m) for m in missing)}"
        return None

    def connection_key(self) -> str:
        """A digest of everything that shapes the HTTP client; equal keys share one client.

        Secrets go into the digest only, so the key itself reveals nothing.
        """
        parts = (
            self.auth_version,
            self.auth_url,
            self.username,
            self.password,
            self.account_id,
            self.project_id,
            self.project_name,
            self.user,
            self.key,
            self.token,
            self.region,
            self.interface,
            self.storage_url,
            self.ca_bundle,
            self.transport,
            self.timeout,
            self.retries,
            self.retry_backoff,
            self.refresh_margin,
            self.token_cache,
            self.token_cache_alias,
            self.pool_maxsize,
        )
        return hashlib.sha256(repr(parts).encode()).hexdigest()

    def known_storage_url(self) -> str | None:
        """The storage URL when it is known without a request.

        That is ``storage_url``, or for Keystone v3 at Selectel's own identity endpoint the
        documented ``https://swift.<region>.storage.selcloud.ru/v1/<project_id>`` (the public
        endpoint; another ``interface`` is only known from the catalog).
        """
        if self.storage_url:
            return self.storage_url.rstrip("/")
        if (
            self.auth_version == "3"
            and self.auth_url == DEFAULT_V3_AUTH_URL
            and self.interface == "public"
            and self.region
            and self.project_id
        ):
            return f"https://swift.{self.region}.storage.selcloud.ru/v1/{self.project_id}"
        return None

    def domain_for(self, container: str) -> str | None:
        """The public base URL bound to ``container`` (``custom_domain`` wins over ``domains``)."""
        if self.custom_domain and container == self.container:
            return self.custom_domain
        return self.domains.get(container)


def fail(source: str, message: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{source}: {message}")


def coerce(name: str, value: Any, source: str, *, from_text: bool) -> Any:
    """Check (and for DSN query text, convert) one option value."""
    kind = _KINDS[name]
    shown = "<hidden>" if name in SECRET_OPTIONS else repr(value)
    if value is None:
        return None
    if kind == "str":
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if not isinstance(value, str):
            raise fail(source, f"option {name!r} must be a string, not {type(value).__name__}")
        return value
    if kind == "version":
        if (
            isinstance(value, int | str)
            and not isinstance(value, bool)
            and str(value) in ("1", "3")
        ):
            return str(value)
        raise fail(source, f"option 'auth_version' must be '1' or '3', not {shown}")
    if kind == "bool":
        if from_text and isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        if not isinstance(value, bool):
            raise fail(source, f"option {name!r} must be True or False, not {shown}")
        return value
    if kind in ("int", "float"):
        if from_text and isinstance(value, str):
            try:
                value = int(value) if kind == "int" else float(value)
            except ValueError:
                raise fail(source, f"option {name!r} must be a number, not {shown}") from None
        ok = isinstance(value, int) if kind == "int" else isinstance(value, int | float)
        if isinstance(value, bool) or not ok or not math.isfinite(value) or value < 0:
            what = "a whole number >= 0" if kind == "int" else "a number >= 0"
            raise fail(source, f"option {name!r} must be {what}, not {shown}")
        return value
    if kind == "timeout":
        if from_text and isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise fail(source, f"option 'timeout' must be a number, not {shown}") from None
        if isinstance(value, list | tuple) and len(value) == 2:
            pair = tuple(coerce("retry_backoff", v, source, from_text=False) for v in value)
            if not all(pair):
                raise fail(source, "option 'timeout' needs positive seconds")
            return (float(pair[0]), float(pair[1]))
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise fail(
                source,
                f"option 'timeout' must be seconds (a positive number) or a (connect, read) "
                f"pair, not {shown}",
            )
        return float(value)
    if kind == "types":
        if from_text and isinstance(value, str):
            value = [v for v in value.split(",") if v.strip()]
        if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
            raise fail(source, f"option {name!r} must be a list of content types, not {shown}")
        types = []
        for item in value:
            if not isinstance(item, str) or "/" not in item:
                raise fail(source, f"option {name!r}: {item!r} is not a content type")
            types.append(item.split(";", 1)[0].strip().lower())
        return tuple(types)
    if kind in ("headers", "domains"):
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str | int) and not isinstance(v, bool)
            for k, v in value.items()
        ):
            raise fail(source, f"option {name!r} must be a dict of strings, not {shown}")
        return {str(k): str(v) for k, v in value.items()}
    raise AssertionError(kind)  # pragma: no cover - the table above is closed
