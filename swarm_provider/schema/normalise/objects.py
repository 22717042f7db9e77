"""Normalisers of network, secret and config inputs."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from ...errors import FieldValueError
from .base import as_list, as_mapping, item_text, only_keys, part, pick, prune, string_map, text

_NETWORK_SCOPES = {"local", "global", "swarm"}
_OBJECT_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
TEMPLATE_DRIVERS = frozenset({"golang"})
"""The templating drivers the engine knows (swarmkit's template package)."""


def object_name(value: Any) -> str | None:
    """A network, secret or config name: letters, digits, ``_ . -``; no spaces (the engine
    refuses them, and only at create time)."""
    name = text(value)
    if name is not None and not _OBJECT_NAME.match(name):
        raise FieldValueError("must start with a letter or digit and hold only letters, "
                              "digits, _ . -", value=value)
    return name


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
    source = as_mapping(value, "an IPAMConfig or mapping")
    if any(str(k).lower() == "pool_configs" for k in source):
        only_keys(source, {"driver", "pool_configs", "options"}, "IPAM config")
        source = {"Driver": pick(source, "driver"), "Config": pick(source, "pool_configs"),
                  "Options": pick(source, "options")}
    only_keys(source, {"Driver", "Config", "Options"}, "IPAM config")
    driver = pick(source, "Driver")
    out = {
        "Driver": None if driver == "default" else driver,
        "Config": sorted((_ipam_pool(p) for p in as_list(pick(source, "Config") or [], "pools")),
                         key=lambda p: (p.get("Subnet", ""), p.get("IPRange", ""))),
        "Options": string_map(pick(source, "Options")),
    }
    return prune(out) or None


def _ipam_pool(item: Any) -> dict[str, Any]:
    source = as_mapping(item, "an IPAMPool or mapping")
    if any(str(k).lower() == "aux_addresses" for k in source):
        source = {**source, "AuxiliaryAddresses": pick(source, "aux_addresses")}
        source = {k: v for k, v in source.items() if str(k).lower() != "aux_addresses"}
    only_keys(source, {"Subnet", "IPRange", "Gateway", "AuxiliaryAddresses"}, "IPAM pool")
    pool = {key: pick(source, key) for key in ("Subnet", "IPRange", "Gateway")}
    checks = {"Subnet": _cidr, "IPRange": _cidr, "Gateway": _address}
    return prune({**{k: v and part(k, checks[k], v) for k, v in pool.items()},
                   "AuxiliaryAddresses": string_map(pick(source, "AuxiliaryAddresses"))})


def _cidr(value: Any) -> str:
    text_value = item_text(value, "a CIDR")
    try:
        ipaddress.ip_network(text_value, strict=False)
    except ValueError:
        raise FieldValueError("is not a CIDR such as 10.1.0.0/24", value=value) from None
    return text_value


def _address(value: Any) -> str:
    text_value = item_text(value, "an IP address")
    try:
        ipaddress.ip_address(text_value)
    except ValueError:
        raise FieldValueError("is not an IP address", value=value) from None
    return text_value


def named_driver(value: Any) -> dict[str, Any] | None:
    """A driver by name with options: a secret ``Driver`` (``docker.types.DriverConfig``) or
    a ``Templating`` driver. Accepts ``"golang"``, ``{"name": ..., "options": {...}}``."""
    if value is None:
        return None
    if isinstance(value, str):
        value = {"Name": value}
    source = as_mapping(value, "a driver name or {Name, Options} mapping")
    only_keys(source, {"Name", "Options"}, "driver")
    name = text(pick(source, "Name"))
    options = string_map(pick(source, "Options"))
    if name is None:
        if options:
            raise FieldValueError("a driver with Options needs a Name")
        return None
    return prune({"Name": name, "Options": options})


def templating_driver(value: Any) -> dict[str, Any] | None:
    """A config's or secret's ``Templating`` driver: only ``golang`` exists in the engine."""
    driver = named_driver(value)
    if driver is not None and driver["Name"] not in TEMPLATE_DRIVERS:
        raise FieldValueError(f"templating driver must be one of {sorted(TEMPLATE_DRIVERS)}",
                              value=driver["Name"])
    return driver


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
