"""The dependency rules of docs (style.md, "Dependency direction"), checked by walking every module's imports.

Imports under ``if TYPE_CHECKING:`` are skipped: they never run, so they add no dependency.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "mechanic_kernel"
WIDGETS = ROOT / "widgets"
# SQL statements as they would appear in a string; widgets must go through the Workbench instead.
SQL = re.compile(
    r"\b(SELECT\s+.+\s+FROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class Import:
    """One import statement: the importing file (relative to the repo) and the absolute module imported."""

    path: str
    module: str
    line: int


def _module_name(path: Path) -> list[str]:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports(folder: Path) -> list[Import]:
    """Every runtime import of the ``.py`` files under ``folder``, relative imports made absolute."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = _type_checking_lines(tree)
        package = _module_name(path)
        if path.name != "__init__.py":
            package = package[:-1]
        relative = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) in skipped:
                continue
            if isinstance(node, ast.Import):
                found += [Import(relative, alias.name, node.lineno) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - node.level + 1]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                found.append(Import(relative, module, node.lineno))
                # ``from . import x`` / ``from mechanic_kernel import store`` name submodules too.
                found += [Import(relative, f"{module}.{alias.name}", node.lineno) for alias in node.names]
    return found


def _top(module: str, *names: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in names)


def _where(found: list[Import]) -> list[str]:
    return [f"{item.path}:{item.line} imports {item.module}" for item in found]


ENGINE_IMPORTS = imports(ENGINE)
WIDGET_IMPORTS = imports(WIDGETS)


def test_the_walk_sees_the_package() -> None:
    """The walker finds the imports the other rules rely on (so an empty walk cannot pass)."""
    assert any(
        item.path == "mechanic_kernel/server/extension.py" and _top(item.module, "jupyter_server")
        for item in ENGINE_IMPORTS
    )
    assert any(
        item.path == "mechanic_kernel/frames.py" and item.module == "pandas" for item in ENGINE_IMPORTS
    )
    assert any(_top(item.module, "ipywidgets") for item in WIDGET_IMPORTS)


def test_the_engine_never_imports_widgets_or_ipython() -> None:
    """``import mechanic_kernel`` works in a bare Python: no widgets, ipywidgets, IPython or ipykernel."""
    bad = [
        item for item in ENGINE_IMPORTS if _top(item.module, "widgets", "ipywidgets", "IPython", "ipykernel")
    ]
    assert _where(bad) == []


def test_only_the_extension_imports_jupyter_server() -> None:
    """Jupyter Server lives in one file, server/extension.py."""
    bad = [
        item
        for item in ENGINE_IMPORTS
        if _top(item.module, "jupyter_server") and item.path != "mechanic_kernel/server/extension.py"
    ]
    assert _where(bad) == []


def test_only_frames_imports_pandas() -> None:
    """Pandas (and numpy) live in one file, frames.py."""
    bad = [
        item
        for item in ENGINE_IMPORTS
        if _top(item.module, "pandas", "numpy") and item.path != "mechanic_kernel/frames.py"
    ]
    assert _where(bad) == []


def test_widgets_use_only_the_public_api_and_frames() -> None:
    """Widgets import ``mechanic_kernel``'s public names and ``mechanic_kernel.frames``, never the store."""
    allowed = ("mechanic_kernel", "mechanic_kernel.frames")
    bad = [
        item
        for item in WIDGET_IMPORTS
        if _top(item.module, "mechanic_kernel") and item.module not in allowed and not _public_name(item)
    ]
    assert _where(bad) == []
    store = [item for item in WIDGET_IMPORTS if _top(item.module, "mechanic_kernel.store", "sqlite3")]
    assert _where(store) == []


def _public_name(item: Import) -> bool:
    """Whether ``mechanic_kernel.<name>`` (from ``from mechanic_kernel import <name>``) is public."""
    import mechanic_kernel

    prefix, _, name = item.module.rpartition(".")
    return prefix in ("mechanic_kernel", "mechanic_kernel.frames") and (
        name in getattr(mechanic_kernel, "__all__", ()) or prefix == "mechanic_kernel.frames"
    )


@pytest.mark.parametrize("path", sorted(WIDGETS.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_widgets_hold_no_sql(path: Path) -> None:
    """No SQL text in widgets: they read and write through the Workbench."""
    strings = [
        node.value
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]
    assert [text for text in strings if SQL.search(text)] == []
