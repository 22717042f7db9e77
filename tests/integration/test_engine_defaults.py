"""docker-py's Service.update()/scale()/force_update() write engine defaults back (issue
14, item 11): a refresh must not turn them into a change to remove.

docker-py reads the spec with ``insertDefaults`` and sends it back, so the stored spec
gains RestartPolicy {any, 5s, 0}, Update/RollbackConfig {1, pause, 5s, 0, stop-first},
StopGracePeriod 10s, DNSConfig {}, Placement {} and Resources {}. Each equals what the
engine runs when unset, so after a refresh the program (which sets none of them) must
diff to nothing; values that are not the default (RestartPolicy on-failure) still count,
and a real change (the ForceUpdate counter docker-py bumps) still shows.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
from docker.models.services import Service
from pulumi import automation as auto

from swarm_provider.core.diff import diff_fields
from swarm_provider.providers.service import ServiceProvider

from . import pulumi_helpers as helpers

pulumi_env = helpers.pulumi_env  # the fixture

LOOP = "trap 'exit 0' TERM; while true; do sleep 1; done"


def refreshed(provider: ServiceProvider, service_id: str, outs: dict[str, Any]) -> Any:
    """What `pulumi refresh` stores: read's outputs (diffed against the program next)."""
    return provider.read(service_id, outs)


def test_docker_py_defaults_read_as_unset_after_refresh(
    docker_client: docker.DockerClient, test_image: str, unique: Callable[[str], str],
    provider: ServiceProvider, services_cleanup: list[str],
) -> None:
    name = unique("fs-dflt")
    services_cleanup.append(name)
    program = provider.check({}, {
        "name": name, "image": test_image, "command": ["sh", "-c", LOOP],
        "owner": f"test/{name}", "mode": {"mode": "replicated", "replicas": 1},
        "wait": False,
    }).inputs
    created = provider.create(program)
    service = docker_client.services.get(created.id)

    service.update(labels={"swarm-provider.owner": f"test/{name}"})  # defaults written back
    stored = docker_client.api.inspect_service(created.id)["Spec"]
    assert stored["TaskTemplate"]["RestartPolicy"] == {"Condition": "any", "Delay": 5_000_000_000,
                                                       "MaxAttempts": 0}
    assert stored["UpdateConfig"]["Parallelism"] == 1
    assert stored["TaskTemplate"]["ContainerSpec"]["StopGracePeriod"] == 10_000_000_000
    read = refreshed(provider, created.id, created.outs)
    assert read.outs["restart_policy"] is not None  # the state says what is stored...
    result = provider.diff(created.id, read.outs, program)
    assert result.changes is False, result  # ...and none of it is a change

    service.reload()
    service.scale(1)  # the same count: only the defaults again
    read = refreshed(provider, created.id, read.outs)
    assert provider.diff(created.id, read.outs, program).changes is False

    service.reload()
    service.force_update()  # a real change: the redeploy counter moved
    read = refreshed(provider, created.id, read.outs)
    result = provider.diff(created.id, read.outs, program)
    assert result.changes is True

    assert diff_fields(read.outs, program).changed == ["force_update"]


def test_only_values_equal_to_the_default_fold_per_key(
    docker_client: docker.DockerClient, test_image: str, unique: Callable[[str], str],
    provider: ServiceProvider, services_cleanup: list[str],
) -> None:
    """RestartPolicy {Condition on-failure} gains Delay 5s and MaxAttempts 0 (defaults,
    folded) but stays on-failure; a program without it now differs."""
    name = unique("fs-dflt-key")
    services_cleanup.append(name)
    base = {"name": name, "image": test_image, "command": ["sh", "-c", LOOP],
            "owner": f"test/{name}", "wait": False}
    program = provider.check({}, {**base, "restart_policy": {"Condition": "on-failure"},
                                  "update_config": {"Parallelism": 2}}).inputs
    created = provider.create(program)
    docker_client.services.get(created.id).update(labels={"swarm-provider.owner": f"test/{name}"})
    stored = docker_client.api.inspect_service(created.id)["Spec"]
    assert stored["TaskTemplate"]["RestartPolicy"]["Delay"] == 5_000_000_000
    read = refreshed(provider, created.id, created.outs)
    assert provider.diff(created.id, read.outs, program).changes is False
    without = provider.check({}, base).inputs

    assert diff_fields(read.outs, without).changed == ["restart_policy", "update_config"]


PROGRAM = f"""\
import pulumi

from swarm_provider import SwarmService

cfg = pulumi.Config()
app = SwarmService("app", image=cfg.require("image"), command=["sh", "-c", {LOOP!r}],
                   wait=False)
pulumi.export("service_id", app.service_id)
"""


def out_of_band(service: Service, change: Callable[[], object]) -> None:
    """A docker-py change as a user makes it, at the version just read; the engine moves
    the version on its own while the tasks of a new service start (its UpdateStatus), so
    "update out of sequence" means: read again and repeat."""
    for attempt in range(5):
        service.reload()
        try:
            change()
            return
        except docker.errors.APIError as exc:
            if "out of sequence" not in str(exc) or attempt == 4:
                raise
            time.sleep(0.2)


def test_refresh_then_preview_shows_no_change_through_the_cli(
    tmp_path: Path, pulumi_env: dict[str, str], docker_client: docker.DockerClient,
    test_image: str,
) -> None:
    prefix = f"fsd{uuid.uuid4().hex[:6]}-"
    prog = helpers.write_program(tmp_path / "prog", "engine-defaults", PROGRAM)
    stack = helpers.local_stack(prog, pulumi_env)
    try:
        stack.set_all_config({"swarm:namePrefix": auto.ConfigValue(prefix),
                              "image": auto.ConfigValue(test_image)})
        stack.up()
        service = docker_client.services.get(f"{prefix}app")
        out_of_band(service, lambda: service.update(labels=service.attrs["Spec"]["Labels"]))
        out_of_band(service, lambda: service.scale(1))
        stack.refresh()
        preview = stack.preview(diff=True)
        assert helpers.changes(preview.change_summary) == {"same": 2}, preview.stdout
    finally:
        stack.tear_down()
