"""selectel-objects is built in layers: each imports only what its ``__init__`` allows.

Every subpackage of ``selectel_objects`` is a layer whose ``__init__`` docstring ends with a
``May import:`` paragraph naming (in double backticks) the modules and distributions its
modules may import; this test reads those paragraphs, so they are the one place for the
rules. Imports are read with :mod:`ast`, including the ones under ``TYPE_CHECKING`` and
inside functions: a circle hidden from the interpreter is still a circle.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import selectel_objects

PACKAGE = Path(selectel_objects.__file__).parent
GENERATED = PACKAGE / "_protocol" / "_generated"
#: Longest hand-written module, in lines.
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(module: str, path: Path) -> Iterator[str]:
    """Every module ``module`` imports (``from a import b`` gives ``a.b`` when that is one)."""
    known = _modules()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                parent = parent[: len(parent) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:
                yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base


def _layer_of(module: str) -> str:
    """The layer a module belongs to: its first subpackage, else the package root."""
    parts = module.split(".")
    if len(parts) > 1 and (PACKAGE / parts[1]).is_dir():
        return f"selectel_objects.{parts[1]}"
    return module


def _allowed(layer: str) -> set[str]:
    doc = ast.get_docstring(ast.parse((PACKAGE / layer.split(".")[1] / "__init__.py").read_text()))
    assert doc and "May import:" in doc, f"{layer}/__init__.py must say what it may import"
    paragraph = doc.split("May import:", 1)[1]
    return {name for i, name in enumerate(paragraph.split("``")) if i % 2}


def _allowed_or_none(module: str) -> set[str]:
    """What the layer of ``module`` may import; empty for modules outside any layer."""
    layer = _layer_of(module)
    return _allowed(layer) if layer != module or "." in module[17:] else set()


def _permitted(target: str, allowed: set[str]) -> bool:
    top = target.split(".", maxsplit=1)[0]
    if top != "selectel_objects":
        # _typeshed: the standard library's types, for annotations only.
        return top in sys.stdlib_module_names or top in {"_typeshed", *allowed}
    # ``selectel_objects`` alone grants the public face, not every module below it.
    return any(
        target == a or (a != "selectel_objects" and target.startswith(a + ".")) for a in allowed
    )


def test_every_layer_says_what_it_may_import() -> None:
    layers = {_layer_of(m) for m in _modules() if _layer_of(m) != m or "." in m[17:]}
    assert layers >= {
        "selectel_objects._protocol",
        "selectel_objects._transports",
        "selectel_objects._pipeline",
        "selectel_objects._features",
        "selectel_objects._client",
    }
    for layer in layers:
        assert _allowed(layer), layer


@pytest.mark.parametrize("module", sorted(_modules()))
def test_imports_follow_the_layer_rules(module: str) -> None:
    path = _modules()[module]
    layer = _layer_of(module)
    targets = set(_imports(module, path))
    if module == "selectel_objects":
        return  # the public face re-exports every layer
    if module == "selectel_objects.errors":
        allowed: set[str] = set()
    else:
        allowed = _allowed(layer)
    bad = sorted(t for t in targets if not _permitted(t, allowed))
    assert not bad, f"{module} ({layer}) imports {bad}"


def test_no_module_imports_the_package_root_or_a_circle() -> None:
    modules = _modules()
    graph = {
        m: {
            t
            for t in _imports(m, p)
            if t in modules and t != m and t.startswith("selectel_objects")
        }
        for m, p in modules.items()
    }
    # Importing a package runs its __init__: an edge to a submodule is an edge to its parents.
    for module, edges in graph.items():
        for target in list(edges):
            parts = target.split(".")
            edges.update(".".join(parts[:i]) for i in range(2, len(parts)))
        edges.discard(module)  # a package's own modules lead back to it: no circle
    for module, edges in graph.items():
        if module != "selectel_objects" and "selectel_objects" not in _allowed_or_none(module):
            assert "selectel_objects" not in edges, f"{module} imports the package root"
    cycle = _find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt.startswith(node + "."):
                continue  # a package's __init__ importing its own modules is no circle
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_hand_written_module_is_over_the_limit() -> None:
    long = {
        m: n
        for m, p in _modules().items()
        if not p.is_relative_to(GENERATED)
        and (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"over {MAX_LINES} lines: {long}"
