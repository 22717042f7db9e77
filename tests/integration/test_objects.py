"""Networks, secrets and configs against the real swarm, through their providers.

For each: create -> the same inputs diff to nothing (also after a refresh) -> change
(labels in place where the engine allows it, everything else a replacement in the
order the diff asks for) -> diff empty -> delete, and the failure modes a user meets:
deleting what a service still uses, and a create interrupted after the engine made it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import docker
import pytest
from docker import types

from swarm_provider.core.objects import data_sha256
from swarm_provider.errors import EngineError
from swarm_provider.providers.objects import (
    ConfigProvider,
    FileObjectProvider,
    NetworkProvider,
    SecretProvider,
)
from swarm_provider.providers.service import ServiceProvider

Provider = NetworkProvider | FileObjectProvider


class Harness:
    """Drives a provider the way the Pulumi engine does (check -> diff -> apply)."""

    def __init__(self, provider: Provider, suffix: str) -> None:
        self.provider = provider
        self.suffix = suffix
        self.created: list[tuple[str, dict[str, Any]]] = []

    def inputs(self, **raw: Any) -> dict[str, Any]:
        raw.setdefault("owner", f"objects/test/{raw.get('name')}")
        raw["labels"] = {**raw.get("labels", {}), "objtest": self.suffix}
        checked = self.provider.check({}, raw)
        assert checked.failures == [], [f.reason for f in checked.failures]
        return dict(checked.inputs)

    def create(self, news: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        result = self.provider.create(news)
        self.created.append((result.id, dict(result.outs)))
        return result.id, dict(result.outs)

    def assert_no_diff(self, object_id: str, state: dict[str, Any], news: dict[str, Any],
                       when: str) -> None:
        result = self.provider.diff(object_id, state, news)
        changed = [k for k in news if news.get(k) != state.get(k)]
        assert result.changes is False, f"perpetual diff {when}: {changed}"

    def refresh(self, object_id: str, state: dict[str, Any]) -> dict[str, Any]:
        read = self.provider.read(object_id, state)
        assert read.id == object_id
        assert read.inputs is not None
        for key, value in read.inputs.items():
            assert read.outs[key] == value, key
        return dict(read.outs)

    def cleanup(self) -> None:
        for object_id, state in reversed(self.created):
            try:
                self.provider.delete(object_id, {**state, "delete_timeout": 10})
            except EngineError:
                pass


@pytest.fixture
def harness(docker_client: docker.DockerClient) -> Iterator[Callable[[Provider], Harness]]:
    suffix = uuid.uuid4().hex[:6]
    made: list[Harness] = []

    def make(provider: Provider) -> Harness:
        made.append(Harness(provider, suffix))
        return made[-1]

    yield make
    for one in made:
        one.cleanup()


@pytest.fixture
def service(test_image: str, unique: Callable[[str], str]) -> Iterator[Callable[..., str]]:
    """Make services (through ServiceProvider); all removed after the test."""
    provider = ServiceProvider()
    made: list[tuple[str, dict[str, Any]]] = []

    def make(**extra: Any) -> str:
        name = unique("objsvc")
        raw = {"name": name, "image": test_image, "command": ["sleep", "3600"],
               "owner": f"objects/test/{name}", "stop_grace_period": "1s", "wait": False,
               **extra}
        checked = provider.check({}, raw)
        assert checked.failures == [], [f.reason for f in checked.failures]
        created = provider.create(checked.inputs)
        made.append((created.id, dict(created.outs)))
        return name

    yield make
    for service_id, state in made:
        provider.delete(service_id, state)


# --- networks --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"attachable": True, "options": {"com.docker.network.driver.mtu": "1400"}},
        {"ipam": types.IPAMConfig(pool_configs=[types.IPAMPool(subnet="10.213.7.0/24")]),
         "internal": True, "scope": "swarm"},
    ],
    ids=["defaults", "attachable-mtu", "ipam-internal"],
)
def test_network_lifecycle(settings: dict[str, Any], harness: Any,
                           docker_client: docker.DockerClient,
                           unique: Callable[[str], str]) -> None:
    net = harness(NetworkProvider())
    news = net.inputs(name=unique("objnet"), **settings)
    network_id, state = net.create(news)
    live = docker_client.api.inspect_network(network_id)
    assert live["Driver"] == "overlay" and live["Scope"] == "swarm"
    assert state["network_id"] == network_id and state["name"] == news["name"]
    net.assert_no_diff(network_id, state, news, "after create")
    net.assert_no_diff(network_id, net.refresh(network_id, state), news, "after refresh")

    # Any change replaces; the same name means the old network goes first.
    news2 = net.inputs(name=news["name"], labels={"tier": "2"}, **settings)
    diff = net.provider.diff(network_id, state, news2)
    assert diff.replaces == ["labels"] and diff.delete_before_replace is True
    net.provider.delete(network_id, state)
    assert _gone(lambda: docker_client.api.inspect_network(network_id))
    network_id, state = net.create(news2)
    assert docker_client.api.inspect_network(network_id)["Labels"]["tier"] == "2"
    net.assert_no_diff(network_id, state, news2, "after replace")
    net.assert_no_diff(network_id, net.refresh(network_id, state), news2, "after refresh")

    net.provider.delete(network_id, state)
    assert _gone(lambda: docker_client.api.inspect_network(network_id))
    assert net.provider.read(network_id, state).id == ""
    net.provider.delete(network_id, state)  # already gone is fine


def test_network_in_use_names_the_service(harness: Any, service: Any,
                                          unique: Callable[[str], str]) -> None:
    net = harness(NetworkProvider())
    network_id, state = net.create(net.inputs(name=unique("objnet"), delete_timeout=2))
    blocker = service(networks=[state["name"]])
    with pytest.raises(EngineError) as refused:
        net.provider.delete(network_id, state)
    message = str(refused.value)
    assert f"network {state['name']!r}" in message and "still in use after 2s" in message
    assert f"service {blocker!r}" in message


def test_network_freed_by_a_removed_service_is_deleted(
    harness: Any, test_image: str, unique: Callable[[str], str],
    docker_client: docker.DockerClient,
) -> None:
    """Pulumi's order: the service goes first, its tasks detach asynchronously."""
    net = harness(NetworkProvider())
    network_id, state = net.create(net.inputs(name=unique("objnet")))
    services = ServiceProvider()
    checked = services.check({}, {"name": unique("objsvc"), "image": test_image,
                                  "command": ["sleep", "3600"], "networks": [state["name"]],
                                  "constraints": ["node.role==manager"], "owner": "o/t/s",
                                  "stop_grace_period": "1s"})
    created = services.create(checked.inputs)
    services.delete(created.id, dict(created.outs))
    net.provider.delete(network_id, state)
    assert _gone(lambda: docker_client.api.inspect_network(network_id))


