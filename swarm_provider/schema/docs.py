"""Render the input reference (docs/inputs.md) from the resource tables.

``python -m swarm_provider.schema.docs > docs/inputs.md``; a unit test fails when the file and
the tables disagree, so the docs cannot drift from the code.
"""

from __future__ import annotations

from .objects import CONFIG, NETWORK, SECRET
from .service import SERVICE
from .struct import Key, Struct, snake_case
from .table import Field, Rows, Table

_COMPARE = {
    "value": "value",
    "list": "ordered list",
    "set": "unordered",
    "map": "map",
    "keyed": "records by key",
}

OPTION_RULE = (
    "Options steer the provider and are sent to no engine. One rule diffs them all: a "
    "changed option is a change, shown by `pulumi preview`. It replaces the resource only "
    "where the table says so (`versioned`: it names the engine object); otherwise the "
    "update writes nothing to the engine and only records the new value in the state. "
    "That matters because Pulumi deletes with the stored outputs: a new `delete_timeout` "
    "must be stored before the delete that uses it. A value equal to the default is the "
    "option unset: writing it out is no change."
)


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def _change(row: Field) -> str:
    if row.replace is True:
        return "replace"
    return "replace if kind changes" if row.replace else "in place"


def render_inputs(rows: Rows) -> list[str]:
    lines = ["| input | Engine path | compared as | change | from | what it is |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        if row.origin == "internal":
            continue
        compare = _COMPARE[row.compare] + (f" ({row.key})" if row.key else "")
        lines.append(f"| `{row.name}` | `{row.engine_path}` | {compare} | {_change(row)} | "
                     f"{row.origin} | {_escape(row.doc)} |")
    return lines


def render_options(table: Table) -> list[str]:
    lines = ["| option | default | change | what it does |", "|---|---|---|---|"]
    for row in table.options:
        default = "unset" if row.default is None else f"`{row.default.whole!r}`"
        change = "replace" if row.replace else "state only"
        lines.append(f"| `{row.name}` | {default} | {change} | {_escape(row.doc)} |")
    return lines


def render_outputs(table: Table) -> list[str]:
    lines = ["| output | what it is |", "|---|---|"]
    for row in table.outputs:
        secret = " Stored as a secret." if row.secret else ""
        lines.append(f"| `{row.name}` | {_escape(row.doc)}{secret} |")
    return lines


def _also(struct: Struct, key: Key) -> str:
    """The other spellings of a key: snake case, docker-py's keywords (a flat one is
    written in the enclosing structure)."""
    names = [snake_case(key.engine), key.keyword] if key.keyword else [snake_case(key.engine)]
    shown = [f"`{name}`" for name in dict.fromkeys(names) if name != key.engine]
    if key.flat:
        shown.append(f"`{key.flat}` (in the enclosing structure)")
    return ", ".join(shown)


def render_struct(struct: Struct) -> list[str]:
    lines = [f"### {struct.name}", ""]
    if struct.doc:
        lines += [struct.doc, ""]
    lines += ["| key | also written | what it is |", "|---|---|---|"]
    for key in struct.keys:
        nested = key.struct or key.items
        what = key.doc or (f"See {nested.name}." if nested else "")
        lines.append(f"| `{key.engine}` | {_also(struct, key)} | {_escape(what)} |")
    return lines


def nested_structs(tables: tuple[Table, ...]) -> list[Struct]:
    """Every structure the tables' rows declare, each once, in table order."""
    found: list[Struct] = []
    for table in tables:
        for row in table.inputs:
            for struct in row.struct.walk() if row.struct else []:
                if all(struct is not seen for seen in found):
                    found.append(struct)
    return found


def render_table(table: Table) -> str:
    """One resource: its inputs, options and outputs."""
    lines = [f"## {table.resource}", "", *render_inputs(table.inputs), "",
             f"### {table.resource} options", "", *render_options(table), "",
             f"### {table.resource} outputs", "",
             "Every input, in its canonical form, and:", "", *render_outputs(table)]
    return "\n".join(lines) + "\n"


def render() -> str:
    header = (
        "# Inputs\n\nGenerated from the resource tables by `python -m "
        "swarm_provider.schema.docs`; do not edit by hand.\n\n"
        f"{OPTION_RULE}\n\n"
    )
    tables = (SERVICE, NETWORK, SECRET.resource, CONFIG.resource)
    structs = ["## Nested structures", "",
               "Keys are matched without regard to case and underscores: `ReadOnly`, "
               "`read_only` and `readonly` are one key. A key not listed is refused, at any "
               "depth. A docker-py keyword of a nested key (`tmpfs_size`) is accepted in the "
               "enclosing structure too, as docker-py's constructors take it."]
    for struct in nested_structs(tables):
        structs += ["", *render_struct(struct)]
    return header + "\n".join(render_table(t) for t in tables) + "\n" + "\n".join(structs) + "\n"


if __name__ == "__main__":
    print(render(), end="")
