"""Test helpers shared by the django-selectel tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import django
from django.conf import settings
from django.core.files.storage import storages
from django.test.utils import override_settings


@contextlib.contextmanager
def override_storages(**overrides: Any) -> Iterator[None]:
    """``override_settings`` that keeps ``STORAGES[...]['OPTIONS']`` on Django 4.2 too.

    Django 4.2 mirrors an overridden ``STORAGES`` into the deprecated ``DEFAULT_FILE_STORAGE``
    and then rebuilds the default entry from it without its ``OPTIONS`` (settings modules are
    not affected, only ``override_settings``/``settings.configure()``). Handing the storage
    handler the setting itself avoids that.
    """
    with override_settings(**overrides):
        if django.VERSION < (5, 1) and "STORAGES" in overrides:
            storages._backends = dict(settings.STORAGES)  # type: ignore[attr-defined]
        yield
