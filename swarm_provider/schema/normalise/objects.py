"""Normalisers of network, secret and config inputs."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from ...errors import FieldValueError
from ..struct import Key, Struct
from .base import as_list, as_mapping, item_text, prune, string_map, text

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
    read = IPAM_CONFIG.read(value)
    read["Driver"] = None if read["Driver"] == "default" else read["Driver"]
    return prune(read) or None


def _ipam_pools(value: Any) -> list[dict[str, Any]]:
    pools = [prune(IPAM_POOL.read(as_mapping(item, "an IPAMPool or mapping")))
             for item in as_list(value, "pools")]
    return sorted(pools, key=lambda p: (p.get("Subnet", ""), p.get("IPRange", "")))


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


IPAM_POOL = Struct("IPAMPool", (
    Key("Subnet", lambda v: _cidr(v) if v else None, doc="e.g. 10.1.0.0/24."),
    Key("IPRange", lambda v: _cidr(v) if v else None, doc="Addresses given out, a CIDR."),
    Key("Gateway", lambda v: _address(v) if v else None, doc="The gateway address."),
    Key("AuxiliaryAddresses", string_map, keyword="aux_addresses",
        doc="{name: address} the driver must not give out."),
), doc="docker.types.IPAMPool or its keywords.")

IPAM_CONFIG = Struct("IPAMConfig", (
    Key("Driver", text, doc="IPAM driver; default folds away."),
    Key("Config", _ipam_pools, keyword="pool_configs", items=IPAM_POOL, doc="The pools."),
    Key("Options", string_map, doc="Driver options."),
), doc="docker.types.IPAMConfig or its keywords.")

DRIVER = Struct("Driver", (
    Key("Name", text, doc="The driver's name."),
    Key("Options", string_map, doc="Its options."),
), doc='A driver by name: "golang", {"Name": ..., "Options": {...}} or DriverConfig.')


def named_driver(value: Any) -> dict[str, Any] | None:
    """A driver by name with options: a secret ``Driver`` (``docker.types.DriverConfig``) or
    a ``Templating`` driver. Accepts ``"golang"``, ``{"name": ..., "options": {...}}``."""
    if value is None:
        return None
    if isinstance(value, str):
        value = {"Name": value}
    read = DRIVER.read(as_mapping(value, "a driver name or {Name, Options} mapping"))
    name, options = read["Name"], read["Options"]
    if name is None:
        if options:
            raise FieldValueError("a driver with Options needs a Name")
        return None
    driver: dict[str, Any] = prune({"Name": name, "Options": options})
    return driver


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
