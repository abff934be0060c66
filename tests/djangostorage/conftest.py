"""Django for the django-selectel tests, configured for this folder only.

Django is configured from ``tests/djangostorage/settings.py`` with ``settings.configure()``
when this folder is collected: no environment variable is set, so nothing leaks into the
other test folders. Every test runs once per transport (``transport_name``).

Tests run against the ``swift`` fixture (the fake, or a real Swift with ``SWIFT_TARGET=real``)
unless they ask for ``fake_swift``: ``direct`` seeds and reads the target over plain HTTP and
``wire`` counts the storages' requests, so that neither needs the fake's insides.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import django
import pytest
from django.conf import settings

from tests.djangostorage import settings as test_settings

if not settings.configured:
    settings.configure(**{k: getattr(test_settings, k) for k in dir(test_settings) if k.isupper()})
    django.setup()

from django_selectel._clients import clear_clients
from selectel_objects import ObjectStorage, Transport, get_transport

from tests.djangostorage.helpers import Direct, Swift, Wire, override_storages

SELECTEL = "django_selectel.storages.SelectelStorage"


@pytest.fixture(autouse=True, params=["urllib3", "requests"])
def transport_name(request: pytest.FixtureRequest) -> str:
    """Every test of this folder runs over both HTTP transports."""
    return str(request.param)


@pytest.fixture(autouse=True)
def _fresh_clients() -> Iterator[None]:
    # The fake forgets its tokens between tests; a shared client must not remember them.
    clear_clients()
    yield
    clear_clients()


@pytest.fixture
def target(request: pytest.FixtureRequest) -> Swift:
    """The Swift of this test: ``fake_swift`` when the test asks for it, else ``swift``.

    Both fixtures reset the same server, so a test must get exactly one of them.
    """
    name = "fake_swift" if "fake_swift" in request.fixturenames else "swift"
    swift: Swift = request.getfixturevalue(name)
    return swift


@pytest.fixture
def direct(target: Swift) -> Iterator[Direct]:
    """Plain HTTP to the target Swift: seed objects, read back what is stored."""
    helper = Direct(target)
    yield helper
    helper.close()


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Wire:
    """Records every request of the storages' shared clients from now on (client side).

    django-selectel builds its transports by name; the seam is the ``get_transport`` its
    client module calls, whose transport is wrapped, not replaced: the requests still go out.
    """
    recorder = Wire()

    def recording(*args: Any, **kwargs: Any) -> tuple[Transport, bool]:
        transport, owned = get_transport(*args, **kwargs)
        return recorder.wrap(transport), owned

    monkeypatch.setattr("django_selectel._clients.get_transport", recording)
    clear_clients()  # a client built before now would send past the recorder
    return recorder


@pytest.fixture
def container(target: Swift) -> str:
    """A new, empty container in the target Swift (created out of band: no storage request)."""
    name = f"dj-{uuid.uuid4().hex[:12]}"
    with ObjectStorage(target.v1_credential()) as client:
        client.container(name).create()
    return name


@pytest.fixture
def options(target: Swift, container: str, transport_name: str) -> dict[str, Any]:
    """STORAGES OPTIONS of a storage on ``container`` (legacy v1 credentials of the target)."""
    return {
        "user": target.v1_user,
        "key": target.v1_key,
        "auth_url": target.auth_v1_url,
        "container": container,
        "transport": transport_name,
        "storage_url": target.storage_url(),
    }


@pytest.fixture
def media_settings(options: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """``STORAGES['default']`` is a SelectelStorage on ``container`` for this test."""
    storages_setting = {
        "default": {"BACKEND": SELECTEL, "OPTIONS": options},
        "staticfiles": settings.STORAGES["staticfiles"],
    }
    with override_storages(STORAGES=storages_setting):
        yield storages_setting


@pytest.fixture
def db() -> Iterator[None]:
    """An in-memory SQLite database with the test app's tables; each test rolls back."""
    from django.db import connection, transaction

    _migrate_once()
    assert not connection.in_atomic_block
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


_MIGRATED: list[bool] = []


def _migrate_once() -> None:
    if _MIGRATED:
        return
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, verbosity=0)
    _MIGRATED.append(True)
