"""Every project under examples/ through the real Pulumi CLI, against the real swarm.

Each example is copied to tmp_path (a `.venv` link keeps its `virtualenv: ../../.venv`
working) and run as a local program with the Automation API:

    up -> preview (no changes) -> an input change (stack config) -> up, asserting the
    change summary (update in place or replacement, per example) -> preview (no changes)
    -> destroy -> nothing with the stack's name prefix left on the swarm.

Every stack gets a unique `swarm:namePrefix`, so runs never collide with each other or
with the demo. The wall time of each example is printed and recorded as a property.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import pytest
from pulumi import automation as auto

from . import pulumi_helpers as helpers

pulumi_env = helpers.pulumi_env  # the fixture
EXAMPLES = helpers.REPO / "examples"

Check = Callable[[docker.DockerClient, dict[str, Any], str], None]


def running_tasks(client: docker.DockerClient, name: str) -> list[dict[str, Any]]:
    service = client.services.get(name)
    return [t for t in service.tasks(filters={"desired-state": "running"})
            if t["Status"]["State"] == "running"]


def env_of(client: docker.DockerClient, name: str) -> list[str]:
    spec = client.services.get(name).attrs["Spec"]
    return list(spec["TaskTemplate"]["ContainerSpec"].get("Env") or [])


def http_get(url: str, expect: str, seconds: float = 20) -> str:
    """The body at url once it contains ``expect`` (the frontend refreshes every 2 s)."""
    deadline = time.monotonic() + seconds
    body = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=3) as reply:
                body = reply.read().decode()
            if expect in body:
                return body
        except OSError as exc:
            body = f"<{exc}>"
        time.sleep(0.5)
    raise AssertionError(f"{url} never answered with {expect!r}; last: {body!r}")


# --- what each example must show on the engine --------------------------------------------


def minimal_before(client: docker.DockerClient, outputs: dict[str, Any], prefix: str) -> None:
    assert outputs["name"] == f"{prefix}hello"
    assert len(running_tasks(client, f"{prefix}hello")) == 1


def minimal_after(client: docker.DockerClient, outputs: dict[str, Any], prefix: str) -> None:
    assert len(running_tasks(client, f"{prefix}hello")) == 3


def full_before(client: docker.DockerClient, outputs: dict[str, Any], prefix: str) -> None:
    name = f"{prefix}everything"
    assert "GREETING=hello" in env_of(client, name)
    container = client.services.get(name).attrs["Spec"]["TaskTemplate"]["ContainerSpec"]
    assert container["ReadOnly"] is True and container["User"] == "65534:65534"
    [task] = running_tasks(client, name)
    assert task["Spec"]["ContainerSpec"]["Secrets"][0]["File"]["Name"] == "token"


def full_after(client: docker.DockerClient, outputs: dict[str, Any], prefix: str) -> None:
    assert "GREETING=changed" in env_of(client, f"{prefix}everything")
    assert len(running_tasks(client, f"{prefix}everything")) == 1


def multi_before(client: docker.DockerClient, outputs: dict[str, Any], prefix: str) -> None:
    body = http_get(outputs["api_url"], "hello from the api")
    assert json.loads(body)["message"] == "hello from the api"
    nets = client.services.get(f"{prefix}db").attrs["Spec"]["TaskTemplate"]["Networks"]
    assert [client.networks.get(n["Target"]).name for n in nets] == [f"{prefix}backend"]


def multi_after(client: docker.DockerClient, outputs: dict[str, Any], prefix: str) -> None:
    assert json.loads(http_get(outputs["api_url"], "v2"))["message"] == "v2"
    configs = [c.name for c in client.configs.list(filters={"name": f"{prefix}api-answer"})]
    assert configs == [outputs["api_answer_config"]]  # the old version is gone


def modes_before(client: docker.DockerClient, outputs: dict[str, Any], prefix: str) -> None:
    nodes = [n for n in client.nodes.list() if n.attrs["Status"]["State"] == "ready"]
    assert len(running_tasks(client, f"{prefix}agent")) == len(nodes)
    done = client.services.get(f"{prefix}migrate").tasks()
    assert sum(t["Status"]["State"] == "complete" for t in done) == 2
    assert "GlobalJob" in client.services.get(f"{prefix}prepare-nodes").attrs["Spec"]["Mode"]


def modes_after(client: docker.DockerClient, outputs: dict[str, Any], prefix: str) -> None:
    mode = client.services.get(f"{prefix}agent").attrs["Spec"]["Mode"]
    assert mode == {"Replicated": {"Replicas": 1}}
    assert len(running_tasks(client, f"{prefix}agent")) == 1


def stacks_before(client: docker.DockerClient, outputs: dict[str, Any], prefix: str) -> None:
    spec = client.services.get(f"{prefix}api").attrs["Spec"]
    # Pulumi.dev.yaml and Pulumi.prod.yaml: (replicas, memory limit in MiB)
    expected = (2, 64) if prefix.endswith("-prod-") else (1, 32)
    assert spec["Mode"]["Replicated"]["Replicas"] == expected[0]
    assert spec["TaskTemplate"]["Resources"]["Limits"]["MemoryBytes"] == expected[1] * 2**20


def stacks_after(client: docker.DockerClient, outputs: dict[str, Any], prefix: str) -> None:
    assert len(running_tasks(client, f"{prefix}api")) == 2


def compose_before(client: docker.DockerClient, outputs: dict[str, Any], prefix: str) -> None:
    stack = f"{prefix}shop"
    assert outputs["stack_name"] == stack
    assert "<h1>shop</h1>" in http_get(outputs["web_url"], "shop")
    assert "MESSAGE=hello" in env_of(client, f"{stack}_api")
    assert len(running_tasks(client, f"{stack}_api")) == 2
    labels = client.services.get(f"{stack}_db").attrs["Spec"]["Labels"]
    assert labels["com.docker.stack.namespace"] == stack


def compose_after(client: docker.DockerClient, outputs: dict[str, Any], prefix: str) -> None:
    assert "MESSAGE=hi" in env_of(client, f"{prefix}shop_api")


@dataclass
class Example:
    name: str
    resources: int
    """Resources the stack holds, the Stack itself included."""
    change: dict[str, str]
    """Stack config set on the first stack before the second `up`."""
    after_change: dict[str, int]
    before: Check
    after: Check
    stacks: tuple[str, ...] = ("dev",)
    config: dict[str, str] = field(default_factory=dict)


CASES = [
    Example("minimal", 2, {"replicas": "3"}, {"update": 1, "same": 1},
            minimal_before, minimal_after),
    Example("full-featured", 5, {"message": "changed"}, {"update": 1, "same": 4},
            full_before, full_after, config={"port": "<free port>"}),
    Example("multi-service", 9, {"apiMessage": "v2"}, {"replace": 1, "update": 1, "same": 7},
            multi_before, multi_after, config={"port": "<free port>"}),
    Example("modes", 4, {"agentMode": "replicated"}, {"replace": 1, "same": 3},
            modes_before, modes_after),
    Example("compose", 9, {"greeting": "hi"}, {"update": 1, "same": 8},
            compose_before, compose_after, config={"port": "<free port>"}),
    Example("stacks", 4, {"replicas": "2"}, {"update": 1, "same": 3},
            stacks_before, stacks_after, stacks=("dev", "prod")),
]


def test_every_example_is_tested() -> None:
    folders = {p.name for p in EXAMPLES.iterdir() if (p / "Pulumi.yaml").exists()}
    assert folders == {case.name for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_example(case: Example, tmp_path: Path, pulumi_env: dict[str, str],
                 docker_client: docker.DockerClient, test_image: str,
                 record_property: Callable[[str, Any], None]) -> None:
    started = time.monotonic()
    project = helpers.copy_project(EXAMPLES / case.name, tmp_path)
    run = uuid.uuid4().hex[:6]
    env = {**pulumi_env, "SWARM_TEST_IMAGE": test_image}
    stacks: dict[str, helpers.Stack] = {}
    prefixes = {name: f"ex{run}-{name}-" for name in case.stacks}
    try:
        for name in case.stacks:
            stack = stacks[name] = helpers.new_stack(name, env, project)
            config = {"swarm:namePrefix": prefixes[name], **case.config}
            if "port" in config:
                config["port"] = str(helpers.free_port())
            stack.set_all_config({k: auto.ConfigValue(v) for k, v in config.items()})
            up = stack.up()
            assert helpers.changes(up.summary.resource_changes) == {"create": case.resources}
            case.before(docker_client, {k: v.value for k, v in up.outputs.items()},
                        prefixes[name])
            preview = stack.preview(expect_no_changes=True)
            assert helpers.changes(preview.change_summary) == {"same": case.resources}

        first = case.stacks[0]
        stack = stacks[first]
        stack.set_all_config({k: auto.ConfigValue(v) for k, v in case.change.items()})
        up = stack.up(diff=True)
        assert helpers.changes(up.summary.resource_changes) == case.after_change, up.stdout
        case.after(docker_client, {k: v.value for k, v in up.outputs.items()}, prefixes[first])
        for name in case.stacks:  # the other stacks are untouched
            preview = stacks[name].preview(expect_no_changes=True)
            assert helpers.changes(preview.change_summary) == {"same": case.resources}

        for name in case.stacks:
            destroyed = stacks[name].destroy()
            assert helpers.changes(destroyed.summary.resource_changes) == {
                "delete": case.resources}
            assert helpers.swarm_leftovers(docker_client, prefixes[name]) == []
    finally:
        for stack in stacks.values():
            stack.tear_down()
        seconds = time.monotonic() - started
        record_property("wall_seconds", round(seconds, 1))
        print(f"\nexample {case.name}: {seconds:.1f} s wall time")


def test_demo_project(tmp_path: Path, pulumi_env: dict[str, str],
                      docker_client: docker.DockerClient, test_image: str) -> None:
    """The root project `scripts/demo` deploys: the page answers, the worker reaches web by
    name, a new message is a new config and an in-place update of web."""
    from swarm_provider.lookup import service_logs

    started = time.monotonic()
    project = tmp_path / "demo-project"
    project.mkdir()
    shutil.copy(helpers.REPO / "Pulumi.yaml", project / "Pulumi.yaml")
    shutil.copytree(helpers.REPO / "demo", project / "demo",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (project / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    prefix = f"demo{uuid.uuid4().hex[:6]}-"
    env = {**pulumi_env, "SWARM_TEST_IMAGE": test_image}
    stack = helpers.local_stack(project, env, "demo")
    try:
        stack.set_all_config({"swarm:namePrefix": auto.ConfigValue(prefix),
                              "port": auto.ConfigValue(str(helpers.free_port()))})
        up = stack.up()
        assert helpers.changes(up.summary.resource_changes) == {"create": 6}
        url = up.outputs["url"].value
        assert "Hello from Docker Swarm" in http_get(url, "Hello from Docker Swarm")
        logs = ""
        deadline = time.monotonic() + 30
        while "Hello from Docker Swarm" not in logs and time.monotonic() < deadline:
            time.sleep(1)
            logs = service_logs(f"{prefix}worker", tail=5)
        assert "Hello from Docker Swarm" in logs, logs  # the worker called web by name
        assert helpers.changes(stack.preview(expect_no_changes=True).change_summary) == {
            "same": 6}

        stack.set_config("message", auto.ConfigValue("Hello again"))
        up = stack.up()
        assert helpers.changes(up.summary.resource_changes) == {
            "replace": 1, "update": 1, "same": 4}
        assert "Hello again" in http_get(url, "Hello again")
        destroyed = stack.destroy()
        assert helpers.changes(destroyed.summary.resource_changes) == {"delete": 6}
        assert helpers.swarm_leftovers(docker_client, prefix) == []
    finally:
        stack.tear_down()
        print(f"\ndemo project: {time.monotonic() - started:.1f} s wall time")
