"""Storage options: one table of known options, the seed formats mapped onto it, one resolver.

Every way of configuring a storage (``STORAGES`` ``OPTIONS``, constructor keywords, the
``SELECTEL_STORAGE`` dict of django-selectel 2.x, the ``SELECTEL_STORAGES`` schemas and DSNs
of django-selectel-storage 1.x) ends up as a flat ``dict`` of snake_case options and then as
one :class:`StorageConfig`. Settings are read when a storage is constructed, never at import.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from django_selectel._names import normalise_location

__all__ = [
    "CREDENTIAL_OPTIONS",
    "DEFAULT_V1_AUTH_URL",
    "DEFAULT_V3_AUTH_URL",
    "OPTION_NAMES",
    "SECRET_OPTIONS",
    "StorageConfig",
    "is_seed2_login",
    "parse_dsn",
    "resolve_options",
    "seed1_options",
    "seed2_options",
]

DEFAULT_V1_AUTH_URL: Final = "https://auth.selcdn.ru/"
DEFAULT_V3_AUTH_URL: Final = "https://cloud.api.selcloud.ru/identity/v3"

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
# The options that say *which* settings to read rather than what they are.
REFERENCE_OPTIONS: Final = frozenset({"alias", "storage", "dsn"})

_TRANSPORTS: Final = ("urllib3", "requests")
_DIGESTS: Final = ("sha1", "sha256", "sha512")
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off"})
_DEFAULT_URL_EXPIRES: Final = 3600
_DEFAULT_LARGE_FILE_THRESHOLD: Final = 1024**3  # Selectel recommends segments above 1 GB
_DEFAULT_SEGMENT_SIZE: Final = 256 * 1024**2
_MAX_SINGLE_PUT: Final = 5 * 1024**3


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
    object_parameters: Mapping[str, str] = field(default_factory=dict)
    large_file_threshold: int = _DEFAULT_LARGE_FILE_THRESHOLD
    segment_size: int = _DEFAULT_SEGMENT_SIZE
    public: bool = True
    custom_domain: str | None = None
    domains: Mapping[str, str] = field(default_factory=dict)
    temp_url_key: str | None = field(default=None, repr=False)
    temp_url_digest: str = "sha256"
    url_expires: int = _DEFAULT_URL_EXPIRES
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
        documented ``https://swift.<region>.storage.selcloud.ru/v1/<project_id>``.
        """
        if self.storage_url:
            return self.storage_url.rstrip("/")
        if (
            self.auth_version == "3"
            and self.auth_url == DEFAULT_V3_AUTH_URL
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


def _fail(source: str, message: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{source}: {message}")


def _coerce(name: str, value: Any, source: str, *, from_text: bool) -> Any:
    """Check (and for DSN query text, convert) one option value."""
    kind = _KINDS[name]
    shown = "<hidden>" if name in SECRET_OPTIONS else repr(value)
    if value is None:
        return None
    if kind == "str":
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if not isinstance(value, str):
            raise _fail(source, f"option {name!r} must be a string, not {type(value).__name__}")
        return value
    if kind == "version":
        if (
            isinstance(value, int | str)
            and not isinstance(value, bool)
            and str(value) in ("1", "3")
        ):
            return str(value)
        raise _fail(source, f"option 'auth_version' must be '1' or '3', not {shown}")
    if kind == "bool":
        if from_text and isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        if not isinstance(value, bool):
            raise _fail(source, f"option {name!r} must be True or False, not {shown}")
        return value
    if kind in ("int", "float"):
        if from_text and isinstance(value, str):
            try:
                value = int(value) if kind == "int" else float(value)
            except ValueError:
                raise _fail(source, f"option {name!r} must be a number, not {shown}") from None
        ok = isinstance(value, int) if kind == "int" else isinstance(value, int | float)
        if isinstance(value, bool) or not ok or not math.isfinite(value) or value < 0:
            what = "a whole number >= 0" if kind == "int" else "a number >= 0"
            raise _fail(source, f"option {name!r} must be {what}, not {shown}")
        return value
    if kind == "timeout":
        if from_text and isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise _fail(source, f"option 'timeout' must be a number, not {shown}") from None
        if isinstance(value, list | tuple) and len(value) == 2:
            pair = tuple(_coerce("retry_backoff", v, source, from_text=False) for v in value)
            if not all(pair):
                raise _fail(source, "option 'timeout' needs positive seconds")
            return (float(pair[0]), float(pair[1]))
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise _fail(
                source,
                f"option 'timeout' must be seconds (a positive number) or a (connect, read) "
                f"pair, not {shown}",
            )
        return float(value)
    if kind in ("headers", "domains"):
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str | int) and not isinstance(v, bool)
            for k, v in value.items()
        ):
            raise _fail(source, f"option {name!r} must be a dict of strings, not {shown}")
        return {str(k): str(v) for k, v in value.items()}
    raise AssertionError(kind)  # pragma: no cover - the table above is closed


