"""Imports run one way, down, and never in a circle (an AST walk over connect_widgets/).

Three rules, each with a self-test proving it can fail:

* **Layers** (:data:`FORBIDDEN`): pages -> screens -> core -> store; core never
  reaches a page, the demo, the CLI or the server; screens never query; pages call
  core (or the demo) instead of running SQL; the CLI prints what core returns.
* **No cycles**: no chain of imports among the kit's modules leads back to where it
  started, counting imports inside functions (a cycle hidden in a function is
  still a cycle, only one that fails later).
* **No hidden imports in core**: a function-level import in core/ is allowed only
  for a heavy third-party library (or the kit's module that wraps one) the kit loads
  when it is needed (:data:`LAZY_IMPORTS_ALLOWED`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

import connect_widgets

PACKAGE_DIR = Path(connect_widgets.__file__).resolve().parent
PACKAGE = "connect_widgets"

# layer (sub-package) -> modules it must never import (a prefix also forbids sub-modules)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "core": (
        "ipywidgets",
        "voila",
        "connect_widgets.screens",
        "connect_widgets.pages",
        "connect_widgets.demo",
        "connect_widgets.cli",
        "connect_widgets.serving",
    ),
    "store": ("connect_widgets.core", "connect_widgets.screens", "ipywidgets"),
    "screens": (
        "sqlmodel",
        "sqlalchemy",
        "connect_widgets.store",
        "connect_widgets.pages",
        "connect_widgets.demo",
        "connect_widgets.cli",
    ),
    "pages": ("sqlmodel", "sqlalchemy", "connect_widgets.store"),
    "demo": ("ipywidgets", "connect_widgets.screens", "connect_widgets.pages", "connect_widgets.cli"),
    "cli": (
        "ipywidgets",
        "connect_widgets.screens",
        "connect_widgets.pages",
        "sqlmodel",
        "sqlalchemy",
        "connect_widgets.store.models",
    ),
}

#: The only function-level imports core/ may have: (module, library) — heavy third-party
#: libraries (or the one kit module wrapping one) loaded by the feature that needs them, so
#: a kernel showing the Email page does not pay for them. tests/test_lean_kernel.py checks
#: that building the app loads none of them.
LAZY_IMPORTS_ALLOWED: tuple[tuple[str, str], ...] = (
    ("connect_widgets.core.tasks.uploads", "openpyxl"),  # spreadsheets: only for an .xlsx upload/template
    ("connect_widgets.core.auth.phones", "phonenumbers"),  # only to show or parse a mobile number (Enrol)
    ("connect_widgets.core.auth.passwords", "zxcvbn"),  # frequency lists: only to check a new password
    ("connect_widgets.core.adapters.secretbox", "cryptography"),  # only when a stored secret is sealed/opened
    # ldap3 + pyasn1, behind the kit's own wrapper: only when a directory is reached (Domain login)
    ("connect_widgets.core.adapters.directory", "connect_widgets.core.adapters.ldap"),
)


@dataclass(frozen=True)
class Import:
    """One name a module imports, absolute, with where it is and whether it runs only in a function."""

    lineno: int
    name: str
    in_function: bool


def _module_name(path: Path, root: Path = PACKAGE_DIR) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _nodes_in_functions(tree: ast.AST) -> set[int]:
    """ids of the import nodes that sit inside a function or method (at any depth)."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            inside.update(id(child) for child in ast.walk(node) if isinstance(child, ast.Import | ast.ImportFrom))
    return inside


