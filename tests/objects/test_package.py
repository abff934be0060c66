"""The public surface: sorted, importable, documented."""

from __future__ import annotations

import inspect
import typing
from pathlib import Path

import selectel_objects
from selectel_objects import errors

ROOT = Path(__file__).resolve().parents[2]


def _isort_style(name: str) -> tuple[int, str]:
    # ruff's RUF022 order: CONSTANTS, then Classes, then functions.
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_is_sorted_and_importable() -> None:
    for module in (selectel_objects, errors):
        assert module.__all__ == sorted(module.__all__, key=_isort_style)
        for name in module.__all__:
            assert getattr(module, name) is not None


def test_every_error_is_exported_at_the_top_too() -> None:
    for name in errors.__all__:
        assert getattr(selectel_objects, name) is getattr(errors, name)
        assert issubclass(getattr(errors, name), errors.ObjectStorageError)


def test_public_names_have_docstrings() -> None:
    readme = (ROOT / "packages/selectel-objects/README.md").read_text(encoding="utf-8")
    for name in selectel_objects.__all__:
        obj = getattr(selectel_objects, name)
        if typing.get_origin(obj) is typing.Literal:
            # A type alias cannot carry a docstring (Python 3.11): the README names it.
            assert name in readme, name
            continue
        assert inspect.getdoc(obj), name
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if not attr.startswith("_") and inspect.isfunction(member):
                    assert inspect.getdoc(member), f"{name}.{attr}"
