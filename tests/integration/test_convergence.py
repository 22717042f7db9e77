"""create and update return only once the service really runs, against the real swarm.

Driven through the provider, as the Pulumi engine calls it. Each test checks what a user
would see right after ``pulumi up`` returns: every replica running, every node served,
every job completion done; or an error naming the engine's reason, in bounded time, with
nothing left behind. Engine calls are counted (HTTP requests through docker-py) so a
change that makes the wait chatty fails here.
"""

from __future__ import annotations

import collections
import functools
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from swarm_provider.api import engine
from swarm_provider.errors import ConvergenceError
from swarm_provider.providers.service import ServiceProvider

REPO = Path(__file__).resolve().parents[2]
FAST = {"stop_grace_period": "1s", "init": True, "update_config": {"Monitor": "1s"}}


class Calls:
    """Counts the HTTP requests a docker-py client makes, by method and route."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()

    def record(self, method: str, url: str) -> None:
        path = re.sub(r"^.*?/v\d+\.\d+", "", url.split("?")[0])
        route = re.sub(r"/(services|tasks|nodes|networks)/[^/]+", r"/\1/{id}", path)
        self.counts[f"{method} {route}"] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@pytest.fixture
def calls(provider: ServiceProvider) -> Iterator[Calls]:
    api = engine.client(provider.connection).api
    counter = Calls()
    original = api.request

    def request(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        counter.record(method, url)
        return original(method, url, *args, **kwargs)

    api.request = request  # type: ignore[method-assign]
    yield counter
    del api.request


def node_sockets() -> list[str]:
    """DOCKER_HOST and the worker engines of the private test bed (if that is what runs)."""
    hosts = [os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")]
    hosts += [f"unix://{p}" for p in sorted((REPO / ".testbed").glob("node*/docker.sock"))]
    return hosts


@pytest.fixture
def job_containers_cleanup() -> Iterator[list[str]]:
    """Names of job services whose exited containers to remove (the engine leaves them)."""
    names: list[str] = []
    yield names
    for host in node_sockets():
        try:
            client = docker.DockerClient(base_url=host, version="auto")
            for name in names:
                label = f"com.docker.swarm.service.name={name}"
                for container in client.containers.list(all=True, filters={"label": label}):
                    container.remove(force=True)
        except docker.errors.DockerException:
            continue  # a worker we can't reach: its containers stay, as after `docker` itself


@pytest.fixture
def make(service_inputs: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Checked inputs for a service with a unique name (removed after the test)."""
    return functools.partial(service_inputs, **FAST)


def outs(result: Any) -> dict[str, Any]:
    """The outputs of a CreateResult or UpdateResult (typed as optional by the SDK)."""
    assert result.outs is not None
    return dict(result.outs)


def running_tasks(client: docker.DockerClient, name: str) -> list[dict[str, Any]]:
    tasks = client.services.get(name).tasks(filters={"desired-state": "running"})
    return [t for t in tasks if t["Status"]["State"] == "running"]


def ready_nodes(client: docker.DockerClient) -> set[str]:
    nodes = client.nodes.list()
    found = {n.id for n in nodes if n.attrs["Status"]["State"] == "ready"
             and n.attrs["Spec"].get("Availability") == "active"}
    if len(found) < 2:
        pytest.fail("these tests need a swarm of 2 nodes: run `scripts/testbed nodes 2`")
    return found


def service_gone(client: docker.DockerClient, name: str) -> bool:
    return not [s for s in client.services.list(filters={"name": name}) if s.name == name]


# --- healthy creates -----------------------------------------------------------------------


# Counts its polls per second of wall time: under -n 2 it once made 16 polls in 2.51 s
# (at most 15.6 allowed), so it runs alone.
@pytest.mark.serial
def test_replicated_create_returns_with_every_replica_running(
    provider: ServiceProvider, make: Callable[..., dict[str, Any]],
    docker_client: docker.DockerClient, calls: Calls,
) -> None:
    news = make("conv-rep", mode={"mode": "replicated", "replicas": 3})
    started = time.monotonic()
    created = provider.create(news)
    elapsed = time.monotonic() - started
    running = running_tasks(docker_client, news["name"])
    assert sorted(t["Slot"] for t in running) == [1, 2, 3]
    assert elapsed >= 1.0, "returned before the 1 s monitor window"
    # One inspect and one task list per poll (every 0.2 s), nothing else in the loop.
    polls = calls.counts["GET /services/{id}"]
    assert calls.counts["GET /tasks"] <= polls
    assert polls <= elapsed / 0.2 + 3, calls.counts
    assert "GET /nodes" not in calls.counts
    print(f"\nreplicated create: {elapsed:.2f}s, engine calls {dict(calls.counts)}")
    provider.delete(created.id, outs(created))