def imports_of(source: str, *, module: str, is_package: bool = False) -> list[Import]:
    """Every module a source file imports, absolute, with its line and whether it is function-level.

    ``from a.b import c`` yields both ``a.b`` and ``a.b.c`` (``c`` may be a module);
    relative imports are resolved against ``module``.
    """
    tree = ast.parse(source)
    in_functions = _nodes_in_functions(tree)
    found: list[Import] = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        local = id(node) in in_functions
        if isinstance(node, ast.Import):
            found.extend(Import(node.lineno, alias.name, local) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if node.module:
                found.append(Import(node.lineno, base, local))
            found.extend(
                Import(node.lineno, f"{base}.{alias.name}", local) for alias in node.names if alias.name != "*"
            )
    return found


def imported_names(source: str, *, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import of a source file (see :func:`imports_of`)."""
    return [(found.lineno, found.name) for found in imports_of(source, module=module, is_package=is_package)]


def _is_under(name: str, forbidden: str) -> bool:
    return name == forbidden or name.startswith(forbidden + ".")


def _sources(root: Path, under: str = "") -> Iterable[tuple[Path, str]]:
    for path in sorted((root / under).rglob("*.py") if under else root.rglob("*.py")):
        yield path, _module_name(path, root)


def _imports_in_file(path: Path, module: str) -> list[Import]:
    return imports_of(path.read_text(encoding="utf-8"), module=module, is_package=path.name == "__init__.py")


def layer_violations(layer: str, root: Path = PACKAGE_DIR) -> list[str]:
    """'file:line (module) imports X (forbidden: Y)' for every forbidden import in the layer."""
    problems: list[str] = []
    for path, module in _sources(root, layer):
        names = [(found.lineno, found.name) for found in _imports_in_file(path, module)]
        reported: set[tuple[int, str]] = set()
        # shortest name first, so `from ipywidgets import Button` reads "imports ipywidgets"
        for lineno, name in sorted(names, key=lambda item: (item[0], len(item[1]))):
            for forbidden in FORBIDDEN[layer]:
                if _is_under(name, forbidden) and (lineno, forbidden) not in reported:
                    reported.add((lineno, forbidden))
                    where = path.relative_to(root.parent)
                    problems.append(f"{where}:{lineno} ({module}) imports {name} (forbidden: {forbidden})")
    return problems


# --- cycles -------------------------------------------------------------------------------


def import_graph(root: Path = PACKAGE_DIR) -> dict[str, dict[str, str]]:
    """module -> {module of the kit it imports: 'file:line' of the first such import}.

    Module-level and function-level imports alike; a name that is not a module of the
    kit (``from a.b import SomeClass``) counts as an import of the module it is in.
    """
    files = dict((module, path) for path, module in _sources(root))
    graph: dict[str, dict[str, str]] = {module: {} for module in files}
    for module, path in files.items():
        for found in _imports_in_file(path, module):
            target = found.name
            while target and target not in files:
                target = target.rpartition(".")[0]
            if target and target != module:
                graph[module].setdefault(target, f"{path.relative_to(root.parent)}:{found.lineno}")
    return graph


def _strongly_connected(graph: Mapping[str, Mapping[str, str]]) -> list[list[str]]:
    """Tarjan's components of more than one module (each holds at least one cycle)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def _one_cycle(graph: Mapping[str, Mapping[str, str]], component: list[str]) -> list[str]:
    """A shortest cycle through the component's first module, as the modules along it."""
    start, members = component[0], set(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(graph[node]):
            if target == start:
                return [*paths[node], start]
            if target in members and target not in paths:
                paths[target] = [*paths[node], target]
                queue.append(target)
    raise AssertionError(f"no cycle through {start}")  # a component always has one


def import_cycles(root: Path = PACKAGE_DIR) -> list[str]:
    """One line per cycle: 'a -> b (where a imports b) -> ... -> a', one cycle per tangle of modules."""
    graph = import_graph(root)
    described = []
    for component in _strongly_connected(graph):
        cycle = _one_cycle(graph, component)
        steps = [cycle[0]] + [f"{cycle[i + 1]} ({graph[cycle[i]][cycle[i + 1]]})" for i in range(len(cycle) - 1)]
        others = [module for module in component if module not in cycle]
        described.append(" -> ".join(steps) + (f" [in the same tangle: {', '.join(others)}]" if others else ""))
    return described


# --- function-level imports in core --------------------------------------------------------


def hidden_imports(layer: str = "core", root: Path = PACKAGE_DIR) -> list[str]:
    """'file:line (module) imports X inside a function' for each one not in :data:`LAZY_IMPORTS_ALLOWED`."""
    problems: list[str] = []
    for path, module in _sources(root, layer):
        seen_lines: set[int] = set()
        for found in sorted(_imports_in_file(path, module), key=lambda item: (item.lineno, len(item.name))):
            if not found.in_function or found.lineno in seen_lines:
                continue
            if any(module == allowed and _is_under(found.name, lib) for allowed, lib in LAZY_IMPORTS_ALLOWED):
                continue
            seen_lines.add(found.lineno)
            where = path.relative_to(root.parent)
            problems.append(f"{where}:{found.lineno} ({module}) imports {found.name} inside a function")
    return problems


# --- the rules ----------------------------------------------------------------------------


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_downwards(layer: str) -> None:
    """No module of a layer imports a layer above it (or a library it must not use)."""
    assert (PACKAGE_DIR / layer).is_dir(), f"connect_widgets/{layer}/ is missing"
    problems = layer_violations(layer)
    assert not problems, f"connect_widgets/{layer}/ must not import {', '.join(FORBIDDEN[layer])}:\n  " + "\n  ".join(
        problems
    )


def test_no_import_cycles() -> None:
    """No chain of imports among the kit's modules comes back to where it started."""
    cycles = import_cycles()
    assert not cycles, "import cycles (module-level and function-level imports):\n  " + "\n  ".join(cycles)


def test_core_has_no_function_level_imports() -> None:
    """core/ imports at the top of each module, except the heavy libraries named in one list."""
    problems = hidden_imports("core")
    assert not problems, (
        "function-level imports in core/ (move them to the top; a heavy third-party library may be "
        "added to LAZY_IMPORTS_ALLOWED):\n  " + "\n  ".join(problems)
    )


def test_every_allowed_lazy_import_is_still_there() -> None:
    """The allowed list names only lazy imports that exist (a stale entry would hide a new one)."""
    found = {
        (module, found.name)
        for path, module in _sources(PACKAGE_DIR, "core")
        for found in _imports_in_file(path, module)
        if found.in_function
    }
    for module, library in LAZY_IMPORTS_ALLOWED:
        assert any(m == module and _is_under(name, library) for m, name in found), (module, library)


# --- the walk itself ------------------------------------------------------------------------


def test_the_walk_sees_the_core_and_store_modules() -> None:
    """The check is not vacuous: core and store have modules and their imports are read."""
    core_imports = {
        name
        for path in (PACKAGE_DIR / "core").rglob("*.py")
        for _, name in imported_names(path.read_text(encoding="utf-8"), module=_module_name(path))
    }
    assert any(_is_under(name, "connect_widgets.store") for name in core_imports)
    assert any(_is_under(name, "sqlmodel") for name in core_imports)


def test_the_graph_holds_the_kit_s_edges() -> None:
    """The cycle check is not vacuous: the graph has the kit's modules and known imports between them."""
    graph = import_graph()
    assert "connect_widgets.core.tasks.board" in graph["connect_widgets.core.tasks.stepped"]
    assert "connect_widgets.store.models" in graph["connect_widgets.core.audit"]


@pytest.mark.parametrize(
    ("source", "module", "expected"),
    [
        ("import ipywidgets as w", "connect_widgets.core.x", "ipywidgets"),
        ("from ipywidgets import Button", "connect_widgets.core.x", "ipywidgets"),
        ("from connect_widgets import screens", "connect_widgets.core.x", "connect_widgets.screens"),
        (
            "from ..screens.login.passcode import PasscodeScreen",
            "connect_widgets.core.x",
            "connect_widgets.screens.login.passcode",
        ),
        ("from ..pages import connect", "connect_widgets.core.x", "connect_widgets.pages.connect"),
        ("from ..store import models", "connect_widgets.screens.x", "connect_widgets.store"),
        ("def f():\n    import sqlalchemy.orm\n", "connect_widgets.screens.x", "sqlalchemy.orm"),
    ],
)
def test_the_walk_finds_forbidden_imports_in_every_spelling(source: str, module: str, expected: str) -> None:
    """Plain, from-, relative and function-local imports are all resolved to absolute names."""
    names = [name for _, name in imported_names(source, module=module)]
    assert expected in names


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    """A throwaway ``connect_widgets`` tree under ``tmp_path`` with the given files (and empty __init__s)."""
    root = tmp_path / PACKAGE
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        for folder in [root, *path.relative_to(root).parents]:
            init = root / folder / "__init__.py"
            if not init.exists():
                init.write_text("")
        path.write_text(text)
    return root


def test_a_violation_is_reported_with_its_file_line_and_import(tmp_path: Path) -> None:
    """A core module importing ipywidgets is named, with the line and the offending import."""
    root = _package(
        tmp_path,
        {
            "core/clean.py": "from connect_widgets.store.models import Account\n",
            "core/leaky.py": '"""Doc."""\n\nfrom ipywidgets import Button\n',
        },
    )
    assert layer_violations("core", root) == [
        "connect_widgets/core/leaky.py:3 (connect_widgets.core.leaky) imports ipywidgets (forbidden: ipywidgets)",
    ]


def test_a_page_running_sql_is_reported(tmp_path: Path) -> None:
    """The pages' rule is live: a page importing sqlmodel is named."""
    root = _package(tmp_path, {"pages/report.py": "from sqlmodel import select\n"})
    assert layer_violations("pages", root) == [
        "connect_widgets/pages/report.py:1 (connect_widgets.pages.report) imports sqlmodel (forbidden: sqlmodel)",
    ]


def test_a_cycle_is_found_and_printed_even_through_a_function(tmp_path: Path) -> None:
    """a -> b at module level and b -> a inside a function is a cycle, printed with where each import is."""
    root = _package(
        tmp_path,
        {
            "core/a.py": "from connect_widgets.core.b import thing\n",
            "core/b.py": "thing = 1\n\n\ndef later():\n    from connect_widgets.core import a\n    return a\n",
            "core/c.py": "from connect_widgets.core.a import thing\n",  # imports into the cycle, not part of it
        },
    )
    assert import_cycles(root) == [
        "connect_widgets.core.a -> connect_widgets.core.b (connect_widgets/core/a.py:1)"
        " -> connect_widgets.core.a (connect_widgets/core/b.py:5)"
    ]


def test_a_tree_without_cycles_has_none(tmp_path: Path) -> None:
    """Imports that only run down are not reported."""
    root = _package(
        tmp_path,
        {
            "core/a.py": "from connect_widgets.core.b import thing\n",
            "core/b.py": "from connect_widgets.store import models\n\nthing = 1\n",
            "store/models.py": "",
        },
    )
    assert import_cycles(root) == []


def test_a_function_level_import_in_core_is_reported_unless_allowed(tmp_path: Path) -> None:
    """A hidden import of the kit's own module is named; an allowed heavy library is not."""
    root = _package(
        tmp_path,
        {
            "core/tasks/uploads.py": "def read():\n    from openpyxl import load_workbook\n    return load_workbook\n",
            "core/sneaky.py": (
                "import json\n\n\nclass Thing:\n    def go(self):\n"
                "        from connect_widgets.core.tasks import uploads\n        return uploads\n"
            ),
        },
    )
    assert hidden_imports("core", root) == [
        "connect_widgets/core/sneaky.py:6 (connect_widgets.core.sneaky) imports connect_widgets.core.tasks "
        "inside a function",
    ]
