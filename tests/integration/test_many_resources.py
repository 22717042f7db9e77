"""1,000 resources in one program, through the real CLI (issue #13.2).

The SDK's ``serialize_provider`` used to leave one more pickling wrapper behind per
resource, so the 487th registration of a process failed with RecursionError; see
``swarm_provider.resources.registration``. A preview needs no swarm: ``wait=False`` services make
no engine call in check or diff.

The preview runs with ``PULUMI_SKIP_CHECKPOINTS=true``, as the README advises for programs
this large: Pulumi 3.274 otherwise serializes its whole in-memory snapshot after every
step, even in a preview that saves nothing: the CLI's own quadratic cost, no part of
what is tested here; bench/stack.py measures previews with the default.
"""

from __future__ import annotations

import time
from pathlib import Path

from . import pulumi_helpers as helpers

pulumi_env = helpers.pulumi_env  # the fixture

RESOURCES = 1_000

PROGRAM = """\
import pulumi
from swarm_provider import SwarmConfig, SwarmNetwork, SwarmService

count = int(pulumi.Config().require("count"))
SwarmNetwork("net", attachable=True)
SwarmConfig("conf", data="a=1")
for index in range(count - 2):
    SwarmService(f"svc-{index}", image="registry.test/app:1.0", wait=False,
                 env={"INDEX": str(index)})
"""


def test_a_preview_of_a_thousand_resources(tmp_path: Path, pulumi_env: dict[str, str]) -> None:
    from pulumi import automation as auto

    project = helpers.write_program(tmp_path / "prog", "scale-thousand", PROGRAM)
    stack = helpers.local_stack(project, {**pulumi_env, "PULUMI_SKIP_CHECKPOINTS": "true"})
    stack.set_config("count", auto.ConfigValue(str(RESOURCES)))
    started = time.monotonic()
    preview = stack.preview(color="never")
    took = time.monotonic() - started
    print(f"preview of {RESOURCES} resources: {took:.1f}s")
    assert helpers.changes(preview.change_summary) == {"create": RESOURCES + 1}
    assert "RecursionError" not in preview.stdout + preview.stderr
