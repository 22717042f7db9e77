"""Normalisers of network, secret and config inputs."""

from __future__ import annotations

from typing import Any

from ..errors import FieldValueError
from .base import _map, _only_keys, _pick, _prune, _seq, _text, string_map, text

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
