"""From a bare Python 3.11 + pip to the project's locked environment (used by the commands)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOOTSTRAP = ROOT / ".venv-bootstrap"
PROJECT_PYTHON = ROOT / ".venv" / "bin" / "python"


def uv_env() -> dict[str, str]:
    """The environment every uv call runs with."""
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}  # PyPI only here: use the local Python
    env.pop("VIRTUAL_ENV", None)
    return env


def find_uv() -> str:
    """uv from PATH, else from our own bootstrap venv (created with pip on first use)."""
    found = shutil.which("uv")
    if found:
        return found
    uv = BOOTSTRAP / "bin" / "uv"
    if not uv.exists():
        print("uv not found: installing it into .venv-bootstrap/ with pip", flush=True)
        venv.create(BOOTSTRAP, with_pip=True)
        subprocess.run(
            [str(BOOTSTRAP / "bin" / "python"), "-m", "pip", "install", "-q", "uv>=0.5"],
            check=True,
        )
    return str(uv)


def sync(uv: str) -> None:
    """Install the locked workspace (all packages, all dependency groups) into .venv."""
    subprocess.run(
        [uv, "sync", "--locked", "--all-packages", "--all-groups", "-q"],
        check=True,
        cwd=ROOT,
        env=uv_env(),
    )


def reexec_in_project_env() -> None:
    """Re-run the calling script with the project's interpreter unless already under it."""
    if Path(sys.prefix).resolve() == (ROOT / ".venv").resolve():
        return
    sync(find_uv())
    env = uv_env()
    env["PYTHONPATH"] = str(ROOT)
    os.execve(str(PROJECT_PYTHON), [str(PROJECT_PYTHON), *sys.argv], env)
