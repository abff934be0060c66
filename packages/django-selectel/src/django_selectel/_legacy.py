"""The settings of the two packages django-selectel replaces, mapped onto its options.

* django-selectel 2.x (KokocGroup): ``settings.SELECTEL_STORAGE`` and ``ApiStorage`` keywords.
* django-selectel-storage 1.x (marazmiki): ``settings.SELECTEL_STORAGES`` schemas (dicts or
  ``selectel://`` DSNs) and the ``username``/``password`` it used for legacy v1 logins.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import parse_qsl, unquote, urlsplit

from django.conf import settings

from django_selectel._config import CREDENTIAL_OPTIONS, OPTION_NAMES, coerce, fail

__all__ = [
    "django_selectel2_options",
    "django_selectel2_settings",
    "django_selectel_storage1_default",
    "django_selectel_storage1_options",
    "is_django_selectel_storage1_login",
    "parse_dsn",
    "schema_options",
    "settings_dict",
]

# --- django-selectel 2.x (KokocGroup), SELECTEL_STORAGE and ApiStorage kwargs -------

# Keys whose meaning differs from "the same name, lower-cased".
_DJANGO_SELECTEL2_KEYS: Final[dict[str, str]] = {
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


def django_selectel2_options(raw: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Map a django-selectel 2.x ``SELECTEL_STORAGE`` dict onto options.

    ``API_MAX_RETRY`` counted attempts (3 meant two retries); ``None`` meant one attempt.
    """
    if not isinstance(raw, Mapping):
        raise fail(source, f"must be a dict, not {type(raw).__name__}")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = _DJANGO_SELECTEL2_KEYS.get(key) or _lower_option(key, source)
        if key == "API_MAX_RETRY":
            attempts = 1 if value is None else coerce("retries", value, source, from_text=False)
            value = max(attempts - 1, 0)  # noqa: PLW2901 - attempts become retries
        if name in out and out[name] != value:
            raise fail(source, f"{key!r} contradicts another key that sets {name!r}")
        out[name] = value
    return out


# --- django-selectel-storage 1.x (marazmiki), SELECTEL_STORAGES schemas and DSNs -----

_STORAGE1_KEYS: Final[dict[str, str]] = {
    "USERNAME": "user",
    "PASSWORD": "key",
    "CONTAINER": "container",
    "CONTAINER_NAME": "container",  # what that package's README documented
    "CUSTOM_DOMAIN": "custom_domain",
    "MAX_RETRIES": "retries",
    "POOL_MAXSIZE": "pool_maxsize",
}
# requests' number of per-host pools: the transports here keep one pool per host anyway.
_STORAGE1_IGNORED: Final = frozenset({"POOL_CONNECTIONS", "POOL_CONNS"})


def _lower_option(key: object, source: str) -> str:
    name = key.lower() if isinstance(key, str) else ""
    if name in OPTION_NAMES and name not in CREDENTIAL_OPTIONS:
        return name
    raise fail(source, f"unknown key {key!r}")


def _storage1_pairs(items: Mapping[str, Any], source: str, out: dict[str, Any]) -> None:
    for key, value in items.items():
        upper = key.upper() if isinstance(key, str) else key
        if upper in _STORAGE1_IGNORED:
            continue
        if upper == "REQUESTS_FACTORY":
            raise fail(
                source,
                "REQUESTS_FACTORY is not supported: choose the HTTP client with the "
                "'transport' option ('urllib3' or 'requests')",
            )
        if upper == "OPTIONS" and isinstance(value, Mapping):
            _storage1_pairs(value, f"{source}['OPTIONS']", out)
            continue
        name = _STORAGE1_KEYS.get(upper) if isinstance(upper, str) else None
        name = name or _lower_option(key, source)
        if name in out and out[name] != value:
            raise fail(source, f"{key!r} contradicts another key that sets {name!r}")
        out[name] = value


def django_selectel_storage1_options(raw: Mapping[str, Any] | str, source: str) -> dict[str, Any]:
    """Map one django-selectel-storage 1.x schema (a dict or a DSN string) onto options."""
    if isinstance(raw, str):
        return parse_dsn(raw, source)
    if not isinstance(raw, Mapping):
        raise fail(source, f"must be a dict or a 'selectel://' DSN, not {type(raw).__name__}")
    out: dict[str, Any] = {}
    _storage1_pairs(raw, source, out)
    return out


def parse_dsn(dsn: str, source: str = "dsn") -> dict[str, Any]:
    """Parse ``selectel://USER:PASSWORD@CONTAINER`` or ``selectel://USER:PASSWORD@DOMAIN/CONTAINER``.

    User and password are percent-decoded (so ``%40`` is ``@`` and ``%2F`` is ``/``); the
    container keeps its case. Query parameters are options (``?max_retries=3&use_gz=true``).
    Errors never repeat the DSN, which carries a password.
    """
    if not isinstance(dsn, str) or not dsn.startswith("selectel://"):
        raise fail(source, "a DSN must start with 'selectel://'")
    parts = urlsplit(dsn)
    if parts.fragment:
        raise fail(source, "the DSN has a '#': percent-encode it ('%23') in the password")
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
            raise fail(source, "the DSN path must be one container name (no '/')")
        out["custom_domain"] = host
        out["container"] = unquote(path)
    elif host:
        out["container"] = unquote(host)
    if not out.get("container"):
        raise fail(source, "the DSN names no container ('selectel://USER:PASSWORD@CONTAINER')")
    query: dict[str, Any] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        upper = key.upper()
        if upper in _STORAGE1_IGNORED:
            continue
        if upper == "REQUESTS_FACTORY":
            _storage1_pairs({key: value}, source, {})
        name = _STORAGE1_KEYS.get(upper) if upper in ("MAX_RETRIES", "POOL_MAXSIZE") else None
        name = name or _lower_option(key, source)
        query[name] = coerce(name, value, source, from_text=True)
    out.update(query)
    return out


def settings_dict(name: str) -> Mapping[str, Any] | None:
    value = getattr(settings, name, None)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise fail(f"settings.{name}", f"must be a dict, not {type(value).__name__}")
    return value


def schema_options(name: str) -> dict[str, Any]:
    """One ``SELECTEL_STORAGES`` schema (django-selectel-storage 1.x) as options."""
    schemas = settings_dict("SELECTEL_STORAGES")
    if schemas is None or name not in schemas:
        raise fail("storage", f"settings.SELECTEL_STORAGES has no schema {name!r}")
    return django_selectel_storage1_options(schemas[name], f"settings.SELECTEL_STORAGES[{name!r}]")


def is_django_selectel_storage1_login(options: Mapping[str, Any]) -> bool:
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


def django_selectel2_settings() -> dict[str, Any] | None:
    """``settings.SELECTEL_STORAGE`` (django-selectel 2.x) as options, if it is set."""
    raw = settings_dict("SELECTEL_STORAGE")
    return None if raw is None else django_selectel2_options(raw, "settings.SELECTEL_STORAGE")


def django_selectel_storage1_default() -> dict[str, Any] | None:
    """The ``default`` schema of ``settings.SELECTEL_STORAGES``, if there is one."""
    schemas = settings_dict("SELECTEL_STORAGES")
    if schemas is None or "default" not in schemas:
        return None
    return schema_options("default")