def test_interrupted_network_create_is_adopted(harness: Any,
                                               unique: Callable[[str], str]) -> None:
    net = harness(NetworkProvider())
    news = net.inputs(name=unique("objnet"))
    network_id, _state = net.create(news)
    again = net.provider.create(news)
    assert again.id == network_id
    stranger = {**news, "owner": "someone/else/net"}
    with pytest.raises(EngineError, match="already exists and is not managed by this resource"):
        net.provider.create(stranger)


# --- secrets and configs ------------------------------------------------------------------

KINDS = [SecretProvider, ConfigProvider]


def _inspect(client: docker.DockerClient, provider: FileObjectProvider, object_id: str) -> Any:
    collection = client.secrets if provider.kind == "secret" else client.configs
    return collection.get(object_id).attrs


def _gone(read: Callable[[], Any]) -> bool:
    try:
        read()
    except docker.errors.NotFound:
        return True
    return False


@pytest.mark.parametrize("kind", KINDS, ids=["secret", "config"])
def test_file_object_lifecycle(kind: type[FileObjectProvider], harness: Any,
                               docker_client: docker.DockerClient,
                               unique: Callable[[str], str]) -> None:
    obj = harness(kind())
    value = f"value-{uuid.uuid4().hex}"
    news = obj.inputs(name=unique("obj"), data=value)
    object_id, state = obj.create(news)
    live = _inspect(docker_client, obj.provider, object_id)
    digest = data_sha256(value)
    assert live["Spec"]["Name"] == f"{news['name']}-{digest[:12]}"
    assert state[f"{obj.provider.kind}_name"] == live["Spec"]["Name"]
    assert state["data_sha256"] == digest and state["name"] == news["name"]
    obj.assert_no_diff(object_id, state, news, "after create")
    state = obj.refresh(object_id, state)
    obj.assert_no_diff(object_id, state, news, "after refresh")

    # Labels change in place: same object, same name.
    news = obj.inputs(name=news["name"], data=value, labels={"team": "a"})
    diff = obj.provider.diff(object_id, state, news)
    assert diff.changes is True and diff.replaces == []
    state = dict(obj.provider.update(object_id, state, news).outs)
    assert _inspect(docker_client, obj.provider, object_id)["Spec"]["Labels"]["team"] == "a"
    obj.assert_no_diff(object_id, state, news, "after label update")
    obj.assert_no_diff(object_id, obj.refresh(object_id, state), news, "after refresh")

    # New data: a new object beside the old one (create first), then the old one goes.
    value2 = f"value-{uuid.uuid4().hex}"
    news2 = obj.inputs(name=news["name"], data=value2, labels={"team": "a"})
    diff = obj.provider.diff(object_id, state, news2)
    assert diff.replaces == ["data"] and diff.delete_before_replace is False
    new_id, new_state = obj.create(news2)
    assert new_id != object_id
    assert new_state[f"{obj.provider.kind}_name"].endswith(data_sha256(value2)[:12])
    obj.provider.delete(object_id, state)
    assert _gone(lambda: _inspect(docker_client, obj.provider, object_id))
    obj.assert_no_diff(new_id, new_state, news2, "after replace")
    obj.assert_no_diff(new_id, obj.refresh(new_id, new_state), news2, "after refresh")

    obj.provider.delete(new_id, new_state)
    assert _gone(lambda: _inspect(docker_client, obj.provider, new_id))
    assert obj.provider.read(new_id, new_state).id == ""


