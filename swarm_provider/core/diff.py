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
from ..schema.table import Field, Rows, Table


@dataclass
class FieldDiff:
    changed: list[str] = field(default_factory=list)
    """Every row or option that differs."""
    replaces: list[str] = field(default_factory=list)
    """Those whose change forces a replacement."""
    details: dict[str, str] = field(default_factory=dict)
    """A short line on each change (values of secret rows hidden)."""
    options: list[str] = field(default_factory=list)
    """Those of ``changed`` that are options: no part of the Engine spec."""

    @property
    def has_changes(self) -> bool:
        return bool(self.changed)

    @property
    def only_options(self) -> bool:
        """Something changed, all of it options and none replaces: the update writes
        nothing to the engine, only the new option values to the state."""
        return bool(self.changed) and len(self.options) == len(self.changed) \
            and not self.replaces


def diff_table(olds: Mapping[str, Any], news: Mapping[str, Any], table: Table,
               engine_defaults: bool = True, ordered: bool = False) -> FieldDiff:
    """``diff_fields`` over the input rows and the options of a resource: the diff a
    provider reports. Options follow one rule (``schema.table.option``): a changed
    option is a change, and replaces only when the row says so (``versioned``)."""
    return diff_fields(olds, news, (*table.inputs, *table.options), engine_defaults, ordered)


def diff_fields(olds: Mapping[str, Any], news: Mapping[str, Any],
                table: Rows = FIELDS, engine_defaults: bool = True,
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
            _record(result, row, "unknown until apply", row.replace is True)
            continue
        new = _canonical(row, new, engine_defaults, ordered)
        if old != new:
            _record(result, row, describe_change(row, old, new),
                    row.forces_replacement(old, new))
    return result


def _record(result: FieldDiff, row: Field, detail: str, replaces: bool) -> None:
    result.changed.append(row.name)
    result.details[row.name] = detail
    if replaces:
        result.replaces.append(row.name)
    if row.is_option:
        result.options.append(row.name)


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
