"""Imports run one way, down: screens -> core -> store (an AST walk over connect_widgets/)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import connect_widgets

PACKAGE_DIR = Path(connect_widgets.__file__).resolve().parent
PACKAGE = "connect_widgets"

# layer (sub-package) -> modules it must never import (a prefix also forbids sub-modules)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "core": ("ipywidgets", "voila", "connect_widgets.screens", "connect_widgets.pages.connect"),
    "store": ("connect_widgets.core", "connect_widgets.screens", "ipywidgets"),
    "screens": ("sqlmodel", "sqlalchemy", "connect_widgets.store"),
}


def _module_name(path: Path, root: Path = PACKAGE_DIR) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(source: str, *, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """Every module a source file imports, absolute, with its line number.

    ``from a.b import c`` yields both ``a.b`` and ``a.b.c`` (``c`` may be a module);
    relative imports are resolved against ``module``.
    """
    found: list[tuple[int, str]] = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if node.module:
                found.append((node.lineno, base))
            found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names if alias.name != "*")
    return found


def _is_under(name: str, forbidden: str) -> bool:
    return name == forbidden or name.startswith(forbidden + ".")


def layer_violations(layer: str, root: Path = PACKAGE_DIR) -> list[str]:
    """'file:line (module) imports X (forbidden: Y)' for every forbidden import in the layer."""
    problems: list[str] = []
    for path in sorted((root / layer).rglob("*.py")):
        module = _module_name(path, root)
        names = imported_names(path.read_text(encoding="utf-8"), module=module, is_package=path.name == "__init__.py")
        reported: set[tuple[int, str]] = set()
        # shortest name first, so `from ipywidgets import Button` reads "imports ipywidgets"
        for lineno, name in sorted(names, key=lambda item: (item[0], len(item[1]))):
            for forbidden in FORBIDDEN[layer]:
                if _is_under(name, forbidden) and (lineno, forbidden) not in reported:
                    reported.add((lineno, forbidden))
                    where = path.relative_to(root.parent)
                    problems.append(f"{where}:{lineno} ({module}) imports {name} (forbidden: {forbidden})")
    return problems


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_downwards(layer: str) -> None:
    """No module of core/, store/ or screens/ imports a layer above it (or a forbidden library)."""
    assert (PACKAGE_DIR / layer).is_dir(), f"connect_widgets/{layer}/ is missing"
    problems = layer_violations(layer)
    assert not problems, f"connect_widgets/{layer}/ must not import {', '.join(FORBIDDEN[layer])}:\n  " + "\n  ".join(
        problems
    )


def test_the_walk_sees_the_core_and_store_modules() -> None:
    """The check is not vacuous: core and store have modules and their imports are read."""
    core_imports = {
        name
        for path in (PACKAGE_DIR / "core").rglob("*.py")
        for _, name in imported_names(path.read_text(encoding="utf-8"), module=_module_name(path))
    }
    assert any(_is_under(name, "connect_widgets.store") for name in core_imports)
    assert any(_is_under(name, "sqlmodel") for name in core_imports)


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


def test_a_violation_is_reported_with_its_file_line_and_import(tmp_path: Path) -> None:
    """A core module importing ipywidgets is named, with the line and the offending import."""
    root = tmp_path / PACKAGE
    (root / "core").mkdir(parents=True)
    (root / "core" / "__init__.py").write_text("")
    (root / "core" / "clean.py").write_text("from connect_widgets.store.models import Account\n")
    (root / "core" / "leaky.py").write_text('"""Doc."""\n\nfrom ipywidgets import Button\n')
    assert layer_violations("core", root) == [
        "connect_widgets/core/leaky.py:3 (connect_widgets.core.leaky) imports ipywidgets (forbidden: ipywidgets)",
    ]
