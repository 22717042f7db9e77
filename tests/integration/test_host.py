"""The stock provider host (``python -m pulumi.dynamic``) as ``swarm_provider.providers.host``
adjusts it, through the real CLI and the real swarm (issues #13.1 and #12.4).

The CLI here starts that very module (tools/pulumi-cli/shims/pulumi-resource-pulumi-python
execs ``python -u -m pulumi.dynamic``, as the official release's shim does).
"""

from __future__ import annotations

import os
import re
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import docker

from . import pulumi_helpers as helpers

pulumi_env = helpers.pulumi_env  # the fixture

SERVICES = 20
MONITOR_SECONDS = 5.0
"""The default monitor window: every create holds its RPC at least this long after its
task runs, which is what lets engine timestamps bound the RPCs in flight from below."""

PROGRAM = """\
import pulumi
from swarm_provider import SwarmService

cfg = pulumi.Config()
for index in range(int(cfg.require("count"))):
    SwarmService(f"{cfg.require('prefix')}{index}", image=cfg.require("image"),
                 command=["sleep", "600"], env={"MODE": cfg.get("mode") or "one"},
                 init=True, stop_grace_period="1s")  # `sleep` alone ignores SIGTERM: 10 s
"""


def _engine_time(value: str) -> float:
    """Seconds since the epoch of an engine timestamp (nanoseconds cut to microseconds)."""
    head, _, rest = value.rstrip("Z").partition(".")
    fraction = (rest + "000000")[:6]
    return datetime.fromisoformat(f"{head}.{fraction}+00:00").timestamp()


def rpcs_in_flight(created: list[float], hold: float) -> int:
    """A lower bound of the Create RPCs that ran at once: each RPC POSTs its service (the
    engine's CreatedAt) and holds on for at least ``hold`` seconds after that."""
    return max(sum(1 for c in created if c <= t < c + hold) for t in created)


def test_rpcs_in_flight_bound() -> None:
    assert rpcs_in_flight([0, 0.1, 0.2, 0.3, 6, 6.1], 5) == 4
    assert rpcs_in_flight([float(i) * 0.1 for i in range(20)], 5) == 20


def _cleanup(client: docker.DockerClient, prefix: str) -> None:
    for service in client.services.list(filters={"name": prefix}):
        if service.name.startswith(prefix):
            service.remove()


def test_twenty_services_are_created_at_once(tmp_path: Path, pulumi_env: dict[str, str],
                                             docker_client: docker.DockerClient,
                                             test_image: str, unique: Any) -> None:
    """20 services in one ``pulumi up --parallel 32``: the stock host would run 4 Create
    RPCs at a time (its ThreadPoolExecutor(max_workers=4)), so at most 4 services would be
    POSTed within one monitor window; with the host adjusted, all of them are."""
    from pulumi import automation as auto

    prefix = unique("par") + "-"
    project = helpers.write_program(tmp_path / "prog", "scale-parallel", PROGRAM)
    stack = helpers.local_stack(project, pulumi_env)
    try:
        stack.set_config("count", auto.ConfigValue(str(SERVICES)))
        stack.set_config("prefix", auto.ConfigValue(prefix))
        stack.set_config("image", auto.ConfigValue(test_image))
        up = stack.up(parallel=32, color="never")
        assert helpers.changes(up.summary.resource_changes) == {"create": SERVICES + 1}
        services = [s for s in docker_client.services.list(filters={"name": prefix})
                    if s.name.startswith(prefix)]
        assert len(services) == SERVICES
        created = sorted(_engine_time(s.attrs["CreatedAt"]) for s in services)
        in_flight = rpcs_in_flight(created, MONITOR_SECONDS)
        took = up.summary.end_time - up.summary.start_time
        print(f"{SERVICES} creates: at least {in_flight} RPCs at once; POSTs spread over "
              f"{created[-1] - created[0]:.1f}s; up took {took}")
        assert in_flight > 4, f"only {in_flight} creates ran at once: {created}"
        assert in_flight >= SERVICES * 3 // 4, f"{in_flight} of {SERVICES} at once"
        destroy = stack.destroy(parallel=32, color="never")
        assert helpers.changes(destroy.summary.resource_changes) == {"delete": SERVICES + 1}
    finally:
        _cleanup(docker_client, prefix)


