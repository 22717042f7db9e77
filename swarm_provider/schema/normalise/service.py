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
    at_least,
    count,
    drop_defaults,
    is_list,
    item_text,
    one_of,
)

MODE_KINDS: dict[str, Struct] = {
    "Replicated": Struct("Replicated", (
        Key("Replicas", count, doc="Tasks to run; unset is 1."),)),
    "Global": Struct("Global", (), doc="One task on every node the placement allows."),
    "ReplicatedJob": Struct("ReplicatedJob", (
        Key("MaxConcurrent", at_least(1), doc="Tasks run at once; unset is 1."),
        Key("TotalCompletions", at_least(1), doc="Tasks to complete; unset is MaxConcurrent."),
    )),
    "GlobalJob": Struct("GlobalJob", (), doc="One task to completion on every node."),
}

SERVICE_MODE = Struct("ServiceMode", (
    Key("Mode", as_text, doc="replicated, global, replicated-job or global-job "
                             "(docker.types.ServiceMode's keywords)."),
    Key("Replicas", doc="With Mode: the replicas, or a job's total completions."),
    Key("Concurrency", doc="With Mode replicated-job: tasks run at once."),
    *(Key(kind, struct=struct) for kind, struct in MODE_KINDS.items()),
), doc='A string, {"mode": ..., "replicas": n, "concurrency": c}, or one Engine kind.')


def mode(value: Any) -> dict[str, Any]:
    """Service mode; absent means ``Replicated{Replicas: 1}``, as the engine stores it.

    Accepts ``"replicated"`` etc., ``ServiceMode`` objects (lower-case Engine keys),
    Engine dicts and ``{"mode": ..., "replicas": n, "concurrency": c}``.
    """
    if value is None:
        return {"Replicated": {"Replicas": 1}}
    read = SERVICE_MODE.read({"mode": value} if isinstance(value, str) else value)
    if read["Mode"] is not None:
        return _mode_from_keywords(read)
    kinds = [kind for kind in MODE_KINDS if kind in _given(value)]
    if len(kinds) != 1:
        raise FieldValueError("must name exactly one mode",
                              "Replicated, Global, ReplicatedJob, GlobalJob")
    return {kinds[0]: _mode_body(kinds[0], read[kinds[0]] or {})}


def _given(value: Mapping[str, Any]) -> set[str]:
    """The mode kinds a mapping names, in any spelling."""
    spelled = {str(key).lower().replace("_", "") for key in value}
    return {kind for kind in MODE_KINDS if kind.lower() in spelled}


def _mode_from_keywords(read: Mapping[str, Any]) -> dict[str, Any]:
    """``{"mode": "replicated-job", "replicas": 4, "concurrency": 2}`` (docker-py's
    ServiceMode keywords) in Engine form; ServiceMode itself drops the concurrency."""
    if any(read[kind] is not None for kind in MODE_KINDS):
        raise FieldValueError("must name exactly one mode", "Mode or an Engine kind, not both")
    wanted = read["Mode"].lower().replace("-", "").replace("_", "")
    kind = next((k for k in MODE_KINDS if k.lower() == wanted), None)
    if kind is None:
        raise FieldValueError(
            f"unknown mode {read['Mode']!r}", "replicated, global, replicated-job, global-job"
        )
    replicas, concurrency = read["Replicas"], read["Concurrency"]
    if kind == "ReplicatedJob":
        body = {"MaxConcurrent": concurrency, "TotalCompletions": replicas}
    elif concurrency is not None or (replicas is not None and kind != "Replicated"):
        raise FieldValueError(f"{kind} mode takes no replicas/concurrency")
    else:
        body = {"Replicas": replicas} if replicas is not None else {}
    return {kind: _mode_body(kind, MODE_KINDS[kind].read(body))}


def _mode_body(kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """The settings of one mode kind (already read), with the engine's defaults."""
    if kind == "Replicated":
        return {"Replicas": 1 if body.get("Replicas") is None else body["Replicas"]}
    if kind == "ReplicatedJob":
        concurrent = body.get("MaxConcurrent") or 1
        return {"MaxConcurrent": concurrent,
                "TotalCompletions": body.get("TotalCompletions") or concurrent}
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
