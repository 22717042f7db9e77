"""Engine calls per second while N services converge at once, and how late the end of a
convergence is seen (issue #13.3). Real swarm, no Pulumi: the provider's own wait
(``converge.wait``) in N threads, as the provider host runs N Create RPCs.

    python bench/polling.py calls 1 20 100     # N services whose tasks stay pending
    python bench/polling.py removals 1 20 100  # N running services removed at once
    python bench/polling.py delay 20           # N services that start, then the monitor window

``calls``: services constrained to a node label no node has (tasks pending, no container
started), each waited on with a timeout; every HTTP request the provider's engine client
makes is counted between the first and the last second of the waits.
``removals``: N running one-replica services whose task ignores SIGTERM (``sleep`` as PID 1,
no init) with a stop grace period of ``WAIT_SECONDS``, removed at once by the provider's
own ``removal.remove`` in N threads: calls are counted the same way while the removals
wait for the tasks to stop (the one inspect and one DELETE per service come first).
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
from swarm_provider.converge import removal
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

    def count(self, start: float, end: float) -> int:
        with self.lock:
            return sum(1 for t in self.times if start <= t <= end)

    def rate(self, start: float, end: float) -> float:
        return self.count(start, end) / (end - start)


def _services(api: Any, count: int, pending: bool,
              stop_grace: float | None = None) -> list[tuple[str, str]]:
    stem = f"pollbench-{uuid.uuid4().hex[:6]}"
    made = []
    for index in range(count):
        name = f"{stem}-{index}"
        container: dict[str, Any] = {"Image": IMAGE, "Args": ["sleep", "600"]}
        if stop_grace is not None:
            container["StopGracePeriod"] = int(stop_grace * 1e9)
        spec: dict[str, Any] = {"Name": name, "Mode": {"Replicated": {"Replicas": 1}},
                                "TaskTemplate": {"ContainerSpec": container}}
        if pending:
            spec["TaskTemplate"]["Placement"] = {"Constraints": ["node.labels.pollbench==never"]}
        made.append((engine.create_service(api, spec), name))
    return made


def _remove(api: Any, made: list[tuple[str, str]]) -> None:
    for service_id, name in made:
        engine.delete_service(api, service_id, name)


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


def removals(api: Any, count: int) -> tuple[float, int, float]:
    """Calls per second while N removals wait, all calls, and the removals' wall time."""
    made = _services(api, count, pending=False, stop_grace=WAIT_SECONDS)
    try:
        _wait_all(api, made, None)
        counter = Counter(api)
        try:
            started = time.monotonic()
            threads = [threading.Thread(target=removal.remove, args=(api, service_id, name))
                       for service_id, name in made]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            ended = time.monotonic()
        finally:
            api.hooks["response"].remove(counter.hook)
        rate = counter.rate(started + 1.0, started + WAIT_SECONDS - 1.0)
        return rate, counter.count(started, ended), ended - started
    finally:
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
        elif mode == "removals":
            rate, total, took = removals(api, count)
            print(f"N={count:4d}: {rate:6.1f} engine calls/s while the removals wait "
                  f"({rate / count:.2f} per service); {total} calls in {took:.1f}s",
                  flush=True)
        else:
            late = delay(api, count)
            print(f"N={count:4d}: end of convergence seen late by median "
                  f"{late[len(late) // 2]:.2f}s, max {late[-1]:.2f}s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
