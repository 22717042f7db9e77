"""Normalisers of task-template structures: resources, restart, placement, networks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import FieldValueError
from ..units import as_int, byte_count, duration_ns, duration_text, nano_cpus
from .base import (
    as_list,
    as_mapping,
    count_at_least,
    is_list,
    item_text,
    only_keys,
    part,
    pick,
    prune,
    strict_string_map,
    text,
)


def resources(value: Any) -> dict[str, Any] | None:
    """Resources: ``docker.types.Resources``, Engine dicts, or its constructor keywords."""
    if value is None:
        return None
    source = dict(as_mapping(value, "a Resources object or mapping"))
    keywords = {"cpu_limit", "mem_limit", "cpu_reservation", "mem_reservation", "generic_resources"}
    if any(str(k).lower() in keywords for k in source):
        only_keys(source, keywords, "resources")
        source = {
            "Limits": {
                "NanoCPUs": pick(source, "cpu_limit"),
                "MemoryBytes": pick(source, "mem_limit"),
            },
            "Reservations": {
                "NanoCPUs": pick(source, "cpu_reservation"),
                "MemoryBytes": pick(source, "mem_reservation"),
                "GenericResources": pick(source, "generic_resources"),
            },
        }
    only_keys(source, {"Limits", "Reservations"}, "resources")
    out: dict[str, Any] = {}
    for key in ("Limits", "Reservations"):
        block_in = as_mapping(pick(source, key) or {}, f"a {key} mapping")
        allowed = {"NanoCPUs", "MemoryBytes", "Pids", "GenericResources"}
        only_keys(block_in, allowed if key == "Reservations" else allowed - {"GenericResources"},
                  key)
        block: dict[str, Any] = {}
        cpus = pick(block_in, "NanoCPUs")
        if cpus is not None:
            block["NanoCPUs"] = part(f"{key}.NanoCPUs", nano_cpus, cpus)
        memory = pick(block_in, "MemoryBytes")
        if memory is not None:
            block["MemoryBytes"] = part(f"{key}.MemoryBytes", byte_count, memory)
        pids = pick(block_in, "Pids")
        if pids is not None:
            block["Pids"] = part(f"{key}.Pids", as_int, pids)
        generic = _generic_resources(pick(block_in, "GenericResources"))
        if generic:
            block["GenericResources"] = generic
        block = {k: v for k, v in block.items() if v}
        if block:
            out[key] = block
    return out or None


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
    out = []
    for item in as_list(value, "generic resources"):
        entry = as_mapping(item, "a generic resource mapping")
        if len(entry) != 1:
            raise FieldValueError("a generic resource is {DiscreteResourceSpec: ...} or "
                                  "{NamedResourceSpec: ...}", value=item)
        (spec_kind, body), = entry.items()
        if spec_kind not in ("DiscreteResourceSpec", "NamedResourceSpec"):
            raise FieldValueError(f"unknown generic resource {spec_kind!r}", value=spec_kind)
        body = as_mapping(body, "a {Kind, Value} mapping")
        only_keys(body, {"Kind", "Value"}, spec_kind)
        if body.get("Kind") is None or body.get("Value") is None:
            raise FieldValueError(f"{spec_kind} needs Kind and Value", value=item)
        convert = as_int if spec_kind == "DiscreteResourceSpec" else item_text
        out.append({spec_kind: {"Kind": item_text(body["Kind"]),
                                "Value": convert(body["Value"])}})
    return sorted(out, key=repr)


_CONDITIONS = {"none", "on-failure", "any"}


def restart_policy(value: Any) -> dict[str, Any] | None:
    """RestartPolicy; a missing condition is ``any`` (the engine's default).

    Delay and Window are pointers in the engine: an explicit 0 is stored and differs from
    "unset" (Delay unset means 5 s), so it is kept. MaxAttempts always comes back, 0 when
    unset, and 0 means unlimited either way, so 0 folds away.
    """
    if value is None:
        return None
    source = as_mapping(value, "a RestartPolicy or mapping")
    only_keys(source, {"Condition", "Delay", "MaxAttempts", "Window"}, "restart policy")
    condition = pick(source, "Condition") or "any"
    if condition not in _CONDITIONS:
        raise FieldValueError(f"Condition must be one of {sorted(_CONDITIONS)}",
                              value=condition)
    out: dict[str, Any] = {"Condition": condition}
    for key in ("Delay", "Window"):
        raw = pick(source, key)
        if raw is not None:
            out[key] = duration_text(part(key, duration_ns, raw))
    attempts = pick(source, "MaxAttempts")
    if attempts:
        out["MaxAttempts"] = count_at_least(attempts, "MaxAttempts")
    return out


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
            source = as_mapping(item, "a platform")
            only_keys(source, {"Architecture", "OS"}, "platform")
            entry = {
                "Architecture": item_text(pick(source, "Architecture") or ""),
                "OS": item_text(pick(source, "OS") or ""),
            }
        out.append(prune(entry))
    return sorted(out, key=lambda p: (p.get("OS", ""), p.get("Architecture", ""))) or None


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
        source = as_mapping(item, "a network name or NetworkAttachmentConfig")
        only_keys(source, {"Target", "Aliases", "DriverOpts", "Options"}, "network")
        target = pick(source, "Target")
        if not target:
            raise FieldValueError("every network needs a Target (name or id)")
        aliases = pick(source, "Aliases") or []
        if isinstance(aliases, str):
            aliases = [aliases]
        entry = {
            "Target": item_text(target),
            "Aliases": [part("Aliases", item_text, a)
                        for a in as_list(aliases, "alias strings")],
            "DriverOpts": part("DriverOpts", strict_string_map,
                               pick(source, "DriverOpts", "Options")),
        }
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
