"""A misbehaving engine connection: resets, 500s and lost answers, injected between the
provider and the real engine by tests/integration/fault_proxy.py.

Reads (inspect, task and node lists) are retried; a create or update whose answer was lost
is re-checked by a read, never sent again blindly; the outputs always match the engine.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import docker
import pytest

from swarm_provider.api import engine
from swarm_provider.errors import TransientEngineError
from swarm_provider.providers.service import ServiceProvider

from .fault_proxy import FaultProxy, fault_proxy

FAST = {"stop_grace_period": "1s", "init": True, "update_config": {"Monitor": "1s"}}


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    host = os.environ.get("DOCKER_HOST", "")
    if not host.startswith("unix://"):
        pytest.fail(f"the fault proxy relays to a unix socket; DOCKER_HOST is {host!r}")
    with fault_proxy(host[len("unix://"):]) as made:
        yield made


@pytest.fixture
def flaky(proxy: FaultProxy) -> ServiceProvider:
    """A provider whose engine connection goes through the fault proxy."""
    made = ServiceProvider()
    made.connection = engine.Connection(host=proxy.url)
    return made


@pytest.fixture
def make(service_inputs: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    return functools.partial(service_inputs, **FAST)  # check is pure: any provider


def services_named(client: docker.DockerClient, name: str) -> list[Any]:
    return [s for s in client.services.list(filters={"name": name}) if s.name == name]


def test_resets_and_500s_mid_poll_are_retried(
    flaky: ServiceProvider, proxy: FaultProxy, make: Callable[..., dict[str, Any]],
    docker_client: docker.DockerClient,
) -> None:
    news = make("fault-poll", mode={"mode": "replicated", "replicas": 2})
    proxy.inject("reset", "GET", r"^/tasks$", count=2)
    proxy.inject("status", "GET", r"^/services/[^/]+$", count=2, status=500)
    proxy.inject("status", "GET", r"^/tasks$", count=1, status=503)
    created = flaky.create(news)
    assert created.outs is not None
    assert sorted(action for _, _, action in proxy.injected()) == [
        "reset", "reset", "status", "status", "status"]
    live = docker_client.api.inspect_service(news["name"])
    assert created.outs["version"] == live["Version"]["Index"]
    running = [t for t in docker_client.api.tasks(filters={"service": news["name"]})
               if t["Status"]["State"] == "running"]
    assert len(running) == 2
    flaky.delete(created.id, dict(created.outs))


def test_a_lasting_outage_fails_in_bounded_time_naming_the_service(
    flaky: ServiceProvider, proxy: FaultProxy,
) -> None:
    proxy.inject("reset", "GET", r"^/services/", count=100)
    api = engine.client(flaky.connection).api
    started = time.monotonic()
    with pytest.raises(TransientEngineError, match=r"inspecting service \(id nosuch\) failed: "
                       r"the engine did not answer"):
        engine.inspect_service(api, "nosuch")
    elapsed = time.monotonic() - started
    assert 3.5 <= elapsed < 10, elapsed  # READ_PAUSES: 3.7 s of pauses, five attempts
    assert len(proxy.injected()) == 5


def test_a_create_whose_answer_was_lost_is_found_not_sent_again(
    flaky: ServiceProvider, proxy: FaultProxy, make: Callable[..., dict[str, Any]],
    docker_client: docker.DockerClient,
) -> None:
    news = make("fault-create")
    proxy.inject("lose-answer", "POST", r"^/services/create$")
    created = flaky.create(news)
    assert created.outs is not None
    posts = [entry for entry in proxy.log if entry[:2] == ("POST", "/services/create")]
    assert posts == [("POST", "/services/create", "lose-answer")]  # one create, no second
    [service] = services_named(docker_client, news["name"])
    assert created.id == service.id
    flaky.delete(created.id, dict(created.outs))


def test_a_create_refused_with_500_is_sent_again_after_a_read(
    flaky: ServiceProvider, proxy: FaultProxy, make: Callable[..., dict[str, Any]],
    docker_client: docker.DockerClient,
) -> None:
    news = make("fault-create500")
    proxy.inject("status", "POST", r"^/services/create$", status=500)
    created = flaky.create(news)
    actions = [entry[2] for entry in proxy.log if entry[:2] == ("POST", "/services/create")]
    assert actions == ["status", "relayed"]
    lookups = [entry for entry in proxy.log if entry[:2] == ("GET", "/services")]
    assert lookups, "the create was sent again without checking that it had not landed"
    [service] = services_named(docker_client, news["name"])
    assert created.id == service.id
    assert created.outs is not None
    flaky.delete(created.id, dict(created.outs))


def test_an_update_whose_answer_was_lost_is_judged_by_a_read(
    flaky: ServiceProvider, proxy: FaultProxy, make: Callable[..., dict[str, Any]],
    docker_client: docker.DockerClient,
) -> None:
    news = make("fault-update")
    created = flaky.create(news)
    assert created.outs is not None
    changed = flaky.check({}, {**news, "env": {"RELEASE": "2"}}).inputs
    proxy.inject("lose-answer", "POST", r"^/services/[^/]+/update$")
    updated = flaky.update(created.id, dict(created.outs), changed)
    assert updated.outs is not None
    posts = [entry for entry in proxy.log if entry[0] == "POST" and entry[1].endswith("/update")]
    assert [p[2] for p in posts] == ["lose-answer"], posts  # landed: not sent again
    live = docker_client.api.inspect_service(news["name"])
    assert updated.outs["version"] == live["Version"]["Index"]
    assert live["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"] == ["RELEASE=2"]
    # The next `up` with the same inputs has nothing to do: the state matches the engine.
    again = flaky.update(created.id, dict(updated.outs), changed)
    assert again.outs is not None and again.outs["version"] == updated.outs["version"]
    flaky.delete(created.id, dict(updated.outs))


def test_an_update_reset_before_the_engine_saw_it_is_sent_again(
    flaky: ServiceProvider, proxy: FaultProxy, make: Callable[..., dict[str, Any]],
    docker_client: docker.DockerClient,
) -> None:
    news = make("fault-update-reset")
    created = flaky.create(news)
    assert created.outs is not None
    changed = flaky.check({}, {**news, "env": {"RELEASE": "3"}}).inputs
    proxy.inject("reset", "POST", r"^/services/[^/]+/update$")
    updated = flaky.update(created.id, dict(created.outs), changed)
    posts = [entry[2] for entry in proxy.log if entry[0] == "POST" and entry[1].endswith("/update")]
    assert posts == ["reset", "relayed"]
    live = docker_client.api.inspect_service(news["name"])
    assert updated.outs is not None and updated.outs["version"] == live["Version"]["Index"]
    assert live["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"] == ["RELEASE=3"]
    flaky.delete(created.id, dict(updated.outs))
