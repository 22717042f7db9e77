"""Engine calls per second while N services converge at once, and how late the end of a
convergence is seen (issue #13.3). Real swarm, no Pulumi: the provider's own wait
(``converge.wait``) in N threads, as the provider host runs N Create RPCs.

    python bench/polling.py calls 1 20 100   # N services whose tasks stay pending
    python bench/polling.py delay 20         # N services that start, then the monitor window

``calls``: services constrained to a node label no node has (tasks pending, no container
started), each waited on with a timeout; every HTTP request the provider's engine client
makes is counted between the first and the last second of the waits.
``delay``: real one-replica services; for each, when the wait returned minus (when its task
reported running + the monitor window): what the poll interval and the shared rounds add.

Run it with this checkout's code, or another's (``PYTHONPATH=/other/checkout``) to compare.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from datetime import datetime
from typing import Any

from swarm_provider.api import engine
from swarm_provider.converge import wait as converge
from swarm_provider.errors import ConvergenceError

IMAGE = os.environ.get("SWARM_TEST_IMAGE", "swarm-testbed/busybox:1.0")
WAIT_SECONDS = 8.0


def _engine_time(value: str) -> float:
    head, _, rest = value.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{head}.{(rest + '000000')[:6]}+00:00").timestamp()


class Counter:
    """Every HTTP response of the client, with its time (a requests response hook)."""

    def __init__(self, api: Any) -> None:
        self.times: list[float] = []
        self.lock = threading.Lock()
        api.hooks["response"].append(self.hook)

    def hook(self, response: Any, *_args: Any, **_kwargs: Any) -> Any:
        with self.lock:
            self.times.append(time.monotonic())
        return response

    def rate(self, start: float, end: float) -> float:
        with self.lock:
            return sum(1 for t in self.times if start <= t <= end) / (end - start)


def _services(api: Any, count: int, pending: bool) -> list[tuple[str, str]]:
    stem = f"pollbench-{uuid.uuid4().hex[:6]}"
    made = []
    for index in range(count):
        name = f"{stem}-{index}"
        spec: dict[str, Any] = {
            "Name": name, "Mode": {"Replicated": {"Replicas": 1}},
            "TaskTemplate": {"ContainerSpec": {"Image": IMAGE, "Args": ["sleep", "600"]}}}
        if pending:
            spec["TaskTemplate"]["Placement"] = {"Constraints": ["node.labels.pollbench==never"]}
        made.append((engine.create_service(api, spec), name))
    return made


def _remove(api: Any, made: list[tuple[str, str]]) -> None:
    for service_id, name in made:
        engine.remove_service(api, service_id, name, wait_seconds=0)


def _wait_all(api: Any, made: list[tuple[str, str]], timeout: float | None) -> dict[str, float]:
    returned: dict[str, float] = {}

    def one(service_id: str, name: str) -> None:
        try:
            converge.wait(api, service_id, {"name": name}, {"timeout": timeout},
                          converge.CREATED, lambda _message: None)
        except ConvergenceError:
            pass
        returned[service_id] = time.time()

    threads = [threading.Thread(target=one, args=pair) for pair in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return returned


def calls(api: Any, count: int) -> float:
    made = _services(api, count, pending=True)
    counter = Counter(api)
    try:
        started = time.monotonic()
        _wait_all(api, made, WAIT_SECONDS)
        return counter.rate(started + 1.0, started + WAIT_SECONDS - 1.0)
    finally:
        api.hooks["response"].remove(counter.hook)
        _remove(api, made)


def delay(api: Any, count: int) -> list[float]:
    made = _services(api, count, pending=False)
    try:
        returned = _wait_all(api, made, None)
        late = []
        for service_id, _name in made:
            running = [t for t in api.tasks(filters={"service": service_id})
                       if t["Status"]["State"] == "running"]
            at = _engine_time(running[0]["Status"]["Timestamp"])
            late.append(returned[service_id] - at - converge.DEFAULT_MONITOR_NS / 1e9)
        return sorted(late)
    finally:
        _remove(api, made)


def main(argv: list[str]) -> None:
    mode, counts = argv[0], [int(a) for a in argv[1:]] or [1, 20, 100]
    api = engine.client(engine.Connection()).api
    for count in counts:
        if mode == "calls":
            rate = calls(api, count)
            print(f"N={count:4d}: {rate:6.1f} engine calls/s while waiting "
                  f"({rate / count:.2f} per service)", flush=True)
        else:
            late = delay(api, count)
            print(f"N={count:4d}: end of convergence seen late by median "
                  f"{late[len(late) // 2]:.2f}s, max {late[-1]:.2f}s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
