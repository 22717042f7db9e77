"""Compare canonical old state with canonical new inputs, row by row.

Pure: no engine call, so ``pulumi preview`` works with no swarm reachable. Both sides go
through the row's normaliser again, which makes state written by an older version of
this package compare cleanly and keeps the function idempotent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi.runtime.rpc import contains_unknowns

from ..errors import show_value
from ..schema.service import FIELDS
from ..schema.table import Field, Table


@dataclass
class FieldDiff:
    changed: list[str] = field(default_factory=list)
    replaces: list[str] = field(default_factory=list)
    details: dict[str, str] = field(default_factory=dict)

    @property
    def has_changes(self) -> bool:
        return bool(self.changed)


def diff_fields(olds: Mapping[str, Any], news: Mapping[str, Any],
                table: Table = FIELDS, engine_defaults: bool = True,
                ordered: bool = False) -> FieldDiff:
    """Which rows differ, which of those force a replacement, and a line on each.

    With ``engine_defaults`` (the default) a value equal to what the engine runs when the
    row is unset compares as unset (``Field.default``); without, the stored shapes are
    compared as they are. Lists whose order carries no meaning (ports, mounts, networks,
    aliases: ``Field.order_free``) compare as multisets, so reordering them in a program
    is no change; ``ordered`` compares their order too. Both off is what decides whether
    the engine redeploys the tasks (it compares the stored specs as they are).
    """
    result = FieldDiff()
    for row in table:
        new = news.get(row.name)
        old = _canonical(row, olds.get(row.name), engine_defaults, ordered)
        if contains_unknowns(new):
            result.changed.append(row.name)
            result.details[row.name] = "unknown until apply"
            if row.replace is True:
                result.replaces.append(row.name)
            continue
        new = _canonical(row, new, engine_defaults, ordered)
        if old == new:
            continue
        result.changed.append(row.name)
        result.details[row.name] = describe_change(row, old, new)
        if row.forces_replacement(old, new):
            result.replaces.append(row.name)
    return result


def _canonical(row: Field, value: Any, engine_defaults: bool, ordered: bool) -> Any:
    try:
        return row.comparable(value, engine_defaults, ordered)
    except Exception:  # noqa: BLE001 - state that no longer parses is simply "different"
        return value


def describe_change(row: Field, old: Any, new: Any) -> str:
    """A short human description of a change, by the row's comparison kind."""
    if row.secret:
        return "changed (values hidden)"
    if row.compare == "map" and isinstance(old or {}, dict) and isinstance(new or {}, dict):
        before, after = old or {}, new or {}
        parts = [f"+{k}" for k in after if k not in before]
        parts += [f"-{k}" for k in before if k not in after]
        parts += [f"~{k}" for k in after if k in before and before[k] != after[k]]
        return " ".join(parts)
    lists = isinstance(old or [], list) and isinstance(new or [], list)
    if row.compare in ("set", "keyed") and lists:
        def ident(item: Any) -> str:
            return show_value(item.get(row.key) if row.key and isinstance(item, dict) else item)
        before = {ident(i): i for i in old or []}
        after = {ident(i): i for i in new or []}
        parts = [f"+{k}" for k in after if k not in before]
        parts += [f"-{k}" for k in before if k not in after]
        parts += [f"~{k}" for k in after if k in before and before[k] != after[k]]
        return " ".join(parts)
    return f"{show_value(old)} -> {show_value(new)}"
