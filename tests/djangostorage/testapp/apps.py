"""A tiny app whose models store files through the storage under test."""

from __future__ import annotations

from django.apps import AppConfig


class TestAppConfig(AppConfig):
    name = "tests.djangostorage.testapp"
    label = "testapp"
    default_auto_field = "django.db.models.AutoField"