@pytest.mark.parametrize("kind", KINDS, ids=["secret", "config"])
def test_unversioned_data_change_is_refused_while_in_use(
    kind: type[FileObjectProvider], harness: Any, service: Any,
    unique: Callable[[str], str],
) -> None:
    obj = harness(kind())
    name = unique("obj")
    news = obj.inputs(name=name, data="one", versioned=False, delete_timeout=2)
    object_id, state = obj.create(news)
    assert state[f"{obj.provider.kind}_name"] == name
    key = obj.provider.file_kind
    reference = {key.id_key: object_id, key.name_key: name}
    blocker = service(**{f"{obj.provider.kind}s": [reference]})

    news2 = obj.inputs(name=name, data="two", versioned=False, delete_timeout=2)
    diff = obj.provider.diff(object_id, state, news2)
    assert diff.replaces == ["data"] and diff.delete_before_replace is True
    with pytest.raises(EngineError) as refused:
        obj.provider.delete(object_id, state)
    message = str(refused.value)
    assert f"{obj.provider.kind} {name!r}" in message and "still in use after 2s" in message
    assert f"service {blocker!r}" in message
    assert "two" not in message


@pytest.mark.parametrize("kind", KINDS, ids=["secret", "config"])
def test_interrupted_create_is_adopted_only_when_ours(
    kind: type[FileObjectProvider], harness: Any, unique: Callable[[str], str],
) -> None:
    obj = harness(kind())
    news = obj.inputs(name=unique("obj"), data="same")
    object_id, _state = obj.create(news)
    assert obj.provider.create(news).id == object_id
    with pytest.raises(EngineError, match="already exists and is not managed by this resource"):
        obj.provider.create({**news, "owner": "someone/else/obj"})
    unversioned = obj.inputs(name=unique("obj"), data="same", versioned=False)
    plain_id, _ = obj.create(unversioned)
    if obj.provider.kind == "config":
        assert obj.provider.create(unversioned).id == plain_id
        with pytest.raises(EngineError, match="with other settings or content"):
            obj.provider.create({**unversioned, "data": "other"})
    else:  # a secret's data can't be read back: only a versioned name vouches for it
        with pytest.raises(EngineError, match="its content can't be read back"):
            obj.provider.create(unversioned)


def test_config_templating_is_rendered_per_task(
    harness: Any, service: Any, docker_client: docker.DockerClient,
    unique: Callable[[str], str],
) -> None:
    obj = harness(ConfigProvider())
    news = obj.inputs(name=unique("objtpl"), data="service={{ .Service.Name }}\n",
                      templating="golang")
    config_id, state = obj.create(news)
    assert _inspect(docker_client, obj.provider, config_id)["Spec"]["Templating"] == {
        "Name": "golang"}
    obj.assert_no_diff(config_id, obj.refresh(config_id, state), news, "after refresh")
    file_ref = {"ConfigID": config_id, "ConfigName": state["config_name"],
                "File": {"Name": "/rendered.txt"}}
    here = docker_client.info()["Swarm"]["NodeID"]  # the task must run here to exec into it
    name = service(configs=[file_ref], constraints=[f"node.id=={here}"], wait=True)
    container = docker_client.containers.list(
        filters={"label": f"com.docker.swarm.service.name={name}"})[0]
    shown = container.exec_run(["cat", "/rendered.txt"]).output.decode()
    assert shown == f"service={name}\n"
