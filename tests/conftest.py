"""Suite-wide policy: a skip must be expected, and a run must execute tests."""

from __future__ import annotations

import os

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
