"""The version guard against the real swarm: nothing someone else wrote is overwritten
silently (issue 14, items 2 and 3).

- An out-of-band ``docker service update --env-add`` still rolling out (UpdateStatus
  ``updating``) is refused, not taken for our own unfinished update.
- An out-of-band change followed by a no-op update (PreviousSpec == Spec, the shape our
  own retry of a paused update leaves) is refused too.
- Two copies of one state updating the same service: while the first update rolls out
  the second is refused with a message naming the other ``pulumi up``; and started at
  the same instant, exactly one wins.
"""

from __future__ import annotations

import functools
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

import docker
import pytest

from swarm_provider.errors import ConflictError
from swarm_provider.providers.service import ServiceProvider

SLOW = {"mode": {"mode": "replicated", "replicas": 2}, "init": True, "stop_grace_period": "1s",
        "update_config": {"Parallelism": 1, "Delay": "3s", "Monitor": "1s"},
        "command": ["sleep", "600"]}


@pytest.fixture
def make(service_inputs: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    return functools.partial(service_inputs, **SLOW)


def env_of(client: docker.DockerClient, name: str) -> list[str]:
    spec = client.api.inspect_service(name)["Spec"]
    return list(spec["TaskTemplate"]["ContainerSpec"].get("Env") or [])


def wait_for_status(client: docker.DockerClient, name: str, state: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if (client.api.inspect_service(name).get("UpdateStatus") or {}).get("State") == state:
            return
        time.sleep(0.1)
    pytest.fail(f"{name} never reached UpdateStatus {state}")


def test_an_out_of_band_update_still_rolling_out_is_refused(
    make: Callable[..., dict[str, Any]], provider: ServiceProvider,
    docker_client: docker.DockerClient,
) -> None:
    news = make("fs-oob", env={"A": "1"})
    created = provider.create(news)
    subprocess.run(["docker", "service", "update", "--detach", "--quiet", "--env-add", "X=1",
                    news["name"]], check=True, capture_output=True, timeout=60)
    wait_for_status(docker_client, news["name"], "updating")
    changed = provider.check({}, {**news, "env": {"A": "2"}}).inputs
    with pytest.raises(ConflictError, match="changed outside Pulumi") as refused:
        provider.update(created.id, created.outs, changed)
    assert "env" in str(refused.value)
    assert "X=1" in env_of(docker_client, news["name"])


def test_a_no_op_update_after_an_out_of_band_change_is_refused(
    make: Callable[..., dict[str, Any]], provider: ServiceProvider,
    docker_client: docker.DockerClient,
) -> None:
    news = make("fs-noop", env={"A": "1"}, update_config={"Monitor": "1s"})
    created = provider.create(news)
    name = news["name"]
    subprocess.run(["docker", "service", "update", "--detach=false", "--quiet", "--env-add",
                    "X=1", name], check=True, capture_output=True, timeout=120)
    live = docker_client.api.inspect_service(name)  # a no-op: its own spec, sent back
    docker_client.api._raise_for_status(docker_client.api._post_json(
        docker_client.api._url("/services/{0}/update", live["ID"]), data=live["Spec"],
        params={"version": live["Version"]["Index"]}))
    after = docker_client.api.inspect_service(name)
    assert after["PreviousSpec"] == after["Spec"]
    changed = provider.check({}, {**news, "labels": {"release": "2"}}).inputs
    with pytest.raises(ConflictError, match="changed outside Pulumi"):
        provider.update(created.id, created.outs, changed)
    assert "X=1" in env_of(docker_client, name)


def test_a_second_copy_of_the_state_is_refused_while_the_first_update_rolls_out(
    make: Callable[..., dict[str, Any]], docker_client: docker.DockerClient,
) -> None:
    first, second = ServiceProvider(), ServiceProvider()  # two `pulumi up`s, one state
    news = make("fs-copies", env={"A": "1"})
    created = first.create(news)
    state = dict(created.outs)
    done: dict[str, Any] = {}

    def run_first() -> None:
        try:
            done["first"] = first.update(created.id, dict(state),
                                         first.check({}, {**news, "env": {"A": "2"}}).inputs)
        except Exception as exc:  # noqa: BLE001 - reported below
            done["first"] = exc

    thread = threading.Thread(target=run_first)
    thread.start()
    try:
        wait_for_status(docker_client, news["name"], "updating")
        with pytest.raises(ConflictError, match="another `pulumi up`") as refused:
            second.update(created.id, dict(state),
                          second.check({}, {**news, "env": {"A": "3"}}).inputs)
        assert "still rolling out" in str(refused.value)
    finally:
        thread.join(timeout=120)
    assert not isinstance(done["first"], Exception), done["first"]
    assert env_of(docker_client, news["name"]) == ["A=2"]


def test_two_copies_updating_at_the_same_instant_one_wins_one_is_refused(
    make: Callable[..., dict[str, Any]], docker_client: docker.DockerClient,
) -> None:
    news = make("fs-race", env={"A": "1"})
    created = ServiceProvider().create(news)
    barrier = threading.Barrier(2)
    results: dict[str, Any] = {}

    def writer(value: str) -> None:
        provider = ServiceProvider()
        wanted = provider.check({}, {**news, "env": {"A": value}}).inputs
        barrier.wait()
        try:
            results[value] = provider.update(created.id, dict(created.outs), wanted)
        except Exception as exc:  # noqa: BLE001 - inspected below
            results[value] = exc

    threads = [threading.Thread(target=writer, args=(v,)) for v in ("2", "3")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    refused = [v for v, r in results.items() if isinstance(r, ConflictError)]
    won = [v for v, r in results.items() if not isinstance(r, Exception)]
    assert len(refused) == 1 and len(won) == 1, results
    assert env_of(docker_client, news["name"]) == [f"A={won[0]}"]
