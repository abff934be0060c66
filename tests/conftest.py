"""Suite-wide policy: a skip must be expected, a run must execute tests, secrets never leak."""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Callable, Generator

import pytest

# In real-Swift mode (issue 7) the tests marked fake_only skip with a reason; nothing else may skip.
_REAL_SWIFT = os.environ.get("SWIFT_TARGET", "fake") == "real"
_unexpected_skips: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    allowed = _REAL_SWIFT and "fake_only" in report.keywords
    if not allowed:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _unexpected_skips.append(f"{report.nodeid}: {reason}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _unexpected_skips and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _unexpected_skips:
        terminalreporter.section("unexpected skips (the run fails)", sep="!", red=True)
        for line in _unexpected_skips:
            terminalreporter.write_line(line)


# --- Secret scan (issue 8) -----------------------------------------------------------------
# Every test runs with the root logger at DEBUG and a handler that keeps each formatted record
# (exception text included). After each phase, the logs, the captured output pytest kept
# (report.sections) and the messages of a failure raised by our packages are searched for the
# secrets the test knows about: the passwords and keys of the fake's users, every token the
# fake issued during the test, and values registered with the ``register_secret`` fixture.
# Once per test the repr/str (and deconstruct() and pickle, where they exist) of every fixture
# value from our packages are searched too. A hit fails the test; the message never repeats
# the secret. Output a test read itself with capsys/capfd is the test's business.

_OUR_MODULES = ("selectel_auth", "selectel_objects", "django_selectel")
_SHORTEST_SECRET = 4  # anything shorter would match by accident


class _LogCollector(logging.Handler):
    """Keeps every record, formatted as a log file would show it (exception text included)."""

    def __init__(self, original_level: int) -> None:
        super().__init__(logging.DEBUG)
        self.original_level = original_level  # the root logger's level outside the scan
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.texts: list[str] = []
        self.scanned = 0
        self.sections_scanned = 0  # report.sections accumulate over setup, call, teardown

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.texts.append(self.format(record))
        except Exception:  # noqa: BLE001 - a broken record must not break the test
            self.handleError(record)

    def take(self) -> list[str]:
        """Records not scanned yet."""
        new = self.texts[self.scanned :]
        self.scanned = len(self.texts)
        return new


_LOGS = pytest.StashKey[_LogCollector]()
_EXTRA_SECRETS = pytest.StashKey[set[str]]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "secrets_in_output: the test prints secrets on purpose (e.g. a CLI that prints a "
        "token); its captured stdout/stderr is not scanned (its logs still are)",
    )


@pytest.fixture
def register_secret(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """``register_secret(value)``: fail this test if ``value`` shows up in logs or output."""
    known = request.node.stash.setdefault(_EXTRA_SECRETS, set())

    def register(value: str) -> None:
        if len(value) < _SHORTEST_SECRET:
            raise ValueError(f"a secret to scan for needs {_SHORTEST_SECRET}+ characters")
        known.add(value)

    return register


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    root = logging.getLogger()
    level = root.level
    collector = _LogCollector(level)
    item.stash[_LOGS] = collector
    root.addHandler(collector)
    root.setLevel(logging.DEBUG)
    try:
        return (yield)
    finally:
        root.removeHandler(collector)
        root.setLevel(level)


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    # The root logger is at DEBUG only for the scan: caplog keeps its usual threshold (the
    # root logger's own level, WARNING) until the test asks for more with caplog.set_level().
    caplog = getattr(item, "funcargs", {}).get("caplog")
    collector = item.stash.get(_LOGS, None)
    if isinstance(caplog, pytest.LogCaptureFixture) and collector is not None:
        caplog.handler.setLevel(collector.original_level)
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    collector = item.stash.get(_LOGS, None)
    if collector is None:
        return report
    texts = [("log record", text) for text in collector.take()]
    if report.skipped:
        return report
    sections = report.sections[collector.sections_scanned :]
    collector.sections_scanned = len(report.sections)
    if item.get_closest_marker("secrets_in_output") is None:
        texts += [(title, content) for title, content in sections]
    texts += _exception_texts(call.excinfo)
    if call.when == "teardown":
        texts += _object_texts(getattr(item, "funcargs", None) or {})
    secrets = _known_secrets(item)
    leaks = [
        f"{where}: ...{_masked(text, secret, secrets)}..."
        for where, text in texts
        for secret in secrets
        if secret in text
    ]
    if leaks:
        report.outcome = "failed"
        report.longrepr = "a secret (password, key or token) leaked:\n" + "\n".join(leaks[:10])
    return report


def _known_secrets(item: pytest.Item) -> set[str]:
    from tests.fakeswift import FakeSwift, RunningFakeSwift
    from tests.fakeswift.plugin import ACTIVE_FAKES

    extra: set[str] = item.stash.get(_EXTRA_SECRETS, set())
    secrets = set(extra)
    # The plugin's fixtures record their fakes (also those fetched with getfixturevalue);
    # fixture values cover fakes a test started itself with serve().
    values = [*item.stash.get(ACTIVE_FAKES, []), *(getattr(item, "funcargs", None) or {}).values()]
    fakes = {id(v): v for v in values}
    for value in fakes.values():
        fake = value.fake if isinstance(value, RunningFakeSwift) else value
        if isinstance(fake, FakeSwift):
            secrets.update(fake.secrets())
    return {s for s in secrets if len(s) >= _SHORTEST_SECRET}


def _exception_texts(excinfo: pytest.ExceptionInfo[BaseException] | None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    exc = excinfo.value if excinfo is not None else None
    seen = 0
    while exc is not None and seen < 10:
        if type(exc).__module__.startswith(_OUR_MODULES):
            out.append((f"{type(exc).__name__} message", f"{exc!s} {exc!r}"))
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return out


def _object_texts(funcargs: dict[str, object]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, value in funcargs.items():
        if not type(value).__module__.startswith(_OUR_MODULES):
            continue
        out.append((f"repr/str of fixture {name!r}", f"{value!r} {value!s}"))
        deconstruct = getattr(value, "deconstruct", None)
        if callable(deconstruct):
            out.append((f"deconstruct() of fixture {name!r}", repr(deconstruct())))
            try:
                dumped = pickle.dumps(value)
            except (pickle.PicklingError, TypeError, AttributeError):
                continue  # refusing to pickle is fine
            out.append((f"pickle of fixture {name!r}", dumped.decode("latin-1")))
    return out


def _masked(text: str, secret: str, secrets: set[str]) -> str:
    """The text around the first ``secret``, with every known secret replaced."""
    at = text.find(secret)
    excerpt = text[max(0, at - 60) : at + len(secret) + 60]
    for known in sorted(secrets, key=len, reverse=True):
        excerpt = excerpt.replace(known, "<SECRET>")
    return excerpt.replace("\n", " ")
