"""Many runs in one Automation API process: time per run, memory, the pickler (issue #13.2).

    python bench/automation.py            # 50 previews of 40 services
    python bench/automation.py 100 20     # 100 previews of 20 services

An inline program runs in this process, so every registration of every run goes through
the same ``pickle`` module: with the SDK's leak (``swarm_provider.resources.registration``)
the 487th registration of the process failed with RecursionError, and each run pickled
slower than the one before. Prints, per run, the preview's wall time, this process's RSS
and how many wrappers ``pickle._Pickler._batch_setitems`` is buried under (0 is right),
then the median time of the first and last ten runs. The services have ``wait=False``
and a preview calls no engine, so no swarm is needed; only the Pulumi CLI on PATH and a
backend (``eval "$(scripts/testbed env)"``).
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
import threading
import time
from typing import Any

from pulumi import automation as auto


def wrapper_depth() -> int:
    """How many wrappers ``pickle._Pickler._batch_setitems`` is buried under."""
    function: Any = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]
    depth = 0
    while getattr(function, "__module__", None) != "pickle":
        function = next(c.cell_contents for c in function.__closure__ or ()
                        if callable(c.cell_contents))
        depth += 1
    return depth


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main(runs: int, count: int) -> None:
    def program() -> None:
        from swarm_provider import SwarmService

        for index in range(count):
            SwarmService(f"svc-{index}", name=f"bench-auto-{index}", wait=False,
                         image="registry.test/app:1.0", env={"INDEX": str(index)})

    env = {"PULUMI_CONFIG_PASSPHRASE": "bench", **os.environ}
    env.setdefault("PULUMI_BACKEND_URL", f"file://{tempfile.mkdtemp(prefix='bench-auto-')}")
    stack = auto.create_or_select_stack(
        stack_name="many-runs", project_name="bench-automation", program=program,
        opts=auto.LocalWorkspaceOptions(env_vars=env))
    times = []
    try:
        for run in range(runs):
            started = time.monotonic()
            result = stack.preview(color="never")
            times.append(time.monotonic() - started)
            assert result.change_summary.get(auto.OpType.CREATE) == count + 1, result.change_summary
            print(f"run {run + 1:3d}: {times[-1]:5.2f}s  rss {rss_mib():5.1f} MiB  pickler "
                  f"depth {wrapper_depth()}  threads {threading.active_count()}", flush=True)
    finally:
        stack.workspace.remove_stack(stack.name, force=True)
    head, tail = sorted(times[:10]), sorted(times[-10:])
    print(f"{runs} runs of {count} services ({runs * count} registrations): median "
          f"{head[len(head) // 2]:.2f}s over the first ten, {tail[len(tail) // 2]:.2f}s over "
          f"the last ten")


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:]]
    main(*(arguments + [50, 40][len(arguments):]))
