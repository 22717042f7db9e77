"""Render the input reference (docs/inputs.md) from the field tables.

``python -m swarm_provider.schema.docs > docs/inputs.md``; a unit test fails when the file and
the tables disagree, so the docs cannot drift from the code.
"""

from __future__ import annotations

from .objects import CONFIG, NETWORK_FIELDS, SECRET
from .service import FIELDS
from .table import Table

_COMPARE = {
    "value": "value",
    "list": "ordered list",
    "set": "unordered",
    "map": "map",
    "keyed": "records by key",
}


def render_table(title: str, table: Table) -> str:
    lines = [
        f"## {title}",
        "",
        "| input | Engine path | compared as | change | from | what it is |",
        "|---|---|---|---|---|---|",
    ]
    for row in table:
        if row.origin == "internal":
            continue
        change = "replace" if row.replace is True else (
            "replace if kind changes" if row.replace else "in place")
        compare = _COMPARE[row.compare] + (f" ({row.key})" if row.key else "")
        doc = row.doc.replace("|", "\\|")
        lines.append(
            f"| `{row.name}` | `{row.engine_path}` | {compare} | {change} | {row.origin} | {doc} |"
        )
    return "\n".join(lines) + "\n"


def render() -> str:
    header = (
        "# Inputs\n\nGenerated from the field tables by `python -m swarm_provider.schema.docs`; "
        "do not edit by hand.\n\n"
    )
    return header + "\n".join([
        render_table("SwarmService", FIELDS),
        render_table("SwarmNetwork", NETWORK_FIELDS),
        render_table("SwarmSecret", SECRET.table),
        render_table("SwarmConfig", CONFIG.table),
    ])


if __name__ == "__main__":
    print(render(), end="")
