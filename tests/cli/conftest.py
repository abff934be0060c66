"""Fixtures of the CLI tests: the command run in-process or as a real process, per transport.

The command reaches the ``swift`` target (the fake, or a real Swift with ``SWIFT_TARGET=real``)
through the ``ST_*`` variables swift users have; the token cache lives in the test's tmp dir.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from selectel_objects.cli import main

from tests.objects.conftest import transport_name  # noqa: F401 - every test runs per transport

_AUTH_PREFIXES = ("SELECTEL_", "OS_", "ST_")


@dataclass
class Result:
    """What one run of the command gave."""

    code: int
    out: str
    err: str


class Cli:
    """Runs ``selectel-objects`` against the test Swift."""

    def __init__(self, env: dict[str, str], transport: str, cwd: Path) -> None:
        self.env = env
        self.transport = transport
        self.cwd = cwd

    def argv(self, args: Sequence[str]) -> list[str]:
        """``args`` with the test's transport after the subcommand."""
        if not args or args[0].startswith("-"):
            return list(args)
        return [args[0], "--transport", self.transport, *args[1:]]

    def __call__(self, *args: str, capsys: pytest.CaptureFixture[str]) -> Result:
        """Run in this process (stdout/stderr captured, stderr not a terminal)."""
        capsys.readouterr()
        saved = dict(os.environ)
        os.environ.update(self.env)
        here = Path.cwd()
        os.chdir(self.cwd)
        try:
            code = main(self.argv(args), environ=self.env)
        finally:
            os.chdir(here)
            os.environ.clear()
            os.environ.update(saved)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    def process(self, *args: str, **popen: Any) -> subprocess.Popen[bytes]:
        """Start the command as its own process (``python -m selectel_objects.cli``)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(_AUTH_PREFIXES)}
        env.update(self.env)
        popen.setdefault("stdout", subprocess.PIPE)
        popen.setdefault("stderr", subprocess.PIPE)
        return subprocess.Popen(
            [sys.executable, "-m", "selectel_objects.cli", *self.argv(args)],
            cwd=self.cwd,
            env=env,
            **popen,
        )

    def run(self, *args: str, timeout: float = 60) -> Result:
        """Run as a process to the end."""
        proc = self.process(*args)
        out, err = proc.communicate(timeout=timeout)
        return Result(proc.returncode, out.decode(), err.decode())


@pytest.fixture
def cli(target: Any, transport_name: str, tmp_path: Path) -> Iterator[Cli]:  # noqa: F811
    """The command, authenticated with ``ST_*`` variables against the test Swift."""
    env = {
        "ST_AUTH": target.auth_v1_url,
        "ST_USER": target.v1_user,
        "ST_KEY": target.v1_key,
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    work = tmp_path / "work"
    work.mkdir()
    yield Cli(env, transport_name, work)


@pytest.fixture
def target(request: pytest.FixtureRequest) -> Any:
    """``fake_swift`` when the test asks for it, else ``swift`` (fake or real)."""
    name = "fake_swift" if "fake_swift" in request.fixturenames else "swift"
    return request.getfixturevalue(name)


def make_tree(root: Path, files: dict[str, bytes]) -> Path:
    """Write ``files`` (relative path -> content) under ``root``."""
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root
