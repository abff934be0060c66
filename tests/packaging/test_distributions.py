"""Each distribution builds alone, declares only its own dependencies and installs alone."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import build_dists

ROOT = Path(__file__).resolve().parents[2]
DISTS = {d.name: d for d in build_dists.expected_dists()}
# What importing each package may pull in: the one-way rule, checked in a clean interpreter.
FORBIDDEN_ON_IMPORT = {
    "selectel-auth": ["django", "urllib3", "requests", "attrs", "selectel_objects"],
    "selectel-objects": ["django", "requests", "django_selectel"],
    "django-selectel": ["requests"],
}
RUNTIME_REQUIREMENTS = {
    "selectel-auth": set(),
    "selectel-objects": {"selectel-auth", "attrs", "urllib3"},
    "django-selectel": {"django", "selectel-auth", "selectel-objects"},
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    out = tmp_path_factory.mktemp("dist")
    return {name: build_dists.build(dist, out) for name, dist in DISTS.items()}


def _uv() -> str:
    uv = shutil.which("uv")
    assert uv, "uv must be on PATH (scripts/test.py puts it there)"
    return uv


@pytest.mark.parametrize("name", sorted(DISTS))
def test_built_metadata_is_exactly_what_is_declared(
    name: str, built: dict[str, tuple[Path, Path]]
) -> None:
    wheel, sdist = built[name]
    assert build_dists.check(DISTS[name], wheel, sdist) == []


@pytest.mark.parametrize("name", sorted(DISTS))
def test_runtime_requirements_are_only_its_own(name: str) -> None:
    declared = {
        r.split(";")[0].split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip().lower()
        for r in DISTS[name].requires
        if "extra ==" not in r
    }
    assert declared == RUNTIME_REQUIREMENTS[name]


@pytest.mark.parametrize("name", sorted(DISTS))
def test_wheel_installs_alone_and_imports_only_its_own_dependencies(
    name: str, built: dict[str, tuple[Path, Path]], tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "VIRTUAL_ENV": str(venv)}
    env.pop("PYTHONPATH", None)
    subprocess.run(
        [_uv(), "venv", "-q", "--python", sys.executable, str(venv)], check=True, env=env
    )
    wheel_dir = built[name][0].parent
    subprocess.run(
        [_uv(), "pip", "install", "-q", "--find-links", str(wheel_dir), str(built[name][0])],
        check=True,
        env=env,
    )
    dist = DISTS[name]
    probe = (
        "import importlib, importlib.metadata, json, sys\n"
        f"importlib.import_module({dist.module!r})\n"
        f"mod = sys.modules[{dist.module!r}]\n"
        "print(json.dumps({'modules': sorted(m.split('.')[0] for m in sys.modules),"
        f" 'requires': importlib.metadata.requires({dist.name!r}) or [],"
        " 'file': mod.__file__, 'all': sorted(getattr(mod, '__all__', []))}))\n"
    )
    python = venv / "bin" / "python"
    # Run outside the repo so nothing from the work tree can be imported by accident.
    result = subprocess.run(
        [str(python), "-I", "-c", probe], check=True, capture_output=True, text=True, cwd=tmp_path
    )
    report = json.loads(result.stdout)
    assert str(venv) in report["file"], "the package must come from the installed wheel"
    leaked = sorted(set(FORBIDDEN_ON_IMPORT[name]) & set(report["modules"]))
    assert leaked == [], f"import {dist.module} pulled in {leaked}"
    installed = sorted(build_dists.normalise(r) for r in report["requires"])
    assert installed == sorted(build_dists.normalise(r) for r in dist.requires)
    assert report["all"], f"{dist.module} must export its public names in __all__"
