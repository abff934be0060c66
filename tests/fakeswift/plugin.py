"""pytest plugin: the ``fake_swift``, ``fake_swift_tls`` and ``swift`` fixtures.

One threaded server per scheme lives for the whole session; every test gets the fake reset
(default users, empty store, no faults, counters at zero) and, at teardown, any error raised
inside the fake fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakeswift.app import FakeSwift
from tests.fakeswift.runner import RunningFakeSwift, serve

__all__ = ["fake_swift", "fake_swift_tls", "swift"]

_FAKE_FIXTURES = ("fake_swift", "fake_swift_tls")


@pytest.fixture(scope="session")
def _fake_swift_session() -> Iterator[RunningFakeSwift]:
    running = serve()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def _fake_swift_tls_session(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningFakeSwift]:
    running = serve(tls=True, ca_dir=str(tmp_path_factory.mktemp("fakeswift-ca")))
    yield running
    running.stop()


def _fresh(running: RunningFakeSwift) -> Iterator[FakeSwift]:
    fake = running.fake
    fake.reset()
    running.server.clear_assertions()
    running.server.clear_handler_errors()
    yield fake
    # Cut short delays and trickles a test left behind, then surface bugs in the fake.
    fake.faults.reset()
    running.server.check_assertions()
    running.server.check_handler_errors()


@pytest.fixture
def fake_swift(_fake_swift_session: RunningFakeSwift) -> Iterator[FakeSwift]:
    """The fake Swift over HTTP, reset for this test."""
    yield from _fresh(_fake_swift_session)


@pytest.fixture
def fake_swift_tls(_fake_swift_tls_session: RunningFakeSwift) -> Iterator[FakeSwift]:
    """The fake Swift over HTTPS (trustme CA at ``fake.ca_path``), reset for this test."""
    yield from _fresh(_fake_swift_tls_session)


@pytest.fixture
def swift(request: pytest.FixtureRequest) -> Iterator[FakeSwift]:
    """*A* Swift for tests that run against fake and real alike (today: the fake over HTTP).

    Only the attributes every target has may be used through it: ``auth_v1_url``,
    ``v1_user``, ``v1_key``, ``storage_url()``, ``v1_credential(**kw)``.
    """
    running: RunningFakeSwift = request.getfixturevalue("_fake_swift_session")
    yield from _fresh(running)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use the fake's own features cannot run against a real Swift."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if any(name in names for name in _FAKE_FIXTURES):
            item.add_marker(pytest.mark.fake_only)
