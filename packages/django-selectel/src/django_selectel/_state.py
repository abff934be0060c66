"""How a storage describes itself to migrations and pickles: by settings, never by secrets.

A storage built from ``settings.STORAGES`` is described by its alias; any other by its
constructor arguments minus credentials and secrets. A pickle of a storage that was handed
credentials as arguments is refused, since the unpickled copy could not get them back.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.utils.module_loading import import_string

from django_selectel import _config, _legacy, _resolve

__all__ = ["StateMethods", "carries_secrets", "public_kwargs", "storages_alias"]

_REFERENCES = ("dsn", "storage")


def storages_alias(cls: type, kwargs: Mapping[str, Any]) -> str | None:
    """The ``settings.STORAGES`` alias this instance was built from, if any.

    Django builds ``STORAGES`` entries as ``BACKEND(**OPTIONS)``; an instance with exactly
    those arguments can be described by its alias instead of by its options (and secrets).
    """
    if "alias" in kwargs:
        return None
    storages = getattr(settings, "STORAGES", None)
    if not isinstance(storages, Mapping):
        return None
    for alias, entry in storages.items():
        if not isinstance(entry, Mapping) or dict(entry.get("OPTIONS") or {}) != dict(kwargs):
            continue
        try:
            backend = import_string(entry.get("BACKEND", ""))
        except ImportError:
            continue
        if backend is cls:
            return str(alias)
    return None


def _is_dsn(name: str, value: Any) -> bool:
    return name in _REFERENCES and isinstance(value, str) and value.startswith("selectel://")


def _hidden(name: str) -> bool:
    return name in _config.CREDENTIAL_OPTIONS or name in _config.SECRET_OPTIONS


def public_kwargs(given: Mapping[str, Any]) -> dict[str, Any]:
    """Constructor arguments minus credentials and secrets (a DSN keeps its other parts)."""
    out: dict[str, Any] = {}
    for name, value in given.items():
        if _is_dsn(name, value):
            parts = _legacy.parse_dsn(value, name)
            out.update((k, v) for k, v in parts.items() if not _hidden(k))
            continue
        if not _hidden(name):
            out[name] = value
    # Explicit options win over the parts of a DSN, as they do at construction.
    out.update(
        (k, v)
        for k, v in given.items()
        if k in out and k not in _REFERENCES and k not in _config.CREDENTIAL_OPTIONS
    )
    return out


def carries_secrets(given: Mapping[str, Any]) -> bool:
    """Whether these constructor arguments hold a credential or secret (a DSN's included)."""
    for name, value in given.items():
        if value is None:
            continue
        if _hidden(name):
            return True
        if _is_dsn(name, value):
            parts = _legacy.parse_dsn(value, name)
            if any(k in parts for k in _config.SECRET_OPTIONS | {"user"}):
                return True
    return False


class StateMethods:
    """Deconstruction, pickling and copying of a storage (a mixin of ``SelectelStorage``)."""

    if TYPE_CHECKING:
        _alias: str | None
        _given: dict[str, Any]
        _options: dict[str, Any]
        default_options: ClassVar[Mapping[str, Any]]

        @classmethod
        def _fallback_options(cls) -> dict[str, Any] | None: ...

    def deconstruct(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        """Import path and arguments that rebuild this storage from settings.

        Credentials and secrets are left out: a storage built from ``STORAGES`` becomes
        ``alias=<name>``; otherwise the non-secret arguments are kept (a DSN keeps its
        container and domain). The rebuilt storage reads credentials from settings again.
        """
        path = f"{type(self).__module__}.{type(self).__qualname__}"
        if self._alias is not None:
            return path, (), {"alias": self._alias}
        return path, (), public_kwargs(self._given)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the settings reference only: never a token, a password or a client."""
        if self._alias is None and carries_secrets(self._given):
            raise pickle.PicklingError(
                f"{type(self).__name__} was given credentials as arguments, and a pickle never "
                "carries credentials: configure them in settings (STORAGES OPTIONS, "
                "SELECTEL_STORAGES or SELECTEL_STORAGE) so that the unpickled storage can read "
                "them again"
            )
        return {"kwargs": self.deconstruct()[2]}

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        type(self).__init__(self, **state["kwargs"])

    def __copy__(self) -> StateMethods:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> StateMethods:
        # Configuration is immutable and clients are shared per process: a copy is the same.
        return self

    def option_source(self, option: str) -> str:
        """The setting that supplied ``option``, e.g. ``STORAGES['x']['OPTIONS']``."""
        sources: dict[str, str] = {}
        label = (
            f"STORAGES[{self._alias!r}]['OPTIONS']" if self._alias else "the storage's arguments"
        )
        _resolve.resolve_options(
            self._options,
            class_defaults=self.default_options,
            fallback=self._fallback_options(),
            sources=sources,
            explicit_label=label,
        )
        return sources.get(option, "no setting")
