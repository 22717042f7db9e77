"""Ports and mounts against the real engine: stored in the order given, diffed in none.

The engine stores these lists as sent (``docker stack deploy`` relies on that: its order
is compared exactly in test_compose_differential.py). A service created in one order,
read back (refresh) and diffed against a program that lists the same items in another
order shows no change; an update sent for another reason stores the new order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import docker

from swarm_provider.providers.service import ServiceProvider

PORTS = [{"TargetPort": 9000}, {"TargetPort": 53, "Protocol": "udp"}, {"TargetPort": 8080}]
MOUNTS = [{"Type": "tmpfs", "Target": "/z/cache"}, {"Type": "tmpfs", "Target": "/a/scratch"},
          {"Type": "tmpfs", "Target": "/m"}]


def stored(client: docker.DockerClient, name: str) -> tuple[list[int], list[str]]:
    """(target ports, mount targets) in the order the engine stores them (raw inspect)."""
    spec = client.api.inspect_service(name)["Spec"]
    return ([p["TargetPort"] for p in spec["EndpointSpec"]["Ports"]],
            [m["Target"] for m in spec["TaskTemplate"]["ContainerSpec"]["Mounts"]])


def test_the_engine_stores_the_given_order_and_a_reorder_is_no_change(
    docker_client: docker.DockerClient, test_image: str, unique: Callable[[str], str],
    provider: ServiceProvider, services_cleanup: list[str],
) -> None:
    name = unique("lo-order")
    services_cleanup.append(name)
    base: dict[str, Any] = {"name": name, "image": test_image, "owner": f"test/{name}",
                            "command": ["sleep", "600"], "wait": False}
    created = provider.create(provider.check({}, {
        **base, "endpoint_spec": {"Ports": PORTS}, "mounts": MOUNTS}).inputs)
    assert stored(docker_client, name) == ([9000, 53, 8080], ["/z/cache", "/a/scratch", "/m"])

    refreshed = provider.read(created.id, created.outs).outs
    reordered = provider.check({}, {**base, "endpoint_spec": {"Ports": PORTS[::-1]},
                                    "mounts": MOUNTS[::-1]}).inputs
    for state in (created.outs, refreshed):
        assert provider.diff(created.id, state, reordered).changes is False

    relabelled = {**reordered, "labels": {"tier": "web"}}
    assert provider.diff(created.id, refreshed, relabelled).changes is True
    provider.update(created.id, refreshed, relabelled)
    assert stored(docker_client, name) == ([8080, 53, 9000], ["/m", "/a/scratch", "/z/cache"])
