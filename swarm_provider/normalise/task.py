"""Normalisers of task-template structures: resources, restart, placement, networks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import FieldValueError
from ..units import as_int, byte_count, duration_ns, nano_cpus
from .base import (
    as_list,
    as_mapping,
    as_text,
    count_at_least,
    is_list,
    only_keys,
    pick,
    prune,
    string_map,
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
        part = as_mapping(pick(source, key) or {}, f"a {key} mapping")
        allowed = {"NanoCPUs", "MemoryBytes", "Pids", "GenericResources"}
        only_keys(part, allowed if key == "Reservations" else allowed - {"GenericResources"}, key)
        block: dict[str, Any] = {}
        cpus = pick(part, "NanoCPUs")
        if cpus is not None:
            block["NanoCPUs"] = nano_cpus(cpus)
        memory = pick(part, "MemoryBytes")
        if memory is not None:
            block["MemoryBytes"] = byte_count(memory)
        pids = pick(part, "Pids")
        if pids is not None:
            block["Pids"] = as_int(pids)
        generic = _generic_resources(pick(part, "GenericResources"))
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
        (spec_kind, body), = as_mapping(item).items()
        if spec_kind not in ("DiscreteResourceSpec", "NamedResourceSpec"):
            raise FieldValueError(f"unknown generic resource {spec_kind!r}")
        convert = as_int if spec_kind == "DiscreteResourceSpec" else as_text
        out.append({spec_kind: {"Kind": as_text(body["Kind"]), "Value": convert(body["Value"])}})
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
        raise FieldValueError(f"Condition must be one of {sorted(_CONDITIONS)}")
    out: dict[str, Any] = {"Condition": condition}
    for key in ("Delay", "Window"):
        raw = pick(source, key)
        if raw is not None:
            out[key] = duration_ns(raw)
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
                raise FieldValueError("a preference tuple is (strategy, descriptor)")
            strategy, descriptor = item
        else:
            (strategy, body), = as_mapping(item, "a preference").items()
            descriptor = pick(as_mapping(body), "SpreadDescriptor")
        if str(strategy).lower() != "spread" or not descriptor:
            raise FieldValueError("only spread preferences exist", '("spread", "node.labels.zone")')
        out.append({"Spread": {"SpreadDescriptor": as_text(descriptor)}})
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
            arch, os_name = item
            entry = {"Architecture": as_text(arch), "OS": as_text(os_name)}
        else:
            source = as_mapping(item, "a platform")
            entry = {
                "Architecture": as_text(pick(source, "Architecture") or ""),
                "OS": as_text(pick(source, "OS") or ""),
            }
        out.append(prune(entry))
    return sorted(out, key=lambda p: (p.get("OS", ""), p.get("Architecture", ""))) or None


def networks(value: Any) -> list[dict[str, Any]] | None:
    """Network attachments: names/ids or NetworkAttachmentConfig dicts, sorted by target."""
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
        entry = {
            "Target": as_text(target),
            "Aliases": sorted(as_text(a) for a in (pick(source, "Aliases") or [])),
            "DriverOpts": string_map(pick(source, "DriverOpts", "Options")),
        }
        out.append(prune(entry))
    return sorted(out, key=lambda n: n["Target"]) or None


def log_driver_name(value: Any) -> str | None:
    return text(value)