def test_global_service_converges_on_every_node(
    provider: ServiceProvider, make: Callable[..., dict[str, Any]],
    docker_client: docker.DockerClient, calls: Calls,
) -> None:
    nodes = ready_nodes(docker_client)
    news = make("conv-global", mode="global")
    created = provider.create(news)
    assert {t["NodeID"] for t in running_tasks(docker_client, news["name"])} == nodes
    # The node list is cached: far fewer node reads than polls.
    assert calls.counts["GET /nodes"] < calls.counts["GET /services/{id}"]
    print(f"\nglobal create: engine calls {dict(calls.counts)}")
    provider.delete(created.id, outs(created))


@pytest.mark.parametrize("mode, completions", [
    ({"mode": "replicated-job", "replicas": 3, "concurrency": 2}, 3),
    ("global-job", None),
])
def test_jobs_converge_on_completion(
    mode: Any, completions: int | None, provider: ServiceProvider,
    make: Callable[..., dict[str, Any]], docker_client: docker.DockerClient,
    job_containers_cleanup: list[str],
) -> None:
    news = make("conv-job", mode=mode, command=["sh", "-c", "sleep 0.5; echo done"],
                update_config=None)
    job_containers_cleanup.append(news["name"])
    created = provider.create(news)
    tasks = docker_client.services.get(news["name"]).tasks()
    done = [t for t in tasks if t["Status"]["State"] == "complete"]
    if completions is None:
        assert {t["NodeID"] for t in done} == ready_nodes(docker_client)
    else:
        assert len(done) == completions
    provider.delete(created.id, outs(created))


# --- creates that cannot converge: fail fast, leave nothing -------------------------------


def test_missing_image_fails_the_create_and_removes_the_service(
    provider: ServiceProvider, make: Callable[..., dict[str, Any]],
    docker_client: docker.DockerClient,
) -> None:
    news = make("conv-noimage", image="swarm-testbed/no-such-image:1", timeout=60)
    started = time.monotonic()
    with pytest.raises(ConvergenceError) as failed:
        provider.create(news)
    elapsed = time.monotonic() - started
    message = str(failed.value)
    assert "No such image: swarm-testbed/no-such-image:1" in message
    assert "rejected" in message and "was removed" in message
    assert elapsed < 30, f"took {elapsed:.0f}s: the same error 3 times should end the wait"
    assert service_gone(docker_client, news["name"])


@pytest.mark.parametrize("extra, reason", [
    ({"command": ["sh", "-c", "echo cannot open config >&2; exit 3"],
      "restart_policy": {"Delay": "200ms"}}, "non-zero exit (3)"),
    ({"user": "nosuchuser", "restart_policy": {"Delay": "200ms"}},
     "unable to find user nosuchuser"),
    ({"command": ["sh", "-c", "exit 4"], "restart_policy": {"Condition": "none"}},
     "non-zero exit (4)"),
])
def test_tasks_that_cannot_start_fail_the_create_with_the_reason(
    extra: dict[str, Any], reason: str, provider: ServiceProvider,
    make: Callable[..., dict[str, Any]], docker_client: docker.DockerClient,
) -> None:
    news = make("conv-bad", **extra)
    started = time.monotonic()
    with pytest.raises(ConvergenceError) as failed:
        provider.create(news)
    message = str(failed.value)
    assert reason in message
    assert time.monotonic() - started < 20
    if "echo" in str(extra.get("command")):
        assert "| cannot open config" in message  # the failed task's log
    if extra.get("restart_policy", {}).get("Condition") == "none":
        assert "restart policy starts no new one" in message
    assert service_gone(docker_client, news["name"])


def test_timeout_lists_each_unfinished_task(
    provider: ServiceProvider, make: Callable[..., dict[str, Any]],
    docker_client: docker.DockerClient,
) -> None:
    news = make("conv-timeout", mode={"mode": "replicated", "replicas": 2},
                constraints=["node.labels.conv-nowhere==yes"], timeout=3)
    started = time.monotonic()
    with pytest.raises(ConvergenceError) as failed:
        provider.create(news)
    elapsed = time.monotonic() - started
    message = str(failed.value)
    assert "did not converge within 3s (0/2 tasks running (slot 1: pending: no suitable node" in (
        message)  # the scheduler's reason, as the progress row showed it
    for slot in (1, 2):
        assert re.search(rf"slot {slot}: task \w+ pending \(desired running\): no suitable node",
                         message), message
    assert 3 <= elapsed < 8
    assert service_gone(docker_client, news["name"])


