"""Failed updates through the real Pulumi CLI (a local program, Automation API).

A service is created with a command that runs, then updated to one that exits 3, with
``failure_action`` rollback and then pause. ``pulumi up`` must fail with the engine's
verdict, the exit code and the failed task's last log line. Pulumi keeps the old outputs
when a dynamic provider's update raises, so afterwards:

- rollback: the live service runs the old spec again, which is what the state holds, so
  the next preview shows the wanted change again (one update), and an ``up`` with a fixed
  command succeeds;
- pause: the live service keeps the broken spec while the state holds the old one; the next
  ``up`` with a fixed command is accepted (the unfinished update sits on top of the state)
  and succeeds.

The first ``up`` also shows the wait's progress on the service's row.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import docker
import pytest
from pulumi import automation as auto

from . import pulumi_helpers as helpers

pulumi_env = helpers.pulumi_env  # the fixture

PROGRAM = """\
import pulumi

from swarm_provider import SwarmService

cfg = pulumi.Config()
app = SwarmService(
    "app",
    image=cfg.require("image"),
    command=["sh", "-c", cfg.require("script")],
    mode={"mode": "replicated", "replicas": 2},
    update_config={"Parallelism": 1, "FailureAction": cfg.require("failureAction"),
                   "Monitor": "1s"},
    restart_policy={"Delay": "200ms"},
    stop_grace_period="1s",
    init=True,
)
pulumi.export("service_id", app.service_id)
"""

GOOD = "echo ready; exec sleep 600"
FIXED = "echo fixed; exec sleep 700"
BROKEN = "echo cannot read /etc/app.conf >&2; exit 3"


def live_command(client: docker.DockerClient, name: str) -> list[str]:
    spec = client.services.get(name).attrs["Spec"]
    return spec["TaskTemplate"]["ContainerSpec"]["Command"]


@pytest.mark.parametrize("action", ["rollback", "pause"])
def test_failed_update_fails_up_and_next_up_recovers(
    action: str, tmp_path: Path, pulumi_env: dict[str, str],
    docker_client: docker.DockerClient, test_image: str,
) -> None:
    prefix = f"fu{uuid.uuid4().hex[:6]}-"
    name = f"{prefix}app"
    prog = helpers.write_program(tmp_path / "prog", "failed-update", PROGRAM)
    stack = helpers.local_stack(prog, pulumi_env)
    try:
        stack.set_all_config({
            "swarm:namePrefix": auto.ConfigValue(prefix),
            "image": auto.ConfigValue(test_image),
            "script": auto.ConfigValue(GOOD),
            "failureAction": auto.ConfigValue(action),
        })
        up = stack.up()
        assert helpers.changes(up.summary.resource_changes) == {"create": 2}
        # The wait's progress shows on the service's own row, not as a diagnostic.
        assert "2/2 tasks running; waiting 1s for them to stay up" in up.stdout, up.stdout
        assert "Diagnostics" not in up.stdout

        stack.set_config("script", auto.ConfigValue(BROKEN))
        started = time.monotonic()
        with pytest.raises(auto.CommandError) as failed:
            stack.up()
        elapsed = time.monotonic() - started
        message = str(failed.value)
        assert "non-zero exit (3)" in message
        assert "cannot read /etc/app.conf" in message  # the failed task's log
        if action == "rollback":
            assert "rolled it back" in message
            assert live_command(docker_client, name) == ["sh", "-c", GOOD]
        else:
            assert "paused" in message
            assert live_command(docker_client, name) == ["sh", "-c", BROKEN]
        assert elapsed < 60, f"the failure took {elapsed:.0f}s to report"

        # The state still holds the previous outputs: the change is still to be made.
        preview = stack.preview(diff=True)
        assert helpers.changes(preview.change_summary) == {"update": 1, "same": 1}
        deployment = stack.export_stack().deployment or {}
        outputs = next(r for r in deployment["resources"]
                       if r["type"].endswith(":Service"))["outputs"]
        assert outputs["command"] == ["sh", "-c", GOOD]

        stack.set_config("script", auto.ConfigValue(FIXED))
        fixed = stack.up()
        assert helpers.changes(fixed.summary.resource_changes) == {"update": 1, "same": 1}
        assert live_command(docker_client, name) == ["sh", "-c", FIXED]
        running = [t for t in docker_client.services.get(name).tasks(
            filters={"desired-state": "running"}) if t["Status"]["State"] == "running"]
        assert len(running) == 2
        assert helpers.changes(stack.preview().change_summary) == {"same": 2}
    finally:
        stack.tear_down()
