"""Scheduling and nodes on a real 3-node swarm: what the wait concludes when tasks can't be
placed or started, placement over node labels, a drained node, a lost and restarted worker.

Needs `scripts/testbed nodes 3`. Node-loss tests stop and start worker 2's dockerd with
`scripts/testbed node-stop 2` / `node-start 2` (SWARM_TESTBED_HOME names the checkout that
started the test bed when it is not this one), pin their services to that node, and always
bring it back. Other tests share this swarm: nothing here touches nodes 0 and 1.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from swarm_provider.converge import wait as converge
from swarm_provider.errors import ConvergenceError
from swarm_provider.providers.service import ServiceProvider

REPO = Path(__file__).resolve().parents[2]
LOST = "swtb-node2"
ON_LOST = [f"node.hostname=={LOST}"]
FAST = {"stop_grace_period": "1s", "init": True, "update_config": {"Monitor": "1s"},
        "restart_policy": {"Delay": "200ms"}}


def run_testbed(*args: str) -> None:
    """scripts/testbed with these arguments (not named test*: pytest would collect it)."""
    subprocess.run([str(REPO / "scripts" / "testbed"), *args], check=True, timeout=180)


@pytest.fixture
def three_nodes(docker_client: docker.DockerClient) -> dict[str, str]:
    """hostname -> node id of the ready, active nodes; fails unless all three are there."""
    nodes = {n.attrs["Description"]["Hostname"]: n.id for n in docker_client.nodes.list()
             if n.attrs["Status"]["State"] == "ready"
             and n.attrs["Spec"].get("Availability") == "active"}
    if len(nodes) < 3 or LOST not in nodes:
        pytest.fail(f"these tests need 3 ready nodes including {LOST}: run "
                    f"`scripts/testbed nodes 3`; have {sorted(nodes)}")
    return nodes


@pytest.fixture
def node_back() -> Iterator[None]:
    """Whatever the test did to worker 2, it is running and ready afterwards."""
    yield
    run_testbed("node-start", "2")


@pytest.fixture
def make(service_inputs: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    return functools.partial(service_inputs, **FAST)


def outs(result: Any) -> dict[str, Any]:
    assert result.outs is not None
    return dict(result.outs)


def running_nodes(client: docker.DockerClient, name: str) -> list[str]:
    tasks = client.api.tasks(filters={"service": name, "desired-state": "running"})
    return sorted(t["NodeID"] for t in tasks if t["Status"]["State"] == "running")


def service_gone(client: docker.DockerClient, name: str) -> bool:
    return not [s for s in client.services.list(filters={"name": name}) if s.name == name]


def matches_engine(client: docker.DockerClient, result: Any, name: str) -> None:
    """The outputs Pulumi records are what the engine has."""
    live = client.api.inspect_service(name)
    assert outs(result)["version"] == live["Version"]["Index"]
    assert outs(result)["spec"] == live["Spec"]


# --- task errors with per-task noise: fail fast ------------------------------------------


@pytest.mark.parametrize("extra, reason", [
    ({"workdir": "/etc/passwd/x"}, "/merged/etc/passwd/x: not a directory"),
    ({"mounts": [{"Type": "tmpfs", "Target": "/proc/x"}]}, 'error mounting "tmpfs" to rootfs '
     'at "/proc/x": mkdir '),
])
def test_a_runc_error_with_per_task_hashes_fails_the_create_fast(
    extra: dict[str, Any], reason: str, provider: ServiceProvider,
    make: Callable[..., dict[str, Any]], docker_client: docker.DockerClient,
) -> None:
    news = make("sched-runc", timeout=120, **extra)
    started = time.monotonic()
    with pytest.raises(ConvergenceError) as failed:
        provider.create(news)
    elapsed = time.monotonic() - started
    message = str(failed.value)
    assert "the last 3 tasks failed with the same error" in message and reason in message
    assert elapsed < 30, f"{elapsed:.0f}s: the same error three times should end the wait"
    assert service_gone(docker_client, news["name"])


# --- unschedulable tasks (#12.7) -----------------------------------------------------------


def test_a_host_port_clash_fails_after_the_grace_saying_why(
    provider: ServiceProvider, make: Callable[..., dict[str, Any]], three_nodes: dict[str, str],
    docker_client: docker.DockerClient, caplog: pytest.LogCaptureFixture,
) -> None:
    port = 20000 + int.from_bytes(os.urandom(2), "big") % 20000
    ports = {"Ports": [{"TargetPort": 80, "PublishedPort": port, "PublishMode": "host"}]}
    first = provider.create(make("sched-port-a", constraints=ON_LOST, endpoint_spec=ports))
    second = make("sched-port-b", constraints=ON_LOST, endpoint_spec=ports, timeout=300)
    caplog.set_level(logging.INFO, logger="swarm_provider")
    started = time.monotonic()
    with pytest.raises(ConvergenceError) as failed:
        provider.create(second)
    elapsed = time.monotonic() - started
    message = str(failed.value)
    assert converge.UNSCHEDULABLE_GRACE <= elapsed < converge.UNSCHEDULABLE_GRACE + 15, elapsed
    assert f"no node can run a task for {converge.UNSCHEDULABLE_GRACE:g}s" in message
    assert "host-mode port already in use" in message
    shown = [r.getMessage() for r in caplog.records if "host-mode port already in use" in
             r.getMessage()]
    assert shown, "the reason never reached the progress row"
    assert service_gone(docker_client, second["name"])
    provider.delete(first.id, outs(first))


def test_a_constraint_met_a_few_seconds_later_is_no_failure(
    provider: ServiceProvider, make: Callable[..., dict[str, Any]], three_nodes: dict[str, str],
    docker_client: docker.DockerClient, unique: Callable[[str], str],
) -> None:
    label = unique("sched-ready")
    news = make("sched-later", constraints=[f"node.labels.{label}==yes"], timeout=120)
    node = docker_client.nodes.get(three_nodes[LOST])

    def add_label() -> None:
        time.sleep(6)
        node.reload()
        spec = node.attrs["Spec"]
        node.update({**spec, "Labels": {**spec.get("Labels", {}), label: "yes"}})

    adder = threading.Thread(target=add_label)
    started = time.monotonic()
    adder.start()
    try:
        created = provider.create(news)
        elapsed = time.monotonic() - started
        assert 6 <= elapsed < converge.UNSCHEDULABLE_GRACE, elapsed
        assert running_nodes(docker_client, news["name"]) == [three_nodes[LOST]]
        provider.delete(created.id, outs(created))
    finally:
        adder.join()
        node.reload()
        spec = node.attrs["Spec"]
        labels = {k: v for k, v in (spec.get("Labels") or {}).items() if k != label}
        node.update({**spec, "Labels": labels})


# --- three nodes ---------------------------------------------------------------------------


def stack_placement(tmp_path: Path, stack: str, placement: dict[str, Any]) -> dict[str, Any]:
    """The Placement `docker stack deploy` sends for this compose `deploy.placement`."""
    compose = {"version": "3.8", "services": {"app": {
        "image": os.environ["SWARM_TEST_IMAGE"], "command": ["sleep", "600"],
        "deploy": {"replicas": 0, "placement": placement}}}}
    path = tmp_path / "stack.yml"
    path.write_text(json.dumps(compose))  # JSON is YAML
    subprocess.run(["docker", "stack", "deploy", "--detach=true", "-c", str(path), stack],
                   check=True, capture_output=True, timeout=60)
    try:
        inspected = subprocess.run(["docker", "service", "inspect", f"{stack}_app"], check=True,
                                   capture_output=True, text=True, timeout=30)
        return dict(json.loads(inspected.stdout)[0]["Spec"]["TaskTemplate"]["Placement"])
    finally:
        subprocess.run(["docker", "stack", "rm", stack], capture_output=True, timeout=60)


def test_placement_preferences_spread_over_node_labels(
    provider: ServiceProvider, make: Callable[..., dict[str, Any]], three_nodes: dict[str, str],
    docker_client: docker.DockerClient, unique: Callable[[str], str], tmp_path: Path,
) -> None:
    news = make("sched-spread", mode={"mode": "replicated", "replicas": 3},
                preferences=[{"Spread": {"SpreadDescriptor": "node.labels.testbed.node"}}])
    created = provider.create(news)
    assert running_nodes(docker_client, news["name"]) == sorted(three_nodes.values())
    ours = outs(created)["spec"]["TaskTemplate"]["Placement"]
    theirs = stack_placement(tmp_path, unique("sched-stack"),
                             {"preferences": [{"spread": "node.labels.testbed.node"}]})
    assert ours["Preferences"] == theirs["Preferences"]
    provider.delete(created.id, outs(created))


@pytest.mark.serial  # drains, stops or restarts a worker: nothing may run beside it
def test_a_node_drained_during_a_rolling_update_the_update_completes_on_the_others(
    provider: ServiceProvider, make: Callable[..., dict[str, Any]], three_nodes: dict[str, str],
    docker_client: docker.DockerClient,
) -> None:
    update = {"Monitor": "1s", "Parallelism": 1, "Delay": "1s"}
    news = make("sched-drain", mode={"mode": "replicated", "replicas": 3}, update_config=update,
                preferences=[{"Spread": {"SpreadDescriptor": "node.labels.testbed.node"}}])
    created = provider.create(news)
    changed = provider.check({}, {**news, "env": {"RELEASE": "2"}}).inputs
    node = docker_client.nodes.get(three_nodes[LOST])

    def set_availability(value: str) -> None:
        node.reload()
        node.update({**node.attrs["Spec"], "Availability": value})

    drainer = threading.Timer(1.5, set_availability, ("drain",))
    drainer.start()
    try:
        updated = provider.update(created.id, outs(created), changed)
        drainer.join()
        on = running_nodes(docker_client, news["name"])
        assert len(on) == 3 and three_nodes[LOST] not in on, on
        tasks = docker_client.api.tasks(filters={"service": news["name"],
                                                 "desired-state": "running"})
        assert all(t["Spec"]["ContainerSpec"].get("Env") == ["RELEASE=2"] for t in tasks)
        matches_engine(docker_client, updated, news["name"])
        provider.delete(created.id, outs(updated))
    finally:
        drainer.cancel()
        set_availability("active")


@pytest.mark.serial  # drains, stops or restarts a worker: nothing may run beside it
def test_a_worker_lost_mid_update_is_named_and_the_next_up_converges_once_it_is_back(
    provider: ServiceProvider, make: Callable[..., dict[str, Any]], three_nodes: dict[str, str],
    docker_client: docker.DockerClient, node_back: None,
) -> None:
    """#14.7: maxreplicas 1 over workers 1 and 2, worker 2's dockerd killed mid-update."""
    update = {"Monitor": "1s", "Parallelism": 1, "Delay": "1s"}
    news = make("sched-lost", mode={"mode": "replicated", "replicas": 2}, maxreplicas=1,
                constraints=["node.labels.testbed.node!=0"], update_config=update)
    created = provider.create(news)
    changed = provider.check({}, {**news, "env": {"RELEASE": "2"}, "timeout": 45}).inputs
    run_testbed("node-stop", "2", "--kill")
    try:
        with pytest.raises(ConvergenceError) as failed:
            provider.update(created.id, outs(created), changed)
        message = str(failed.value)
        assert f"node {LOST} (id {three_nodes[LOST][:12]}) is down" in message, message
    finally:
        run_testbed("node-start", "2")
    # Pulumi kept the old outputs (update raised). The next `up`, with the node back:
    updated = provider.update(created.id, outs(created), changed)
    assert running_nodes(docker_client, news["name"]) == sorted(
        three_nodes[h] for h in ("swtb-node1", LOST))
    tasks = docker_client.api.tasks(filters={"service": news["name"], "desired-state": "running"})
    assert all(t["Spec"]["ContainerSpec"].get("Env") == ["RELEASE=2"] for t in tasks)
    matches_engine(docker_client, updated, news["name"])
    provider.delete(created.id, outs(updated))


@pytest.mark.serial  # drains, stops or restarts a worker: nothing may run beside it
def test_a_worker_daemon_restart_during_an_update_then_the_next_up_converges(
    provider: ServiceProvider, make: Callable[..., dict[str, Any]], three_nodes: dict[str, str],
    docker_client: docker.DockerClient, node_back: None,
) -> None:
    news = make("sched-restart", constraints=ON_LOST)
    created = provider.create(news)
    changed = provider.check({}, {**news, "env": {"RELEASE": "2"}, "timeout": 60}).inputs

    def restart() -> None:
        time.sleep(1)
        run_testbed("node-stop", "2")
        run_testbed("node-start", "2")

    restarter = threading.Thread(target=restart)
    restarter.start()
    olds = outs(created)
    try:
        olds = outs(provider.update(created.id, olds, changed))
    except ConvergenceError as exc:
        print(f"\nthe up during the restart failed (Pulumi keeps the old outputs): {exc}")
    finally:
        restarter.join()
    updated = provider.update(created.id, olds, changed)
    assert running_nodes(docker_client, news["name"]) == [three_nodes[LOST]]
    matches_engine(docker_client, updated, news["name"])
    provider.delete(created.id, outs(updated))