# --- updates ------------------------------------------------------------------------------


def test_update_that_keeps_the_tasks_skips_the_monitor_window(
    provider: ServiceProvider, make: Callable[..., dict[str, Any]],
    docker_client: docker.DockerClient,
) -> None:
    news = make("conv-labels", update_config={"Monitor": "5s"})
    created = provider.create(news)
    before = {t["ID"] for t in running_tasks(docker_client, news["name"])}
    relabelled = provider.check({}, {**news, "labels": {"team": "a"}}).inputs
    started = time.monotonic()
    updated = provider.update(created.id, outs(created), relabelled)
    assert time.monotonic() - started < 1.0, "waited a monitor window for unchanged tasks"
    assert {t["ID"] for t in running_tasks(docker_client, news["name"])} == before
    provider.delete(created.id, outs(updated))


def test_force_update_redeploys_and_waits(
    provider: ServiceProvider, make: Callable[..., dict[str, Any]],
    docker_client: docker.DockerClient,
) -> None:
    news = make("conv-force", mode={"mode": "replicated", "replicas": 2})
    created = provider.create(news)
    before = {t["ID"] for t in running_tasks(docker_client, news["name"])}
    bumped = provider.check({}, {**news, "force_update": 1}).inputs
    started = time.monotonic()
    updated = provider.update(created.id, outs(created), bumped)
    assert time.monotonic() - started >= 1.0, "returned before the monitor window"
    after = running_tasks(docker_client, news["name"])
    assert len(after) == 2 and not before & {t["ID"] for t in after}
    assert outs(updated)["force_update"] == 1
    provider.delete(created.id, outs(updated))


def test_paused_update_of_the_same_spec_is_restarted_and_fails_again(
    provider: ServiceProvider, make: Callable[..., dict[str, Any]],
) -> None:
    news = make("conv-repause", mode={"mode": "replicated", "replicas": 2},
                update_config={"Monitor": "1s", "Parallelism": 1, "FailureAction": "pause"},
                restart_policy={"Delay": "200ms"})
    created = provider.create(news)
    broken = provider.check({}, {**news, "command": ["sh", "-c", "exit 5"]}).inputs
    with pytest.raises(ConvergenceError, match=r"paused(.|\n)*non-zero exit \(5\)"):
        provider.update(created.id, outs(created), broken)
    # The live spec already is the broken one: it is sent again, which restarts the update
    # (the engine pauses it again, or, when every slot already runs it, the tasks just keep
    # failing): the same failure again, not "changed outside Pulumi".
    with pytest.raises(ConvergenceError, match=r"(paused|cannot converge)(.|\n)*exit \(5\)"):
        provider.update(created.id, outs(created), broken)
    fixed = provider.check({}, {**news, "command": ["sleep", "700"]}).inputs
    updated = provider.update(created.id, outs(created), fixed)
    assert outs(updated)["command"] == ["sleep", "700"]
    provider.delete(created.id, outs(updated))


def test_an_update_that_timed_out_is_taken_up_by_the_next_one(
    provider: ServiceProvider, make: Callable[..., dict[str, Any]],
    docker_client: docker.DockerClient,
) -> None:
    news = make("conv-slowupd", mode={"mode": "replicated", "replicas": 2},
                update_config={"Monitor": "1s", "Parallelism": 1, "Delay": "1s"})
    created = provider.create(news)
    changed = provider.check({}, {**news, "env": {"RELEASE": "2"}, "timeout": 1}).inputs
    with pytest.raises(ConvergenceError) as failed:
        provider.update(created.id, outs(created), changed)
    assert "did not converge within 1s" in str(failed.value)
    assert "the state still records the previous one" in str(failed.value)
    # Pulumi kept the old outputs: the next `up` finds the live spec moved on, by our own
    # unfinished update, and waits for it instead of calling it drift.
    patient = provider.check({}, {**changed, "timeout": 60}).inputs
    updated = provider.update(created.id, outs(created), patient)
    assert updated.outs is not None and updated.outs["env"] == ["RELEASE=2"]
    assert len(running_tasks(docker_client, news["name"])) == 2
    provider.delete(created.id, outs(updated))


def test_wait_false_returns_at_once(
    provider: ServiceProvider, make: Callable[..., dict[str, Any]],
    docker_client: docker.DockerClient,
) -> None:
    news = make("conv-nowait", wait=False, update_config={"Monitor": "5s"})
    started = time.monotonic()
    created = provider.create(news)
    assert time.monotonic() - started < 1.0
    assert outs(created)["service_id"] == docker_client.services.get(news["name"]).id
    provider.delete(created.id, outs(created))
