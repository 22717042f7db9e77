"""Secret rotation end to end, through the real Pulumi CLI (a local program, `pulumi up`).

A program with a SwarmSecret and a SwarmService that mounts it via ``reference()``. After
the first `up` the task reads the first value; the secret's data changes in stack config,
one `up` later the task reads the new value, the old secret is gone and a preview is
clean. Neither value ever appears in the CLI output or in the exported state.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import docker
import pytest
from pulumi import automation as auto

from . import pulumi_helpers as helpers

pulumi_env = helpers.pulumi_env  # the fixture

PROGRAM = """\
import pulumi

from swarm_provider import SwarmConfig, SwarmNetwork, SwarmSecret, SwarmService

cfg = pulumi.Config()
# A plain string, as most programs read a secret: SwarmSecret must make it secret.
with open(cfg.require("passwordFile"), encoding="utf-8") as source:
    password = source.read()
secret = SwarmSecret("password", data=password)
settings = SwarmConfig("settings", data="mode=test\\n")
network = SwarmNetwork("backend", attachable=True)
service = SwarmService(
    "app",
    image=cfg.require("image"),
    command=["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"],
    secrets=[secret.reference("db_password", mode=0o400)],
    configs=[settings.reference("/etc/app.conf")],
    networks=[network.name],
    constraints=[f"node.id=={cfg.require('nodeId')}"],
    update_config={"Order": "start-first", "Monitor": "1s"},
    stop_grace_period="2s",
)
pulumi.export("secret_id", secret.secret_id)
pulumi.export("secret_name", secret.secret_name)
pulumi.export("network_id", network.network_id)
pulumi.export("service_name", service.name)
"""


ENGINE_OPS = {"create", "create-replacement", "update", "delete", "delete-replaced"}


def task_reads(client: docker.DockerClient, service: str, expected: str,
               path: str = "/run/secrets/db_password") -> list[str]:
    """What the service's running containers see in a file (polled briefly: an old task
    of a start-first update may still be stopping)."""
    deadline = time.monotonic() + 20
    while True:
        containers = client.containers.list(
            filters={"label": f"com.docker.swarm.service.name={service}"})
        try:
            seen = [c.exec_run(["cat", path]).output.decode() for c in containers]
        except docker.errors.APIError:  # a container stopped between list and exec
            seen = ["<stopped meanwhile>"]
        if seen == [expected] or time.monotonic() > deadline:
            return seen
        time.sleep(0.5)


def steps(events: list[auto.EngineEvent]) -> list[tuple[str, str]]:
    """(operation, resource type) of every finished step, in order."""
    done = []
    for event in events:
        outputs = event.res_outputs_event
        if outputs is not None:
            op = getattr(outputs.metadata.op, "value", outputs.metadata.op)
            done.append((str(op), outputs.metadata.type.rsplit(":", 1)[-1]))
    return done


def assert_hidden(where: str, text: str, *values: str) -> None:
    for value in values:
        at = text.find(value)
        assert at < 0, f"a secret value is in plaintext in {where}: ...{text[at - 300:at + 80]}"


def test_secret_rotation_through_pulumi_up(
    tmp_path: Path, pulumi_env: dict[str, str], docker_client: docker.DockerClient,
    test_image: str,
) -> None:
    suffix = uuid.uuid4().hex[:6]
    prefix = f"rot{suffix}-"
    secret_name, service_name = f"{prefix}password", f"{prefix}app"
    network_name = f"{prefix}backend"
    first, second = f"first-{uuid.uuid4().hex}", f"second-{uuid.uuid4().hex}"
    prog = helpers.write_program(tmp_path / "prog", "rotation", PROGRAM)
    password_file = tmp_path / "password.txt"
    password_file.write_text(first)
    stack = helpers.local_stack(prog, pulumi_env)
    try:
        stack.set_all_config({
            "swarm:namePrefix": auto.ConfigValue(prefix),
            "image": auto.ConfigValue(test_image),
            "nodeId": auto.ConfigValue(docker_client.info()["Swarm"]["NodeID"]),
            "passwordFile": auto.ConfigValue(str(password_file)),
        })
        up = stack.up(diff=True)
        assert helpers.changes(up.summary.resource_changes) == {"create": 5}
        old_id = up.outputs["secret_id"].value
        assert up.outputs["secret_name"].value.startswith(f"{secret_name}-")
        assert up.outputs["service_name"].value == service_name
        assert task_reads(docker_client, service_name, first) == [first]
        assert task_reads(docker_client, service_name, "mode=test\n", "/etc/app.conf") == [
            "mode=test\n"]
        attached = docker_client.services.get(service_name).attrs["Spec"]["TaskTemplate"]
        assert attached["Networks"] == [{"Target": up.outputs["network_id"].value}]
        assert docker_client.networks.get(network_name).attrs["Attachable"] is True
        preview = stack.preview(expect_no_changes=True, diff=True)
        assert_hidden("the output of up and preview", up.stdout + preview.stdout, first)

        password_file.write_text(second)
        events: list[auto.EngineEvent] = []
        up2 = stack.up(diff=True, on_event=events.append)
        assert helpers.changes(up2.summary.resource_changes) == {
            "replace": 1, "update": 1, "same": 3}
        # New secret first, the service moved onto it, the old secret last.
        engine_steps = [s for s in steps(events)
                        if s[0] in ENGINE_OPS and s[1] in ("Secret", "Service")]
        assert engine_steps == [("create-replacement", "Secret"), ("update", "Service"),
                                ("delete-replaced", "Secret")], steps(events)
        new_id = up2.outputs["secret_id"].value
        assert new_id != old_id
        assert task_reads(docker_client, service_name, second) == [second]
        with pytest.raises(docker.errors.NotFound):
            docker_client.secrets.get(old_id)
        names = [s.name for s in docker_client.secrets.list(filters={"name": secret_name})]
        assert names == [up2.outputs["secret_name"].value]

        preview = stack.preview(expect_no_changes=True, diff=True)
        assert helpers.changes(preview.change_summary) == {"same": 5}
        refresh = stack.refresh()
        assert_hidden("the output of up, preview and refresh",
                      up2.stdout + preview.stdout + refresh.stdout, first, second)
        assert helpers.changes(stack.preview(expect_no_changes=True).change_summary) == {
            "same": 5}
        # At rest, as `pulumi stack export` shows it, neither value can be read...
        exported = helpers.export_at_rest(prog, pulumi_env, "dev")
        assert_hidden("the exported state", exported, first, second)
        assert_stored_encrypted(json.loads(exported)["deployment"], "data")
        # ...and with secrets decrypted (export_stack() passes --show-secrets) the value
        # only ever sits inside a secret envelope.
        assert helpers.plaintext_paths(stack.export_stack().deployment, second) == []

        # The service goes first, then what it used: no "in use" on the way.
        events.clear()
        destroy = stack.destroy(on_event=events.append)
        assert helpers.changes(destroy.summary.resource_changes) == {"delete": 5}
        deleted = [kind for op, kind in steps(events) if op == "delete"]
        assert deleted.index("Service") < min(deleted.index(k) for k in (
            "Secret", "Config", "Network"))
        assert not docker_client.services.list(filters={"name": service_name})
        assert not docker_client.secrets.list(filters={"name": secret_name})
        assert not docker_client.configs.list(filters={"name": f"{prefix}settings"})
        assert not docker_client.networks.list(names=[network_name])
    finally:
        stack.tear_down()


def assert_stored_encrypted(deployment: dict[str, Any], key: str) -> None:
    """The secret's data is in the state, as ciphertext, in both inputs and outputs."""
    secret = next(r for r in deployment["resources"] if r["type"].endswith(":Secret"))
    for part in ("inputs", "outputs"):
        stored = secret[part][key]
        assert isinstance(stored, dict) and "ciphertext" in stored, (part, stored)
