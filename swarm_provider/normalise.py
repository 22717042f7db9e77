"""Normalisers: every value form docker-py accepts -> one canonical Engine JSON form.

Each function takes what a user may write (a ``docker.types`` object, the Engine-shaped
dict it produces, a constructor-style dict, a string, a tuple) *or* what ``inspect``
returns, and gives the same canonical value, so ``normalise(read(build(x))) ==
normalise(x)``. ``None`` means "not set". Engine defaults that the engine fills in on
its own (``Isolation: default``, ``Labels: {}``, ``Mode: Replicated{1}``) normalise to
the same value as "not set", which is what keeps diffs empty.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from typing import Any

from .errors import FieldValueError
from .units import as_int, byte_count, duration_ns, nano_cpus

Normaliser = Callable[[Any], Any]

_ENV_KEY = re.compile(r"^[^=\s]+$")


def _is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def _seq(value: Any, what: str) -> list[Any]:
    if not _is_list(value):
        raise FieldValueError(f"must be a list of {what}")
    return list(value)


def _map(value: Any, what: str = "a mapping") -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise FieldValueError(f"must be {what}")
    return value


def _pick(source: Mapping[str, Any], *names: str) -> Any:
    """Read a key in Engine case or docker-py keyword case (``Target`` / ``target``)."""
    lowered = {str(key).lower().replace("_", ""): val for key, val in source.items()}
    for name in names:
        key = name.lower().replace("_", "")
        if key in lowered:
            return lowered[key]
    return None


def _only_keys(source: Mapping[str, Any], allowed: set[str], what: str) -> None:
    known = {name.lower().replace("_", "") for name in allowed}
    unknown = sorted(str(k) for k in source if str(k).lower().replace("_", "") not in known)
    if unknown:
        raise FieldValueError(f"unknown key {unknown[0]!r} in {what}", f"known: {sorted(allowed)}")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _prune(value: Any) -> Any:
    """Drop None, "", [], {} and False recursively: the engine omits them (omitempty)."""
    if isinstance(value, Mapping):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, "", [], {}, False)}
    if _is_list(value):
        return [_prune(v) for v in value]
    return value


def _drop_defaults(source: dict[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in source.items() if v is not None and defaults.get(k, object()) != v}


def _or_none(value: Any) -> Any:
    return value if value not in (None, "", [], {}) else None


# --- scalars -------------------------------------------------------------------------


def text(value: Any) -> str | None:
    """A plain string; "" is "not set"."""
    if value is None:
        return None
    if isinstance(value, (dict, list, tuple)):
        raise FieldValueError("must be a string")
    return _or_none(_text(value))


def flag(value: Any) -> bool | None:
    """A boolean the engine omits when false (TTY, OpenStdin, ReadOnly)."""
    if value is None or value is False:
        return None
    if value is True:
        return True
    raise FieldValueError("must be true or false")


def tristate(value: Any) -> bool | None:
    """A ``*bool`` the engine keeps even when false (Init)."""
    if value is None or isinstance(value, bool):
        return value
    raise FieldValueError("must be true, false or null")


def positive_int(value: Any) -> int | None:
    """A count where 0 means "not set" (MaxReplicas, Pids, ForceUpdate)."""
    if value is None:
        return None
    number = as_int(value)
    if number < 0:
        raise FieldValueError("must not be negative")
    return number or None


def duration(value: Any) -> int | None:
    return None if value is None else duration_ns(value)


def isolation(value: Any) -> str | None:
    name = text(value)
    if name is None or name == "default":
        return None
    if name not in ("process", "hyperv"):
        raise FieldValueError("must be one of default, process, hyperv")
    return name


# --- lists and maps ------------------------------------------------------------------


def command(value: Any) -> list[str] | None:
    """A command or args: a list, or a string split like a shell (docker-py split_command)."""
    if value is None:
        return None
    if isinstance(value, str):
        return shlex.split(value) or None
    return [_text(v) for v in _seq(value, "strings")] or None


def string_set(value: Any) -> list[str] | None:
    """An unordered list of strings (constraints, capabilities, groups): sorted, unique."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    return sorted({_text(v) for v in _seq(value, "strings")}) or None


def string_map(value: Any) -> dict[str, str] | None:
    """Labels, sysctls, driver options: str -> str, {} is "not set"."""
    if value is None:
        return None
    if _is_list(value):  # ["k=v", ...], as the docker CLI writes labels
        value = dict(str(item).partition("=")[::2] for item in value)
    return {str(k): _text(v) for k, v in sorted(_map(value).items())} or None


