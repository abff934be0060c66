"""One resolver: every way of configuring a storage becomes one :class:`StorageConfig`.

Order (later wins): the class's defaults, then the settings a storage refers to (a
``STORAGES`` alias, a ``SELECTEL_STORAGES`` schema or DSN) or, with nothing referred to and no
credentials given, the old package's settings the class reads; then explicit keywords.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from selectel_auth import DEFAULT_V1_AUTH_URL

from django_selectel._config import (
    CREDENTIAL_OPTIONS,
    DEFAULT_V3_AUTH_URL,
    DIGESTS,
    INTERFACES,
    MAX_SINGLE_PUT,
    OPTION_NAMES,
    TRANSPORTS,
    AuthVersion,
    StorageConfig,
    coerce,
    fail,
)
from django_selectel._legacy import (
    is_django_selectel_storage1_login,
    parse_dsn,
    schema_options,
    settings_dict,
)
from django_selectel._names import normalise_location

__all__ = ["build_config", "merge", "resolve_options", "storages_options"]


def storages_options(alias: str) -> dict[str, Any]:
    """``settings.STORAGES[alias]['OPTIONS']`` (a copy), with a clear error when absent."""
    storages = settings_dict("STORAGES") or {}
    entry = storages.get(alias)
    if not isinstance(entry, Mapping):
        raise fail("alias", f"settings.STORAGES has no entry {alias!r}")
    options = entry.get("OPTIONS", {})
    if not isinstance(options, Mapping):
        raise fail(f"settings.STORAGES[{alias!r}]['OPTIONS']", "must be a dict")
    if "alias" in options:
        raise fail(f"settings.STORAGES[{alias!r}]['OPTIONS']", "'alias' cannot be nested")
    return dict(options)


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
            raise fail(source, f"option 'auth_version' must be '1' or '3', not {explicit!r}")
        if kinds - {explicit}:
            raise fail(source, f"auth_version {explicit!r} does not match the credentials given")
        return explicit  # type: ignore[return-value]
    if len(kinds) > 1:
        raise fail(
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
            raise fail(source, f"unknown option {name!r}")
        values[name] = coerce(name, value, source, from_text=False)
    if is_django_selectel_storage1_login(values):
        values["user"] = values.pop("username")
        values["key"] = values.pop("password", None)
    version = _infer_auth_version(values, source)
    values.pop("auth_version", None)
    default_url = DEFAULT_V1_AUTH_URL if version == "1" else DEFAULT_V3_AUTH_URL
    auth_url = values.pop("auth_url", None) or (None if version == "static" else default_url)
    transport = values.get("transport") or "urllib3"
    if transport not in TRANSPORTS:
        raise fail(source, f"option 'transport' must be one of {TRANSPORTS}, not {transport!r}")
    interface = values.get("interface") or "public"
    if interface not in INTERFACES:
        raise fail(source, f"option 'interface' must be one of {INTERFACES}, not {interface!r}")
    digest = values.get("temp_url_digest") or "sha256"
    if digest not in DIGESTS:
        raise fail(source, f"option 'temp_url_digest' must be one of {DIGESTS}")
    for name in ("storage_url", "auth_url"):
        url = auth_url if name == "auth_url" else values.get(name)
        if url is not None and urlsplit(url).scheme not in ("http", "https"):
            raise fail(source, f"option {name!r} must be an http(s) URL")
    container = values.get("container")
    if container is not None and (not container or "/" in container):
        raise fail(source, "option 'container' must be a non-empty name without '/'")
    location = values.get("location") or ""
    if location:
        location = normalise_location(location, source)
    threshold = values.get("large_file_threshold")
    if threshold is not None and not 0 < threshold <= MAX_SINGLE_PUT:
        raise fail(source, "option 'large_file_threshold' must be 1 byte to 5 GiB")
    segment = values.get("segment_size")
    if segment is not None and not 0 < segment <= MAX_SINGLE_PUT:
        raise fail(source, "option 'segment_size' must be 1 byte to 5 GiB")
    if values.get("token_cache") and values.get("token_cache_alias"):
        raise fail(source, "options 'token_cache' and 'token_cache_alias' exclude each other")
    if values.get("url_expires") == 0:
        raise fail(source, "option 'url_expires' must be at least 1 second")
    custom_domain = values.get("custom_domain")
    domains = values.get("domains") or {}
    kwargs = {k: v for k, v in values.items() if v is not None}
    kwargs.update(
        auth_version=version,
        auth_url=auth_url,
        transport=transport,
        interface=interface,
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
    sources: dict[str, str] | None = None,
    explicit_label: str = "the storage's arguments",
    fallback_label: str = "the old package's settings",
) -> dict[str, Any]:
    """Turn constructor keywords into flat options.

    Order (later wins): class defaults < the referenced settings (``alias``: a ``STORAGES``
    entry; ``storage``: a ``SELECTEL_STORAGES`` schema or a DSN; ``dsn``) or, when nothing is
    referenced and no credentials are given, the class's ``fallback`` (the settings of the old
    package it replaces) < ``explicit``. ``sources``, when given, receives for every option
    the setting that supplied it (so that a message can name it).
    """
    options = dict(explicit)
    labels = dict.fromkeys(options, explicit_label)
    alias = options.pop("alias", None)
    if alias is not None:
        if not isinstance(alias, str):
            raise fail("alias", "must be the name of a settings.STORAGES entry")
        referenced = storages_options(alias)
        labels = {**dict.fromkeys(referenced, f"STORAGES[{alias!r}]['OPTIONS']"), **labels}
        options = {**referenced, **options}
    name = options.pop("storage", None)
    dsn = options.pop("dsn", None)
    if name is not None and not isinstance(name, str):
        raise fail("storage", "must be a SELECTEL_STORAGES schema name or a 'selectel://' DSN")
    if isinstance(name, str) and name.startswith("selectel://"):
        if dsn is not None:
            raise fail("storage", "give a DSN either as 'storage' or as 'dsn', not both")
        name, dsn = None, name
    if name is not None and dsn is not None:
        raise fail("storage", "give either a schema name or a DSN, not both")
    if dsn is not None:
        base, base_label = parse_dsn(dsn), "the 'selectel://' DSN"
    elif name is not None:
        base, base_label = schema_options(name), f"settings.SELECTEL_STORAGES[{name!r}]"
    elif fallback is not None and not _has_credentials(options):
        base, base_label = dict(fallback), fallback_label
    else:
        base, base_label = {}, ""
    resolved = merge({**class_defaults, **merge({}, base)}, options)
    if sources is not None:
        for option in resolved:
            if option in options:
                sources[option] = labels.get(option, explicit_label)
            elif option in base:
                sources[option] = base_label
            else:
                sources[option] = "the storage class's defaults"
    return resolved
