"""Settings of the browser test site; the storage options arrive in ``BROWSER_SITE``."""

from __future__ import annotations

import json
import os
from typing import Any

_SITE: dict[str, Any] = json.loads(os.environ.get("BROWSER_SITE", "{}"))

SECRET_KEY = "django-selectel-browser-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_selectel",
    "tests.djangostorage.browser_site",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": _SITE.get("db", ":memory:")}
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
# A throw-away site: a slow password hash would only slow every test's login.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ROOT_URLCONF = "tests.djangostorage.browser_site.urls"
STATIC_URL = "/static/"
STORAGES = {
    "default": {
        "BACKEND": "django_selectel.storages.SelectelStorage",
        "OPTIONS": _SITE.get("storage", {}),
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
#: The size limit of every direct upload of the site (small, so that tests can exceed it).
MAX_UPLOAD = int(_SITE.get("max_upload", 256 * 1024))
