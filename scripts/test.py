"""The whole test suite, from nothing: ``python3 scripts/test.py``.

Needs only Python >= 3.11 and pip. It finds uv (or installs it into ``.venv-bootstrap/``),
installs the locked workspace, then runs every check CI runs, in order:

  lint        ruff check + ruff format --check
  types       mypy --strict over the packages, tests and scripts
  codegen     the generated layer of selectel-objects is current
  tests       pytest, the whole suite (auth, objects, django, fake server, codegen, packaging)
  real-swift  the auth, objects, CLI and django suites (and the fake's parity tests) against a real
              OpenStack Swift started on loopback by scripts/realswift.py (SWIFT_TARGET=real;
              the fake_only tests skip with their reason)
  django-4.2  the Django suite again on Django 4.2 LTS (the locked env has 5.2 LTS)

Extra arguments go to the main pytest run (e.g. ``-k tempurl``, ``-x``). ``--only STEP`` runs
one step. Exit status is non-zero when any step fails; the last line counts the test results.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts._bootstrap import find_uv, sync, uv_env  # noqa: E402 - needs ROOT on sys.path first

REPORTS = ROOT / ".tmp" / "reports"
ENV = {**uv_env(), "PYTHONDONTWRITEBYTECODE": "1"}
# The fake runs never inherit a real-Swift target from the caller's shell.
for _name in ("SWIFT_TARGET", "SWIFT_AUTH_URL", "SWIFT_USER", "SWIFT_KEY"):
    ENV.pop(_name, None)
# Its own run dir: a developer's instance in the default one is neither reused nor stopped.
REAL_SWIFT_RUN_DIR = ROOT / ".tmp" / "realswift-test"
REAL_SWIFT_SUITES = ("tests/auth", "tests/objects", "tests/cli", "tests/djangostorage")
REAL_SWIFT_PARITY = "tests/fakeswift/test_parity.py"


def junit_counts(path: Path) -> tuple[int, int, int]:
    """(passed, failed, skipped) from a pytest junit XML report."""
    if not path.exists():
        return 0, 0, 0
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    tests = failed = skipped = 0
    for suite in suites:
        tests += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return tests - failed - skipped, failed, skipped


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into an exception so that ``finally`` blocks run."""

    def interrupt(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run_group(cmd: list[str], env: dict[str, str]) -> bool:
    """Run ``cmd`` in its own process group; on any way out, end the whole group.

    ``uv run`` starts pytest as its own child: stopping uv alone would orphan pytest.
    """
    child = subprocess.Popen(cmd, env=env, start_new_session=True)
    try:
        return child.wait() == 0
    finally:
        if child.poll() is None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(child.pid, sig)
                    child.wait(timeout=10)
                    break
                except ProcessLookupError:
                    break
                except subprocess.TimeoutExpired:
                    continue


def real_swift_step(pytest_cmd: Callable[..., list[str]]) -> bool:
    """Start a real Swift, run the suites against it, stop it whatever happens."""
    from scripts import realswift

    def say(line: str) -> None:
        print(f"realswift: {line}", flush=True)

    # realswift installs Swift with uv when uv is on PATH (else with pip).
    os.environ["PATH"] = ENV["PATH"]
    with _stop_on_signals():
        try:
            began = time.monotonic()
            instance = realswift.start(REAL_SWIFT_RUN_DIR, say=say)
            print(
                f"real Swift {instance.swift_version} on {instance.base_url} "
                f"(ready in {time.monotonic() - began:.1f} s)",
                flush=True,
            )
            cmd = pytest_cmd("real", *REAL_SWIFT_SUITES, REAL_SWIFT_PARITY)
            return _run_group(cmd, {**ENV, **instance.env()})
        except realswift.RealSwiftError as exc:
            print(f"real Swift could not start: {exc}", flush=True)
            return False
        finally:
            realswift.stop(REAL_SWIFT_RUN_DIR)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run every check of the repository.")
    parser.add_argument(
        "--only", help="run one step: lint, types, codegen, tests, real-swift, django-4.2"
    )
    args, pytest_args = parser.parse_known_args(argv)

    uv = find_uv()
    ENV["PATH"] = f"{Path(uv).parent}{os.pathsep}{ENV.get('PATH', '')}"
    os.chdir(ROOT)
    sync(uv)
    REPORTS.mkdir(parents=True, exist_ok=True)
    run = [uv, "run", "--no-sync"]

    def pytest_cmd(name: str, *extra: str, prefix: tuple[str, ...] = ()) -> list[str]:
        return [*run, *prefix, "pytest", f"--junitxml={REPORTS / name}.xml", *extra]

    steps: list[tuple[str, list[list[str]] | Callable[[], bool]]] = [
        ("lint", [[*run, "ruff", "check", "."], [*run, "ruff", "format", "--check", "."]]),
        ("types", [[*run, "mypy", "packages", "tests", "scripts"]]),
        ("codegen", [[*run, "python", "scripts/generate_objects.py", "--check"]]),
        ("tests", [pytest_cmd("tests", *pytest_args)]),
        ("real-swift", lambda: real_swift_step(pytest_cmd)),
        (
            "django-4.2",
            [pytest_cmd("django42", "tests/djangostorage", prefix=("--with", "django>=4.2,<5"))],
        ),
    ]
    for stale in REPORTS.glob("*.xml"):
        stale.unlink()
    results: list[tuple[str, bool, float]] = []
    for name, commands in steps:
        if args.only and name != args.only:
            continue
        print(f"\n=== {name} ===", flush=True)
        started = time.monotonic()
        if callable(commands):
            ok = commands()
        else:
            ok = all(subprocess.run(cmd, check=False, env=ENV).returncode == 0 for cmd in commands)
        results.append((name, ok, time.monotonic() - started))

    print("\n=== summary ===")
    for name, ok, seconds in results:
        print(f"{'ok  ' if ok else 'FAIL'} {name:<12} {seconds:7.1f} s")
    passed = failed = skipped = 0
    for report in REPORTS.glob("*.xml"):
        p, f, s = junit_counts(report)
        passed, failed, skipped = passed + p, failed + f, skipped + s
    all_ok = all(ok for _, ok, _ in results)
    if not all_ok and failed == 0:
        failed = sum(1 for _, ok, _ in results if not ok)  # a failed non-pytest step counts too
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
