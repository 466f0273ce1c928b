"""The production import graph: the offline Telegram (sandbox/) is chosen by the composition in app/,
never imported by the packages that run against real Telegram."""

from __future__ import annotations

import ast
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
