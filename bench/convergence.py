"""How soon after convergence does a create return? `python bench/convergence.py [runs]`.

For a replicated service (3 replicas) and a global one, each created `runs` times (3 by
default) by the provider and by `docker service create --detach=false`, it prints the delay
between the moment the engine says the service converged plus the monitor window (the
latest `Status.Timestamp` of the running tasks + UpdateConfig.Monitor, 5 s by default) and
the moment the call returned, and the engine calls (HTTP requests) the provider's wait made.
Target: the provider within 0.5 s of convergence + monitor.

Needs the test bed (`eval "$(scripts/testbed env)"`, 2 nodes for the global case) and the
`docker` client on PATH. Every service it makes is named `bench-conv-*` and removed.
"""

from __future__ import annotations

import collections
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import docker

from swarm_provider.api import engine
from swarm_provider.converge import removal, tasks
from swarm_provider.converge.wait import DEFAULT_MONITOR_NS, POLL_SECONDS
from swarm_provider.providers.service import ServiceProvider

IMAGE = os.environ.get("SWARM_TEST_IMAGE", "swarm-testbed/busybox:1.0")
MODES: dict[str, tuple[Any, list[str]]] = {
    "replicated x3": ({"mode": "replicated", "replicas": 3}, ["--replicas", "3"]),
    "global": ("global", ["--mode", "global"]),
}


def converged_at(api: Any, name: str) -> float:
    """Engine time at which the last running task of the service reached `running`."""
    service = engine.find_service(api, name)
    assert service is not None
    running = [t for t in engine.list_tasks(api, service["ID"], name, up_to_date=True)
               if tasks.runs(t)]
    return max(tasks.engine_time(t["Status"]["Timestamp"]) for t in running)


def counting(api: Any) -> collections.Counter[str]:
    """Count the HTTP requests of a docker-py client from now on, by method and route."""
    counts: collections.Counter[str] = collections.Counter()
    original = api.request

    def request(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        path = re.sub(r"^.*?/v\d+\.\d+", "", url.split("?")[0])
        counts[f"{method} {re.sub(r'/[a-z0-9]{25}', '/{id}', path)}"] += 1
        return original(method, url, *args, **kwargs)

    api.request = request
    return counts


def by_provider(provider: ServiceProvider, api: Any, name: str, mode: Any,
                counts: collections.Counter[str]) -> tuple[float, Callable[[], None]]:
    inputs = provider.check({}, {"name": name, "image": IMAGE, "command": ["sleep", "600"],
                                 "mode": mode, "init": True, "stop_grace_period": "1s",
                                 "owner": f"bench/convergence/{name}"}).inputs
    counts.clear()
    created = provider.create(inputs)
    returned = time.time()
    return returned, lambda: provider.delete(created.id, created.outs or {})


def by_docker_cli(api: Any, name: str, flags: list[str]) -> tuple[float, Callable[[], None]]:
    command = ["docker", "service", "create", "--detach=false", "--quiet", "--name", name,
               "--init", "--stop-grace-period", "1s", *flags, IMAGE, "sleep", "600"]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    returned = time.time()
    return returned, lambda: removal.remove(api, name, name, wait_seconds=30)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    client = docker.from_env(version="auto")
    nodes = [n for n in client.nodes.list() if n.attrs["Status"]["State"] == "ready"]
    provider = ServiceProvider()
    api = engine.client(provider.connection).api
    counts = counting(api)
    monitor = DEFAULT_MONITOR_NS / 1e9
    print(f"{len(nodes)} ready nodes; monitor window {monitor:g}s; poll every {POLL_SECONDS}s")
    print(f"{'service':<15} {'by':<9} {'delay after convergence + monitor (s)':<40} calls")
    for label, (mode, flags) in MODES.items():
        for who in ("provider", "docker"):
            delays, per_wait = [], []
            for _ in range(runs):
                name = f"bench-conv-{uuid.uuid4().hex[:6]}"
                if who == "provider":
                    returned, remove = by_provider(provider, api, name, mode, counts)
                    per_wait.append(dict(counts))
                else:
                    returned, remove = by_docker_cli(api, name, flags)
                delays.append(returned - (converged_at(api, name) + monitor))
                remove()
            figures = (f"median {statistics.median(delays):+.2f}  min {min(delays):+.2f}  "
                       f"max {max(delays):+.2f}")
            calls = ""
            if per_wait:
                total = statistics.median(sum(c.values()) for c in per_wait)
                calls = f"{total:g} per create ({per_wait[-1]})"
            print(f"{label:<15} {who:<9} {figures:<40} {calls}")


if __name__ == "__main__":
    main()
