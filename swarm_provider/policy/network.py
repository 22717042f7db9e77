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


def check_ports(service: Service) -> Iterator[str]:
    endpoint = service.value("endpoint_spec")
    if endpoint is UNKNOWN or not isinstance(endpoint, dict):
        return
    ports = [p for p in endpoint.get("Ports") or [] if isinstance(p, dict)]
    allowed = sorted({as_int(p) for p in service.setting("allowedPorts") or []})
    unpinned = [_port_label(p) for p in ports if not p.get("PublishedPort")]
    outside = [
        _port_label(p) for p in ports
        if p.get("PublishedPort") and as_int(p["PublishedPort"]) not in allowed
    ]
    host_mode = [_port_label(p) for p in ports if p.get("PublishMode") == "host"]
    if unpinned:
        yield service.message(
            "endpoint_spec", f"publishes {', '.join(unpinned)} on a port the engine picks "
            "(30000-32767), outside any allow-list", endpoint,
            f"set PublishedPort to one of the allowed ports {allowed}, or drop the port and "
            "reach the service over an overlay network")
    if outside:
        yield service.message(
            "endpoint_spec", f"publishes {', '.join(outside)}, outside the allowed ports "
            f"{allowed}", endpoint,
            "publish only allowed ports (put a reverse proxy in front), reach the service "
            "over an overlay network, or extend allowedPorts in the policy config")
    if host_mode and not service.setting("allowHostMode"):
        yield service.message(
            "endpoint_spec", f"publishes {', '.join(host_mode)} in host mode, bypassing the "
            "routing mesh on each node that runs a task", endpoint,
            'use PublishMode "ingress", or set allowHostMode in the policy config')


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
    "Services publish only allowed ports (allowedPorts), with an explicit published port.",
    check_ports,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Publish only ports listed in allowedPorts, or none.",
    schema=config_schema(
        allowedPorts={
            "type": "array",
            "items": {"type": "integer", "minimum": 1, "maximum": 65535},
            "default": [80, 443],
            "description": "Ports a service may publish.",
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
