"""Wait until a service really runs: tasks converged, then stable for the monitor window.

Mirrors ``docker service create --detach=false`` (up-to-date tasks counted per slot,
node or job iteration; a stability window of UpdateConfig.Monitor, 5 s by default) but
with a timeout, every mode, and failed or rolled-back updates reported as failures.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from . import engine
from .errors import ConvergenceError, service_label
from .normalise import mode_kind

POLL_SECONDS = 0.25
DEFAULT_MONITOR_NS = 5_000_000_000
FAILED_UPDATE_STATES = {"paused", "rollback_started", "rollback_paused", "rollback_completed"}
_TERMINAL = {"complete", "shutdown", "failed", "rejected", "remove", "orphaned"}


def wait(api: Any, service_id: str, canonical: Mapping[str, Any],
         options: Mapping[str, Any]) -> None:
    """Block until converged; ConvergenceError on failure, rollback or timeout."""
    if options.get("wait") is False:
        return
    name = canonical.get("name")
    kind = mode_kind(canonical.get("mode"))
    timeout = float(options.get("timeout") or default_timeout(canonical))
    monitor = 0.0 if kind.endswith("Job") else _monitor_seconds(canonical)
    deadline = time.monotonic() + timeout
    stable_since: float | None = None
    tasks: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        service = engine.inspect_service(api, service_id)
        if service is None:
            raise ConvergenceError(f"{service_label(name, service_id)} disappeared while waiting")
        status = (service.get("UpdateStatus") or {})
        if status.get("State") in FAILED_UPDATE_STATES:
            raise ConvergenceError(
                f"{service_label(name, service_id)}: update {status['State']}: "
                f"{status.get('Message', '')}{_task_errors(api, service_id, name)}"
            )
        tasks = engine.list_tasks(api, service_id, name, up_to_date=True)
        done, wanted = _progress(api, service, tasks)
        if done >= wanted and (status.get("State") in (None, "completed") or kind.endswith("Job")):
            stable_since = stable_since or time.monotonic()
            if time.monotonic() - stable_since >= monitor:
                return
        else:
            stable_since = None
        time.sleep(POLL_SECONDS)
    raise ConvergenceError(
        f"{service_label(name, service_id)} did not converge within {timeout:.0f}s"
        f"{_describe_tasks(tasks)}"
    )


def _progress(api: Any, service: Mapping[str, Any], tasks: list[dict[str, Any]]) -> tuple[int, int]:
    mode = service["Spec"].get("Mode", {})
    live = [t for t in tasks if t.get("DesiredState") not in _TERMINAL]
    if "Replicated" in mode:
        slots = {t.get("Slot") for t in live if t["Status"]["State"] == "running"}
        return len(slots), int(mode["Replicated"].get("Replicas", 1))
    if "Global" in mode:
        nodes = {t.get("NodeID") for t in live if t["Status"]["State"] == "running"}
        return len(nodes), max(1, _active_nodes(api, service))
    iteration = (service.get("JobStatus") or {}).get("JobIteration", {}).get("Index")
    current = [t for t in tasks if (t.get("JobIteration") or {}).get("Index") == iteration]
    complete = sum(1 for t in current if t["Status"]["State"] == "complete")
    if "ReplicatedJob" in mode:
        return complete, int(mode["ReplicatedJob"].get("TotalCompletions", 1))
    return complete, max(1, _active_nodes(api, service))


def _active_nodes(api: Any, service: Mapping[str, Any]) -> int:
    nodes = api.nodes()
    return sum(1 for node in nodes if node["Status"]["State"] != "down"
               and node["Spec"].get("Availability", "active") == "active")


def _monitor_seconds(canonical: Mapping[str, Any]) -> float:
    config = canonical.get("update_config") or {}
    return float(config.get("Monitor") or DEFAULT_MONITOR_NS) / 1e9


def default_timeout(canonical: Mapping[str, Any]) -> float:
    """Grace period + monitor per batch of ``parallelism`` tasks, plus delays, plus slack."""
    mode = canonical.get("mode") or {}
    replicas = int(mode.get("Replicated", {}).get("Replicas", 1) or 1)
    config = canonical.get("update_config") or {}
    parallelism = int(config.get("Parallelism", 1) or replicas)
    batches = -(-replicas // max(parallelism, 1))
    grace = float(canonical.get("stop_grace_period") or 10e9) / 1e9
    delay = float(config.get("Delay") or 0) / 1e9
    return 60.0 + batches * (grace + _monitor_seconds(canonical) + delay + 5.0)


def _task_errors(api: Any, service_id: str, name: str | None) -> str:
    return _describe_tasks(engine.list_tasks(api, service_id, name))


def _describe_tasks(tasks: list[dict[str, Any]]) -> str:
    lines = []
    for task in sorted(tasks, key=lambda t: t.get("UpdatedAt", ""), reverse=True)[:8]:
        status = task.get("Status", {})
        exit_code = status.get("ContainerStatus", {}).get("ExitCode")
        line = f"task {task['ID'][:12]} {status.get('State')}"
        if status.get("Err"):
            line += f": {status['Err']}"
        if exit_code:
            line += f" (exit code {exit_code})"
        lines.append(line)
    return ("; tasks: " + "; ".join(lines)) if lines else ""
