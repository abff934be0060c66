"""The whole test suite, from nothing: ``python3 scripts/test.py``.

Needs only Python >= 3.11 and pip. It finds uv (or installs it into ``.venv-bootstrap/``),
installs the locked workspace, then runs every check CI runs, in order:

  lint        ruff check + ruff format --check
  types       mypy --strict over the packages, tests and scripts
  codegen     the generated layer of selectel-objects is current
  tests       pytest, the whole suite (auth, objects, django, fake server, codegen, packaging)
  real-swift  the auth, objects, CLI and django suites (and the fake's parity, CORS and swift CLI
              tests, the fault matrix and the stress test through the fault proxy) against a
              real OpenStack Swift and a real Keystone started on loopback by
              scripts/realswift.py (SWIFT_TARGET=real: v1 tests on the tempauth proxy, Keystone
              tests on the authtoken + keystoneauth proxies; the fake_only tests skip with
              their reason)
  django-4.2  the Django suite again on Django 4.2 LTS (the locked env has 5.2 LTS)

Before the test steps it installs, with apt-get when missing, the Debian packages some tests
drive for real: chromium + chromium-driver (direct browser uploads) and redis-server (the
shared token cache). Installed ones are not touched; without root or apt-get it says so and
those tests fail with the reason.

Extra arguments go to the main pytest run (e.g. ``-k tempurl``, ``-x``). ``--only STEP`` runs
one step. Exit status is non-zero when any step fails; the last line counts the test results.
"""

from __future__ import annotations

import argparse
import os
import shutil
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
for _name in ("SWIFT_TARGET", "SWIFT_AUTH_URL", "SWIFT_USER", "SWIFT_KEY", "SWIFT_KEYSTONE"):
    ENV.pop(_name, None)
# Its own run dir: a developer's instance in the default one is neither reused nor stopped.
REAL_SWIFT_RUN_DIR = ROOT / ".tmp" / "realswift-test"
REAL_SWIFT_SUITES = ("tests/auth", "tests/objects", "tests/cli", "tests/djangostorage")
REAL_SWIFT_PARITY = (
    "tests/fakeswift/test_parity.py",
    "tests/fakeswift/test_swiftclient.py",
    "tests/fakeswift/test_cors.py",
)
#: The fault tests that run on both targets: on real, through the fault proxy (tests/faultproxy).
REAL_SWIFT_FAULTS = ("tests/reliability/test_fault_matrix.py", "tests/reliability/test_stress.py")


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
    """Start a real Swift and Keystone, run the suites against them, stop them whatever happens."""
    from scripts import realswift

    def say(line: str) -> None:
        print(f"realswift: {line}", flush=True)

    # realswift installs Swift with uv when uv is on PATH (else with pip).
    os.environ["PATH"] = ENV["PATH"]
    with _stop_on_signals():
        try:
            began = time.monotonic()
            instance = realswift.start(REAL_SWIFT_RUN_DIR, say=say)
            keystone = instance.keystone.auth_url if instance.keystone is not None else "none"
            print(
                f"real Swift {instance.swift_version} on {instance.base_url}, Keystone "
                f"{instance.keystone_version} on {keystone} "
                f"(ready in {time.monotonic() - began:.1f} s)",
                flush=True,
            )
            cmd = pytest_cmd("real", *REAL_SWIFT_SUITES, *REAL_SWIFT_PARITY, *REAL_SWIFT_FAULTS)
            return _run_group(cmd, {**ENV, **instance.env()})
        except realswift.RealSwiftError as exc:
            print(f"real Swift could not start: {exc}", flush=True)
            return False
        finally:
            realswift.stop(REAL_SWIFT_RUN_DIR)


# Real components some tests need (a browser for the direct-upload tests, Redis for the
# shared token cache), from Debian: command -> package(s) providing it.
SYSTEM_PACKAGES = {
    "/usr/bin/chromium": ("chromium", "chromium-driver"),
    "/usr/bin/redis-server": ("redis-server",),
}


def ensure_system_packages() -> bool:
    """Install the missing Debian packages with apt-get (idempotent); False with the reason."""
    missing = sorted(
        {pkg for path, pkgs in SYSTEM_PACKAGES.items() if not Path(path).exists() for pkg in pkgs}
    )
    if not missing:
        return True
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        print(
            f"cannot install {' '.join(missing)}: "
            + ("apt-get not found" if apt is None else "not root")
            + f"; install them (apt-get install {' '.join(missing)}) and run again",
            flush=True,
        )
        return False
    print(f"installing {' '.join(missing)} with apt-get", flush=True)
    quiet = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (
        [apt, "update", "-q"],
        [apt, "install", "-y", "-q", "--no-install-recommends", *missing],
    ):
        if subprocess.run(cmd, check=False, env=quiet).returncode != 0:
            print(f"apt-get failed: {' '.join(cmd)}", flush=True)
            return False
    still = [path for path in SYSTEM_PACKAGES if not Path(path).exists()]
    if still:
        print(f"apt-get installed the packages, yet {' '.join(still)} is missing", flush=True)
        return False
    return True


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
    needs_packages = {"tests", "real-swift", "django-4.2"}
    packages_ok: bool | None = None
    for stale in REPORTS.glob("*.xml"):
        stale.unlink()
    results: list[tuple[str, bool, float]] = []
    for name, commands in steps:
        if args.only and name != args.only:
            continue
        print(f"\n=== {name} ===", flush=True)
        started = time.monotonic()
        if name in needs_packages and packages_ok is None:
            # Without them the tests that need them fail, each with the reason.
            packages_ok = ensure_system_packages()
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
