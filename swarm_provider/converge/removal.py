"""Remove a service so that nothing of it keeps running.

``DELETE /services/{id}`` returns at once and the nodes stop the containers afterwards,
except for **job** services: a job task's desired state is ``complete``, the engine's
jobs orchestrator ignores a deleted service, so a job task still running when its service
is removed keeps its container running until the command exits by itself (measured on
20.10: ``sleep 600`` ran on after ``docker service rm``; moby/moby#42789). Deleting or
replacing a running job service must not leave that behind.

What does stop it is the orchestrator's own rule for job iterations: every update of a
job service starts a new iteration, and tasks of an older iteration that still run get
desired state ``remove``, which makes their node stop the container (swarmkit
``jobs/replicated/reconciler.go`` and ``jobs/global/reconciler.go``). So before the
delete, a job with live tasks is updated to an iteration that runs nothing:
``TotalCompletions: 0`` for a replicated job, a placement constraint no node matches for a
global job. Then the wait: first for the job's tasks to stop, then, after the delete, for
every task of the service to end. A task that does not stop in time (its node is down,
its container is stuck) is an error naming the task and its node, never a silent success.

The waits read the shared rounds of ``poll`` (one whole task list per ``POLL_SECONDS`` for
every removal of the process): a ``pulumi destroy`` of N services deletes them all at
once, and polled one by one they would cost the engine N task lists per interval.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable, Mapping
from typing import Any

from ..api import engine
from ..errors import EngineError, OutOfSequence, service_label
from . import poll, tasks
from .progress import Report

POLL_SECONDS = 0.2
STOP_ALLOWANCE = 30.0
"""Seconds on top of the service's stop grace period for its containers to stop."""
NO_NODE = "node.id==swarm-provider-removing"
"""A placement constraint no node matches (node ids are 25 random characters)."""


def remove(api: Any, service_id: str, name: str | None, report: Report | None = None,
           wait_seconds: float | None = None) -> None:
    """Remove the service (already gone is fine) and wait until none of its tasks runs.

    ``wait_seconds`` bounds each wait; by default ``STOP_ALLOWANCE`` plus the stop grace
    period. Raises ``EngineError`` naming what still runs when that is not enough.
    """
    label = service_label(name, service_id)
    say = report or (lambda _message: None)
    live = engine.inspect_service(api, service_id)
    allowance = wait_seconds if wait_seconds is not None else _allowance(live)
    if live is not None and tasks.is_job(tasks.mode_kind(live.get("Spec") or {})):
        if _live_tasks(api, service_id, name):
            _stop_job(api, live, name)
            _wait_until_stopped(api, service_id, name, allowance, say,
                                f"stopping the running tasks of job {label}")
    engine.delete_service(api, service_id, name)
    _wait_until_stopped(api, service_id, name, allowance, say,
                        f"waiting for the tasks of {label} to stop")


def _allowance(live: Mapping[str, Any] | None) -> float:
    container = (((live or {}).get("Spec") or {}).get("TaskTemplate") or {}).get(
        "ContainerSpec") or {}
    grace = container.get("StopGracePeriod")
    return STOP_ALLOWANCE + (10.0 if grace is None else float(grace) / 1e9)


def stopping_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The job's spec changed so that its next iteration runs no task at all."""
    stopped = copy.deepcopy(dict(spec))
    mode = stopped.get("Mode") or {}
    if "ReplicatedJob" in mode:
        mode["ReplicatedJob"] = {**(mode["ReplicatedJob"] or {}), "TotalCompletions": 0}
    else:
        task = stopped.setdefault("TaskTemplate", {})
        placement = task.get("Placement") or {}
        task["Placement"] = {**placement,
                             "Constraints": [*(placement.get("Constraints") or []), NO_NODE]}
    return stopped


def _stop_job(api: Any, live: Mapping[str, Any], name: str | None) -> None:
    for _attempt in range(5):
        try:
            engine.update_service(api, str(live["ID"]), live["Version"]["Index"],
                                  stopping_spec(live["Spec"]))
            return
        except OutOfSequence:
            pass
        fresh = engine.inspect_service(api, str(live["ID"]))
        if fresh is None:
            return
        live = fresh
    raise EngineError(f"stopping the tasks of {service_label(name, str(live['ID']))} kept "
                      "failing with 'update out of sequence'; something else is writing to it")


def _live_tasks(api: Any, service_id: str, name: str | None) -> list[dict[str, Any]]:
    """Tasks of the service (present or removed) that may still hold a running container:
    every task not yet in a terminal state. The ``service`` filter answers 404 once the
    service is gone, so the whole list is filtered by ServiceID."""
    return _unfinished(t for t in engine.all_tasks(api, name, service_id)
                       if t.get("ServiceID") == service_id)


def _unfinished(listed: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [t for t in listed if not tasks.is_terminal(tasks.state_of(t))]


def _wait_until_stopped(api: Any, service_id: str, name: str | None, allowance: float,
                        say: Report, doing: str) -> None:
    started = time.monotonic()
    with poll.watch(api, service_id, POLL_SECONDS, removal=True) as watch:
        while True:
            left = _unfinished(watch.remaining())
            if not left:
                return
            waited = time.monotonic() - started
            if waited >= allowance:
                raise EngineError(_still_running(api, service_id, name, left, allowance))
            if waited >= 1.0:
                say(f"{doing}: {len(left)} still running ({waited:.0f}s)")


def _still_running(api: Any, service_id: str, name: str | None,
                   left: list[dict[str, Any]], allowance: float) -> str:
    try:
        nodes = {str(n.get("ID")): tasks.hostname(n) for n in engine.list_nodes(api)}
    except EngineError:
        nodes = {}
    lines = [tasks.describe(t, nodes) for t in left[:5]]
    if len(left) > 5:
        lines.append(f"... and {len(left) - 5} more")
    return (f"{service_label(name, service_id)}: {len(left)} task(s) still running "
            f"{allowance:g}s after the service was told to stop them:\n  - "
            + "\n  - ".join(lines)
            + "\nTheir containers may be stuck or their node unreachable; check the node "
              "(`docker node ps`, `docker ps` on it) and stop them by hand")
