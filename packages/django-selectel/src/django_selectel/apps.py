"""Django app config: adding ``django_selectel`` to ``INSTALLED_APPS`` registers the checks."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks

__all__ = ["DjangoSelectelConfig"]


class DjangoSelectelConfig(AppConfig):
    """Registers the ``django_selectel`` system checks and the ``selectel_check`` command."""

    name = "django_selectel"
    verbose_name = "Selectel Cloud Storage"
    default = True

    def ready(self) -> None:
        from django_selectel.checks import check_settings  # noqa: PLC0415 - apps must load first

        checks.register(check_settings, "django_selectel")