# --- errors at a glance ------------------------------------------------------------------


def _cli(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return helpers.run_cli(project, env, *args, "--color", "never")


def _diagnostics_of(output: str, name: str) -> str:
    """The Diagnostics block the CLI prints for resource ``name``, as printed."""
    block = re.search(rf"^  pulumi-python:dynamic/swarm:Service \({re.escape(name)}\):\n"
                      r"((?:    .*\n)+)", output, re.MULTILINE)
    assert block, output
    return block.group(1)


def _project(tmp_path: Path, env: dict[str, str], test_image: str, prefix: str) -> Path:
    project = helpers.write_program(tmp_path / "prog", "scale-errors", PROGRAM)
    for args in (["stack", "init", "dev"], ["config", "set", "count", "1"],
                 ["config", "set", "prefix", prefix], ["config", "set", "image", test_image]):
        done = subprocess.run([helpers.pulumi_cli(), *args, "--non-interactive"], cwd=project,
                              env={**os.environ, **env}, capture_output=True, text=True,
                              timeout=helpers.TIMEOUT)
        assert done.returncode == 0, done.stderr
    return project


def test_a_create_failure_is_one_paragraph(tmp_path: Path, pulumi_env: dict[str, str],
                                           docker_client: docker.DockerClient,
                                           test_image: str, unique: Any) -> None:
    """A create that meets a same-named service it doesn't own: the message (raised from
    the engine's 409, so a chained traceback before) is all the CLI prints."""
    prefix = unique("err") + "-"
    taken = docker_client.services.create(test_image, ["sleep", "600"], name=f"{prefix}0")
    project = _project(tmp_path, pulumi_env, test_image, prefix)
    try:
        up = _cli(project, pulumi_env, "up", "--yes")
        assert up.returncode != 0
        text = _diagnostics_of(up.stdout, f"{prefix}0")
        assert text == (
            f"    error: service '{prefix}0' (id {taken.id[:12]}) already exists and is not "
            "managed by this resource (owner label: None); remove it, choose another name, "
            "or adopt it explicitly\n"), text
        assert "Traceback" not in up.stdout + up.stderr
        # The cause is still there for whoever asks for it.
        again = _cli(project, {**pulumi_env, "SWARM_PROVIDER_TRACEBACK": "1"}, "up", "--yes")
        assert "Traceback (most recent call last)" in again.stdout
        assert "The above exception was the direct cause" in again.stdout
        assert "409 Client Error" in again.stdout
    finally:
        taken.remove()
        _cli(project, pulumi_env, "destroy", "--yes")


def test_an_update_refusal_is_one_paragraph(tmp_path: Path, pulumi_env: dict[str, str],
                                            docker_client: docker.DockerClient,
                                            test_image: str, unique: Any) -> None:
    prefix = unique("ref") + "-"
    project = _project(tmp_path, pulumi_env, test_image, prefix)
    name = f"{prefix}0"
    try:
        up = _cli(project, pulumi_env, "up", "--yes")
        assert up.returncode == 0, up.stdout + up.stderr
        service = docker_client.services.get(name)
        recorded = service.version
        subprocess.run(["docker", "service", "update", "--env-add", "OUTSIDE=1", name],
                       check=True, capture_output=True, timeout=120)
        live = docker_client.services.get(name).version
        _cli(project, pulumi_env, "config", "set", "mode", "two")
        up = _cli(project, pulumi_env, "up", "--yes")
        assert up.returncode != 0
        text = _diagnostics_of(up.stdout, name)
        versions = rf"version {recorded} -> {live}"  # a whole number, never 4017.0
        assert re.fullmatch(
            rf"    error: service '{name}' \(id {service.id[:12]}\) was changed outside Pulumi "
            rf"since the last update \({versions}: env \(changed \(values hidden\)\)\); run "
            r"`pulumi refresh` to accept or review that change, then `pulumi up` again\n",
            text), text
        assert "Traceback" not in up.stdout + up.stderr
    finally:
        _cli(project, pulumi_env, "destroy", "--yes")
        _cleanup(docker_client, prefix)
