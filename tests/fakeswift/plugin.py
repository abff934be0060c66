"""pytest plugin: the ``fake_swift``, ``fake_swift_tls`` and ``swift`` fixtures.

One threaded server per scheme lives for the whole session; every test gets the fake reset
(default users, empty store, no faults, counters at zero) and, at teardown, any error raised
inside the fake fails the test.

With ``SWIFT_TARGET=real`` the ``swift`` fixture is a real OpenStack Swift named by the
environment (``tests.fakeswift.real``), its account emptied before every test, and the tests
marked ``fake_only`` (every test using ``fake_swift``/``fake_swift_tls`` is) skip with a reason.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from tests.fakeswift.app import FakeSwift
from tests.fakeswift.real import RealSwift, RealSwiftUnavailable
from tests.fakeswift.runner import RunningFakeSwift, serve
from tests.faultproxy.target import FaultySwift

__all__ = ["ACTIVE_FAKES", "fake_swift", "fake_swift_tls", "faulty_swift", "swift"]

#: The fakes a test got (``fake_swift``, ``fake_swift_tls``, ``swift`` in fake mode, also via
#: ``request.getfixturevalue`` inside another fixture), on ``item.stash``: the suite's secret
#: scan reads ``fake.secrets()`` of each.
ACTIVE_FAKES = pytest.StashKey[list[FakeSwift]]()

_FAKE_FIXTURES = ("fake_swift", "fake_swift_tls")
REAL_TARGET = os.environ.get("SWIFT_TARGET", "fake") == "real"
_SKIP_REASON = "fake_only ({why}): not run against a real Swift (SWIFT_TARGET=real)"
#: Node ids of the tests that got a real Swift through ``swift`` (for the summary line).
_REAL_RUNS: list[str] = []


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


@pytest.fixture(scope="session")
def _real_swift_session() -> Iterator[RealSwift]:
    try:
        real = RealSwift.from_env(os.environ)
        real.authenticate()
    except RealSwiftUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    yield real
    real.close()


def _fresh(running: RunningFakeSwift, request: pytest.FixtureRequest) -> Iterator[FakeSwift]:
    fake = running.fake
    fake.reset()
    active = request.node.stash.setdefault(ACTIVE_FAKES, [])
    if fake not in active:
        active.append(fake)
    running.server.clear_assertions()
    running.server.clear_handler_errors()
    yield fake
    # Cut short delays and trickles a test left behind, then surface bugs in the fake.
    fake.faults.reset()
    running.server.check_assertions()
    running.server.check_handler_errors()


@pytest.fixture
def fake_swift(
    _fake_swift_session: RunningFakeSwift, request: pytest.FixtureRequest
) -> Iterator[FakeSwift]:
    """The fake Swift over HTTP, reset for this test."""
    yield from _fresh(_fake_swift_session, request)


@pytest.fixture
def fake_swift_tls(
    _fake_swift_tls_session: RunningFakeSwift, request: pytest.FixtureRequest
) -> Iterator[FakeSwift]:
    """The fake Swift over HTTPS (trustme CA at ``fake.ca_path``), reset for this test."""
    yield from _fresh(_fake_swift_tls_session, request)


@pytest.fixture
def swift(request: pytest.FixtureRequest) -> Iterator[FakeSwift | RealSwift]:
    """*A* Swift for tests that run against fake and real alike (``SWIFT_TARGET``).

    Only the attributes every target has may be used through it: ``auth_v1_url``,
    ``v1_user``, ``v1_key``, ``v1_credential(**kw)``, ``auth_v3_url``, ``v3``,
    ``v3_credential(**kw)``, ``regions``, ``storage_url(account, region=, interface=)`` (and
    ``base_url``, ``info_url``, ``ca_path``); ``tests.fakeswift.v3target`` has what differs
    (short-lived tokens, revocation, the reader role). A real Swift's accounts (tempauth and
    Keystone project) are emptied before the test; its keys, passwords and the v1 token count
    as secrets for the suite's leak scan.
    """
    if not REAL_TARGET:
        running: RunningFakeSwift = request.getfixturevalue("_fake_swift_session")
        yield from _fresh(running, request)
        return
    real: RealSwift = request.getfixturevalue("_real_swift_session")
    real.empty_account()
    register: Callable[[str], None] = request.getfixturevalue("register_secret")
    token, _url = real.authenticate()
    for secret in real.secrets():
        register(secret)
    register(token)
    _REAL_RUNS.append(request.node.nodeid)
    yield real


# -- fault tests on both targets (the fault proxy, tests/faultproxy) ---------------------------


@pytest.fixture(scope="session")
def _faulty_swift_session(_real_swift_session: RealSwift) -> Iterator[FaultySwift]:
    faulty = FaultySwift(_real_swift_session)
    yield faulty
    faulty.close()


@pytest.fixture
def faulty_swift(request: pytest.FixtureRequest) -> Iterator[FakeSwift | FaultySwift]:
    """*A* Swift with fault switches: the fake, or (``SWIFT_TARGET=real``) the real Swift
    behind the fault proxy. Both have the switches, ``requests``, ``count()``, ``secrets()``;
    what Swift stored is read through ``tests.reliability._support.view_of``.
    """
    if not REAL_TARGET:
        yield from _fresh(request.getfixturevalue("_fake_swift_session"), request)
        return
    faulty: FaultySwift = request.getfixturevalue("_faulty_swift_session")
    faulty.reset()
    register: Callable[[str], None] = request.getfixturevalue("register_secret")
    register(faulty.v1_key)
    register(faulty.real.authenticate()[0])
    _REAL_RUNS.append(request.node.nodeid)
    yield faulty
    faulty.faults.reset()  # cut short a stall or trickle the test left behind


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use the fake's own features cannot run against a real Swift."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if any(name in names for name in _FAKE_FIXTURES):
            item.add_marker(pytest.mark.fake_only("uses the fake_swift fixture"))
        if not REAL_TARGET:
            continue
        marker = item.get_closest_marker("fake_only")
        if marker is not None:
            why = str(marker.args[0]) if marker.args else "needs the fake Swift server"
            item.add_marker(pytest.mark.skip(reason=_SKIP_REASON.format(why=why)))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """In real-Swift mode, say how many tests really went to the real server."""
    if REAL_TARGET:
        where = os.environ.get("SWIFT_AUTH_URL", "?")
        terminalreporter.write_line(
            f"real Swift ({where}): {len(_REAL_RUNS)} tests ran against it via the swift "
            "and faulty_swift fixtures"
        )
