"""The dependency rules (docs/architecture.md), checked by walking every module's imports.

Imports under ``if TYPE_CHECKING:`` are skipped: they never run, so they add no dependency. Imports inside
functions count: they run, only later.
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


def _sql_in(path: Path) -> list[str]:
    """The string constants of a module that read as SQL statements."""
    strings = [node.value for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
               if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    return [text for text in strings if SQL.search(text)]


@dataclass(frozen=True)
class Import:
    """One import statement: the importing file (relative to the repo) and the absolute module imported.

    ``via_package`` marks ``from package import name`` entries, which name the package only to reach ``name``.
    """

    path: str
    module: str
    line: int
    via_package: bool = False


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
                found.append(Import(relative, module, node.lineno, via_package=True))
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
    assert _sql_in(path) == []


# -- layers -------------------------------------------------------------------------------------------------
# Lowest first. A module may import modules of its own layer or of a lower one, never of a higher one.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("errors", "clock", "ids", "topics", "home", "models", "runtime_file", "version")),
    ("store", ("store",)),
    ("engine", ("settings", "shop", "liquid", "tasks", "webhooks", "runs", "actions", "frames")),
    ("http", ("server",)),
    ("workbench", ("workbench", "__init__")),
    ("edges", ("cli", "server.extension", "__main__")),
]
# Jupyter finds the server extension through the package (jupyter-config names "mechanic_kernel"): this one
# function-level import is the discovery hook, not a dependency of the package's code.
DISCOVERY_HOOKS = {("mechanic_kernel/__init__.py", "mechanic_kernel.server.extension")}


def _module_of(path: str) -> str:
    parts = list(Path(path).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    """The index in :data:`LAYERS` of a module of the package (the most specific prefix wins)."""
    name = module.removeprefix("mechanic_kernel").lstrip(".") or "__init__"
    best, found = -1, None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), index
    assert found is not None, f"{module} belongs to no layer; add it to LAYERS"
    return found


MODULES = {_module_of(str(path.relative_to(ROOT))) for path in ENGINE.rglob("*.py")}


def test_every_module_has_a_layer() -> None:
    assert all(layer_of(module) >= 0 for module in MODULES)


def test_layers_point_one_way() -> None:
    """store ← engine ← server ← workbench ← cli/extension: nothing imports a higher layer."""
    bad = []
    for item in ENGINE_IMPORTS:
        if item.module not in MODULES or (item.path, item.module) in DISCOVERY_HOOKS:
            continue
        mine, theirs = layer_of(_module_of(item.path)), layer_of(item.module)
        if theirs > mine:
            bad.append(f"{item.path}:{item.line} ({LAYERS[mine][0]}) imports {item.module} ({LAYERS[theirs][0]})")
    assert bad == []


def test_the_store_depends_only_on_the_foundation() -> None:
    """The store reads and writes domain records; it never imports the engine that uses it."""
    bad = [item for item in ENGINE_IMPORTS if item.path.startswith("mechanic_kernel/store/")
           and item.module in MODULES and layer_of(item.module) > layer_of("mechanic_kernel.store")]
    assert _where(bad) == []


DRIVERS = {"sqlite3": "mechanic_kernel/store/sqlite/", "psycopg": "mechanic_kernel/store/postgres/",
           "psycopg_pool": "mechanic_kernel/store/postgres/"}


def test_each_sql_driver_lives_in_its_backend() -> None:
    """sqlite3 only in store/sqlite, psycopg only in store/postgres; everything else speaks the contract."""
    bad = [item for item in ENGINE_IMPORTS for driver, home in DRIVERS.items()
           if _top(item.module, driver) and not item.path.startswith(home)]
    assert _where(bad) == []
    assert any(_top(item.module, "sqlite3") for item in ENGINE_IMPORTS)


SQL_HOMES = ("mechanic_kernel/store/sql/", "mechanic_kernel/store/sqlite/", "mechanic_kernel/store/postgres/")


def test_the_sql_finder_finds_the_backends_sql() -> None:
    assert _sql_in(ENGINE / "store" / "sql" / "runs.py")
    assert _sql_in(ENGINE / "store" / "sqlite" / "frames.py")


@pytest.mark.parametrize("path", sorted(ENGINE.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_sql_is_written_only_in_the_backends(path: Path) -> None:
    """Outside the backend packages, no module holds SQL text: they use the store contract."""
    relative = str(path.relative_to(ROOT))
    if not relative.startswith(SQL_HOMES):
        assert _sql_in(path) == []


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for item in ENGINE_IMPORTS:
        source = _module_of(item.path)
        if item.module in MODULES and item.module != source and not item.via_package:
            graph[source].add(item.module)
        elif item.via_package and item.module in MODULES and item.module != source:
            # ``from pkg import name``: a dependency on pkg only when name is not one of its submodules.
            names = [other.module.rpartition(".")[2] for other in ENGINE_IMPORTS
                     if other.path == item.path and other.line == item.line and not other.via_package]
            if any(f"{item.module}.{name}" not in MODULES for name in names):
                graph[source].add(item.module)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_cycles() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_between_modules() -> None:
    """No two modules import each other, directly or around a loop, at module level or inside functions."""
    assert cycles(_graph()) == []
