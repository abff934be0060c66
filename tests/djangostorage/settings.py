"""Django settings of the django-selectel tests (also what mypy's django-stubs plugin loads).

Storages pointing at the fake Swift are set per test (its port is only known at run time);
the defaults here keep Django away from the network.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

SECRET_KEY = "django-selectel-tests-only"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "django_selectel",
    "tests.djangostorage.testapp",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
STATIC_URL = "/static/"
STATICFILES_DIRS = [str(HERE / "static_src")]
# Only the sources above: the apps' own static files (django_selectel's upload script) would
# change what the collectstatic tests count.
STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
}
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "tests.djangostorage.urls"
