"""Build each distribution on its own, the way it will be published, and check its metadata.

    python scripts/build_dists.py [--out DIR] [PACKAGE ...]

The wheels are what the install lines of the READMEs take (``pip install --find-links dist
...``). Each package is built with ``uv build --package NAME --no-sources`` (workspace sources
ignored, as PyPI and any other frontend will see it) into DIR (default ``dist/``), then its
wheel and sdist are opened and checked: name, version, Requires-Dist exactly as declared,
README as long description, ``py.typed`` shipped, nothing from ``tests/``, ``scripts/`` or
``api/`` in the wheel.
"""

from __future__ import annotations

import argparse
import email.parser
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: `python3 scripts/build_dists.py`
    sys.path.insert(0, str(ROOT))
from scripts._bootstrap import find_uv  # noqa: E402 - needs ROOT on sys.path first


@dataclass(frozen=True)
class Dist:
    name: str  # distribution name
    module: str  # import name
    version: str
    requires: tuple[str, ...]  # Requires-Dist lines exactly as they must appear


def _project(directory: str) -> dict[str, object]:
    with (ROOT / "packages" / directory / "pyproject.toml").open("rb") as fh:
        project = tomllib.load(fh)["project"]
    assert isinstance(project, dict)
    return project


def expected_dists() -> list[Dist]:
    """What each distribution must declare, read from its own pyproject.toml."""
    dists = []
    for directory in sorted(p.name for p in (ROOT / "packages").iterdir()):
        project = _project(directory)
        requires = [str(r) for r in project.get("dependencies", [])]  # type: ignore[attr-defined]
        for extra, reqs in dict(project.get("optional-dependencies", {})).items():  # type: ignore[call-overload]
            requires += [f"{r}; extra == '{extra}'" for r in reqs]
        dists.append(
            Dist(
                name=str(project["name"]),
                module=str(project["name"]).replace("-", "_"),
                version=str(project["version"]),
                requires=tuple(requires),
            )
        )
    return dists


def _uv() -> str:
    # On a fresh machine (only Python and pip) this installs uv into .venv-bootstrap/.
    return find_uv()


def build(dist: Dist, out: Path) -> tuple[Path, Path]:
    """Build sdist and wheel of one distribution; return their paths."""
    subprocess.run(
        [_uv(), "build", "--package", dist.name, "--no-sources", "--out-dir", str(out), "-q"],
        cwd=ROOT,
        check=True,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
    )
    stem = f"{dist.module}-{dist.version}"
    return out / f"{stem}-py3-none-any.whl", out / f"{stem}.tar.gz"


def normalise(requirement: str) -> str:
    """A requirement string in a canonical form, for comparing metadata with declarations."""
    # Backends reorder specifiers ("<0.2,>=0.1"); compare them as sets.
    text = requirement.replace(" ", "").replace('"', "'").lower()
    match = re.fullmatch(r"([a-z0-9_.\-]+(?:\[[^\]]*\])?)([^;]*)(;.*)?", text)
    if match is None:
        return text
    name, specs, marker = match.groups()
    return name + ",".join(sorted(filter(None, specs.split(",")))) + (marker or "")


def check(dist: Dist, wheel: Path, sdist: Path) -> list[str]:
    """Return the problems found in a built wheel and sdist (empty when all is well)."""
    problems: list[str] = []
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta_name = f"{dist.module}-{dist.version}.dist-info/METADATA"
        meta = email.parser.Parser().parsestr(zf.read(meta_name).decode())
    if meta["Name"] != dist.name or meta["Version"] != dist.version:
        problems.append(f"{wheel.name}: name/version {meta['Name']} {meta['Version']}")
    got = sorted(normalise(r) for r in meta.get_all("Requires-Dist") or [])
    want = sorted(normalise(r) for r in dist.requires)
    if got != want:
        problems.append(f"{wheel.name}: Requires-Dist {got} != declared {want}")
    if meta.get("Description-Content-Type") != "text/markdown" or len(meta.get_payload()) < 200:
        problems.append(f"{wheel.name}: README missing or too short as long description")
    if f"{dist.module}/py.typed" not in names:
        problems.append(f"{wheel.name}: py.typed missing")
    stray = [n for n in names if n.split("/")[0] in {"tests", "scripts", "api", "packages"}]
    if stray:
        problems.append(f"{wheel.name}: files outside the package: {stray[:5]}")
    with tarfile.open(sdist) as tf:
        members = tf.getnames()
    if not any(m.endswith("/pyproject.toml") for m in members):
        problems.append(f"{sdist.name}: no pyproject.toml")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("packages", nargs="*", help="distribution names (default: all)")
    args = parser.parse_args(argv)
    problems: list[str] = []
    for dist in expected_dists():
        if args.packages and dist.name not in args.packages:
            continue
        wheel, sdist = build(dist, args.out)
        found = check(dist, wheel, sdist)
        problems += found
        print(f"{'FAIL' if found else 'ok  '} {wheel.name} {sdist.name}")
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
