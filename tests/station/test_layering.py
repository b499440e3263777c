"""The import graph of ``dsp/`` and ``station/``: no circles, and ``dsp`` never imports ``station``.

Every ``import`` and ``from ... import`` counts, at any depth of the file (deferred
imports in functions and ``TYPE_CHECKING`` blocks too): a circle hidden behind a
function-level import is still a circle.  Relative imports are resolved, and
``from pkg import name`` is an edge to ``pkg.name`` when that is a module.

Set ``HI_STATION_LAYERING_ROOT`` to check another checkout (e.g. to see this test
fail on a tree that still has circles).
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from pathlib import Path

PACKAGES = ("dsp", "station")
ROOT = Path(os.environ.get("HI_STATION_LAYERING_ROOT", Path(__file__).resolve().parents[2]))


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(root: Path) -> dict[str, Path]:
    return {
        _module_name(p, root): p for pkg in PACKAGES for p in sorted((root / pkg).rglob("*.py"))
    }


def _owner(name: str, modules: dict[str, Path]) -> str | None:
    """The module ``name`` is, or the innermost module containing it."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool,
             modules: dict[str, Path]) -> Iterator[str]:  # fmt: skip
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
        return
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    for alias in node.names:
        full = f"{target}.{alias.name}"
        yield full if full in modules else target


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of ``dsp``/``station`` it imports, anywhere in its file."""
    modules = _modules(root)
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target in _targets(node, module, path.name == "__init__.py", modules):
                if target.split(".")[0] not in PACKAGES:
                    continue
                owner = _owner(target, modules)
                if owner is not None and owner != module:
                    graph[module].add(owner)
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of ``graph``, iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            v, children = work[-1]
            w = next(children, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                components.append(sorted(component))
    return components


def test_the_graph_sees_deferred_and_relative_imports(tmp_path):
    files = {
        "dsp/__init__.py": "",
        "dsp/a.py": "def f():\n    from station import b\n",
        "station/__init__.py": "from . import c\n",
        "station/b.py": "import dsp.a\n",
        "station/c.py": "if True:\n    from .b import thing\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    graph = import_graph(tmp_path)
    assert graph == {
        "dsp": set(),
        "dsp.a": {"station.b"},
        "station": {"station.c"},
        "station.b": {"dsp.a"},
        "station.c": {"station.b"},
    }
    circles = [c for c in strongly_connected(graph) if len(c) > 1]
    assert circles == [["dsp.a", "station.b"]]


def test_no_import_circles():
    circles = [c for c in strongly_connected(import_graph(ROOT)) if len(c) > 1]
    assert not circles, "import circles (each line one strongly connected set):\n" + "\n".join(
        "  " + " <-> ".join(c) for c in circles
    )


def test_dsp_never_imports_station():
    graph = import_graph(ROOT)
    backward = sorted(
        f"{m} -> {t}"
        for m, ts in graph.items()
        if m.split(".")[0] == "dsp"
        for t in ts
        if t.split(".")[0] == "station"
    )
    assert not backward, "dsp imports station:\n  " + "\n  ".join(backward)
