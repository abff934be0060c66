"""Django storage backend for Selectel Cloud Storage.

The storage classes live in :mod:`django_selectel.storages` (the path settings use); they are
also importable from here, lazily, so that listing ``django_selectel`` in ``INSTALLED_APPS``
does not import the storage machinery before Django is set up.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django_selectel.storages import (
        ApiStorage,
        ManifestSelectelStaticStorage,
        SelectelStaticStorage,
        SelectelStorage,
    )

__all__ = [
    "ApiStorage",
    "ManifestSelectelStaticStorage",
    "SelectelStaticStorage",
    "SelectelStorage",
]
__version__ = importlib.metadata.version("django-selectel")


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("django_selectel.storages"), name)
    raise AttributeError(f"module 'django_selectel' has no attribute {name!r}")
