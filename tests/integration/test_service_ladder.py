"""The ladder for every input, against the real swarm, through the provider.

For each input: create with it -> the same inputs diff to nothing (and a refresh reads
the same) -> change it (update in place, or replace where the engine demands) -> diff
empty -> clear it -> diff empty. This is what catches perpetual diffs: every value is
read back from the real engine, not from what we sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import docker
import pytest
from docker import types

from swarm_provider.api import engine
from swarm_provider.errors import EngineError
from swarm_provider.providers.service import ServiceProvider
from swarm_provider.schema.api_versions import FEATURES, parse_api_version
from swarm_provider.schema.service import FIELDS, FIELDS_BY_NAME

Deps = dict[str, str]
Value = Callable[[Deps], Any] | Any


@dataclass
class Rung:
    field: str
    first: Value
    second: Value
    replaces: bool = False

    def value(self, which: Value, deps: Deps) -> Any:
        return which(deps) if callable(which) else which


def secret_ref(deps: Deps, key: str, **extra: Any) -> list[dict[str, Any]]:
    return [types.SecretReference(deps[f"{key}_id"], deps[key], **extra)]


def config_ref(deps: Deps, key: str, **extra: Any) -> list[dict[str, Any]]:
    return [types.ConfigReference(deps[f"{key}_id"], deps[key], **extra)]


LADDER = [
    Rung("image", lambda d: d["image"], lambda d: d["image2"]),
    Rung("command", ["sleep", "3600"], "sleep 7200"),
    Rung("args", ["3600"], ["7200"]),
    Rung("constraints", ["node.role==manager"], ["node.role==manager", "node.platform.os==linux"]),
    Rung("preferences", [("spread", "node.labels.zone")], ["spread=node.labels.rack"]),
    Rung("maxreplicas", 2, 3),
    Rung("platforms", [("amd64", "linux")], ["linux/arm64", "linux/amd64"]),
    Rung("container_labels", {"tier": "web"}, {"tier": "api", "team": "a"}),
    Rung("endpoint_spec", types.EndpointSpec(ports={18101: 80}),
         {"Mode": "vip", "Ports": [{"TargetPort": 80, "PublishMode": "host",
                                    "PublishedPort": 18102, "Protocol": "udp"}]}),
    Rung("env", {"A": "1", "B": "2"}, ["A=1", "C=3"]),
    Rung("hostname", "web-{{.Task.Slot}}", "api"),
    Rung("init", True, False),
    Rung("isolation", "default", "process"),
    Rung("labels", {"team": "a"}, {"team": "b", "tier": "1"}),
    Rung("log_driver", "json-file", "local"),
    Rung("mode", types.ServiceMode("replicated", 2), "replicated"),
    Rung("mode", "replicated", "global", replaces=True),
    Rung("mode", {"mode": "replicated-job", "replicas": 2, "concurrency": 1},
         {"mode": "replicated-job", "replicas": 3, "concurrency": 2}),
    Rung("mode", "global-job", "replicated-job", replaces=True),
    Rung("mounts", ["/tmp:/host-tmp:ro", "data:/data"],
         [types.Mount("/scratch", None, type="tmpfs", tmpfs_size="16m")]),
    Rung("name", lambda d: f"ladder-name-{d['suffix']}", lambda d: f"ladder-name2-{d['suffix']}",
         replaces=True),
    Rung("networks", lambda d: [d["network"]],
         lambda d: [types.NetworkAttachmentConfig(d["network"], aliases=["web"])]),
    Rung("resources", types.Resources(cpu_limit=500_000_000, mem_limit=64 * 2**20),
         {"Limits": {"MemoryBytes": "128m"}, "Reservations": {"NanoCPUs": "0.1"}}),
    Rung("restart_policy", types.RestartPolicy(condition="on-failure", max_attempts=3),
         {"Condition": "any", "Delay": "2s"}),
    Rung("secrets", lambda d: secret_ref(d, "secret"),
         lambda d: secret_ref(d, "secret", filename="pw", mode=0o400)),
    Rung("stop_grace_period", "2s", 5_000_000_000),
    Rung("update_config", types.UpdateConfig(parallelism=1, failure_action="rollback"),
         {"Parallelism": 2, "Delay": "1s", "Order": "start-first", "Monitor": "2s"}),
    Rung("rollback_config", types.RollbackConfig(parallelism=1, monitor=2_000_000_000),
         {"Parallelism": 0, "FailureAction": "continue"}),
    Rung("user", "65534", "0:0"),
    Rung("workdir", "/tmp", "/www"),
    Rung("tty", True, False),
    Rung("groups", ["100"], ["100", "101"]),
    Rung("open_stdin", True, False),
    Rung("read_only", True, False),
    Rung("stop_signal", "SIGINT", "SIGTERM"),
    Rung("healthcheck", types.Healthcheck(test="cat /www/index.html", interval=2_000_000_000),
         {"Test": ["NONE"]}),
    Rung("hosts", {"db": "10.9.0.2"}, ["10.9.0.3 cache", "db:10.9.0.2"]),
    Rung("dns_config", types.DNSConfig(nameservers=["10.9.0.53"]),
         {"nameservers": ["10.9.0.53"], "search": ["example.test"], "options": ["ndots:2"]}),
    Rung("configs", lambda d: config_ref(d, "config", filename="/etc/app.conf"),
         lambda d: config_ref(d, "config", filename="/etc/app2.conf", uid="65534")),
    Rung("privileges", types.Privileges(selinux_disable=True),
         {"SELinuxContext": {"User": "system_u", "Type": "container_t"}}),
    Rung("cap_add", ["CAP_NET_BIND_SERVICE"], ["CAP_NET_BIND_SERVICE", "CAP_CHOWN"]),
    Rung("cap_drop", ["ALL"], ["CAP_NET_RAW"]),
    Rung("sysctls", {"net.ipv4.ip_forward": "1"}, {"net.ipv4.ip_forward": 0}),
    Rung("ulimits", {"nofile": [1024, 2048]}, [{"Name": "nofile", "Soft": 512, "Hard": 512},
                                               {"Name": "nproc", "Soft": 64, "Hard": 64}]),
    Rung("pids_limit", 100, 200),
    Rung("oom_score_adj", 100, -200),
    Rung("force_update", 1, 2),
]
# log_driver_options rides on log_driver; tested as a pair below.
LADDER_PAIRS = {"log_driver_options": {"log_driver": "json-file"}}
LADDER.append(Rung("log_driver_options", {"max-size": "1m"}, {"max-size": "2m", "max-file": "2"}))


def test_every_input_has_a_rung() -> None:
    assert {r.field for r in LADDER} == {f.name for f in FIELDS if f.origin != "internal"}


@pytest.fixture(scope="module")
def deps(docker_client: docker.DockerClient, test_image: str) -> Iterator[Deps]:
    suffix = uuid.uuid4().hex[:6]
    network = docker_client.networks.create(f"ladder-net-{suffix}", driver="overlay",
                                            attachable=True)
    secret = docker_client.secrets.create(name=f"ladder-secret-{suffix}", data=b"s3cret")
    config = docker_client.configs.create(name=f"ladder-config-{suffix}", data=b"a=1")
    image2 = f"{test_image.rsplit(':', 1)[0]}:ladder-{suffix}"
    docker_client.images.get(test_image).tag(image2)
    yield {
        "suffix": suffix, "image": test_image, "image2": image2,
        "network": network.name, "secret": secret.name, "secret_id": secret.id,
        "config": config.name, "config_id": config.id,
    }
    for service in docker_client.services.list(filters={"label": f"ladder={suffix}"}):
        service.remove()
    for cleanup in (lambda: secret.remove(), lambda: config.remove(), lambda: network.remove()):
        try:
            cleanup()
        except docker.errors.APIError:
            pass


class Harness:
    """Drives the provider the way the Pulumi engine does (check -> diff -> apply)."""

    def __init__(self, provider: ServiceProvider, deps: Deps) -> None:
        self.provider = provider
        self.deps = deps

    def inputs(self, name: str, extra: dict[str, Any]) -> dict[str, Any]:
        raw = {"name": name, "image": self.deps["image"], "command": ["sleep", "3600"],
               "owner": "ladder/test/" + name, "labels": {"ladder": self.deps["suffix"]},
               "wait": False}
        if "labels" in extra:
            extra = {**extra, "labels": {**extra["labels"], "ladder": self.deps["suffix"]}}
        raw.update(extra)
        checked = self.provider.check({}, raw)
        assert checked.failures == [], checked.failures
        return checked.inputs

    def assert_no_diff(self, state: dict[str, Any], news: dict[str, Any], when: str) -> None:
        result = self.provider.diff(state["service_id"], state, news)
        changed = [f for f in news if f in state and news.get(f) != state.get(f)]
        assert result.changes is False, f"perpetual diff {when}: {changed}"

    def refresh(self, state: dict[str, Any]) -> dict[str, Any]:
        read = self.provider.read(state["service_id"], state)
        assert read.id == state["service_id"]
        return read.outs


@pytest.mark.parametrize("rung", LADDER, ids=lambda r: f"{r.field}")
def test_ladder(rung: Rung, provider: ServiceProvider, deps: Deps) -> None:
    harness = Harness(provider, deps)
    base = {**LADDER_PAIRS.get(rung.field, {})}
    if rung.field != "stop_grace_period":
        base["stop_grace_period"] = "1s"  # `sleep` as PID 1 ignores SIGTERM: stop fast
    name = f"ladder-{rung.field.replace('_', '-')}-{uuid.uuid4().hex[:4]}"
    if rung.field == "mode" and "job" in str(rung.first):
        base["command"] = ["echo", "done"]
    first = {**base, rung.field: rung.value(rung.first, deps)}
    second = {**base, rung.field: rung.value(rung.second, deps)}
    if rung.field == "name":
        name = first["name"]

    news = harness.inputs(name, first)
    needs = [f.minimum for f in FEATURES if f.field == rung.field and len(f.path) == len(
        FIELDS_BY_NAME[rung.field].path)]
    have = parse_api_version(engine.client(provider.connection).api.api_version)
    if needs and have < needs[0]:
        # An engine that would drop the input: refused before anything is sent.
        with pytest.raises(EngineError, match=f"{rung.field} .*needs Engine API"):
            provider.create(news)
        return
    created = provider.create(news)
    state = {**created.outs}
    service_id = created.id
    try:
        assert state[rung.field] == news.get(rung.field), "live value differs from what was set"
        harness.assert_no_diff(state, news, "after create")
        harness.assert_no_diff(harness.refresh(state), news, "after refresh")

        news2 = harness.inputs(second.get("name", name), second)
        diff = provider.diff(service_id, state, news2)
        assert diff.changes is True, "changing the value shows no change"
        assert (diff.replaces != []) == rung.replaces, diff.replaces
        if rung.replaces:
            provider.delete(service_id, state)
            created = provider.create(news2)
            service_id, state = created.id, {**created.outs}
        else:
            state = {**provider.update(service_id, state, news2).outs}
            assert state["service_id"] == service_id
        harness.assert_no_diff(state, news2, "after change")

        cleared = harness.inputs(second.get("name", name), base)
        if rung.field not in ("image", "name"):
            diff = provider.diff(service_id, state, cleared)
            if not diff.replaces:
                state = {**provider.update(service_id, state, cleared).outs}
                harness.assert_no_diff(state, cleared, "after clear")
                harness.assert_no_diff(harness.refresh(state), cleared, "after clear + refresh")
    finally:
        provider.delete(service_id, state)
