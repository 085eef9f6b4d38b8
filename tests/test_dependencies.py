"""Every third-party package the platform imports at run time is a declared runtime dependency.

The test extra pulls in more (pandas brings numpy, ...), so a missing runtime dependency would
pass the suite and break the README's first command on a fresh machine.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _runtime_distributions() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = set()
    for requirement in project["dependencies"]:
        name = re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]
        names.add(name.lower().replace("_", "-"))
    return names


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Ids of the import nodes under ``if TYPE_CHECKING:`` (they never run)."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            ids.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    return ids


def _imported_top_level_modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in (ROOT / "src" / "qazai").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_only(tree)
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], path)
    return found


def test_runtime_imports_are_declared_dependencies() -> None:
    declared = _runtime_distributions()
    providers = packages_distributions()
    missing = []
    for module, where in sorted(_imported_top_level_modules().items()):
        if module == "qazai" or module in sys.stdlib_module_names:
            continue
        dists = {d.lower().replace("_", "-") for d in providers.get(module, [])}
        if not dists & declared:
            missing.append(f"{module} (imported in {where.relative_to(ROOT)}; from {sorted(dists) or '?'})")
    assert not missing, "imported but not in [project].dependencies:\n" + "\n".join(missing)
