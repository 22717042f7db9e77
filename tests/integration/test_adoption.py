"""Bringing existing services under Pulumi (``adopt=True``) and reading them without
managing them (``swarm_provider.lookup``), against the real swarm.

`pulumi import` can't work for Python dynamic resources (the engine calls Read without
inputs), so ``adopt=True`` makes ``create`` take over a same-named service in place.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
from pulumi import automation as auto

from swarm_provider import lookup
from swarm_provider.core.spec import sent_digest
from swarm_provider.errors import EngineError, NotFoundError
from swarm_provider.providers.service import ServiceProvider
from swarm_provider.schema.service import OWNER_LABEL, SENT_LABEL

from . import pulumi_helpers as helpers

pulumi_env = helpers.pulumi_env  # the fixture

LOOP = "trap 'exit 0' TERM; while true; do sleep 1; done"
PROGRAM = f"""\
import pulumi

from swarm_provider import SwarmService
from swarm_provider.lookup import get_service, list_services

cfg = pulumi.Config()
prefix = pulumi.Config("swarm").require("namePrefix")
common = dict(image=cfg.require("image"), args=["sh", "-c", {LOOP!r}], init=False,
              labels={{"keep": prefix}}, stop_grace_period="1s", adopt=True)

# Made with `docker service create`: declared exactly as it is, so taking it over only
# adds our owner label, and its task keeps running.
same = SwarmService("same", **common)
# Made the same way, but declared with an env variable: taken over and updated in place.
changed = SwarmService("changed", env={{"ADOPTED": "yes"}}, **common)

# Read without managing: docker-py's services.get() and services.list().
legacy = get_service(prefix + "unmanaged", secret=False)
pulumi.export("unmanaged_id", legacy.apply(lambda s: s["service_id"]))
pulumi.export("unmanaged_args", legacy.apply(lambda s: s["inputs"]["args"]))
listed = list_services({{"label": f"keep={{prefix}}"}}, status=True, secret=False)
pulumi.export("listed", listed.apply(lambda found: sorted(s["name"] for s in found)))
pulumi.export("same_id", same.service_id)
pulumi.export("changed_id", changed.service_id)
"""


def docker_create(name: str, image: str, *extra: str) -> str:
    """``docker service create`` (the CLI, as a user would); the new service's id."""
    made = subprocess.run(
        ["docker", "service", "create", "--quiet", "--detach=false", "--name", name,
         "--stop-grace-period", "1s", *extra, image, "sh", "-c", LOOP],
        check=True, capture_output=True, text=True, timeout=120)
    return made.stdout.strip().splitlines()[-1]


def task_ids(client: docker.DockerClient, name: str) -> set[str]:
    return {t["ID"] for t in client.services.get(name).tasks(
        filters={"desired-state": "running"})}


@pytest.fixture
def prefix(docker_client: docker.DockerClient) -> Iterator[str]:
    value = f"adopt{uuid.uuid4().hex[:6]}-"
    yield value
    for service in docker_client.services.list(filters={"name": value}):
        if service.name.startswith(value):
            service.remove()


