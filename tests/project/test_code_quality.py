"""ruff and mypy stay clean, and the layers stay as README "Layout" draws them: run through the same
test command as everything else."""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_ruff_is_clean() -> None:
    r = _run("ruff", "check", ".")
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.slow
def test_mypy_is_clean() -> None:
    r = _run("mypy")
    assert r.returncode == 0, r.stdout + r.stderr


# --- the layers (README "Layout"), checked on the source itself ---------------------------------

PRODUCT = ("bot", "handlers", "storage")
OWN_PACKAGES = {"bot", "handlers", "storage", "tests"}


def _modules() -> list[Path]:
    return [*sorted(p for package in PRODUCT for p in (ROOT / package).rglob("*.py")), ROOT / "bot.py"]


@functools.cache  # every check here walks the same files: each is read and parsed once a run
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imports(tree: ast.Module) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it) for every import, relative ones resolved enough to see the package."""
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


@functools.cache
def _own_private_names() -> frozenset[str]:
    """Every _name the product defines itself: functions, classes, attributes, module globals. (Only
    the product's own modules: a name the tests or benchmarks define is none of the product's.)"""
    names: set[str] = set()
    for path in _modules():
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
    return frozenset(n for n in names if n.startswith("_"))


def test_no_product_module_uses_a_private_name_of_a_dependency() -> None:
    # A private name is one the library may change in any release: aiosqlite's _execute and
    # XlsxWriter's _write_string pinned their versions. Attribute access is checked by name:
    # obj._x is the project's own only if the project defines some _x.
    own = _own_private_names()
    bad: list[str] = []
    for path in _modules():
        tree = _tree(path)
        for module, names in _imports(tree):
            if module.split(".")[0] in OWN_PACKAGES:
                continue
            parts = [*module.split("."), *names]
            bad.extend(f"{path.relative_to(ROOT)}: import {module} {names}" for p in parts
                       if p.startswith("_") and not p.startswith("__"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and node.attr not in own):
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{node.attr}")
    assert bad == []


def test_the_check_for_private_names_finds_one() -> None:
    # The test above must be able to fail: aiosqlite's private call is not the project's own name.
    assert "_execute" not in _own_private_names() and "_write_string" not in _own_private_names()


def test_handlers_never_import_one_another() -> None:
    bad = [f"{path.name}: {module}" for path in sorted((ROOT / "handlers").glob("*.py"))
           for module, names in _imports(_tree(path))
           if module == "handlers" or module.startswith("handlers.")]
    assert bad == []


def test_storage_imports_nothing_above_it() -> None:
    above = ("handlers", "bot.transports", "bot.render", "bot.app")
    bad = [f"{path.name}: {module}" for path in sorted((ROOT / "storage").glob("*.py"))
           for module, _ in _imports(_tree(path))
           if any(module == a or module.startswith(a + ".") for a in above)]
    assert bad == []


def test_no_folder_holds_more_than_15_modules() -> None:
    folders = {p.parent for package in (*PRODUCT, "bench", "tests") for p in (ROOT / package).rglob("*.py")
               if "node_modules" not in p.parts}
    crowded = {str(f.relative_to(ROOT)): n for f in folders if (n := len(list(f.glob("*.py")))) > 15}
    assert crowded == {}


# The layers from the bottom up, as README "Layout" lists them: a module may import its own layer's and
# the ones before it, never one after. bot/models.py and bot/clock.py are shared by every layer.
LAYERS = [
    ("bot.models", "bot.clock"),
    ("bot.parsing",),
    ("storage",),
    ("bot.render.templates", "bot.render.sandbox"),  # the texts, and where owners' own ones render
    ("bot.domain",),
    ("bot.render",),  # the exports: the domain's reports as CSV, JSON and XLSX
    ("bot.transports",),
    ("bot.app",),
    ("bot.web",),  # the pickup-day page: an adapter over the app, calling the domain (never a handler)
    ("handlers",),
    ("bot.routers", "bot.cli", "bot"),  # the composition root (bot.py too)
]


def _layer(module: str) -> int:
    """The index in LAYERS of the most specific prefix of `module`."""
    best, length = -1, -1
    for i, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > length:
                best, length = i, len(prefix)
    return best


def test_each_layer_imports_only_itself_and_the_layers_below() -> None:
    bad = []
    for path in _modules():
        own = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        own = own.removesuffix(".__init__")
        here = _layer(own)
        for module, _ in _imports(_tree(path)):
            if module.split(".")[0] in OWN_PACKAGES and _layer(module) > here:
                bad.append(f"{own} ({LAYERS[here][0]}) imports {module} ({LAYERS[_layer(module)][0]})")
    assert bad == []


def test_the_layer_check_can_fail() -> None:
    assert _layer("bot.app.pipeline") > _layer("bot.domain.orderbook") > _layer("storage.db")
    assert _layer("handlers.ordering") > _layer("bot.app.router") and _layer("bot.render.export") > _layer("bot.domain")
    assert _layer("handlers.pickup") > _layer("bot.web.actions") > _layer("bot.app.pipeline")
