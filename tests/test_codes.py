"""Every problem code the source can emit is documented, in codes.py and the README."""

from __future__ import annotations

import ast
from pathlib import Path

from opsascode.codes import CODES

SRC = Path(__file__).parent.parent / "src" / "opsascode"
README = Path(__file__).parent.parent / "README.md"


def _emitted_codes() -> set[str]:
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            found.update(_codes_in(node))
    return found


def _codes_in(node: ast.AST) -> list[str]:
    def const(expr: ast.expr) -> list[str]:
        return [expr.value] if isinstance(expr, ast.Constant) and isinstance(
            expr.value, str) else []

    if isinstance(node, ast.Call):
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        if name in ("error", "warning") and len(node.args) >= 2:
            return const(node.args[1])
        if name in ("YamlIssue", "err") and node.args:
            return const(node.args[0])
    if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) and node.value.elts:
        first = const(node.value.elts[0])
        return [c for c in first if "-" in c and " " not in c]
    if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "code" for t in node.targets):
        return const(node.value)
    return []


def test_every_emitted_code_is_documented() -> None:
    emitted = _emitted_codes()
    assert len(emitted) > 40
    assert emitted - set(CODES) == set()


def test_every_documented_code_is_emitted() -> None:
    assert set(CODES) - _emitted_codes() == set()


def test_readme_lists_every_code() -> None:
    readme = README.read_text()
    missing = [code for code in CODES if f"`{code}`" not in readme]
    assert missing == []
