"""The package's shape as issue 8 settled it: modules named for the concept they hold (only
``api/`` names a wire dialect), and no two modules importing each other, directly or around
a circle (``TYPE_CHECKING`` imports count: a circle there is a tangle all the same)."""

from __future__ import annotations

import ast
from pathlib import Path

import smsrelay

ROOT = Path(smsrelay.__file__).parent
DIALECTS = ("xml", "json", "get_dialect")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(p): p
        for p in sorted(ROOT.rglob("*.py"))
        if "migrations" not in p.relative_to(ROOT).parts
    }


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that ``name`` imports anywhere at module level (function-level
    imports are deliberate late binding, e.g. ``bootstrap`` and the CLI)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    body: list[ast.stmt] = list(ast.parse(path.read_text()).body)
    while body:
        node = body.pop()
        if isinstance(node, ast.If):  # if TYPE_CHECKING: ...
            body.extend(node.body + node.orelse)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            for alias in node.names:  # `from . import x`: the module x, else the package
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {m for m in found if m in known and m != name}


def _registry_edge(source: str, target: str) -> bool:
    """``store.schema`` imports the feature schema modules at its end so that its ``metadata``
    describes every table (Alembic compares against it); they define their tables on that
    ``metadata``. A registry, not a tangle: those modules import nothing else of each other."""
    return source == "smsrelay.store.schema" and target.startswith("smsrelay.store.schema_")


def test_no_import_circles() -> None:
    modules = _modules()
    graph = {
        n: {m for m in _imports(n, p, set(modules)) if not _registry_edge(n, m)}
        for n, p in modules.items()
    }
    # packages' __init__ re-export their modules: an edge into a package is not a circle
    packages = {n for n, p in modules.items() if p.name == "__init__.py"}
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node] - packages):
            if state.get(nxt) == 1:
                circles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert [] == [" -> ".join(c) for c in circles]


def test_only_the_api_names_a_dialect() -> None:
    named = [
        n
        for n in _modules()
        if not n.startswith("smsrelay.api") and any(d in n.rsplit(".", 1)[-1] for d in DIALECTS)
    ]
    assert [] == named
