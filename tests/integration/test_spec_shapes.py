"""The sub-structs we always send, against the real swarm (issue 14, item 1).

- What a SwarmService stores carries exactly the base shapes ``docker stack deploy``
  stores (the real CLI is the oracle; raw inspect, no inserted defaults).
- Removing each nil-able sub-struct from a live service with running tasks (the last
  placement constraint crashed Docker 20.10's manager, moby/swarmkit#2947) applies, the
  tasks run the new spec, and the manager stays up.

The crash itself was reproduced once, on a throwaway single-node 20.10 dockerd (own roots
and socket, swarm on 127.0.0.1:2479), never on the shared swarm: a create with a
constraint, then an update whose TaskTemplate has no Placement, and the manager died with
``panic: runtime error: invalid memory address or nil pointer dereference`` in
``orchestrator.nodeMatches``; the provider's same update on a fresh one kept it up.

Guard for the shared swarm: before each removal the test checks that the spec the
provider will send still has a Placement, so a regression fails here instead of
crashing the manager everyone's tests use.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import pytest

from swarm_provider.core.check import require_valid
from swarm_provider.core.spec import build_spec
from swarm_provider.providers.service import ServiceProvider
from swarm_provider.schema.api_versions import FEATURES, parse_api_version

BASE_PATHS = [
    ("TaskTemplate", "Placement"),
    ("TaskTemplate", "Resources"),
    ("TaskTemplate", "ForceUpdate"),
    ("TaskTemplate", "ContainerSpec", "Privileges"),
    ("EndpointSpec",),
]


def raw_spec(client: docker.DockerClient, name: str) -> dict[str, Any]:
    """The spec as stored: ``GET /services/{id}`` without insertDefaults."""
    spec: dict[str, Any] = client.api.inspect_service(name)["Spec"]
    return spec


def test_stored_base_shapes_equal_docker_stack_deploys(
    docker_client: docker.DockerClient, test_image: str, unique: Callable[[str], str],
    provider: ServiceProvider, services_cleanup: list[str], tmp_path: Path,
) -> None:
    stack, ours = unique("fsstk"), unique("fs-base")
    compose = tmp_path / "stack.yml"
    compose.write_text(f'version: "3.8"\nservices:\n  app:\n    image: {test_image}\n'
                       '    command: ["sleep", "600"]\n')
    services_cleanup.extend([f"{stack}_app", ours])
    try:
        subprocess.run(["docker", "stack", "deploy", "--resolve-image", "never", "-c",
                        str(compose), stack], check=True, capture_output=True, text=True)
        provider.create({"name": ours, "image": test_image, "command": ["sleep", "600"],
                         "owner": f"test/{ours}", "wait": False})
        theirs, mine = raw_spec(docker_client, f"{stack}_app"), raw_spec(docker_client, ours)
        for path in BASE_PATHS:
            cli = theirs
            our = mine
            for key in path:
                cli, our = cli[key], our[key]  # KeyError: a shape missing on one side
            assert our == cli, path
    finally:
        subprocess.run(["docker", "stack", "rm", stack], capture_output=True, text=True)


INIT = {"init": True, "stop_grace_period": "1s", "command": ["sleep", "600"],
        "mode": {"mode": "replicated", "replicas": 2}}
QUICK_UPDATE = {"update_config": {"Parallelism": 0, "Monitor": "1s"}}
"""Both replicas at once and a 1-s monitor window: what is tested here is the spec the
removal leaves, not the rollout (the default, one task after the other with a 5-s window
each, made each case wait some 12 s)."""

REMOVALS: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
    ("constraints", {"constraints": ["node.role==manager"]}, ("TaskTemplate", "Placement")),
    ("preferences", {"preferences": [("spread", "node.id")]}, ("TaskTemplate", "Placement")),
    ("maxreplicas", {"maxreplicas": 2}, ("TaskTemplate", "Placement")),
    ("resources", {"resources": {"Limits": {"MemoryBytes": "64m"},
                                 "Reservations": {"MemoryBytes": "8m"}}},
     ("TaskTemplate", "Resources")),
    ("restart_policy", {"restart_policy": {"Condition": "on-failure", "MaxAttempts": 3}},
     ("TaskTemplate", "RestartPolicy")),
    ("update_config", {"update_config": {"Parallelism": 2, "Monitor": "1s"}},
     ("UpdateConfig",)),
    ("rollback_config", {"rollback_config": {"Parallelism": 2}}, ("RollbackConfig",)),
    ("endpoint_spec", {"endpoint_spec": {"Ports": [{"TargetPort": 80}]}}, ("EndpointSpec",)),
    ("log_driver", {"log_driver": "json-file", "log_driver_options": {"max-size": "1m"}},
     ("TaskTemplate", "LogDriver")),
    ("healthcheck", {"healthcheck": {"test": ["NONE"]}},
     ("TaskTemplate", "ContainerSpec", "Healthcheck")),
    ("privileges", {"privileges": {"selinux_disable": True}},
     ("TaskTemplate", "ContainerSpec", "Privileges")),
    ("dns_config", {"dns_config": {"nameservers": ["10.9.0.53"]}},
     ("TaskTemplate", "ContainerSpec", "DNSConfig")),
]


@pytest.mark.parametrize(("field", "extra", "path"), REMOVALS, ids=[r[0] for r in REMOVALS])
def test_removing_a_sub_struct_from_a_live_service_applies(
    field: str, extra: dict[str, Any], path: tuple[str, ...],
    docker_client: docker.DockerClient, test_image: str, unique: Callable[[str], str],
    provider: ServiceProvider, services_cleanup: list[str],
) -> None:
    name = unique(f"fs-rm-{field.replace('_', '')[:8]}")
    services_cleanup.append(name)
    base = {"name": name, "image": test_image, "owner": f"test/{name}", **INIT,
            **({} if field == "update_config" else QUICK_UPDATE)}
    created = provider.create({**base, **extra})
    before = raw_spec(docker_client, name)
    assert at_path(before, path) is not None, "the field must be live before its removal"

    cleared = provider.check({}, base).inputs
    sent = build_spec(require_valid(cleared, frozenset({"wait", "timeout", "adopt"})))
    assert sent["TaskTemplate"]["Placement"] == {}, "refusing to send a nil Placement"

    result = provider.update(created.id, created.outs, cleared)
    assert docker_client.info()["Swarm"]["ControlAvailable"], "the manager went away"
    after = raw_spec(docker_client, name)
    assert after["TaskTemplate"]["Placement"] == {}
    assert after["TaskTemplate"]["Resources"] == {}
    assert after["EndpointSpec"] == {"Mode": "vip"}
    assert at_path(after, ("TaskTemplate", "ContainerSpec", "Privileges")) == (
        cleared_privileges(docker_client))
    if path not in BASE_PATHS:
        assert at_path(after, path) is None, f"{field} is still live"
    running = [t for t in docker_client.api.tasks(filters={"service": name,
                                                           "desired-state": "running"})
               if t["Status"]["State"] == "running"]
    assert len(running) == 2
    assert result.outs is not None and result.outs[field] is None
    assert provider.diff(created.id, result.outs, cleared).changes is False


def cleared_privileges(client: docker.DockerClient) -> dict[str, Any]:
    """The Privileges a service without privileges reads back: the nulls the CLI sends,
    plus ``NoNewPrivileges: false`` from the API that has that field (1.44, Docker 25):
    the engine reports that bool even when unset, so Docker 28 shows it and 20.10 not."""
    shape: dict[str, Any] = {"CredentialSpec": None, "SELinuxContext": None}
    field = next(f for f in FEATURES if f.path[-1] == "NoNewPrivileges")
    if parse_api_version(client.api.api_version) >= field.minimum:
        shape["NoNewPrivileges"] = False
    return shape


def at_path(spec: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = spec
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value
