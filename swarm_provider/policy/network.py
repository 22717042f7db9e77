"""What a service exposes: published ports (the ingress mesh publishes them on every node)
and attachment to the node's own network stack."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from ._support import UNKNOWN, Service, as_int, config_schema, service_policy


def _port_label(port: dict[str, Any]) -> str:
    published = as_int(port.get("PublishedPort"))
    target = f"{as_int(port.get('TargetPort'))}/{port.get('Protocol', 'tcp')}"
    return f"{published} -> {target}" if published else f"(any) -> {target}"


ENGINE_PICKED = (30000, 32767)
"""The range the engine picks a published port from when none is given."""

SWARM_PORTS = [2375, 2376, 2377, 4789, 7946]
"""The Docker API (2375/2376) and Swarm's own ports: cluster management (2377), overlay
VXLAN (4789), node gossip (7946). An ingress port is bound on every node, so publishing
one of these breaks or impersonates the cluster everywhere."""


def _in_range(port: int, bounds: list[Any]) -> bool:
    return len(bounds) == 2 and as_int(bounds[0]) <= port <= as_int(bounds[1])


def check_ports(service: Service) -> Iterator[str]:
    endpoint = service.value("endpoint_spec")
    if endpoint is UNKNOWN or not isinstance(endpoint, dict):
        return
    ports = [p for p in endpoint.get("Ports") or [] if isinstance(p, dict)]
    allowed = sorted({as_int(p) for p in service.setting("allowedPorts") or []})
    bounds = [as_int(b) for b in service.setting("allowedPortRange") or []]
    where = f"{allowed} or {bounds[0]}-{bounds[1]}" if len(bounds) == 2 else f"{allowed}"
    yield from _unpinned_ports(service, endpoint, ports, bounds, where)
    yield from _pinned_ports(service, endpoint, ports, allowed, bounds, where)
    host_mode = [_port_label(p) for p in ports if p.get("PublishMode") == "host"]
    if host_mode and not service.setting("allowHostMode"):
        yield service.message(
            "endpoint_spec", f"publishes {', '.join(host_mode)} in host mode, bypassing the "
            "routing mesh on each node that runs a task", endpoint,
            'use PublishMode "ingress", or set allowHostMode in the policy config')


def _unpinned_ports(service: Service, endpoint: dict[str, Any], ports: list[dict[str, Any]],
                    bounds: list[int], where: str) -> Iterator[str]:
    """Ports without a PublishedPort: the engine picks one, maybe outside the allowed."""
    picked_ok = _in_range(ENGINE_PICKED[0], bounds) and _in_range(ENGINE_PICKED[1], bounds)
    unpinned = [_port_label(p) for p in ports if not p.get("PublishedPort")]
    if unpinned and (service.setting("requirePublishedPort") or not picked_ok):
        yield service.message(
            "endpoint_spec", f"publishes {', '.join(unpinned)} on a port the engine picks "
            f"({ENGINE_PICKED[0]}-{ENGINE_PICKED[1]}), not one of the allowed ports {where}",
            endpoint, "set PublishedPort to an allowed port, or drop the port and reach "
            "the service over an overlay network")


def _pinned_ports(service: Service, endpoint: dict[str, Any], ports: list[dict[str, Any]],
                  allowed: list[int], bounds: list[int], where: str) -> Iterator[str]:
    """Published ports that are denied (the cluster's own), or outside the allowed."""
    denied = {as_int(p) for p in service.setting("deniedPorts") or []}
    pinned = [(as_int(p["PublishedPort"]), p) for p in ports if p.get("PublishedPort")]
    forbidden = [_port_label(p) for number, p in pinned if number in denied]
    if forbidden:
        yield service.message(
            "endpoint_spec", f"publishes {', '.join(forbidden)}, a port of the Docker API "
            f"or of Swarm itself (deniedPorts {sorted(denied)}), which the routing mesh "
            "would take on every node", endpoint, "publish another port")
    outside = [
        _port_label(p) for number, p in pinned
        if number not in denied and number not in allowed and not _in_range(number, bounds)
    ]
    if outside:
        yield service.message(
            "endpoint_spec", f"publishes {', '.join(outside)}, outside the allowed ports "
            f"{where}", endpoint,
            "publish an allowed port (a port below 1024 other than 80/443 is taken on every "
            "node, where sshd or DNS may listen), reach the service over an overlay "
            "network, or extend allowedPorts in the policy config")


def check_host_network(service: Service) -> Iterator[str]:
    networks = service.value("networks")
    if networks is UNKNOWN or not networks:
        return
    denied = {str(n) for n in service.setting("deniedNetworks") or []}
    bad = sorted({
        str(n.get("Target")) for n in networks
        if isinstance(n, dict) and str(n.get("Target")) in denied
    })
    if bad:
        yield service.message(
            "networks", f"attaches to {', '.join(bad)}, sharing the node's network stack "
            "(no isolation, every port of the process open on the node)", networks,
            "attach an overlay network instead and publish ports through endpoint_spec")


PUBLISHED_PORTS = service_policy(
    "swarm-published-ports",
    "Services publish only allowed ports: 80, 443 or an unprivileged port (by default), "
    "never a port of the Docker API or of Swarm itself.",
    check_ports,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Publish 80, 443 or a port from allowedPortRange, or none.",
    schema=config_schema(
        allowedPorts={
            "type": "array",
            "items": {"type": "integer", "minimum": 1, "maximum": 65535},
            "default": [80, 443],
            "description": "Ports a service may publish, whatever allowedPortRange says.",
        },
        allowedPortRange={
            "type": "array",
            "items": {"type": "integer", "minimum": 1, "maximum": 65535},
            "maxItems": 2,
            "default": [1024, 65535],
            "description": "[min, max]: ports a service may publish too; [] for none "
                           "(only allowedPorts).",
        },
        deniedPorts={
            "type": "array",
            "items": {"type": "integer", "minimum": 1, "maximum": 65535},
            "default": SWARM_PORTS,
            "description": "Ports no service may publish (the Docker API and Swarm's own).",
        },
        requirePublishedPort={
            "type": "boolean", "default": False,
            "description": "Refuse ports without PublishedPort (the engine picks one).",
        },
        allowHostMode={
            "type": "boolean", "default": True,
            "description": "Allow PublishMode host (ports bound on the node of each task).",
        },
    ),
)

NO_HOST_NETWORK = service_policy(
    "swarm-no-host-network",
    "Services do not attach to the host network.",
    check_host_network,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Attach an overlay network instead of host.",
    schema=config_schema(
        deniedNetworks={
            "type": "array", "items": {"type": "string"}, "default": ["host"],
            "description": "Network names a service may not attach to.",
        },
    ),
)

POLICIES = [PUBLISHED_PORTS, NO_HOST_NETWORK]
