"""The import rules of docs/architecture.md, checked on the package's own source.

Every ``import`` statement counts: at module level, inside functions and under ``TYPE_CHECKING``.
The rules:

1. A file may import from its own unit and from units of a lower layer only (``LAYERS``).
   Units of the same layer (``backends`` and ``analysis``, say) do not import each other.
2. No import cycle between files.
3. No import of another package's private module or private name (a ``_``-prefixed part), except
   from ``hybridxai._util``, which exists to be shared.

Run alone with ``python -m pytest tests/test_architecture.py``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hybridxai"

LAYERS: list[set[str]] = [
    {"exceptions"},
    {"_util"},
    {"runs"},
    {"anneal"},
    {"circuits"},
    {"backends", "analysis"},
    {"vision"},
    {"training", "baselines", "metrics"},
    {"explainer"},
    {"evaluate"},
    {"reproduce"},
    {"cli"},
    {"__init__"},
]
"""Units (top-level modules and subpackages of ``hybridxai``), lowest layer first."""

RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


MODULES = source_files()


def unit_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def resolve(name: str) -> str | None:
    """The package module a dotted name lives in (longest prefix that is a file)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in MODULES:
            return candidate
        parts.pop()
    return None


def imports_of(module: str) -> Iterator[tuple[str, list[str], int]]:
    """``(imported module, imported names, line)`` for every hybridxai import in ``module``."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "hybridxai":
                    yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "hybridxai":
                continue
            names = [alias.name for alias in node.names]
            submodules = [n for n in names if f"{target}.{n}" in MODULES]
            for name in submodules:  # ``from hybridxai.x import submodule`` imports that file
                yield f"{target}.{name}", [], node.lineno
            if len(submodules) < len(names):
                yield target, [n for n in names if n not in submodules], node.lineno


def edges() -> Iterator[tuple[str, str, list[str], int]]:
    for module in MODULES:
        for target, names, line in imports_of(module):
            resolved = resolve(target)
            if resolved is not None and resolved != module:
                yield module, resolved, names if resolved == target else [], line


EDGES = list(edges())


def test_every_unit_has_a_layer() -> None:
    missing = sorted({unit_of(m) for m in MODULES} - set(RANK))
    assert not missing, f"add these units to LAYERS and docs/architecture.md: {missing}"


def test_no_import_from_a_higher_or_sibling_layer() -> None:
    bad = []
    for source, target, _, line in EDGES:
        su, tu = unit_of(source), unit_of(target)
        if su != tu and RANK[tu] >= RANK[su]:
            bad.append(f"{source}:{line} imports {target} ({tu} is not below {su})")
    assert not bad, "\n".join(bad)


def test_no_import_cycle_between_files() -> None:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for source, target, _, _ in EDGES:
        graph[source].add(target)
    # Tarjan's strongly connected components, iteratively
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    assert not cycles, f"import cycles: {cycles}"


def _package_of(module: str) -> str:
    path = MODULES[module]
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def test_no_private_import_across_packages() -> None:
    bad = []
    for source, target, names, line in EDGES:
        if target.startswith("hybridxai._util"):
            continue
        own = _package_of(source)
        private_module = any(part.startswith("_") and part != "__init__" for part in target.split(".")[1:])
        if private_module and not target.startswith(own + ".") and _package_of(target) != own:
            bad.append(f"{source}:{line} imports the private module {target}")
        private_names = [n for n in names if n.startswith("_") and n != "__version__"]
        if private_names and _package_of(target) != own:
            bad.append(f"{source}:{line} imports private names {private_names} from {target}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("module", ["hybridxai.analysis", "hybridxai.circuits"])
def test_physics_and_circuits_never_import_backends(module: str) -> None:
    offenders = [f"{s}:{line}" for s, t, _, line in EDGES
                 if s.startswith(module) and t.startswith("hybridxai.backends")]
    assert not offenders, offenders