# --- seed 1: django-selectel 2.x (KokocGroup), SELECTEL_STORAGE and ApiStorage kwargs -------

# Keys whose meaning differs from "the same name, lower-cased".
_SEED1_KEYS: Final[dict[str, str]] = {
    "USER": "user",
    "PASSWORD": "key",
    "DOMAINS": "domains",
    "OVERWRITE_FILES": "overwrite_files",
    "OVERRIDE_FILES": "overwrite_files",  # the key 2.x really read (its docs said OVERWRITE_)
    "USE_GZ": "use_gz",
    "AUTH_URL": "auth_url",
    "API_THRESHOLD": "refresh_margin",
    "API_MAX_RETRY": "retries",
    "API_RETRY_DELAY": "retry_backoff",
}


def seed1_options(raw: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Map a django-selectel 2.x ``SELECTEL_STORAGE`` dict onto options.

    ``API_MAX_RETRY`` counted attempts (3 meant two retries); ``None`` meant one attempt.
    """
    if not isinstance(raw, Mapping):
        raise _fail(source, f"must be a dict, not {type(raw).__name__}")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = _SEED1_KEYS.get(key) or _lower_option(key, source)
        if key == "API_MAX_RETRY":
            attempts = 1 if value is None else _coerce("retries", value, source, from_text=False)
            value = max(attempts - 1, 0)  # noqa: PLW2901 - attempts become retries
        if name in out and out[name] != value:
            raise _fail(source, f"{key!r} contradicts another key that sets {name!r}")
        out[name] = value
    return out


# --- seed 2: django-selectel-storage 1.x (marazmiki), SELECTEL_STORAGES schemas and DSNs -----

_SEED2_KEYS: Final[dict[str, str]] = {
    "USERNAME": "user",
    "PASSWORD": "key",
    "CONTAINER": "container",
    "CONTAINER_NAME": "container",  # what that package's README documented
    "CUSTOM_DOMAIN": "custom_domain",
    "MAX_RETRIES": "retries",
    "POOL_MAXSIZE": "pool_maxsize",
}
# requests' number of per-host pools: the transports here keep one pool per host anyway.
_SEED2_IGNORED: Final = frozenset({"POOL_CONNECTIONS", "POOL_CONNS"})


def _lower_option(key: object, source: str) -> str:
    name = key.lower() if isinstance(key, str) else ""
    if name in OPTION_NAMES and name not in CREDENTIAL_OPTIONS:
        return name
    raise _fail(source, f"unknown key {key!r}")


def _seed2_pairs(items: Mapping[str, Any], source: str, out: dict[str, Any]) -> None:
    for key, value in items.items():
        upper = key.upper() if isinstance(key, str) else key
        if upper in _SEED2_IGNORED:
            continue
        if upper == "REQUESTS_FACTORY":
            raise _fail(
                source,
                "REQUESTS_FACTORY is not supported: choose the HTTP client with the "
                "'transport' option ('urllib3' or 'requests')",
            )
        if upper == "OPTIONS" and isinstance(value, Mapping):
            _seed2_pairs(value, f"{source}['OPTIONS']", out)
            continue
        name = _SEED2_KEYS.get(upper) if isinstance(upper, str) else None
        name = name or _lower_option(key, source)
        if name in out and out[name] != value:
            raise _fail(source, f"{key!r} contradicts another key that sets {name!r}")
        out[name] = value


def seed2_options(raw: Mapping[str, Any] | str, source: str) -> dict[str, Any]:
    """Map one django-selectel-storage 1.x schema (a dict or a DSN string) onto options."""
    if isinstance(raw, str):
        return parse_dsn(raw, source)
    if not isinstance(raw, Mapping):
        raise _fail(source, f"must be a dict or a 'selectel://' DSN, not {type(raw).__name__}")
    out: dict[str, Any] = {}
    _seed2_pairs(raw, source, out)
    return out


def parse_dsn(dsn: str, source: str = "dsn") -> dict[str, Any]:
    """Parse ``selectel://USER:PASSWORD@CONTAINER`` or ``selectel://USER:PASSWORD@DOMAIN/CONTAINER``.

    User and password are percent-decoded (so ``%40`` is ``@`` and ``%2F`` is ``/``); the
    container keeps its case. Query parameters are options (``?max_retries=3&use_gz=true``).
    Errors never repeat the DSN, which carries a password.
    """
    if not isinstance(dsn, str) or not dsn.startswith("selectel://"):
        raise _fail(source, "a DSN must start with 'selectel://'")
    parts = urlsplit(dsn)
    if parts.fragment:
        raise _fail(source, "the DSN has a '#': percent-encode it ('%23') in the password")
    # netloc, not hostname: hostname is lower-cased and container names are case-sensitive.
    userinfo, at, host = parts.netloc.rpartition("@")
    out: dict[str, Any] = {}
    if at:
        user, colon, password = userinfo.partition(":")
        if user:
            out["user"] = unquote(user)
        if colon:
            out["key"] = unquote(password)
    path = parts.path.strip("/")
    if path:
        if "/" in path:
            raise _fail(source, "the DSN path must be one container name (no '/')")
        out["custom_domain"] = host
        out["container"] = unquote(path)
    elif host:
        out["container"] = unquote(host)
    if not out.get("container"):
        raise _fail(source, "the DSN names no container ('selectel://USER:PASSWORD@CONTAINER')")
    query: dict[str, Any] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        upper = key.upper()
        if upper in _SEED2_IGNORED:
            continue
        if upper == "REQUESTS_FACTORY":
            _seed2_pairs({key: value}, source, {})
        name = _SEED2_KEYS.get(upper) if upper in ("MAX_RETRIES", "POOL_MAXSIZE") else None
        name = name or _lower_option(key, source)
        query[name] = _coerce(name, value, source, from_text=True)
    out.update(query)
    return out


# --- resolution ---------------------------------------------------------------------------


def _settings_dict(name: str) -> Mapping[str, Any] | None:
    value = getattr(settings, name, None)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _fail(f"settings.{name}", f"must be a dict, not {type(value).__name__}")
    return value


def storages_options(alias: str) -> dict[str, Any]:
    """``settings.STORAGES[alias]['OPTIONS']`` (a copy), with a clear error when absent."""
    storages = _settings_dict("STORAGES") or {}
    entry = storages.get(alias)
    if not isinstance(entry, Mapping):
        raise _fail("alias", f"settings.STORAGES has no entry {alias!r}")
    options = entry.get("OPTIONS", {})
    if not isinstance(options, Mapping):
        raise _fail(f"settings.STORAGES[{alias!r}]['OPTIONS']", "must be a dict")
    if "alias" in options:
        raise _fail(f"settings.STORAGES[{alias!r}]['OPTIONS']", "'alias' cannot be nested")
    return dict(options)


def schema_options(name: str) -> dict[str, Any]:
    """One ``SELECTEL_STORAGES`` schema (django-selectel-storage 1.x) as options."""
    schemas = _settings_dict("SELECTEL_STORAGES")
    if schemas is None or name not in schemas:
        raise _fail("storage", f"settings.SELECTEL_STORAGES has no schema {name!r}")
    return seed2_options(schemas[name], f"settings.SELECTEL_STORAGES[{name!r}]")


def is_seed2_login(options: Mapping[str, Any]) -> bool:
    """``username``/``password`` without an account or project: django-selectel-storage 1.x.

    That package called the legacy v1 user and key ``username`` and ``password``. Keystone v3
    cannot work without ``account_id`` and a project, so such options mean legacy v1.
    """
    return (
        options.get("username") is not None
        and options.get("auth_version") is None
        and all(
            options.get(n) is None
            for n in ("account_id", "project_id", "project_name", "user", "key", "token")
        )
    )


def _infer_auth_version(options: Mapping[str, Any], source: str) -> AuthVersion | None:
    given = {n for n in CREDENTIAL_OPTIONS - {"auth_version"} if options.get(n) is not None}
    kinds: set[AuthVersion] = set()
    if given & {"user", "key"}:
        kinds.add("1")
    if given & {"username", "password", "account_id", "project_id", "project_name"}:
        kinds.add("3")
    if "token" in given:
        kinds.add("static")
    explicit = options.get("auth_version")
    if explicit is not None:
        explicit = str(explicit)
        if explicit not in ("1", "3"):
            raise _fail(source, f"option 'auth_version' must be '1' or '3', not {explicit!r}")
        if kinds - {explicit}:
            raise _fail(source, f"auth_version {explicit!r} does not match the credentials given")
        return explicit  # type: ignore[return-value]
    if len(kinds) > 1:
        raise _fail(
            source,
            "credentials of different kinds given together: use 'user'/'key' (legacy v1), or "
            "'username'/'password'/'account_id' (Keystone v3), or 'token'",
        )
    return kinds.pop() if kinds else None


def _normalise_domain(value: str) -> str:
    value = value.strip().rstrip("/")
    return value if "://" in value else f"https://{value}"


def build_config(options: Mapping[str, Any], source: str) -> StorageConfig:
    """Validate resolved options and build the :class:`StorageConfig`."""
    values: dict[str, Any] = {}
    for name, value in options.items():
        if name not in OPTION_NAMES:
            raise _fail(source, f"unknown option {name!r}")
        values[name] = _coerce(name, value, source, from_text=False)
    if is_seed2_login(values):
        values["user"] = values.pop("username")
        values["key"] = values.pop("password", None)
    version = _infer_auth_version(values, source)
    values.pop("auth_version", None)
    default_url = DEFAULT_V1_AUTH_URL if version == "1" else DEFAULT_V3_AUTH_URL
    auth_url = values.pop("auth_url", None) or (None if version == "static" else default_url)
    transport = values.get("transport") or "urllib3"
    if transport not in _TRANSPORTS:
        raise _fail(source, f"option 'transport' must be one of {_TRANSPORTS}, not {transport!r}")
    digest = values.get("temp_url_digest") or "sha256"
    if digest not in _DIGESTS:
        raise _fail(source, f"option 'temp_url_digest' must be one of {_DIGESTS}")
    for name in ("storage_url", "auth_url"):
        url = auth_url if name == "auth_url" else values.get(name)
        if url is not None and urlsplit(url).scheme not in ("http", "https"):
            raise _fail(source, f"option {name!r} must be an http(s) URL")
    container = values.get("container")
    if container is not None and (not container or "/" in container):
        raise _fail(source, "option 'container' must be a non-empty name without '/'")
    location = values.get("location") or ""
    if location:
        location = normalise_location(location, source)
    threshold = values.get("large_file_threshold")
    if threshold is not None and not 0 < threshold <= _MAX_SINGLE_PUT:
        raise _fail(source, "option 'large_file_threshold' must be 1 byte to 5 GiB")
    segment = values.get("segment_size")
    if segment is not None and not 0 < segment <= _MAX_SINGLE_PUT:
        raise _fail(source, "option 'segment_size' must be 1 byte to 5 GiB")
    if values.get("token_cache") and values.get("token_cache_alias"):
        raise _fail(source, "options 'token_cache' and 'token_cache_alias' exclude each other")
    if values.get("url_expires") == 0:
        raise _fail(source, "option 'url_expires' must be at least 1 second")
    custom_domain = values.get("custom_domain")
    domains = values.get("domains") or {}
    kwargs = {k: v for k, v in values.items() if v is not None}
    kwargs.update(
        auth_version=version,
        auth_url=auth_url,
        transport=transport,
        temp_url_digest=digest,
        location=location,
        custom_domain=_normalise_domain(custom_domain) if custom_domain else None,
        domains={c: _normalise_domain(d) for c, d in domains.items()},
    )
    return StorageConfig(**kwargs)


def _has_credentials(options: Mapping[str, Any]) -> bool:
    return any(options.get(n) is not None for n in CREDENTIAL_OPTIONS)


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` wins per option, except credentials, which it replaces as one group."""
    out = dict(base)
    if _has_credentials(override):
        for name in CREDENTIAL_OPTIONS:
            out.pop(name, None)
    out.update(override)
    return out


def resolve_options(
    explicit: Mapping[str, Any],
    *,
    class_defaults: Mapping[str, Any],
    fallback: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Turn constructor keywords into flat options.

    Order (later wins): class defaults < the referenced settings (``alias``: a ``STORAGES``
    entry; ``storage``: a ``SELECTEL_STORAGES`` schema or a DSN; ``dsn``) or, when nothing is
    referenced and no credentials are given, the class's seed ``fallback`` < ``explicit``.
    """
    options = dict(explicit)
    alias = options.pop("alias", None)
    if alias is not None:
        if not isinstance(alias, str):
            raise _fail("alias", "must be the name of a settings.STORAGES entry")
        options = {**storages_options(alias), **options}
    name = options.pop("storage", None)
    dsn = options.pop("dsn", None)
    if name is not None and not isinstance(name, str):
        raise _fail("storage", "must be a SELECTEL_STORAGES schema name or a 'selectel://' DSN")
    if isinstance(name, str) and name.startswith("selectel://"):
        if dsn is not None:
            raise _fail("storage", "give a DSN either as 'storage' or as 'dsn', not both")
        name, dsn = None, name
    if name is not None and dsn is not None:
        raise _fail("storage", "give either a schema name or a DSN, not both")
    if dsn is not None:
        base = parse_dsn(dsn)
    elif name is not None:
        base = schema_options(name)
    elif fallback is not None and not _has_credentials(options):
        base = dict(fallback)
    else:
        base = {}
    return merge({**class_defaults, **merge({}, base)}, options)


def seed1_settings() -> dict[str, Any] | None:
    """``settings.SELECTEL_STORAGE`` (django-selectel 2.x) as options, if it is set."""
    raw = _settings_dict("SELECTEL_STORAGE")
    return None if raw is None else seed1_options(raw, "settings.SELECTEL_STORAGE")


def seed2_default() -> dict[str, Any] | None:
    """The ``default`` schema of ``settings.SELECTEL_STORAGES``, if there is one."""
    schemas = _settings_dict("SELECTEL_STORAGES")
    if schemas is None or "default" not in schemas:
        return None
    return schema_options("default")
