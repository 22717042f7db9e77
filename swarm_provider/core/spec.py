"""Build the Engine ServiceSpec from canonical inputs, and read canonical values back.

``build_spec`` writes every set row at its Engine path; ``read_fields`` takes each row's
value out of a spec the engine returned and normalises it, leaving out the parts that
belong to other rows (``Resources.Limits.Pids`` belongs to ``pids_limit``, the owner
label to ``owner``). Together they are the round trip the diff relies on.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ..schema.service import FIELDS, SENT_LABEL
from ..schema.table import Field, Rows, nested_paths

SERVICE_BASE: dict[str, Any] = {
    "TaskTemplate": {
        "ContainerSpec": {"Privileges": {"CredentialSpec": None, "SELinuxContext": None}},
        "Resources": {},
        "Placement": {},
        "ForceUpdate": 0,
    },
    "EndpointSpec": {"Mode": "vip"},
}
"""The sub-structs the docker CLI (``docker stack deploy``, ``docker service create``)
always sends, whatever the inputs say; each row's value is merged on top.

Why: Docker 20.10's update orchestrator dereferences ``TaskTemplate.Placement`` without
a nil check when only the placement changed (swarmkit ``nodeMatches``, moby/swarmkit#2947,
fixed after 20.10): an update that leaves only the placement different and sends no
Placement key (removing the last constraint, or re-sending a spec without Placement to a
service whose tasks were started with one) makes the manager's dockerd panic, and again on
every restart. The other structs are guarded in
20.10, but a shape the CLI never sends is a shape nobody tested, and sending exactly the
CLI's base makes a SwarmService store what ``docker stack deploy`` stores. Each of them
reads back as "unset" (the normalisers fold ``{}``, ``Mode: vip``, ``0`` and nulls away),
so state written before they were sent still diffs as unchanged.
"""


def build_spec(canonical: Mapping[str, Any], table: Rows = FIELDS) -> dict[str, Any]:
    """The whole spec the engine should store for these canonical inputs."""
    spec: dict[str, Any] = copy.deepcopy(SERVICE_BASE) if table is FIELDS else {}
    for field in table:
        value = canonical.get(field.name)
        if value is not None:
            _merge_at(spec, field.path, field.engine_value(copy.deepcopy(value)))
    return spec


def read_fields(spec: Mapping[str, Any], table: Rows = FIELDS) -> dict[str, Any]:
    """Canonical value of every row, as found in a spec the engine returned."""
    return {field.name: read_field(field, spec, table) for field in table}


def read_field(field: Field, spec: Mapping[str, Any], table: Rows = FIELDS) -> Any:
    raw = _get_at(spec, field.path)
    inner_paths = nested_paths(table, field)
    if table is FIELDS:
        inner_paths += [path[len(field.path):] for path in BOOKKEEPING
                        if len(path) > len(field.path) and path[:len(field.path)] == field.path]
    for inner in inner_paths:
        raw = _without(raw, inner)
    return field.normalise(raw)


BOOKKEEPING: tuple[tuple[str, ...], ...] = (("Labels", SENT_LABEL),)
"""Paths the provider writes for itself, which belong to no row (so no input sees them)."""


def sent_digest(spec: Mapping[str, Any]) -> str:
    """A digest of what a service spec means: every row's comparable value (engine
    defaults folded, ``Field.comparable``), read back from the spec, network targets as
    the engine's ids. Computed on the spec we send (its networks resolved to ids first)
    and stored in ``SENT_LABEL``; computed again on the live spec, it matches only if
    nobody changed the service since: ``docker service update --env-add``, docker-py's
    ``Service.update(labels=...)`` or a hand edit all change it, the engine's own
    normalisations and inserted defaults do not."""
    rows = read_fields(spec)
    meaning = {row.name: row.comparable(rows.get(row.name)) for row in FIELDS}
    text = json.dumps(meaning, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def with_sent_digest(spec: Mapping[str, Any], network_ids: Mapping[str, str]) -> dict[str, Any]:
    """``spec`` with ``SENT_LABEL`` set; ``network_ids`` maps the targets it names to the
    ids the engine will store (a target missing from it is used as it is)."""
    stamped = copy.deepcopy(dict(spec))
    resolved = copy.deepcopy(stamped)
    for entry in (resolved.get("TaskTemplate") or {}).get("Networks") or []:
        entry["Target"] = network_ids.get(entry["Target"], entry["Target"])
    try:
        digest = sent_digest(resolved)
    except Exception:  # noqa: BLE001 - a spec no row reads back: unstamped, so never "ours"
        return stamped
    stamped.setdefault("Labels", {})[SENT_LABEL] = digest
    return stamped


def is_as_sent(spec: Mapping[str, Any]) -> bool:
    """Whether a live spec is still exactly what the provider sent (see ``sent_digest``)."""
    label = (spec.get("Labels") or {}).get(SENT_LABEL)
    try:
        return bool(label) and label == sent_digest(spec)
    except Exception:  # noqa: BLE001 - a live spec no row reads back is not as we sent it
        return False


def _get_at(source: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(source, Mapping):
            return None
        source = source.get(key)
    return source


def _merge_at(target: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        target = target.setdefault(key, {})
    last = path[-1]
    if isinstance(value, dict) and isinstance(target.get(last), dict):
        _deep_merge(target[last], value)
    else:
        target[last] = value


def _deep_merge(target: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value)
        else:
            target[key] = value


def _without(source: Any, path: tuple[str, ...]) -> Any:
    """A copy of ``source`` without the value at ``path`` (and parents left empty)."""
    if not isinstance(source, Mapping) or path[0] not in source:
        return source
    trimmed = dict(source)
    if len(path) == 1:
        del trimmed[path[0]]
    else:
        inner = _without(trimmed[path[0]], path[1:])
        if inner in ({}, None):
            del trimmed[path[0]]
        else:
            trimmed[path[0]] = inner
    return trimmed
