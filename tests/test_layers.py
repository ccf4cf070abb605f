"""The package's architecture: subpackages by role, stacked in layers, with no import cycle.

The import graph is read with ``ast`` from every module of ``credential/``, imports inside functions
included (the command line imports lazily, and a lazy import still ties two modules together).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "credential"

# Each subpackage and its layer: a module may import its own subpackage and any lower layer, never a
# higher one, and never a sibling of its own layer (the issuer and the gate stand side by side).
LAYERS = {
    "base": 0,
    "text": 1,
    "qr": 1,
    "cose": 2,
    "claims": 3,
    "lists": 4,
    "issuer": 5,
    "gate": 5,
    "tools": 6,
    "cli": 7,
}
TOP = 8  # credential/__init__.py and __main__.py: the public API and the entry point


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every import of the package in ``path``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not (target == "credential" or target.startswith("credential.")):
                continue
            names = [alias.name for alias in node.names]
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            if submodules:  # from . import a, b: each a module of its own
                found.extend((module, [], node.lineno) for module in submodules)
            else:
                found.append((target, names, node.lineno))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, [], node.lineno) for alias in node.names if alias.name.startswith("credential"))
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(module: str) -> tuple[str, int]:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in ("__main__",):
        return "credential", TOP
    return parts[1], LAYERS[parts[1]]


def test_every_subpackage_has_a_layer_and_says_which_spec_sections_it_implements() -> None:
    subpackages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert subpackages == set(LAYERS)
    loose = {p.name for p in PACKAGE.glob("*.py")} - {"__init__.py", "__main__.py"}
    assert not loose, f"modules outside the subpackages: {sorted(loose)}"
    for sub in subpackages:
        doc = ast.get_docstring(ast.parse((PACKAGE / sub / "__init__.py").read_text(encoding="utf-8")))
        assert doc and "spec" in doc, f"credential/{sub}/__init__.py names no spec section"


def test_no_import_from_a_lower_layer_up_or_across() -> None:
    wrong = []
    for name, imports in GRAPH.items():
        own, rank = _layer(name)
        for target, _, line in imports:
            if target == "credential":  # the public API: only the entry points may use it
                if rank != TOP:
                    wrong.append(f"{name}:{line} imports the package's public face")
                continue
            sub, target_rank = _layer(target)
            if sub != own and target_rank >= rank:
                wrong.append(f"{name}:{line} -> {target} ({own} layer {rank}, {sub} layer {target_rank})")
    assert not wrong, "\n".join(wrong)


def test_no_module_takes_another_modules_private_names() -> None:
    wrong = [
        f"{name}:{line} takes {', '.join(n for n in names if n.startswith('_'))} from {target}"
        for name, imports in GRAPH.items()
        for target, names, line in imports
        if any(n.startswith("_") and not n.startswith("__") for n in names)
    ]
    assert not wrong, "\n".join(wrong)


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module, or a module importing itself (Tarjan)."""
    edges = {name: sorted({t for t, _, _ in imports if t in MODULES and t != "credential"}) for name, imports in GRAPH.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in edges[node]:
                found.append(sorted(component))

    for name in edges:
        if name not in index:
            visit(name)
    return found


def test_no_import_cycle() -> None:
    assert _cycles() == []


def test_the_cycle_finder_finds_a_cycle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above is only as good as its finder: a made-up back edge must show as a cycle."""
    monkeypatch.setitem(GRAPH, "credential.base.errors", [*GRAPH["credential.base.errors"], ("credential.base.steps", [], 1)])
    assert ["credential.base.errors", "credential.base.steps"] in _cycles()


def test_the_readme_maps_every_subpackage() -> None:
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("<!-- package-map:begin -->") : readme.index("<!-- package-map:end -->")]
    listed = [line.split("`")[1].removeprefix("credential.") for line in block.splitlines() if line.startswith("| `credential.")]
    assert listed == sorted(LAYERS, key=lambda sub: (LAYERS[sub], list(LAYERS).index(sub)))
