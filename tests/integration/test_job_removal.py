"""Deleting a running job service stops its tasks (issue 14, item 8).

The engine leaves a running job task's container running when its service is removed;
delete (and so the delete half of a replacement) must stop them first, say so while it
waits, and return only once nothing of the service runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import docker
import pytest

from swarm_provider.providers.service import ServiceProvider


def running_tasks(client: docker.DockerClient, service_id: str) -> list[dict[str, Any]]:
    """The service's tasks still running, as the nodes report them (removed services too)."""
    return [t for t in client.api.tasks() if t["ServiceID"] == service_id
            and t["Status"]["State"] in ("starting", "running")]


def containers_here(client: docker.DockerClient, service_id: str) -> list[Any]:
    """Containers of the service on the manager's own node, running or not yet reaped."""
    return [c for c in client.containers.list(
        filters={"label": f"com.docker.swarm.service.id={service_id}"})]


@pytest.mark.parametrize("mode", [
    {"mode": "replicated-job", "replicas": 2, "concurrency": 2},
    "global-job",
], ids=["replicated-job", "global-job"])
def test_deleting_a_running_job_stops_its_containers(
    mode: Any, docker_client: docker.DockerClient, test_image: str,
    unique: Callable[[str], str], provider: ServiceProvider, services_cleanup: list[str],
) -> None:
    name = unique("fs-job-rm")
    services_cleanup.append(name)
    extra = {"constraints": ["node.role==manager"]} if mode != "global-job" else {}
    created = provider.create(provider.check({}, {
        "name": name, "image": test_image, "command": ["sleep", "600"], "init": True,
        "stop_grace_period": "2s", "mode": mode, "owner": f"test/{name}", "wait": False,
        **extra}).inputs)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (running_tasks(docker_client, created.id)
                                               and containers_here(docker_client, created.id)):
        time.sleep(0.2)
    started_running = running_tasks(docker_client, created.id)
    assert started_running, "the job never started"
    assert containers_here(docker_client, created.id)

    started = time.monotonic()
    provider.delete(created.id, created.outs)
    took = time.monotonic() - started
    assert running_tasks(docker_client, created.id) == []
    assert containers_here(docker_client, created.id) == []
    assert took < 20, f"the delete took {took:.0f}s"
    with pytest.raises(docker.errors.NotFound):
        docker_client.api.inspect_service(created.id)


def test_deleting_a_finished_job_does_not_wait(
    docker_client: docker.DockerClient, test_image: str, unique: Callable[[str], str],
    provider: ServiceProvider, services_cleanup: list[str],
) -> None:
    name = unique("fs-job-done")
    services_cleanup.append(name)
    created = provider.create(provider.check({}, {
        "name": name, "image": test_image, "command": ["sleep", "0"],
        "mode": "replicated-job", "owner": f"test/{name}"}).inputs)
    version = docker_client.api.inspect_service(created.id)["Version"]["Index"]
    started = time.monotonic()
    provider.delete(created.id, created.outs)
    assert time.monotonic() - started < 5
    assert version  # nothing was updated before the delete: no task ran
