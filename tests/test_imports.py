"""The direction of imports: the store knows nothing above it; the pure core loads no SQL.

As lemon24/reader's test_lazy_imports: the source is scanned with `ast` (an import
inside a function counts as much as one at the top), and what importing a module
really loads is checked in a fresh interpreter.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STORE = ROOT / "monitor" / "store"
ABOVE_THE_STORE = ("monitor.alerts", "monitor.digest", "monitor.telegram", "monitor.cli")
PURE = ("monitor.alerts.message", "monitor.digest.compose", "monitor.alerts.router")


def imported_names(source: str, module: str) -> list[tuple[int, str]]:
    """(line, module) of every import in `source`, at any depth, relative ones resolved."""
    package = module.rsplit(".", 1)[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            if node.module:
                found.append((node.lineno, f"{base}.{node.module}" if base else node.module))
            else:  # "from .. import alerts": the names are modules of `base`
                found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
    return found


def upward_imports(source: str, module: str) -> list[str]:
    return [
        f"{module}:{line} imports {name}"
        for line, name in imported_names(source, module)
        if name.startswith(ABOVE_THE_STORE)
    ]


def test_the_scan_sees_an_import_inside_a_function() -> None:
    source = "def f():\n    from monitor.alerts.router import Router\n    from . import schema\n"
    assert upward_imports(source, "monitor.store.x") == [
        "monitor.store.x:2 imports monitor.alerts.router"
    ]
    assert imported_names("from .. import alerts\n", "monitor.store.x") == [(1, "monitor.alerts")]


def test_the_store_imports_no_alerts_digest_telegram_or_cli() -> None:
    modules = sorted(STORE.rglob("*.py"))
    assert len(modules) > 10
    problems = []
    for path in modules:
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        problems += upward_imports(path.read_text(encoding="utf-8"), name)
    assert problems == []


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_load_no_sqlalchemy(module: str) -> None:
    code = f"import sys, {module}; print([m for m in sys.modules if m.startswith('sqlalchemy')])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "[]", f"{module} loads {result.stdout.strip()}"
