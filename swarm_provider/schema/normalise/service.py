"""Normalisers of service-level structures: mode, update/rollback config, endpoint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import FieldValueError
from ..struct import Key, Struct
from ..units import as_int, duration_ns, duration_text
from .base import (
    as_list,
    as_mapping,
    as_text,
    count,
    count_at_least,
    drop_defaults,
    is_list,
    item_text,
    one_of,
    only_keys,
    pick,
)

_MODE_KINDS = {
    "replicated": "Replicated",
    "global": "Global",
    "replicatedjob": "ReplicatedJob",
    "globaljob": "GlobalJob",
}


def mode(value: Any) -> dict[str, Any]:
    """Service mode; absent means ``Replicated{Replicas: 1}``, as the engine stores it.

    Accepts ``"replicated"`` etc., ``ServiceMode`` objects (lower-case Engine keys),
    Engine dicts and ``{"mode": ..., "replicas": n, "concurrency": c}``.
    """
    if value is None:
        return {"Replicated": {"Replicas": 1}}
    if isinstance(value, str):
        value = {"mode": value}
    source = as_mapping(value, "a mode string or mapping")
    if pick(source, "mode") is not None:
        source = _mode_from_keywords(source)
    if len(source) != 1:
        raise FieldValueError("must name exactly one mode")
    (raw_kind, raw_body), = source.items()
    kind = _MODE_KINDS.get(str(raw_kind).lower())
    if kind is None:
        raise FieldValueError(
            f"unknown mode {raw_kind!r}", "Replicated, Global, ReplicatedJob, GlobalJob"
        )
    return {kind: _mode_body(kind, dict(as_mapping(raw_body or {}, "a mapping")))}


def _mode_from_keywords(source: Mapping[str, Any]) -> dict[str, Any]:
    """``{"mode": "replicated-job", "replicas": 4, "concurrency": 2}`` (docker-py's
    ServiceMode keywords) in Engine form; ServiceMode itself drops the concurrency."""
    only_keys(source, {"mode", "replicas", "concurrency"}, "mode")
    kind_name = as_text(pick(source, "mode"))
    kind = _MODE_KINDS.get(kind_name.lower().replace("-", "").replace("_", ""))
    if kind is None:
        raise FieldValueError(
            f"unknown mode {kind_name!r}", "replicated, global, replicated-job, global-job"
        )
    replicas, concurrency = pick(source, "replicas"), pick(source, "concurrency")
    if kind == "ReplicatedJob":
        return {kind: {"MaxConcurrent": concurrency, "TotalCompletions": replicas}}
    if concurrency is not None or (replicas is not None and kind != "Replicated"):
        raise FieldValueError(f"{kind} mode takes no replicas/concurrency")
    return {kind: {"Replicas": replicas} if replicas is not None else {}}


def _mode_body(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """The settings of one mode kind, with the engine's defaults filled in."""
    if kind == "Replicated":
        only_keys(body, {"Replicas"}, "Replicated mode")
        replicas = pick(body, "Replicas")
        return {"Replicas": 1 if replicas is None else count_at_least(replicas, "Replicas")}
    if kind == "ReplicatedJob":
        only_keys(body, {"MaxConcurrent", "TotalCompletions"}, "ReplicatedJob mode")
        concurrent = pick(body, "MaxConcurrent")
        concurrent = 1 if concurrent is None else count_at_least(concurrent, "MaxConcurrent", 1)
        total = pick(body, "TotalCompletions")
        total = concurrent if total is None else count_at_least(total, "TotalCompletions", 1)
        return {"MaxConcurrent": concurrent, "TotalCompletions": total}
    if body:
        raise FieldValueError(f"{kind} mode takes no settings")
    return {}


def mode_kind(canonical_mode: Mapping[str, Any] | None) -> str:
    """``Replicated``, ``Global``, ``ReplicatedJob`` or ``GlobalJob``."""
    return next(iter(canonical_mode or {"Replicated": {}}))


_UPDATE_DEFAULTS = {
    "Parallelism": 0,
    "Delay": "0s",
    "FailureAction": "pause",
    "Monitor": "0s",
    "MaxFailureRatio": 0,
    "Order": "stop-first",
}
_FAILURE_ACTIONS = {"pause", "continue", "rollback"}
_ORDERS = {"stop-first", "start-first"}


