"""The package stays readable in one sitting per function (issue #10): no function over 40
lines. A signature counts as one line: SwarmService's keyword list is its typed inputs, one
per line, as the field table's rows are (test_fields reads it with inspect.signature)."""

from __future__ import annotations

import ast
from pathlib import Path

import swarm_provider

LIMIT = 40
PACKAGE = Path(swarm_provider.__file__).parent


def function_lengths() -> dict[str, int]:
    lengths = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                signature = node.body[0].lineno - node.lineno - 1
                where = f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}"
                lengths[where] = (node.end_lineno or node.lineno) - start + 1 - signature
    return lengths


def test_no_function_is_over_40_lines() -> None:
    long = {where: n for where, n in function_lengths().items() if n > LIMIT}
    assert not long, f"functions over {LIMIT} lines: {long}"


def test_the_count_sees_long_functions() -> None:
    """The walk reaches methods and nested functions of every subpackage."""
    lengths = function_lengths()
    assert any(where.startswith("core/") for where in lengths)
    assert any(" __init__" in where and where.startswith("resources/") for where in lengths)
    assert len(lengths) > 300
