"""Fixtures of the selectel-objects tests: every test runs once per transport."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from selectel_objects import Container, ObjectStorage, RetryPolicy


@pytest.fixture(autouse=True, params=["urllib3", "requests"])
def transport_name(request: pytest.FixtureRequest) -> str:
    """The transport backend this run of the test uses."""
    name: str = request.param
    return name


@pytest.fixture
def sleeps() -> list[float]:
    """The waits the retry policy asked for (nobody really sleeps)."""
    return []


@pytest.fixture
def retry(sleeps: list[float]) -> RetryPolicy:
    """Retries as by default, but the waits are recorded instead of slept."""
    return RetryPolicy(total=3, backoff=0.01, sleep=sleeps.append)


@pytest.fixture
def target(request: pytest.FixtureRequest) -> Any:
    """The Swift under test: ``fake_swift`` or ``faulty_swift`` when the test asks for it (one
    reset only), else ``swift``."""
    names = request.fixturenames
    name = next((n for n in ("fake_swift", "faulty_swift") if n in names), "swift")
    return request.getfixturevalue(name)


@pytest.fixture
def make_storage(target: Any, transport_name: str, retry: RetryPolicy) -> Iterator[Any]:
    """``make_storage(**options)``: an ObjectStorage on the test Swift via legacy v1 auth."""
    made: list[ObjectStorage] = []

    def make(**options: Any) -> ObjectStorage:
        options.setdefault("transport", transport_name)
        options.setdefault("retry", retry)
        options.setdefault("timeout", 5.0)
        storage = ObjectStorage.swift_v1(
            auth_url=target.auth_v1_url, user=target.v1_user, key=target.v1_key, **options
        )
        made.append(storage)
        return storage

    yield make
    for storage in made:
        storage.close()


@pytest.fixture
def storage(make_storage: Any) -> ObjectStorage:
    """An account client with the default options (recorded, instant retries)."""
    made: ObjectStorage = make_storage()
    return made


@pytest.fixture
def container(storage: ObjectStorage) -> Container:
    """An existing, empty container."""
    media = storage.container("media")
    media.create()
    return media
