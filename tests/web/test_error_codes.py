"""Every error code the code base raises has a message in the portal's languages.

The codes are found in the source, not listed by hand: the ``code`` of every ``AppError`` subclass,
every ``code=`` given to one of them (a constant, either side of a conditional, the fallback of an
``or``), and the argument of a helper that builds such an error from its ``code`` parameter.
"""

from __future__ import annotations

import ast
from pathlib import Path

from qazai.web.error_codes import ERROR_MESSAGES

SRC = Path(__file__).resolve().parents[2] / "src" / "qazai"


def _trees() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(SRC.rglob("*.py"))}


def _error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    names = {"AppError"}
    grew = True
    while grew:
        grew = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names:
                    bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
                    if bases & names:
                        names.add(node.name)
                        grew = True
    return names


def _called(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _constants(value: ast.expr) -> list[str]:
    """String constants a ``code=`` expression may evaluate to (not ones it merely reads)."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return [value.value]
    if isinstance(value, ast.IfExp):
        return _constants(value.body) + _constants(value.orelse)
    if isinstance(value, ast.BoolOp):
        return [c for operand in value.values for c in _constants(operand)]
    if isinstance(value, ast.Call) and _called(value) == "str" and value.args:
        return _constants(value.args[0])
    if isinstance(value, ast.Call) and _called(value) == "get" and len(value.args) == 2:
        return _constants(value.args[1])  # a stored code's fallback: error.get("code", "push_refused")
    return []


def raised_codes() -> dict[str, str]:
    """Every error code raised in ``src/qazai`` -> where (file:line) it is first seen."""
    trees = _trees()
    errors = _error_classes(trees)
    found: dict[str, str] = {}
    # helpers such as `_refuse(path, message, code)` that pass a parameter on as `code=`
    helpers: dict[str, int] = {}
    for tree in trees.values():
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef):
                continue
            params = [a.arg for a in fn.args.args]
            for node in ast.walk(fn):
                if isinstance(node, ast.Call) and _called(node) in errors:
                    for kw in node.keywords:
                        if kw.arg == "code" and isinstance(kw.value, ast.Name) and kw.value.id in params:
                            helpers[fn.name] = params.index(kw.value.id)
    for path, tree in trees.items():
        where = str(path.relative_to(SRC))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name in errors:
                for stmt in node.body:
                    targets = (
                        stmt.targets
                        if isinstance(stmt, ast.Assign)
                        else [stmt.target]
                        if isinstance(stmt, ast.AnnAssign)
                        else []
                    )
                    value = getattr(stmt, "value", None)
                    if any(isinstance(t, ast.Name) and t.id == "code" for t in targets) and value is not None:
                        for code in _constants(value):
                            found.setdefault(code, f"{where}:{stmt.lineno}")
            if not isinstance(node, ast.Call):
                continue
            name = _called(node)
            if name in errors:
                for kw in node.keywords:
                    if kw.arg == "code":
                        for code in _constants(kw.value):
                            found.setdefault(code, f"{where}:{node.lineno}")
            elif name in helpers:
                index = helpers[name]
                given = node.args[index] if len(node.args) > index else None
                for code in _constants(given) if given is not None else []:
                    found.setdefault(code, f"{where}:{node.lineno}")
    found.pop("error", None)  # AppError's own default: every raise names a real code or class
    return found


def test_the_scan_finds_codes_given_every_way() -> None:
    codes = raised_codes()
    assert codes["query_timeout"].startswith("catalog/query.py")  # a class's code
    assert "tag_exists" in codes  # code= on a raise
    assert {"system_suspended", "system_not_labelling"} <= set(codes)  # both sides of a conditional
    assert "safetensors_header_invalid" in codes  # through a helper's parameter
    assert len(codes) > 200


def test_every_raised_error_code_has_a_message() -> None:
    missing = {code: where for code, where in raised_codes().items() if code not in ERROR_MESSAGES}
    assert not missing, f"add these codes to web/error_codes.py (and translate them): {missing}"
