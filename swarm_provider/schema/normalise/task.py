"""Normalisers of task-template structures: resources, restart, placement, networks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import FieldValueError
from ..struct import Key, Struct
from ..units import as_int, byte_count, duration_ns, duration_text, nano_cpus
from .base import (
    as_list,
    as_mapping,
    count_at_least,
    is_list,
    item_text,
    one_of,
    pick,
    prune,
    strict_string_map,
    text,
)


def _limits(engine_keys: str, flat: tuple[str, str]) -> tuple[Key, ...]:
    return (Key("NanoCPUs", nano_cpus, flat=flat[0],
                doc=f'CPUs {engine_keys}: NanoCPUs (1e9 = 1 CPU) or "0.5".'),
            Key("MemoryBytes", byte_count, flat=flat[1],
                doc=f'Memory {engine_keys}: bytes or "64m".'))


LIMITS = Struct("Limits", (
    *_limits("limit", ("cpu_limit", "mem_limit")),
    Key("Pids", as_int, doc="Process limit (the pids_limit input)."),
))

RESERVATIONS = Struct("Reservations", (
    *_limits("reserved", ("cpu_reservation", "mem_reservation")),
    Key("GenericResources", lambda v: _generic_resources(v) or None,
        flat="generic_resources",
        doc="{kind: count} (discrete) or {kind: name}, or the Engine list."),
))

RESOURCES = Struct("Resources", (
    Key("Limits", struct=LIMITS),
    Key("Reservations", struct=RESERVATIONS),
), doc="docker.types.Resources, its keywords, or the Engine dict.")


def resources(value: Any) -> dict[str, Any] | None:
    """Resources: ``docker.types.Resources``, Engine dicts, or its constructor keywords."""
    if value is None:
        return None
    read = RESOURCES.read(value)
    out = {part_name: {k: v for k, v in (block or {}).items() if v}
           for part_name, block in read.items()}
    return {k: v for k, v in out.items() if v} or None


GENERIC_RESOURCE = Struct("GenericResource", (
    Key("Kind", item_text, doc="The resource's kind, e.g. gpu."),
    Key("Value", doc="A count (DiscreteResourceSpec) or a name (NamedResourceSpec)."),
))


def _generic_item(item: Any) -> dict[str, Any]:
    entry = as_mapping(item, "a generic resource mapping")
    if len(entry) != 1:
        raise FieldValueError("a generic resource is {DiscreteResourceSpec: ...} or "
                              "{NamedResourceSpec: ...}", value=item)
    (spec_kind, body), = entry.items()
    if spec_kind not in ("DiscreteResourceSpec", "NamedResourceSpec"):
        raise FieldValueError(f"unknown generic resource {spec_kind!r}", value=spec_kind)
    read = GENERIC_RESOURCE.read(as_mapping(body, "a {Kind, Value} mapping"), spec_kind)
    if read["Kind"] is None or read["Value"] is None:
        raise FieldValueError(f"{spec_kind} needs Kind and Value", value=item)
    convert = as_int if spec_kind == "DiscreteResourceSpec" else item_text
    return {spec_kind: {"Kind": read["Kind"], "Value": convert(read["Value"])}}


def _generic_resources(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, Mapping):  # docker-py: {kind: int} discrete, {kind: str} named
        value = [
            {"DiscreteResourceSpec": {"Kind": k, "Value": v}}
            if isinstance(v, (int, float)) and not isinstance(v, bool)
            else {"NamedResourceSpec": {"Kind": k, "Value": v}}
            for k, v in value.items()
        ]
    return sorted((_generic_item(item) for item in as_list(value, "generic resources")),
                  key=repr)


_CONDITIONS = {"none", "on-failure", "any"}


def _duration(value: Any) -> str:
    return duration_text(duration_ns(value))


RESTART_POLICY = Struct("RestartPolicy", (
    Key("Condition", one_of(_CONDITIONS), doc="none, on-failure or any (the default)."),
    Key("Delay", _duration, doc="Time between restarts; unset is 5s, 0 is kept."),
    Key("MaxAttempts", lambda v: count_at_least(v, "MaxAttempts") or None,
        doc="Restarts before giving up (0 = no limit)."),
    Key("Window", _duration, doc="Time over which restarts are counted."),
), doc="docker.types.RestartPolicy, its keywords or the Engine dict.")


def restart_policy(value: Any) -> dict[str, Any] | None:
    """RestartPolicy; a missing condition is ``any`` (the engine's default).

    Delay and Window are pointers in the engine: an explicit 0 is stored and differs from
    "unset" (Delay unset means 5 s), so it is kept. MaxAttempts always comes back, 0 when
    unset, and 0 means unlimited either way, so 0 folds away.
    """
    if value is None:
        return None
    read = RESTART_POLICY.read(value)
    out = {k: v for k, v in read.items() if v is not None}
    return {**out, "Condition": read["Condition"] or "any"}


def preferences(value: Any) -> list[dict[str, Any]] | None:
    """Placement preferences, in order: ``("spread", d)``, ``"spread=d"`` or Engine dicts."""
    if value is None:
        return None
    out = []
    for item in as_list(value, "placement preferences"):
        if isinstance(item, str):
            strategy, _, descriptor = item.partition("=")
        elif is_list(item):
            if len(item) != 2:
                raise FieldValueError("a preference tuple is (strategy, descriptor)", value=item)
            strategy, descriptor = item
        else:
            entry = as_mapping(item, "a preference")
            if len(entry) != 1:
                raise FieldValueError("a preference has one strategy", value=item)
            (strategy, body), = entry.items()
            # {"spread": "node.labels.zone"}, as Ansible writes it, or the Engine form.
            descriptor = body if isinstance(body, str) else pick(
                as_mapping(body, "a {SpreadDescriptor} mapping"), "SpreadDescriptor")
        if str(strategy).lower() != "spread" or not descriptor:
            raise FieldValueError("only spread preferences exist", '("spread", "node.labels.zone")',
                                  value=item)
        out.append({"Spread": {"SpreadDescriptor": item_text(descriptor)}})
    return out or None


PLATFORM = Struct("Platform", (
    Key("Architecture", item_text, doc="e.g. amd64, arm64."),
    Key("OS", item_text, doc="e.g. linux."),
), doc='(architecture, os) tuples, "os/arch" strings or the Engine dict.')


def platforms(value: Any) -> list[dict[str, str]] | None:
    """Platforms: ``(arch, os)`` tuples as docker-py, ``"os/arch"`` strings or Engine dicts."""
    if value is None:
        return None
    out = []
    for item in as_list(value, "platforms"):
        if isinstance(item, str):
            os_name, _, arch = item.partition("/")
            entry = {"Architecture": arch, "OS": os_name}
        elif is_list(item):
            if len(item) != 2:
                raise FieldValueError("a platform tuple is (architecture, os)", value=item)
            arch, os_name = item
            entry = {"Architecture": item_text(arch), "OS": item_text(os_name)}
        else:
            entry = PLATFORM.read(as_mapping(item, "a platform"))
        out.append(prune(entry))
    return sorted(out, key=lambda p: (p.get("OS", ""), p.get("Architecture", ""))) or None


def _aliases(value: Any) -> list[str]:
    return [item_text(a) for a in as_list([value] if isinstance(value, str) else value,
                                          "alias strings")]


NETWORK_ATTACHMENT = Struct("NetworkAttachmentConfig", (
    Key("Target", item_text, doc="Network name or id."),
    Key("Aliases", _aliases, doc="Extra DNS names of the service on this network."),
    Key("DriverOpts", strict_string_map, keyword="options", doc="Driver options."),
), doc="A network name or id, or docker.types.NetworkAttachmentConfig (or its dict).")


def networks(value: Any) -> list[dict[str, Any]] | None:
    """Network attachments: names/ids or NetworkAttachmentConfig dicts, in the order given
    and with the aliases in the order given, as the engine stores them (``docker stack
    deploy`` sends the file's aliases, then the service name); comparison is order-free
    (``networks_order_free``)."""
    if value is None:
        return None
    out = []
    for item in as_list(value, "networks"):
        if isinstance(item, str):
            item = {"Target": item}
        entry = NETWORK_ATTACHMENT.read(
            as_mapping(item, "a network name or NetworkAttachmentConfig"))
        if not entry["Target"]:
            raise FieldValueError("every network needs a Target (name or id)")
        out.append(prune(entry))
    return out or None


def networks_order_free(canonical: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """Canonical attachments by target, aliases sorted: another order is no change. (The
    order older versions stored, so their state and sent digests still compare equal.)"""
    if canonical is None:
        return None
    entries = [{**n, "Aliases": sorted(n["Aliases"])} if n.get("Aliases") else n
               for n in canonical]
    return sorted(entries, key=lambda n: n["Target"])


def log_driver_name(value: Any) -> str | None:
    return text(value)
