"""A `pulumi up` killed mid-create, through the real CLI (issue 14, item 10).

The CLI (and its plugins) get SIGKILL while the service's create waits for its tasks. What
Pulumi 3.274 itself then demands, measured here: the stack stays locked until `pulumi
cancel`; the create stays a pending operation, every later `up` warns about it until
`pulumi refresh --clear-pending-creates` drops it (a non-interactive refresh keeps it).
The provider's part needs nothing: the next `up` finds the service by name, sees our owner
label, and takes it over without touching it (same id, same version: nothing sent). And
nothing of the killed run lives on: Pulumi starts its plugins in process groups of their
own, so the language host, the program and the provider host survive the kill of the CLI's
group; ours notice their parent is gone and end (they used to wait forever).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import docker
from pulumi import automation as auto

from . import pulumi_helpers as helpers

pulumi_env = helpers.pulumi_env  # the fixture

PROGRAM = """\
import pulumi

from swarm_provider import SwarmService

cfg = pulumi.Config()
app = SwarmService("app", image=cfg.require("image"), command=["sleep", "600"], init=True,
                   stop_grace_period="1s", update_config={"Monitor": "30s"})
pulumi.export("service_id", app.service_id)
"""


def cli(prog: Path, env: dict[str, str], *args: str, check: bool = True) -> str:
    done = helpers.run_cli(prog, env, *args)
    output = done.stdout + done.stderr
    assert not check or done.returncode == 0, output
    return output


def processes_in(folder: Path) -> list[str]:
    """The command lines of the processes working in ``folder``: the CLI starts its
    plugins and the program in the project's folder."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and Path(os.readlink(entry / "cwd")) == folder:
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue  # ended meanwhile, or not ours to read
    return found


def gone_within(seconds: float, folder: Path) -> list[str]:
    """``processes_in(folder)`` once it is empty, or what is still there after ``seconds``."""
    deadline = time.monotonic() + seconds
    while (left := processes_in(folder)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def pending_operations(prog: Path, env: dict[str, str]) -> list[str]:
    exported = json.loads(cli(prog, env, "stack", "export"))
    return [op["type"] for op in exported["deployment"].get("pending_operations") or []]


def test_a_killed_create_is_taken_over_by_the_next_up(
    tmp_path: Path, pulumi_env: dict[str, str], docker_client: docker.DockerClient,
    test_image: str,
) -> None:
    prefix = f"fsc{uuid.uuid4().hex[:6]}-"
    name = f"{prefix}app"
    prog = helpers.write_program(tmp_path / "prog", "crash", PROGRAM)
    stack = helpers.local_stack(prog, pulumi_env)
    try:
        stack.set_all_config({"swarm:namePrefix": auto.ConfigValue(prefix),
                              "image": auto.ConfigValue(test_image)})
        running = subprocess.Popen(
            [helpers.pulumi_cli(), "up", "--yes", "--non-interactive", "--stack", "dev"],
            cwd=prog, env={**os.environ, **pulumi_env}, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while not docker_client.services.list(filters={"name": name}):
                assert running.poll() is None, "pulumi up ended before the service existed"
                assert time.monotonic() < deadline, "the create never reached the engine"
                time.sleep(0.2)
            time.sleep(1)  # inside the 30 s stability window of the create's wait
        finally:
            os.killpg(running.pid, signal.SIGKILL)  # the CLI, not its plugins' groups
            running.wait(timeout=30)
        assert gone_within(10, prog.resolve()) == [], "left running after the CLI was killed"
        before = docker_client.api.inspect_service(name)

        # Pulumi's part: the lock, then the pending create.
        locked = cli(prog, pulumi_env, "up", "--yes", check=False)
        assert "currently locked" in locked, locked
        cli(prog, pulumi_env, "cancel", "--yes")
        assert pending_operations(prog, pulumi_env) == ["creating"]

        # Ours: taken over as it is.
        up = cli(prog, pulumi_env, "up", "--yes")
        assert "pending operations" in up  # Pulumi's warning, until the refresh below
        after = docker_client.api.inspect_service(name)
        assert after["ID"] == before["ID"]
        assert after["Version"]["Index"] == before["Version"]["Index"], "the service was touched"
        outputs = stack.outputs()
        assert outputs["service_id"].value == before["ID"]

        cli(prog, pulumi_env, "refresh", "--yes")  # non-interactive: keeps the pending create
        assert pending_operations(prog, pulumi_env) == ["creating"]
        cli(prog, pulumi_env, "refresh", "--clear-pending-creates", "--yes")
        assert pending_operations(prog, pulumi_env) == []
        assert "pending operations" not in cli(prog, pulumi_env, "up", "--yes")
        assert helpers.changes(stack.preview().change_summary) == {"same": 2}
    finally:
        stack.destroy()  # always: the `up`s above ran by hand, not through `stack`
