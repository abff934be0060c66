"""Settings of the demo project: storages configured from ``SELECTEL_*`` environment variables.

Keystone v3 (the current Selectel storage): ``SELECTEL_USERNAME``, ``SELECTEL_PASSWORD``,
``SELECTEL_ACCOUNT_ID``, ``SELECTEL_PROJECT_ID``, ``SELECTEL_REGION`` (and optionally
``SELECTEL_AUTH_URL``, ``SELECTEL_STORAGE_URL``, ``SELECTEL_TEMP_URL_KEY``); or legacy v1
(also OpenStack Swift's tempauth): ``SELECTEL_USER`` and ``SELECTEL_KEY``. The container is
``SELECTEL_DEMO_CONTAINER`` (default ``django-selectel-demo``, created when missing).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "demo-only-not-a-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "demo_project.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "django_selectel",
    "gallery",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
STATIC_URL = "/static/"


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


# One place for the connection: both storages below share it (and so one token and pool).
SELECTEL: dict[str, Any] = {
    key: value
    for key, value in {
        "username": _env("SELECTEL_USERNAME"),
        "password": _env("SELECTEL_PASSWORD"),
        "account_id": _env("SELECTEL_ACCOUNT_ID"),
        "project_id": _env("SELECTEL_PROJECT_ID"),
        "project_name": _env("SELECTEL_PROJECT_NAME"),
        "region": _env("SELECTEL_REGION"),
        "user": _env("SELECTEL_USER"),
        "key": _env("SELECTEL_KEY"),
        "auth_url": _env("SELECTEL_AUTH_URL"),
        "storage_url": _env("SELECTEL_STORAGE_URL"),
        "temp_url_key": _env("SELECTEL_TEMP_URL_KEY"),
        "transport": _env("SELECTEL_TRANSPORT"),
        "container": os.environ.get("SELECTEL_DEMO_CONTAINER", "django-selectel-demo"),
        "auto_create_container": True,
    }.items()
    if value is not None
}

STORAGES = {
    "default": {
        "BACKEND": "django_selectel.storages.SelectelStorage",
        "OPTIONS": {
            **SELECTEL,
            "location": "media",
            "object_parameters": {"Cache-Control": "max-age=3600"},
        },
    },
    "staticfiles": {
        "BACKEND": "django_selectel.storages.ManifestSelectelStaticStorage",
        "OPTIONS": {**SELECTEL, "location": "static"},
    },
}
