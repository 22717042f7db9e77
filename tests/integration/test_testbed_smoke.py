"""Smoke tests of the test bed itself: the swarm that `scripts/testbed` provides runs real tasks.

Run with the environment of `scripts/testbed env` (DOCKER_HOST, SWARM_TEST_IMAGE). If these
fail, every other integration test would fail for reasons unrelated to the provider.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import docker
import pytest
from docker.models.services import Service
from docker.types import ServiceMode

REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def unique_name() -> str:
    return f"smoke-{uuid.uuid4().hex[:10]}"


def wait_for(probe: Callable[[], T | None], timeout: float, what: str) -> T:
    """Poll `probe` until it returns something truthy; fail with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.5)


def running_tasks(service: Service, count: int = 1) -> list[dict[str, Any]] | None:
    """The service's running tasks once there are `count` of them, else None."""
    tasks = [task for task in service.tasks() if task["Status"]["State"] == "running"]
    return tasks if len(tasks) >= count else None


def test_service_task_reaches_running(docker_client: docker.DockerClient, test_image: str) -> None:
    service = docker_client.services.create(test_image, ["sleep", "3600"], name=unique_name())
    try:
        tasks = wait_for(lambda: running_tasks(service), 90, "one running task")
        assert tasks[0]["Spec"]["ContainerSpec"]["Image"] == test_image
    finally:
        service.remove()


def test_replicas_spread_over_two_nodes(
    docker_client: docker.DockerClient, test_image: str
) -> None:
    subprocess.run([sys.executable, str(REPO / "scripts" / "testbed"), "nodes", "2"], check=True)
    service = docker_client.services.create(
        test_image,
        ["sleep", "3600"],
        name=unique_name(),
        maxreplicas=2,
        mode=ServiceMode("replicated", replicas=4),
    )
    try:
        tasks = wait_for(lambda: running_tasks(service, 4), 120, "four running tasks")
        per_node = Counter(task["NodeID"] for task in tasks)
        assert len(per_node) >= 2 and max(per_node.values()) <= 2, per_node
        nodes = [docker_client.nodes.get(node_id) for node_id in per_node]
        hostnames = {node.attrs["Description"]["Hostname"] for node in nodes}
        assert len(hostnames) == len(per_node), hostnames
    finally:
        service.remove()
