"""The production import graph: the offline Telegram (sandbox/) is chosen by the composition in app/,
never imported by the packages that run against real Telegram."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", ["collector", "storage", "analytics", "bot"])
def test_production_packages_never_import_the_sandbox(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(n for n in imported(path) if n.split(".")[0] == "sandbox")
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_the_sandbox_wiring_and_its_commands_reach_the_sandbox() -> None:
    reaching = sorted(
        path.name for path in (ROOT / "app").glob("*.py")
        if any(n.split(".")[0] == "sandbox" for n in imported(path))
    )
    # run --sandbox, the demo and `collect --sandbox` choose it there; the production wiring never does.
    assert reaching == ["sandbox_wiring.py"]


def analytics_imports(path: Path) -> set[str]:
    """The analytics modules a file imports, anywhere in it (functions and TYPE_CHECKING blocks too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # `from analytics import charts` names a module, not an attribute.
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {n for n in names if n.startswith("analytics.") and (ROOT / f"{n.replace('.', '/')}.py").exists()}


def test_analytics_has_no_import_cycle() -> None:
    graph = {f"analytics.{p.stem}": analytics_imports(p) for p in (ROOT / "analytics").glob("*.py")}
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(module, ())):
            if nxt in path:
                cycles.append(" -> ".join([*path[path.index(nxt):], nxt]))
            elif nxt not in done:
                visit(nxt, [*path, nxt])
        done.add(module)

    done: set[str] = set()
    for module in sorted(graph):
        visit(module, [module])
    assert cycles == []


def test_analytics_modules_re_export_nothing() -> None:
    """A name is imported from the module that defines it: no `__all__` passing imports along."""
    offenders = {}
    for path in (ROOT / "analytics").glob("*.py"):
        tree = ast.parse(path.read_text())
        imported_names = {
            alias.asname or alias.name for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) for alias in node.names
        }
        exported = {
            elt.value for node in tree.body if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
            for elt in getattr(node.value, "elts", []) if isinstance(elt, ast.Constant)
        }
        if exported & imported_names:
            offenders[path.name] = sorted(exported & imported_names)
    assert offenders == {}


def test_starting_the_app_or_the_collector_loads_no_matplotlib() -> None:
    """matplotlib (and the drawing code) load with the first chart, not with `run` or `collect`."""
    probe = (
        "import sys\n"
        "import main, app.run, app.collect, app.sandbox_wiring, collector.cli, bot.app, bot.notifier\n"
        "import analytics.charts, analytics.service, analytics.digest\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'"
        " or m == 'analytics.chart_drawing')\n"
        "print(loaded)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