def _ratio(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise FieldValueError("must be a number from 0 to 1", value=value)
    return int(value) if float(value).is_integer() else value


UPDATE_CONFIG = Struct("UpdateConfig", (
    Key("Parallelism", count, doc="Tasks updated at once (0 = all)."),
    Key("Delay", lambda v: duration_text(duration_ns(v)), doc="Time between batches."),
    Key("FailureAction", one_of(_FAILURE_ACTIONS), doc="pause (default), continue, rollback."),
    Key("Monitor", lambda v: duration_text(duration_ns(v)),
        doc="Time a task is watched for failure after its update (0 = 5s)."),
    Key("MaxFailureRatio", _ratio, doc="Share of failed tasks tolerated, 0 to 1."),
    Key("Order", one_of(_ORDERS), doc="stop-first (default) or start-first."),
), doc="docker.types.UpdateConfig, its keywords or the Engine dict (durations: ns or \"5s\").")


def update_config(value: Any) -> dict[str, Any] | None:
    """UpdateConfig/RollbackConfig; engine zero values (``""`` action -> pause) fold away.

    ``{}`` stays distinct from ``None``: a stored empty config means parallelism 0 (all
    tasks at once), while no config means the engine's runtime defaults (1 at a time).
    """
    if value is None:
        return None
    return drop_defaults(UPDATE_CONFIG.read(value), _UPDATE_DEFAULTS)


PORT_CONFIG = Struct("PortConfig", (
    Key("Name", item_text, doc="A name for the port."),
    Key("Protocol", doc="tcp (default), udp or sctp."),
    Key("TargetPort", doc="The port in the container (required)."),
    Key("PublishedPort", doc="The port on the nodes; unset, the engine picks one."),
    Key("PublishMode", doc="ingress (default, the routing mesh) or host."),
))


ENDPOINT_SPEC = Struct("EndpointSpec", (
    Key("Mode", doc="vip (default) or dnsrr."),
    Key("Ports", items=PORT_CONFIG,
        doc="PortConfig list, or {published: target | (target, proto, mode)}."),
), doc="docker.types.EndpointSpec or its dict.")

def endpoint_spec(value: Any) -> dict[str, Any] | None:
    """EndpointSpec: mode vip/dnsrr and ports (``{published: target}``, tuples or PortConfigs).

    Ports keep the order given, which is the order the engine stores (``docker stack
    deploy`` sorts by published port; comparison is order-free: ``endpoint_order_free``)."""
    if value is None:
        return None
    source = ENDPOINT_SPEC.read(value)
    endpoint_mode = source["Mode"] or "vip"
    if endpoint_mode not in ("vip", "dnsrr"):
        raise FieldValueError("endpoint Mode must be vip or dnsrr", value=endpoint_mode)
    ports = [_port(p) for p in _port_items(source["Ports"])]
    published = [(p["PublishedPort"], p["Protocol"]) for p in ports if "PublishedPort" in p]
    clash = next((pair for pair in published if published.count(pair) > 1), None)
    if clash:
        raise FieldValueError(f"PublishedPort {clash[0]}/{clash[1]} is published twice",
                              "one published port per protocol", value=clash[0])
    out: dict[str, Any] = {}
    if endpoint_mode != "vip":
        out["Mode"] = endpoint_mode
    if ports:
        out["Ports"] = ports
    return out or None


def endpoint_order_free(canonical: dict[str, Any] | None) -> dict[str, Any] | None:
    """Canonical endpoint with its ports sorted: reordered ports are no change. (The order
    older versions stored, so their state and sent digests still compare equal.)"""
    if not canonical or not canonical.get("Ports"):
        return canonical
    ports = sorted(canonical["Ports"], key=lambda p: (
        p["TargetPort"], p["Protocol"], p.get("PublishedPort", 0), repr(sorted(p.items()))))
    return {**canonical, "Ports": ports}


def _port_items(ports: Any) -> list[Any]:
    if ports is None:
        return []
    if isinstance(ports, Mapping):  # docker-py: {published: target | (target, proto, mode)}
        items = []
        for published, target in ports.items():
            parts = list(target) if is_list(target) else [target]
            if not 1 <= len(parts) <= 3:
                raise FieldValueError("a port is target or (target, protocol, mode)",
                                      value=target)
            entry = {"PublishedPort": published, "TargetPort": parts[0]}
            if len(parts) > 1:
                entry["Protocol"] = parts[1]
            if len(parts) > 2:
                entry["PublishMode"] = parts[2]
            items.append(entry)
        return items
    return as_list(ports, "port configs")


def _port(item: Any) -> dict[str, Any]:
    source = PORT_CONFIG.read(as_mapping(item, "a port config mapping"))
    if source["TargetPort"] is None:
        raise FieldValueError("every port needs TargetPort")
    port: dict[str, Any] = {
        "Protocol": source["Protocol"] or "tcp",
        "TargetPort": _port_number(source["TargetPort"]),
        "PublishMode": source["PublishMode"] or "ingress",
    }
    if source["PublishedPort"] not in (None, 0, "0"):
        port["PublishedPort"] = _port_number(source["PublishedPort"])
    if source["Name"]:
        port["Name"] = source["Name"]
    if port["Protocol"] not in ("tcp", "udp", "sctp"):
        raise FieldValueError("port Protocol must be tcp, udp or sctp", value=port["Protocol"])
    if port["PublishMode"] not in ("ingress", "host"):
        raise FieldValueError("port PublishMode must be ingress or host",
                              value=port["PublishMode"])
    return port


def _port_number(value: Any) -> int:
    number = as_int(value, "a port number")
    if not 1 <= number <= 65535:
        raise FieldValueError(f"port {number} is outside 1-65535", value=value)
    return number