def env(value: Any) -> list[str] | None:
    """Environment: a dict (``None`` value = key only, like docker-py) or ``KEY=value`` list.

    The engine keeps the order it is given; order has no meaning for a process
    environment, so the canonical form is sorted by key (later duplicates win).
    """
    if value is None:
        return None
    entries: dict[str, str | None] = {}
    if isinstance(value, Mapping):
        for key, val in value.items():
            entries[str(key)] = None if val is None else _text(val)
    else:
        for item in _seq(value, '"KEY=value" strings'):
            key, sep, val = _text(item).partition("=")
            entries[key] = val if sep else None
    for key in entries:
        if not _ENV_KEY.match(key):
            raise FieldValueError(f"invalid variable name {key!r}")
    return [k if v is None else f"{k}={v}" for k, v in sorted(entries.items())] or None


def hosts(value: Any) -> list[str] | None:
    """Extra /etc/hosts lines: ``{host: ip}`` (docker-py), ``"IP host"`` or ``"host:ip"``."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        lines = [f"{_text(ip)} {host}" for host, ip in value.items()]
    else:
        lines = []
        for item in _seq(value, '"IP host" strings'):
            entry = " ".join(_text(item).split())
            if " " not in entry:
                host, sep, ip = entry.partition(":")
                if not sep or not ip:
                    raise FieldValueError(f"host entry {entry!r} needs an address", '"IP host"')
                entry = f"{ip} {host}"
            lines.append(entry)
    return sorted(set(lines)) or None


# --- service-level structures ---------------------------------------------------------

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
    source = _map(value, "a mode string or mapping")
    if _pick(source, "mode") is not None:
        _only_keys(source, {"mode", "replicas", "concurrency"}, "mode")
        kind_name = _text(_pick(source, "mode"))
        body: dict[str, Any] = {}
        kind = _MODE_KINDS.get(kind_name.lower().replace("-", "").replace("_", ""))
        if kind is None:
            raise FieldValueError(
                f"unknown mode {kind_name!r}", "replicated, global, replicated-job, global-job"
            )
        replicas, concurrency = _pick(source, "replicas"), _pick(source, "concurrency")
        if kind == "Replicated" and replicas is not None:
            body["Replicas"] = replicas
        if kind == "ReplicatedJob":
            body = {"MaxConcurrent": concurrency, "TotalCompletions": replicas}
        elif concurrency is not None or (replicas is not None and kind != "Replicated"):
            raise FieldValueError(f"{kind} mode takes no replicas/concurrency")
        source = {kind: body}
    if len(source) != 1:
        raise FieldValueError("must name exactly one mode")
    (raw_kind, raw_body), = source.items()
    kind = _MODE_KINDS.get(str(raw_kind).lower())
    if kind is None:
        raise FieldValueError(
            f"unknown mode {raw_kind!r}", "Replicated, Global, ReplicatedJob, GlobalJob"
        )
    body = dict(_map(raw_body or {}, "a mapping"))
    if kind == "Replicated":
        _only_keys(body, {"Replicas"}, "Replicated mode")
        replicas = _pick(body, "Replicas")
        return {kind: {"Replicas": 1 if replicas is None else _count(replicas, "Replicas")}}
    if kind == "ReplicatedJob":
        _only_keys(body, {"MaxConcurrent", "TotalCompletions"}, "ReplicatedJob mode")
        concurrent = _pick(body, "MaxConcurrent")
        concurrent = 1 if concurrent is None else _count(concurrent, "MaxConcurrent", 1)
        total = _pick(body, "TotalCompletions")
        total = concurrent if total is None else _count(total, "TotalCompletions", 1)
        return {kind: {"MaxConcurrent": concurrent, "TotalCompletions": total}}
    if body:
        raise FieldValueError(f"{kind} mode takes no settings")
    return {kind: {}}


def _count(value: Any, what: str, minimum: int = 0) -> int:
    number = as_int(value)
    if number < minimum:
        raise FieldValueError(f"{what} must be at least {minimum}")
    return number


def mode_kind(canonical_mode: Mapping[str, Any] | None) -> str:
    """``Replicated``, ``Global``, ``ReplicatedJob`` or ``GlobalJob``."""
    return next(iter(canonical_mode or {"Replicated": {}}))


_UPDATE_DEFAULTS = {
    "Parallelism": 0,
    "Delay": 0,
    "FailureAction": "pause",
    "Monitor": 0,
    "MaxFailureRatio": 0,
    "Order": "stop-first",
}
_FAILURE_ACTIONS = {"pause", "continue", "rollback"}
_ORDERS = {"stop-first", "start-first"}


def update_config(value: Any) -> dict[str, Any] | None:
    """UpdateConfig/RollbackConfig; engine zero values (``""`` action -> pause) fold away.

    ``{}`` stays distinct from ``None``: a stored empty config means parallelism 0 (all
    tasks at once), while no config means the engine's runtime defaults (1 at a time).
    """
    if value is None:
        return None
    source = _map(value, "an UpdateConfig or mapping")
    _only_keys(source, set(_UPDATE_DEFAULTS), "update config")
    out: dict[str, Any] = {}
    parallelism = _pick(source, "Parallelism")
    if parallelism is not None:
        out["Parallelism"] = _count(parallelism, "Parallelism")
    for key in ("Delay", "Monitor"):
        raw = _pick(source, key)
        if raw is not None:
            out[key] = duration_ns(raw)
    action = _pick(source, "FailureAction")
    if action not in (None, ""):
        if action not in _FAILURE_ACTIONS:
            raise FieldValueError(f"FailureAction must be one of {sorted(_FAILURE_ACTIONS)}")
        out["FailureAction"] = action
    ratio = _pick(source, "MaxFailureRatio")
    if ratio is not None:
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 <= ratio <= 1:
            raise FieldValueError("MaxFailureRatio must be a number from 0 to 1")
        out["MaxFailureRatio"] = ratio
    order = _pick(source, "Order")
    if order not in (None, ""):
        if order not in _ORDERS:
            raise FieldValueError(f"Order must be one of {sorted(_ORDERS)}")
        out["Order"] = order
    return _drop_defaults(out, _UPDATE_DEFAULTS)


def endpoint_spec(value: Any) -> dict[str, Any] | None:
    """EndpointSpec: mode vip/dnsrr and ports (``{published: target}``, tuples or PortConfigs)."""
    if value is None:
        return None
    source = _map(value, "an EndpointSpec or mapping")
    _only_keys(source, {"Mode", "Ports"}, "endpoint spec")
    endpoint_mode = _pick(source, "Mode") or "vip"
    if endpoint_mode not in ("vip", "dnsrr"):
        raise FieldValueError("endpoint Mode must be vip or dnsrr")
    ports = [_port(p) for p in _port_items(_pick(source, "Ports"))]
    ports.sort(key=lambda p: (p["TargetPort"], p["Protocol"], p.get("PublishedPort", 0)))
    out: dict[str, Any] = {}
    if endpoint_mode != "vip":
        out["Mode"] = endpoint_mode
    if ports:
        out["Ports"] = ports
    return out or None


def _port_items(ports: Any) -> list[Any]:
    if ports is None:
        return []
    if isinstance(ports, Mapping):  # docker-py: {published: target | (target, proto, mode)}
        items = []
        for published, target in ports.items():
            parts = list(target) if _is_list(target) else [target]
            entry = {"PublishedPort": published, "TargetPort": parts[0]}
            if len(parts) > 1:
                entry["Protocol"] = parts[1]
            if len(parts) > 2:
                entry["PublishMode"] = parts[2]
            items.append(entry)
        return items
    return _seq(ports, "port configs")


def _port(item: Any) -> dict[str, Any]:
    source = _map(item, "a port config mapping")
    _only_keys(source, {"Name", "Protocol", "TargetPort", "PublishedPort", "PublishMode"}, "port")
    target = _pick(source, "TargetPort")
    if target is None:
        raise FieldValueError("every port needs TargetPort")
    port: dict[str, Any] = {
        "Protocol": _pick(source, "Protocol") or "tcp",
        "TargetPort": _port_number(target),
        "PublishMode": _pick(source, "PublishMode") or "ingress",
    }
    published = _pick(source, "PublishedPort")
    if published not in (None, 0, "0"):
        port["PublishedPort"] = _port_number(published)
    name = _pick(source, "Name")
    if name:
        port["Name"] = _text(name)
    if port["Protocol"] not in ("tcp", "udp", "sctp"):
        raise FieldValueError("port Protocol must be tcp, udp or sctp")
    if port["PublishMode"] not in ("ingress", "host"):
        raise FieldValueError("port PublishMode must be ingress or host")
    return port


def _port_number(value: Any) -> int:
    number = as_int(value, "a port number")
    if not 1 <= number <= 65535:
        raise FieldValueError(f"port {number} is outside 1-65535")
    return number


# --- task template --------------------------------------------------------------------


def resources(value: Any) -> dict[str, Any] | None:
    """Resources: ``docker.types.Resources``, Engine dicts, or its constructor keywords."""
    if value is None:
        return None
    source = dict(_map(value, "a Resources object or mapping"))
    keywords = {"cpu_limit", "mem_limit", "cpu_reservation", "mem_reservation", "generic_resources"}
    if any(str(k).lower() in keywords for k in source):
        _only_keys(source, keywords, "resources")
        source = {
            "Limits": {
                "NanoCPUs": _pick(source, "cpu_limit"),
                "MemoryBytes": _pick(source, "mem_limit"),
            },
            "Reservations": {
                "NanoCPUs": _pick(source, "cpu_reservation"),
                "MemoryBytes": _pick(source, "mem_reservation"),
                "GenericResources": _pick(source, "generic_resources"),
            },
        }
    _only_keys(source, {"Limits", "Reservations"}, "resources")
    out: dict[str, Any] = {}
    for key in ("Limits", "Reservations"):
        part = _map(_pick(source, key) or {}, f"a {key} mapping")
        allowed = {"NanoCPUs", "MemoryBytes", "Pids", "GenericResources"}
        _only_keys(part, allowed if key == "Reservations" else allowed - {"GenericResources"}, key)
        block: dict[str, Any] = {}
        cpus = _pick(part, "NanoCPUs")
        if cpus is not None:
            block["NanoCPUs"] = nano_cpus(cpus)
        memory = _pick(part, "MemoryBytes")
        if memory is not None:
            block["MemoryBytes"] = byte_count(memory)
        pids = _pick(part, "Pids")
        if pids is not None:
            block["Pids"] = as_int(pids)
        generic = _generic_resources(_pick(part, "GenericResources"))
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
    for item in _seq(value, "generic resources"):
        (spec_kind, body), = _map(item).items()
        if spec_kind == "DiscreteResourceSpec":
            out.append({spec_kind: {"Kind": _text(body["Kind"]), "Value": as_int(body["Value"])}})
        elif spec_kind == "NamedResourceSpec":
            out.append({spec_kind: {"Kind": _text(body["Kind"]), "Value": _text(body["Value"])}})
        else:
            raise FieldValueError(f"unknown generic resource {spec_kind!r}")
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
    source = _map(value, "a RestartPolicy or mapping")
    _only_keys(source, {"Condition", "Delay", "MaxAttempts", "Window"}, "restart policy")
    condition = _pick(source, "Condition") or "any"
    if condition not in _CONDITIONS:
        raise FieldValueError(f"Condition must be one of {sorted(_CONDITIONS)}")
    out: dict[str, Any] = {"Condition": condition}
    for key in ("Delay", "Window"):
        raw = _pick(source, key)
        if raw is not None:
            out[key] = duration_ns(raw)
    attempts = _pick(source, "MaxAttempts")
    if attempts:
        out["MaxAttempts"] = _count(attempts, "MaxAttempts")
    return out


def preferences(value: Any) -> list[dict[str, Any]] | None:
    """Placement preferences, in order: ``("spread", d)``, ``"spread=d"`` or Engine dicts."""
    if value is None:
        return None
    out = []
    for item in _seq(value, "placement preferences"):
        if isinstance(item, str):
            strategy, _, descriptor = item.partition("=")
        elif _is_list(item):
            if len(item) != 2:
                raise FieldValueError("a preference tuple is (strategy, descriptor)")
            strategy, descriptor = item
        else:
            (strategy, body), = _map(item, "a preference").items()
            descriptor = _pick(_map(body), "SpreadDescriptor")
        if str(strategy).lower() != "spread" or not descriptor:
            raise FieldValueError("only spread preferences exist", '("spread", "node.labels.zone")')
        out.append({"Spread": {"SpreadDescriptor": _text(descriptor)}})
    return out or None


def platforms(value: Any) -> list[dict[str, str]] | None:
    """Platforms: ``(arch, os)`` tuples as docker-py, ``"os/arch"`` strings or Engine dicts."""
    if value is None:
        return None
    out = []
    for item in _seq(value, "platforms"):
        if isinstance(item, str):
            os_name, _, arch = item.partition("/")
            entry = {"Architecture": arch, "OS": os_name}
        elif _is_list(item):
            arch, os_name = item
            entry = {"Architecture": _text(arch), "OS": _text(os_name)}
        else:
            source = _map(item, "a platform")
            entry = {
                "Architecture": _text(_pick(source, "Architecture") or ""),
                "OS": _text(_pick(source, "OS") or ""),
            }
        out.append(_prune(entry))
    return sorted(out, key=lambda p: (p.get("OS", ""), p.get("Architecture", ""))) or None


def networks(value: Any) -> list[dict[str, Any]] | None:
    """Network attachments: names/ids or NetworkAttachmentConfig dicts, sorted by target."""
    if value is None:
        return None
    out = []
    for item in _seq(value, "networks"):
        if isinstance(item, str):
            item = {"Target": item}
        source = _map(item, "a network name or NetworkAttachmentConfig")
        _only_keys(source, {"Target", "Aliases", "DriverOpts", "Options"}, "network")
        target = _pick(source, "Target")
        if not target:
            raise FieldValueError("every network needs a Target (name or id)")
        entry = {
            "Target": _text(target),
            "Aliases": sorted(_text(a) for a in (_pick(source, "Aliases") or [])),
            "DriverOpts": string_map(_pick(source, "DriverOpts", "Options")),
        }
        out.append(_prune(entry))
    return sorted(out, key=lambda n: n["Target"]) or None


def log_driver_name(value: Any) -> str | None:
    return text(value)


# --- container spec structures -------------------------------------------------------


def healthcheck(value: Any) -> dict[str, Any] | None:
    """Healthcheck: a string test runs in a shell (``CMD-SHELL``), durations in ns or "5s"."""
    if value is None:
        return None
    source = _map(value, "a Healthcheck or mapping")
    _only_keys(
        source, {"Test", "Interval", "Timeout", "Retries", "StartPeriod"}, "healthcheck"
    )
    test = _pick(source, "Test")
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    out: dict[str, Any] = {"Test": [_text(t) for t in (test or [])]}
    if out["Test"] and out["Test"][0] not in ("NONE", "CMD", "CMD-SHELL"):
        raise FieldValueError("Test must start with NONE, CMD or CMD-SHELL, or be a string")
    for key in ("Interval", "Timeout", "StartPeriod"):
        raw = _pick(source, key)
        if raw is not None:
            out[key] = duration_ns(raw)
            if 0 < out[key] < 1_000_000:
                raise FieldValueError(f"{key} must be at least 1ms (or 0 to inherit)")
    retries = _pick(source, "Retries")
    if retries is not None:
        out["Retries"] = _count(retries, "Retries")
    return _prune(out) or None


def dns_config(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    source = _map(value, "a DNSConfig or mapping")
    _only_keys(source, {"Nameservers", "Search", "Options"}, "DNS config")
    keys = ("Nameservers", "Search", "Options")
    out = {key: [_text(v) for v in (_pick(source, key) or [])] for key in keys}
    return _prune(out) or None


def privileges(value: Any) -> dict[str, Any] | None:
    """Privileges; docker-py sends every SELinux field (nulls), the engine adds nulls too."""
    if value is None:
        return None
    source = _map(value, "a Privileges object or mapping")
    keywords = {
        "credentialspec_file", "credentialspec_registry", "selinux_disable", "selinux_user",
        "selinux_role", "selinux_type", "selinux_level",
    }
    if any(str(k).lower() in keywords for k in source):
        _only_keys(source, keywords, "privileges")
        source = {
            "CredentialSpec": {
                "File": _pick(source, "credentialspec_file"),
                "Registry": _pick(source, "credentialspec_registry"),
            },
            "SELinuxContext": {
                "Disable": _pick(source, "selinux_disable"),
                "User": _pick(source, "selinux_user"),
                "Role": _pick(source, "selinux_role"),
                "Type": _pick(source, "selinux_type"),
                "Level": _pick(source, "selinux_level"),
            },
        }
    _only_keys(source, {"CredentialSpec", "SELinuxContext"}, "privileges")
    credential = _map(_pick(source, "CredentialSpec") or {}, "a CredentialSpec mapping")
    _only_keys(credential, {"Config", "File", "Registry"}, "CredentialSpec")
    selinux = _map(_pick(source, "SELinuxContext") or {}, "a SELinuxContext mapping")
    _only_keys(selinux, {"Disable", "User", "Role", "Type", "Level"}, "SELinuxContext")
    out = {
        "CredentialSpec": {k: _pick(credential, k) for k in ("Config", "File", "Registry")},
        "SELinuxContext": {
            k: _pick(selinux, k) for k in ("Disable", "User", "Role", "Type", "Level")
        },
    }
    pruned = _prune(out)
    if len(pruned.get("CredentialSpec", {})) > 1:
        raise FieldValueError("CredentialSpec takes one of Config, File, Registry")
    return pruned or None


_MOUNT_TYPES = {"bind", "volume", "tmpfs", "npipe"}


def mounts(value: Any) -> list[dict[str, Any]] | None:
    """Mounts: ``"src:dst[:ro|rw]"`` strings, ``docker.types.Mount`` or Engine dicts."""
    if value is None:
        return None
    out = [_mount(item) for item in _seq(value, "mounts")]
    targets = [m["Target"] for m in out]
    duplicate = next((t for t in targets if targets.count(t) > 1), None)
    if duplicate:
        raise FieldValueError(f"duplicate mount point {duplicate}")
    return sorted(out, key=lambda m: m["Target"]) or None


def _mount(item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        return _mount_string(item)
    source = _map(item, "a mount string or Mount")
    known = {
        "Target", "Source", "Type", "ReadOnly", "Consistency", "BindOptions", "VolumeOptions",
        "TmpfsOptions",
    }
    keywords = {
        "propagation", "no_copy", "labels", "driver_config", "tmpfs_size", "tmpfs_mode",
        "read_only",
    }
    if any(str(k).lower() in keywords for k in source):  # Mount(...) keyword form
        _only_keys(source, {"target", "source", "type", "consistency"} | keywords, "mount")
        driver = _pick(source, "driver_config")
        source = {
            "Target": _pick(source, "target"),
            "Source": _pick(source, "source"),
            "Type": _pick(source, "type"),
            "ReadOnly": _pick(source, "read_only"),
            "Consistency": _pick(source, "consistency"),
            "BindOptions": {"Propagation": _pick(source, "propagation")},
            "VolumeOptions": {
                "NoCopy": _pick(source, "no_copy"),
                "Labels": _pick(source, "labels"),
                "DriverConfig": driver,
            },
            "TmpfsOptions": {
                "SizeBytes": _pick(source, "tmpfs_size"),
                "Mode": _pick(source, "tmpfs_mode"),
            },
        }
    _only_keys(source, known, "mount")
    target = _pick(source, "Target")
    if not target:
        raise FieldValueError("every mount needs a Target")
    mount_type = _pick(source, "Type") or "volume"
    if mount_type not in _MOUNT_TYPES:
        raise FieldValueError(f"mount Type must be one of {sorted(_MOUNT_TYPES)}")
    volume = dict(_map(_pick(source, "VolumeOptions") or {}))
    driver = _pick(volume, "DriverConfig")
    if isinstance(driver, Mapping):
        driver = {"Name": _pick(driver, "Name"), "Options": string_map(_pick(driver, "Options"))}
    tmpfs = dict(_map(_pick(source, "TmpfsOptions") or {}))
    size = _pick(tmpfs, "SizeBytes")
    mode_bits = _pick(tmpfs, "Mode")
    consistency = _pick(source, "Consistency")
    entry = {
        "Type": mount_type,
        "Source": _pick(source, "Source"),
        "Target": _text(target),
        "ReadOnly": bool(_pick(source, "ReadOnly")),
        "Consistency": None if consistency == "default" else consistency,
        "BindOptions": dict(_map(_pick(source, "BindOptions") or {})),
        "VolumeOptions": {
            "NoCopy": bool(_pick(volume, "NoCopy")),
            "Labels": string_map(_pick(volume, "Labels")),
            "DriverConfig": driver,
        },
        "TmpfsOptions": {
            "SizeBytes": None if size is None else byte_count(size),
            "Mode": None if mode_bits is None else as_int(mode_bits),
        },
    }
    if mount_type != "bind" and entry["BindOptions"]:
        raise FieldValueError(f"BindOptions only apply to bind mounts, not {mount_type}")
    if mount_type == "tmpfs" and entry["Source"]:
        raise FieldValueError("tmpfs mounts take no Source")
    if mount_type == "bind" and not entry["Source"]:
        raise FieldValueError("bind mounts need an absolute Source path")
    return _prune(entry)


def _mount_string(item: str) -> dict[str, Any]:
    """``src:dst[:mode]``: bind if src is absolute, else a named volume; mode is ro or rw.

    docker-py makes any third field other than ``rw`` read-only (so ``:z`` silently
    means read-only); here anything but ``ro``/``rw`` is an error instead.
    """
    parts = item.split(":")
    if len(parts) > 3 or not all(parts):
        raise FieldValueError(f"mount string {item!r} is not source:target[:ro|rw]")
    if len(parts) == 1:
        return {"Type": "volume", "Target": parts[0]}
    source, target = parts[0], parts[1]
    access = parts[2] if len(parts) == 3 else "rw"
    if access not in ("ro", "rw"):
        raise FieldValueError(f"mount mode {access!r} is not ro or rw", "use a Mount for options")
    entry: dict[str, Any] = {
        "Type": "bind" if source.startswith("/") else "volume",
        "Source": source,
        "Target": target,
    }
    if access == "ro":
        entry["ReadOnly"] = True
    return entry


def _file_reference(kind: str) -> Normaliser:
    """Secret/config references: complete (id and exact name), file defaults filled in."""
    id_key, name_key = f"{kind}ID", f"{kind}Name"

    def normalise(value: Any) -> list[dict[str, Any]] | None:
        if value is None:
            return None
        out = []
        for item in _seq(value, f"{kind.lower()} references"):
            source = _map(item, f"a {kind}Reference or mapping")
            lower = kind.lower()
            keywords = {f"{lower}_id", f"{lower}_name", "filename", "uid", "gid", "mode"}
            if any(str(k).lower() in keywords for k in source):
                _only_keys(source, keywords, f"{kind.lower()} reference")
                source = {
                    id_key: _pick(source, f"{kind}_id"),
                    name_key: _pick(source, f"{kind}_name"),
                    "File": {
                        "Name": _pick(source, "filename"),
                        "UID": _pick(source, "uid"),
                        "GID": _pick(source, "gid"),
                        "Mode": _pick(source, "mode"),
                    },
                }
            _only_keys(source, {id_key, name_key, "File", "Runtime"}, f"{kind.lower()} reference")
            ref_id, ref_name = _pick(source, id_key), _pick(source, name_key)
            if not ref_id or not ref_name:
                raise FieldValueError(
                    f"a {kind.lower()} reference needs both {id_key} and {name_key}",
                    f"the engine rejects incomplete references; use the Swarm{kind} resource's "
                    "reference helper or docker.types." + f"{kind}Reference",
                )
            entry: dict[str, Any] = {id_key: _text(ref_id), name_key: _text(ref_name)}
            runtime = _pick(source, "Runtime")
            if runtime is not None and kind == "Config" and _pick(source, "File") is None:
                entry["Runtime"] = dict(_map(runtime))
            else:
                file = _map(_pick(source, "File") or {}, "a File mapping")
                mode_bits = _pick(file, "Mode")
                entry["File"] = {
                    "Name": _text(_pick(file, "Name") or ref_name),
                    "UID": _text(_pick(file, "UID") or "0"),
                    "GID": _text(_pick(file, "GID") or "0"),
                    "Mode": 0o444 if mode_bits is None else as_int(mode_bits),
                }
            out.append(entry)
        return sorted(out, key=lambda r: (r.get("File", {}).get("Name", ""), r[name_key])) or None

    return normalise


secrets = _file_reference("Secret")
configs = _file_reference("Config")


def ulimits(value: Any) -> list[dict[str, Any]] | None:
    """Ulimits (Engine API 1.41, not in docker-py): ``{name: n | [soft, hard]}`` or a list."""
    if value is None:
        return None
    items: list[Any]
    if isinstance(value, Mapping):
        items = []
        for name, limit in value.items():
            if isinstance(limit, Mapping):
                soft, hard = _pick(limit, "Soft"), _pick(limit, "Hard")
            elif _is_list(limit):
                soft, hard = limit
            else:
                soft = hard = limit
            items.append({"Name": name, "Soft": soft, "Hard": hard})
    else:
        items = _seq(value, "ulimits")
    out = []
    for item in items:
        source = _map(item, "a ulimit mapping")
        _only_keys(source, {"Name", "Soft", "Hard"}, "ulimit")
        name, soft, hard = _pick(source, "Name"), _pick(source, "Soft"), _pick(source, "Hard")
        if not name or soft is None or hard is None:
            raise FieldValueError("every ulimit needs Name, Soft and Hard")
        soft_i, hard_i = as_int(soft), as_int(hard)
        if soft_i > hard_i:
            raise FieldValueError(f"ulimit {name}: soft {soft_i} exceeds hard {hard_i}")
        out.append({"Name": _text(name), "Soft": soft_i, "Hard": hard_i})
    return sorted(out, key=lambda u: u["Name"]) or None


# --- networks, secrets and configs -----------------------------------------------------

_NETWORK_SCOPES = {"local", "global", "swarm"}


def network_driver(value: Any) -> str:
    """Network driver; unset means ``overlay``, the driver services can use across nodes."""
    return text(value) or "overlay"


def network_scope(value: Any) -> str | None:
    name = text(value)
    if name is not None and name not in _NETWORK_SCOPES:
        raise FieldValueError(f"must be one of {sorted(_NETWORK_SCOPES)}")
    return name


def ipam(value: Any) -> dict[str, Any] | None:
    """IPAM: ``docker.types.IPAMConfig`` (Engine keys), or ``{driver, pool_configs, options}``.

    Pools are ``IPAMPool`` dicts or ``{subnet, iprange, gateway, aux_addresses}``; the
    ``default`` driver and empty parts fold away, pools are sorted by subnet.
    """
    if value is None:
        return None
    source = _map(value, "an IPAMConfig or mapping")
    if any(str(k).lower() == "pool_configs" for k in source):
        _only_keys(source, {"driver", "pool_configs", "options"}, "IPAM config")
        source = {"Driver": _pick(source, "driver"), "Config": _pick(source, "pool_configs"),
                  "Options": _pick(source, "options")}
    _only_keys(source, {"Driver", "Config", "Options"}, "IPAM config")
    driver = _pick(source, "Driver")
    out = {
        "Driver": None if driver == "default" else driver,
        "Config": sorted((_ipam_pool(p) for p in _seq(_pick(source, "Config") or [], "pools")),
                         key=lambda p: (p.get("Subnet", ""), p.get("IPRange", ""))),
        "Options": string_map(_pick(source, "Options")),
    }
    return _prune(out) or None


def _ipam_pool(item: Any) -> dict[str, Any]:
    source = _map(item, "an IPAMPool or mapping")
    if any(str(k).lower() == "aux_addresses" for k in source):
        source = {**source, "AuxiliaryAddresses": _pick(source, "aux_addresses")}
        source = {k: v for k, v in source.items() if str(k).lower() != "aux_addresses"}
    _only_keys(source, {"Subnet", "IPRange", "Gateway", "AuxiliaryAddresses"}, "IPAM pool")
    pool = {key: _pick(source, key) for key in ("Subnet", "IPRange", "Gateway")}
    return _prune({**{k: v and _text(v) for k, v in pool.items()},
                   "AuxiliaryAddresses": string_map(_pick(source, "AuxiliaryAddresses"))})


def named_driver(value: Any) -> dict[str, Any] | None:
    """A driver by name with options: a secret ``Driver`` (``docker.types.DriverConfig``) or
    a ``Templating`` driver. Accepts ``"golang"``, ``{"name": ..., "options": {...}}``."""
    if value is None:
        return None
    if isinstance(value, str):
        value = {"Name": value}
    source = _map(value, "a driver name or {Name, Options} mapping")
    _only_keys(source, {"Name", "Options"}, "driver")
    name = text(_pick(source, "Name"))
    options = string_map(_pick(source, "Options"))
    if name is None:
        if options:
            raise FieldValueError("a driver with Options needs a Name")
        return None
    return _prune({"Name": name, "Options": options})


def file_data(value: Any) -> str | None:
    """Secret or config content, as text. ``""`` stays distinct from "not set"; bytes must
    be UTF-8 (Pulumi inputs carry text, not bytes)."""
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FieldValueError("is not UTF-8 text",
                                  "binary content can't be a Pulumi input") from exc
    if not isinstance(value, str):
        raise FieldValueError("must be a string")
    return value
