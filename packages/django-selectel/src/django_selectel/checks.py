"""System checks: configuration mistakes are reported at startup, not at the first upload.

=======================  ===================================================================
``django_selectel.E001``  a ``SelectelStorage`` has no ``container``
``django_selectel.E002``  invalid configuration: unknown option, wrong type, bad DSN
``django_selectel.E003``  a private storage has no ``temp_url_key``: ``url()`` cannot sign
``django_selectel.W001``  settings of django-selectel 2.x / django-selectel-storage 1.x
``django_selectel.W002``  an ``http://`` URL would carry passwords or tokens in clear text
``django_selectel.W003``  ``url()`` (public or signed) fails until the first request: no storage URL
``django_selectel.W004``  ``username``/``password`` alone: read as legacy v1 (1.x style)
``django_selectel.W005``  no usable credentials (yet): file operations will fail
=======================  ===================================================================

Messages never contain a password, key or token.
"""

from __future__ import annotations

import ipaddress
import warnings
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from django_selectel import _config, _legacy, _resolve
from django_selectel._config import StorageConfig
from django_selectel.storages import ApiStorage, SelectelStorage

__all__ = ["check_settings", "selectel_aliases", "storages_equivalent"]

_MAIN = "django_selectel.storages.SelectelStorage"
_OLD_BACKENDS = {
    "django_selectel_storage.storage.SelectelStorage": _MAIN,
    "django_selectel_storage.storage.SelectelStaticStorage": (
        "django_selectel.storages.SelectelStaticStorage"
    ),
}
_OBSOLETE_FLAT = ("SELECTEL_USERNAME", "SELECTEL_PASSWORD", "SELECTEL_CONTAINER_NAME")


def _selectel_backends() -> list[tuple[str, type[Any], Mapping[str, Any]]]:
    found = []
    storages = getattr(settings, "STORAGES", None) or {}
    for alias, entry in storages.items():
        if not isinstance(entry, Mapping):
            continue
        try:
            backend = import_string(str(entry.get("BACKEND", "")))
        except ImportError:
            continue
        if isinstance(backend, type) and issubclass(backend, SelectelStorage):
            options = entry.get("OPTIONS") or {}
            found.append((str(alias), backend, options))
    return found


def selectel_aliases() -> list[str]:
    """The ``STORAGES`` aliases whose backend is a django-selectel storage."""
    return [alias for alias, _backend, _options in _selectel_backends()]


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _config_messages(config: StorageConfig, where: str, *, needs_container: bool) -> list[Any]:
    out: list[Any] = []
    problem = config.missing_credentials()
    if problem is not None:
        # A warning, not an error: builds and CI run manage.py without the secrets, and the
        # storage itself raises ImproperlyConfigured at its first request.
        out.append(
            Warning(
                f"{where}: {problem}; file operations will fail.",
                hint="Put the credentials in the storage's OPTIONS (read them from the "
                "environment, never commit them).",
                id="django_selectel.W005",
            )
        )
    if needs_container and config.container is None:
        out.append(
            Error(
                f"{where}: no 'container' option.",
                hint="Every SelectelStorage stores into one container: set OPTIONS['container'].",
                id="django_selectel.E001",
            )
        )
    for name in ("auth_url", "storage_url"):
        url = getattr(config, name)
        if url and urlsplit(url).scheme == "http" and not _is_loopback(url):
            out.append(
                Warning(
                    f"{where}: {name} {url!r} is plain http: the "
                    f"{'password' if name == 'auth_url' else 'token'} would cross the network "
                    "unencrypted.",
                    hint="Use an https:// URL.",
                    id="django_selectel.W002",
                )
            )
    if not config.public and not config.temp_url_key:
        out.append(
            Error(
                f"{where}: the storage is private (public: False) but has no 'temp_url_key', "
                "so url() cannot sign links.",
                hint="Set the account's or container's Temp-URL-Key and give it as "
                "OPTIONS['temp_url_key'], or make the storage public.",
                id="django_selectel.E003",
            )
        )
    if not config.known_storage_url() and not (
        config.public and (config.custom_domain or config.domains)
    ):
        kind = "public" if config.public else "signed (private storage)"
        out.append(
            Warning(
                f"{where}: url() makes no request, and the storage URL its {kind} URLs start "
                "with is only known after the first request to the storage.",
                hint="Set OPTIONS['storage_url']"
                + (" (or 'custom_domain' for public files)." if config.public else "."),
                id="django_selectel.W003",
            )
        )
    return out


def _render(value: Any, indent: int) -> str:
    pad = " " * indent
    if isinstance(value, Mapping):
        inner = "".join(f"{pad}    {k!r}: {_render(v, indent + 4)},\n" for k, v in value.items())
        return "{\n" + inner + pad + "}"
    return repr(value)


