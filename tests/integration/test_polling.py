"""Polling that scales, on the real swarm (issue #13.3): 20 services waited on at once cost
the engine what one does (one shared round per 0.2 s), not 20 inspects and 20 task lists;
20 removals at once, one whole task list per 0.2 s, not 20.

``bench/polling.py`` prints the figures for N = 1, 20, 100 and the detection delay.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from swarm_provider.api import engine
from swarm_provider.converge import removal
from swarm_provider.converge import wait as converge
from swarm_provider.errors import ConvergenceError

WAITERS = 20
WAIT_SECONDS = 5.0


def test_twenty_waits_share_one_poll(test_image: str, unique: Any,
                                     services_cleanup: list[str]) -> None:
    api = engine.client(engine.Connection()).api
    stem = unique("poll")
    made = []
    for index in range(WAITERS):
        name = f"{stem}-{index}"
        services_cleanup.append(name)
        spec = {"Name": name, "Mode": {"Replicated": {"Replicas": 1}},
                "TaskTemplate": {"ContainerSpec": {"Image": test_image, "Args": ["sleep", "60"]},
                                 # No node has it: the tasks stay pending, no container starts.
                                 "Placement": {"Constraints": ["node.labels.pollbench==never"]}}}
        made.append((engine.create_service(api, spec), name))
    responses: list[float] = []

    def count(response: Any, *_args: Any, **_kwargs: Any) -> Any:
        responses.append(time.monotonic())
        return response

    errors: dict[str, str] = {}

    def wait(service_id: str, name: str) -> None:
        with pytest.raises(ConvergenceError) as failed:
            converge.wait(api, service_id, {"name": name}, {"timeout": WAIT_SECONDS},
                          converge.CREATED, lambda _message: None)
        errors[name] = str(failed.value)

    api.hooks["response"].append(count)
    try:
        started = time.monotonic()
        threads = [threading.Thread(target=wait, args=pair) for pair in made]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        api.hooks["response"].remove(count)
    window = (started + 1.0, started + WAIT_SECONDS - 1.0)
    rate = sum(1 for t in responses if window[0] <= t <= window[1]) / (window[1] - window[0])
    print(f"{WAITERS} waits: {rate:.1f} engine calls/s")
    # One round (a service list, a task list) per POLL_SECONDS, whatever the number of
    # waits; polled one by one, 20 waits made about 200 calls/s.
    assert rate <= 2 / converge.POLL_SECONDS * 1.2, rate
    assert rate >= 1 / converge.POLL_SECONDS, f"the waits stopped polling: {rate}"
    assert len(errors) == WAITERS
    assert all("did not converge within 5s" in text and "pending" in text
               for text in errors.values()), errors


STOP_SECONDS = 4.0


def test_twenty_removals_share_one_task_list(test_image: str, unique: Any,
                                            services_cleanup: list[str]) -> None:
    api = engine.client(engine.Connection()).api
    stem = unique("rmpoll")
    made = []
    for index in range(WAITERS):
        name = f"{stem}-{index}"
        services_cleanup.append(name)
        # sleep as PID 1 (no init) ignores SIGTERM: each task runs out its stop grace period.
        spec = {"Name": name, "Mode": {"Replicated": {"Replicas": 1}},
                "TaskTemplate": {"ContainerSpec": {
                    "Image": test_image, "Args": ["sleep", "60"],
                    "StopGracePeriod": int(STOP_SECONDS * 1e9)}}}
        made.append((engine.create_service(api, spec), name))
    quiet: Any = lambda _message: None  # noqa: E731
    threads = [threading.Thread(target=converge.wait, args=(api, service_id, {"name": name},
                                                            {}, converge.CREATED, quiet))
               for service_id, name in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    responses: list[float] = []

    def count(response: Any, *_args: Any, **_kwargs: Any) -> Any:
        responses.append(time.monotonic())
        return response

    api.hooks["response"].append(count)
    try:
        started = time.monotonic()
        threads = [threading.Thread(target=removal.remove, args=(api, *pair))
                   for pair in made]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        took = time.monotonic() - started
    finally:
        api.hooks["response"].remove(count)
    window = (started + 1.0, started + STOP_SECONDS - 0.5)
    rate = sum(1 for t in responses if window[0] <= t <= window[1]) / (window[1] - window[0])
    print(f"{WAITERS} removals: {rate:.1f} engine calls/s, {took:.1f}s")
    # One whole task list per POLL_SECONDS for all of them; one per removal made ~77/s.
    assert rate <= 1 / removal.POLL_SECONDS * 1.3, rate
    assert took >= STOP_SECONDS, "the removals returned before the tasks stopped"
    assert not [s for s in api.services(filters={"name": stem})], "services left behind"
    left = [t for t in api.tasks() if t.get("ServiceID") in {i for i, _ in made}
            and t["Status"]["State"] in ("running", "starting", "preparing")]
    assert not left, left
