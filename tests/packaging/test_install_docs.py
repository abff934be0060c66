"""Every install line of the docs works: plain pip, a fresh virtualenv, from this repository.

The lines are read from the ``sh`` blocks of ``README.md`` and ``packages/*/README.md``; the
wheels they name (``--find-links dist``) are built by ``scripts/build_dists.py``. Each line
runs exactly as written (``dist`` pointed at the wheels of this run) in its own new venv, made
with ``python -m venv`` and pip, not uv; then the layer it installs is imported there, and it
must be this repository's version, never django-selectel 2.x from PyPI.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import subprocess
import venv
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from scripts import build_dists

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "packages").glob("*/README.md"))]
DISTS = {d.name: d for d in build_dists.expected_dists()}
_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)


def doc_install_lines() -> list[str]:
    """Every ``pip install`` line of the docs' shell blocks, comments dropped, once each."""
    lines: list[str] = []
    for doc in DOCS:
        for block in _BLOCK.findall(doc.read_text(encoding="utf-8")):
            for raw in block.splitlines():
                line = raw.split(" #", 1)[0].strip()
                if line.startswith("pip install") and line not in lines:
                    lines.append(line)
    return lines


LINES = doc_install_lines()


def _installs(line: str) -> tuple[str, bool]:
    """``(distribution, with the requests extra)`` that a doc line is about: its last target."""
    target = shlex.split(line)[-1]
    with_requests = "[requests]" in target
    if target.startswith("./packages/"):
        return target.removeprefix("./packages/").split("[")[0].rstrip("/"), with_requests
    name = re.split(r"[\[<>=!~ ]", target, maxsplit=1)[0]
    return name, with_requests


def test_the_docs_have_install_lines_for_every_layer() -> None:
    about = {_installs(line)[0] for line in LINES}
    assert about == set(DISTS), LINES
    for line in LINES:
        assert line.startswith(("pip install ./packages/", "pip install --find-links dist "))
        if "--find-links" in line:
            # A range, so that a name on PyPI that is not ours can never be picked.
            assert re.search(r"\S+>=\d+(\.\d+)*,<\d+", line), line
    for line in LINES:
        if "django-selectel" in line and "--find-links" in line:
            assert ">=3," in line, "the range must exclude the abandoned django-selectel 2.x"
        if "./packages/django-selectel" in line:
            # pip alone cannot find the other two (not on PyPI): one command installs all three.
            assert "./packages/selectel-auth" in line and "./packages/selectel-objects" in line


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    for dist in DISTS.values():
        build_dists.build(dist, out)
    return out


@dataclass(frozen=True)
class Installed:
    line: str
    env_dir: Path
    returncode: int
    output: str


def _install(line: str, wheels: Path, env_dir: Path) -> Installed:
    """Run one doc line as written, with ``pip`` of a new venv (``dist`` = this run's wheels)."""
    venv.create(env_dir, with_pip=True, clear=True)
    words = shlex.split(line)
    assert words[:2] == ["pip", "install"]
    args = [str(env_dir / "bin" / "pip")]
    for before, word in itertools.pairwise(words):
        args.append(str(wheels) if before == "--find-links" and word == "dist" else word)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        [*args, "--quiet", "--no-input"],
        cwd=ROOT,  # the docs' paths are relative to the repository root
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    return Installed(line, env_dir, done.returncode, done.stdout + done.stderr)


@pytest.fixture(scope="module")
def installed(wheels: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Installed]:
    """Every doc line, each in its own fresh venv; run side by side (pip mostly waits on the
    index, so this takes about as long as the slowest line)."""
    root = tmp_path_factory.mktemp("venvs")
    with ThreadPoolExecutor(max_workers=len(LINES)) as pool:
        futures = [
            pool.submit(_install, line, wheels, root / f"venv{n}") for n, line in enumerate(LINES)
        ]
        return {f.result().line: f.result() for f in futures}


@pytest.mark.timeout(1200)  # the first test waits for every install
@pytest.mark.parametrize("line", LINES)
def test_install_line_works_in_a_fresh_venv_with_pip(
    line: str, installed: dict[str, Installed], tmp_path: Path
) -> None:
    result = installed[line]
    assert result.returncode == 0, f"{line}\n{result.output}"
    env_dir = result.env_dir
    name, with_requests = _installs(line)
    dist = DISTS[name]
    probe = (
        "import importlib, importlib.metadata, json\n"
        f"module = importlib.import_module({dist.module!r})\n"
        "report = {'file': module.__file__, 'version': getattr(module, '__version__', None),"
        f" 'installed': importlib.metadata.version({dist.name!r})}}\n"
        "try:\n"
        "    import requests  # noqa: F401\n"
        "    report['requests'] = True\n"
        "except ImportError:\n"
        "    report['requests'] = False\n"
        "print(json.dumps(report))\n"
    )
    probed = subprocess.run(
        [str(env_dir / "bin" / "python"), "-I", "-c", probe],
        cwd=tmp_path,  # outside the repository: nothing can come from the work tree
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(probed.stdout)
    assert str(env_dir) in report["file"], "the package must come from the fresh venv"
    assert report["installed"] == report["version"] == dist.version
    if with_requests:
        assert report["requests"], f"{line} must bring the requests transport"
    if name == "django-selectel":
        assert int(report["installed"].split(".")[0]) >= 3


def test_build_dists_writes_the_wheels_the_docs_install(wheels: Path) -> None:
    built = sorted(p.name for p in wheels.glob("*.whl"))
    assert built == sorted(f"{d.module}-{d.version}-py3-none-any.whl" for d in DISTS.values())
