"""The layout keeps its promise: imports only point down the layers, and no module imports in a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mock_ecr"

#: top to bottom; a module may import from its own layer or any layer below it
LAYERS = [
    ("__init__", "mock", "decoration", "pytest_plugin", "__main__", "ipython"),
    ("transports",),
    ("gateway", "registry"),
    ("session",),
    ("tooling",),
    ("api",),
    ("domain",),
    ("wire",),
    ("errors", "messages"),
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _modules() -> dict[str, Path]:
    return {".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts): path for path in PACKAGE.rglob("*.py")}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the import nodes inside ``if TYPE_CHECKING:`` blocks."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", None)) == "TYPE_CHECKING":
            inside.update(id(child) for child in ast.walk(node))
    return inside


def _imports(name: str, path: Path, *, typing_only: bool = True) -> set[str]:
    """The mock_ecr modules ``name`` imports (``typing_only``: with the TYPE_CHECKING-only ones)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text())
    skipped = set() if typing_only else _type_checking_nodes(tree)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "mock_ecr":
                found.add(target)
                found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "mock_ecr")
    return found


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_module_belongs_to_a_layer():
    unknown = sorted({_layer(m) for m in _modules()} - set(RANK))
    assert not unknown, f"modules outside the declared layers: {unknown}"


@pytest.mark.parametrize("name", sorted(_modules()))
def test_imports_only_point_down(name):
    modules = _modules()
    own = RANK[_layer(name)]
    upward = []
    for target in _imports(name, modules[name]):
        if target not in modules and target.rsplit(".", 1)[0] in modules:
            target = target.rsplit(".", 1)[0]  # ``from .x import name``: a name, not a module
        if target in modules and RANK[_layer(target)] < own:
            upward.append(target)
    assert not upward, f"{name} imports from higher layers: {sorted(upward)}"


def test_no_import_cycles():
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        edges = set()
        for target in _imports(name, path, typing_only=False):  # annotations make no runtime cycle
            if target not in modules:
                target = target.rsplit(".", 1)[0]
            if target in modules and target != name:
                edges.add(target)
        graph[name] = edges

    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> None:
        if node in done:
            return
        if node in visiting:
            cycle = visiting[visiting.index(node) :] + [node]
            # a package's __init__ importing its own submodules is not a cycle of design
            if not all(part.startswith(cycle[0].rsplit(".", 1)[0]) for part in cycle) or len(set(cycle)) > 2:
                raise AssertionError(f"import cycle: {' -> '.join(cycle)}")
            return
        visiting.append(node)
        for target in graph[node]:
            visit(target)
        visiting.pop()
        done.add(node)

    for name in sorted(graph):
        visit(name)


@pytest.mark.parametrize("name", sorted(_modules()))
def test_no_module_is_over_about_400_lines(name):
    lines = len(_modules()[name].read_text().splitlines())
    assert lines <= 450, f"{name} has {lines} lines: split it along a real seam"
