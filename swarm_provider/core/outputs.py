"""What a resource stores as outputs, built from the live object and its table.

Outputs hold every input row's canonical value as the engine stores it (so ``diff``
compares new inputs against what is really live), the options that are set, and the
table's output rows (``schema.table.Output``: the service's id, version index,
timestamps, effective spec and endpoint; a network's id; ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..schema.service import SERVICE
from ..schema.table import Table
from .diff import diff_table
from .spec import read_fields

COMPUTED = SERVICE.output_names


def live_fields(service: Mapping[str, Any], network_names: Mapping[str, str]) -> dict[str, Any]:
    """Canonical rows of a live service; network ids shown as the names the user gave.

    ``network_names`` maps engine network id -> the name (or id) used in the inputs.
    """
    fields = read_fields(service.get("Spec", {}))
    if fields.get("networks"):
        fields["networks"] = [
            {**entry, "Target": network_names.get(entry["Target"], entry["Target"])}
            for entry in fields["networks"]
        ]
    return fields


def option_values(props: Mapping[str, Any], table: Table) -> dict[str, Any]:
    """The options of ``table`` that ``props`` sets (unset ones are left out)."""
    return {row.name: props[row.name] for row in table.options
            if props.get(row.name) is not None}


def exported(live: Mapping[str, Any], fields: Mapping[str, Any],
             table: Table) -> dict[str, Any]:
    """The value of every output row of ``table`` for this live object."""
    return {row.name: row.read(live, fields) for row in table.outputs}


def table_outputs(live: Mapping[str, Any], fields: Mapping[str, Any],
                  options: Mapping[str, Any], table: Table) -> dict[str, Any]:
    """All outputs: the canonical rows, the options, the output rows."""
    return {**fields, **options, **exported(live, fields, table)}


def outputs(service: Mapping[str, Any], fields: Mapping[str, Any],
            options: Mapping[str, Any]) -> dict[str, Any]:
    """A SwarmService's outputs (``table_outputs`` of its table)."""
    return table_outputs(service, fields, options, SERVICE)


def options_only_update(olds: Mapping[str, Any], news: Mapping[str, Any],
                        table: Table) -> dict[str, Any] | None:
    """The outputs of an update that changes only options, or None when the update has
    more to do. Nothing is sent to the engine: the stored outputs are kept, with the new
    option values (an option unset in ``news`` is dropped)."""
    if not diff_table(olds, news, table).only_options:
        return None
    kept = {k: v for k, v in olds.items() if k not in table.option_names}
    return {**kept, **option_values(news, table)}