def storages_equivalent(
    options: Mapping[str, Any],
    secret_source: Mapping[str, str],
    backend: str = _MAIN,
    alias: str = "default",
) -> str:
    """A ``STORAGES`` setting equivalent to an old package's options; secrets are placeholders."""
    shown: dict[str, Any] = {}
    for name, value in options.items():
        if name in _config.SECRET_OPTIONS:
            shown[name] = f"<{secret_source.get(name, name)}>"
        else:
            shown[name] = value
    return "STORAGES = " + _render({alias: {"BACKEND": backend, "OPTIONS": shown}}, 0)


def _old_package_messages() -> list[Any]:
    out: list[Any] = []
    old_2x = getattr(settings, "SELECTEL_STORAGE", None)
    if old_2x is not None:
        try:
            options = _legacy.django_selectel2_options(old_2x, "settings.SELECTEL_STORAGE")
        except ImproperlyConfigured as exc:
            out.append(Error(str(exc), id="django_selectel.E002"))
        else:
            hint = storages_equivalent(
                options,
                {"key": "your SELECTEL_STORAGE['PASSWORD']"},
                backend="django_selectel.storages.ApiStorage",
            )
            out.append(
                Warning(
                    "settings.SELECTEL_STORAGE is the format of django-selectel 2.x; it still "
                    "works (ApiStorage reads it), but STORAGES OPTIONS is the current format.",
                    hint=f"Equivalent setting:\n{hint}",
                    id="django_selectel.W001",
                )
            )
    schemas = getattr(settings, "SELECTEL_STORAGES", None)
    if schemas is not None:
        if not isinstance(schemas, Mapping):
            out.append(
                Error("settings.SELECTEL_STORAGES must be a dict", id="django_selectel.E002")
            )
            schemas = {}
        for name, raw in schemas.items():
            source = f"settings.SELECTEL_STORAGES[{name!r}]"
            try:
                options = _legacy.django_selectel_storage1_options(raw, source)
                config = _resolve.build_config(options, source)
            except ImproperlyConfigured as exc:
                out.append(Error(str(exc), id="django_selectel.E002"))
                continue
            out.extend(_config_messages(config, source, needs_container=True))
            hint = storages_equivalent(
                options,
                {"key": f"the password of SELECTEL_STORAGES[{name!r}]"},
                alias=str(name),
            )
            out.append(
                Warning(
                    f"{source} is the format of django-selectel-storage 1.x; it still works "
                    "(SelectelStorage reads it), but STORAGES OPTIONS is the current format.",
                    hint=f"Equivalent setting:\n{hint}",
                    id="django_selectel.W001",
                )
            )
    flat = [name for name in _OBSOLETE_FLAT if hasattr(settings, name)]
    if flat:
        out.append(
            Warning(
                f"{', '.join(flat)}: flat settings of django-selectel-storage 0.x are ignored.",
                hint="Move them into STORAGES OPTIONS ('user', 'key', 'container').",
                id="django_selectel.W001",
            )
        )
    storages = getattr(settings, "STORAGES", None) or {}
    in_storages = {e.get("BACKEND") for e in storages.values() if isinstance(e, Mapping)}
    for setting in ("DEFAULT_FILE_STORAGE", "STATICFILES_STORAGE"):
        with warnings.catch_warnings():  # Django 4.2 warns on every read of these two
            warnings.simplefilter("ignore")
            value = getattr(settings, setting, None)
        # Django 4.2 mirrors STORAGES into them; the STORAGES check below covers those.
        if isinstance(value, str) and value in _OLD_BACKENDS and value not in in_storages:
            out.append(
                Warning(
                    f"settings.{setting} names {value!r} (django-selectel-storage 1.x).",
                    hint=f"Use STORAGES with BACKEND {_OLD_BACKENDS[value]!r}.",
                    id="django_selectel.W001",
                )
            )
    for alias, entry in storages.items():
        backend = entry.get("BACKEND") if isinstance(entry, Mapping) else None
        if backend in _OLD_BACKENDS:
            out.append(
                Error(
                    f"STORAGES[{alias!r}] names {backend!r} (django-selectel-storage 1.x).",
                    hint=f"Use {_OLD_BACKENDS[backend]!r}.",
                    id="django_selectel.E002",
                )
            )
    return out


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check every django-selectel ``STORAGES`` entry, and the old packages' settings."""
    messages: list[Any] = []
    for alias, backend, options in _selectel_backends():
        where = f"STORAGES[{alias!r}]"
        try:
            config = backend.resolve_config(options)
        except ImproperlyConfigured as exc:
            messages.append(Error(f"{where}: {exc}", id="django_selectel.E002"))
            continue
        needs_container = not issubclass(backend, ApiStorage)
        messages.extend(_config_messages(config, where, needs_container=needs_container))
        if _legacy.is_django_selectel_storage1_login(options):
            messages.append(
                Warning(
                    f"{where}: 'username' and 'password' without 'account_id' and a project "
                    "are read as legacy v1 credentials, as django-selectel-storage 1.x did.",
                    hint="For Keystone v3 add 'account_id' and 'project_id' (or 'project_name'); "
                    "for legacy v1 name them 'user' and 'key'.",
                    id="django_selectel.W004",
                )
            )
    messages.extend(_old_package_messages())
    return messages
