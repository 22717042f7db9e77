"""Polling that scales, on the real swarm (issue #13.3): 20 services waited on at once cost
the engine what one does (one shared round per 0.2 s), not 20 inspects and 20 task lists;
20 removals at once, one whole task list per 0.2 s, not 20.

``bench/polling.py`` prints the figures for N = 1, 20, 100 and the detection delay.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from swarm_provider.api import engine
from swarm_provider.converge import removal
from swarm_provider.converge import wait as converge
from swarm_provider.errors import ConvergenceError

WAITERS = 20
WAIT_SECONDS = 5.0
STOP_SECONDS = 4.0


def make_services(api: Any, stem: str, cleanup: list[str],
                  task: dict[str, Any]) -> list[tuple[str, str]]:
    """WAITERS one-replica services named ``<stem>-<i>`` with the TaskTemplate ``task``
    (removed after the test): (id, name) pairs."""
    made = []
    for index in range(WAITERS):
        name = f"{stem}-{index}"
        cleanup.append(name)
        spec = {"Name": name, "Mode": {"Replicated": {"Replicas": 1}}, "TaskTemplate": task}
        made.append((engine.create_service(api, spec), name))
    return made


def all_at_once(target: Callable[..., Any], arguments: list[tuple[Any, ...]],
                seconds: float) -> None:
    """``target`` called with each of ``arguments``, each in its own thread, all joined."""
    threads = [threading.Thread(target=target, args=args) for args in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds)


@contextlib.contextmanager
def engine_responses(api: Any) -> Iterator[list[float]]:
    """The times of the engine's answers to ``api`` while the block runs."""
    responses: list[float] = []

    def count(response: Any, *_args: Any, **_kwargs: Any) -> Any:
        responses.append(time.monotonic())
        return response

    api.hooks["response"].append(count)
    try:
        yield responses
    finally:
        api.hooks["response"].remove(count)


def per_second(responses: list[float], start: float, stop: float) -> float:
    return sum(1 for t in responses if start <= t <= stop) / (stop - start)


def test_twenty_waits_share_one_poll(test_image: str, unique: Any,
                                     services_cleanup: list[str]) -> None:
    api = engine.client(engine.Connection()).api
    made = make_services(api, unique("poll"), services_cleanup, {
        "ContainerSpec": {"Image": test_image, "Args": ["sleep", "60"]},
        # No node has it: the tasks stay pending, no container starts.
        "Placement": {"Constraints": ["node.labels.pollbench==never"]}})
    errors: dict[str, str] = {}

    def wait(service_id: str, name: str) -> None:
        with pytest.raises(ConvergenceError) as failed:
            converge.wait(api, service_id, {"name": name}, {"timeout": WAIT_SECONDS},
                          converge.CREATED, lambda _message: None)
        errors[name] = str(failed.value)

    with engine_responses(api) as responses:
        started = time.monotonic()
        all_at_once(wait, made, 60)
    rate = per_second(responses, started + 1.0, started + WAIT_SECONDS - 1.0)
    print(f"{WAITERS} waits: {rate:.1f} engine calls/s")
    # One round (a service list, a task list) per POLL_SECONDS, whatever the number of
    # waits; polled one by one, 20 waits made about 200 calls/s.
    assert rate <= 2 / converge.POLL_SECONDS * 1.2, rate
    assert rate >= 1 / converge.POLL_SECONDS, f"the waits stopped polling: {rate}"
    assert len(errors) == WAITERS
    assert all("did not converge within 5s" in text and "pending" in text
               for text in errors.values()), errors


def test_twenty_removals_share_one_task_list(test_image: str, unique: Any,
                                            services_cleanup: list[str]) -> None:
    api = engine.client(engine.Connection()).api
    stem = unique("rmpoll")
    # sleep as PID 1 (no init) ignores SIGTERM: each task runs out its stop grace period.
    made = make_services(api, stem, services_cleanup, {"ContainerSpec": {
        "Image": test_image, "Args": ["sleep", "60"],
        "StopGracePeriod": int(STOP_SECONDS * 1e9)}})
    quiet: Any = lambda _message: None  # noqa: E731
    all_at_once(converge.wait, [(api, service_id, {"name": name}, {}, converge.CREATED, quiet)
                                for service_id, name in made], 120)
    with engine_responses(api) as responses:
        started = time.monotonic()
        all_at_once(removal.remove, [(api, *pair) for pair in made], 60)
        took = time.monotonic() - started
    rate = per_second(responses, started + 1.0, started + STOP_SECONDS - 0.5)
    print(f"{WAITERS} removals: {rate:.1f} engine calls/s, {took:.1f}s")
    # One whole task list per POLL_SECONDS for all of them; one per removal made ~77/s.
    assert rate <= 1 / removal.POLL_SECONDS * 1.3, rate
    assert took >= STOP_SECONDS, "the removals returned before the tasks stopped"
    assert not [s for s in api.services(filters={"name": stem})], "services left behind"
    left = [t for t in api.tasks() if t.get("ServiceID") in {i for i, _ in made}
            and t["Status"]["State"] in ("running", "starting", "preparing")]
    assert not left, left