def test_adopt_existing_services_through_pulumi_up(
        tmp_path: Path, pulumi_env: dict[str, str], docker_client: docker.DockerClient,
        test_image: str, prefix: str) -> None:
    label = ["--label", f"keep={prefix}"]
    ids = {name: docker_create(f"{prefix}{name}", test_image, *label)
           for name in ("same", "changed", "unmanaged")}
    tasks_before = {name: task_ids(docker_client, f"{prefix}{name}") for name in ids}

    prog = helpers.write_program(tmp_path / "prog", "adoption", PROGRAM)
    stack = helpers.local_stack(prog, pulumi_env)
    try:
        stack.set_all_config({"swarm:namePrefix": auto.ConfigValue(prefix),
                              "image": auto.ConfigValue(test_image)})
        up = stack.up()
        assert helpers.changes(up.summary.resource_changes) == {"create": 3}
        # Pulumi counts a create; the resource's own diagnostic says what really happened.
        assert f"adopted existing service '{prefix}same' (id {ids['same'][:12]})" in up.stdout
        outputs = {k: v.value for k, v in up.outputs.items()}
        # Taken over, not recreated: same ids.
        assert outputs["same_id"] == ids["same"] and outputs["changed_id"] == ids["changed"]
        same = docker_client.services.get(ids["same"])
        assert same.attrs["Spec"]["Labels"] == {
            "keep": prefix, OWNER_LABEL: "adoption/dev/same",
            SENT_LABEL: sent_digest(same.attrs["Spec"])}  # taken over: ours as sent
        assert task_ids(docker_client, f"{prefix}same") == tasks_before["same"]
        changed = docker_client.services.get(ids["changed"]).attrs["Spec"]
        assert changed["TaskTemplate"]["ContainerSpec"]["Env"] == ["ADOPTED=yes"]
        # Read, not managed: found, and left alone.
        assert outputs["unmanaged_id"] == ids["unmanaged"]
        assert outputs["unmanaged_args"] == ["sh", "-c", LOOP]
        assert outputs["listed"] == sorted(f"{prefix}{n}" for n in ids)
        unmanaged = docker_client.services.get(ids["unmanaged"])
        assert OWNER_LABEL not in unmanaged.attrs["Spec"]["Labels"]
        assert task_ids(docker_client, f"{prefix}unmanaged") == tasks_before["unmanaged"]
        assert helpers.changes(stack.preview(expect_no_changes=True).change_summary) == {
            "same": 3}

        # The state lost (`pulumi state delete`), adopting again: already ours and equal,
        # so nothing at all is sent to the engine.
        version = docker_client.services.get(ids["same"]).version
        urn = next(r["urn"] for r in stack.export_stack().deployment["resources"]
                   if r["urn"].endswith("::same"))
        helpers.run_cli(prog, pulumi_env, "state", "delete", urn, "--yes").check_returncode()
        again = stack.up()
        assert helpers.changes(again.summary.resource_changes) == {"create": 1, "same": 2}
        assert docker_client.services.get(ids["same"]).version == version
        assert task_ids(docker_client, f"{prefix}same") == tasks_before["same"]

        destroyed = stack.destroy()  # adopted services are Pulumi's now: they go
        assert helpers.changes(destroyed.summary.resource_changes) == {"delete": 3}
        left = {s.name for s in docker_client.services.list(filters={"name": prefix})}
        assert left == {f"{prefix}unmanaged"}
    finally:
        stack.tear_down()


# --- what adoption refuses, through the provider ----------------------------------------------


def adopt_inputs(provider: ServiceProvider, name: str, image: str, **extra: Any) -> dict[str, Any]:
    raw = {"name": name, "image": image, "args": ["sh", "-c", LOOP], "init": False,
           "stop_grace_period": "1s", "owner": f"adoption/test/{name}", "adopt": True,
           "wait": False, **extra}
    checked = provider.check({}, raw)
    assert checked.failures == []
    return checked.inputs


def test_adopt_refuses_a_service_another_resource_owns(
        provider: ServiceProvider, test_image: str, prefix: str) -> None:
    name = f"{prefix}owned"
    docker_create(name, test_image, "--label", f"{OWNER_LABEL}=other/prod/web")
    with pytest.raises(EngineError, match="Pulumi resource 'other/prod/web' manages it"):
        provider.create(adopt_inputs(provider, name, test_image))


def test_adopt_refuses_a_mode_kind_change(provider: ServiceProvider, test_image: str,
                                          prefix: str) -> None:
    name = f"{prefix}global"
    docker_create(name, test_image, "--mode", "global")
    with pytest.raises(EngineError, match=r"cannot adopt .* in place: mode"):
        provider.create(adopt_inputs(provider, name, test_image))


def test_without_adopt_an_existing_service_is_never_touched(
        provider: ServiceProvider, docker_client: docker.DockerClient, test_image: str,
        prefix: str) -> None:
    name = f"{prefix}foreign"
    service_id = docker_create(name, test_image)
    version = docker_client.services.get(service_id).version
    inputs = adopt_inputs(provider, name, test_image)
    del inputs["adopt"]
    with pytest.raises(EngineError, match="already exists and is not managed"):
        provider.create(inputs)
    assert docker_client.services.get(service_id).version == version


def test_lookup_reads_without_managing(docker_client: docker.DockerClient, test_image: str,
                                       prefix: str) -> None:
    service_id = docker_create(f"{prefix}plain", test_image, "--label", "role=probe")
    found = lookup.read_service(f"{prefix}plain")
    assert found["service_id"] == service_id and found["name"] == f"{prefix}plain"
    assert found["inputs"]["labels"] == {"role": "probe"}
    assert lookup.read_service(service_id)["name"] == f"{prefix}plain"  # by id too
    listed = lookup.read_services({"name": prefix}, status=True)
    assert [s["name"] for s in listed] == [f"{prefix}plain"]
    assert listed[0]["service_status"]["RunningTasks"] == 1
    with pytest.raises(NotFoundError):
        lookup.read_service(f"{prefix}missing")
