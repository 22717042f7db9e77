"""Tasks, nodes and task logs: what the convergence wait and the removal watch read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .classify import Json, engine_errors, read
from .http import request

if TYPE_CHECKING:
    import docker


@read
def all_tasks(api: docker.APIClient, name: str | None = None,
              service_id: str | None = None) -> list[Json]:
    """Every task the swarm keeps (of every service, removed ones included)."""
    with engine_errors("listing tasks of", name, service_id):
        return [dict(t) for t in api.tasks()]


@read
def list_tasks(api: docker.APIClient, service_id: str, name: str | None = None,
               up_to_date: bool = False) -> list[Json]:
    """The service's tasks; ``up_to_date``: only those of its current spec."""
    filters: dict[str, Any] = {"service": service_id}
    if up_to_date:
        filters["_up-to-date"] = "true"
    with engine_errors("listing tasks of", name, service_id):
        return [dict(t) for t in api.tasks(filters=filters)]


@read
def tasks(api: docker.APIClient, filters: Mapping[str, Any],
          name: str | None = None, service_id: str | None = None) -> list[Json]:
    """``GET /tasks`` with any filters (``service``, ``desired-state``, ``node``, ...)."""
    with engine_errors("listing tasks of", name, service_id):
        return [dict(t) for t in api.tasks(filters=dict(filters))]


@read
def list_nodes(api: docker.APIClient) -> list[Json]:
    """Every node of the swarm (status, availability, role, labels, platform, hostname)."""
    with engine_errors("listing nodes for", None, None, "swarm"):
        return [dict(n) for n in api.nodes()]


@read
def task_logs(api: docker.APIClient, task_id: str, tail: int, tty: bool = False,
              timeout: float = 10.0) -> list[str]:
    """The last ``tail`` lines a task's container wrote (stdout and stderr, interleaved as
    the engine sends them). A TTY task's log is one raw stream, not multiplexed frames;
    docker-py has no public call for a task's logs."""
    params = {"stdout": 1, "stderr": 1, "tail": tail, "timestamps": 0, "follow": 0}
    with engine_errors("reading logs of task", task_id[:12], None, "task"):
        raw = request(api, "GET", "/tasks/{0}/logs", task_id, params=params, answer="logs",
                      tty=tty, timeout=timeout)
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
    return text.splitlines()[-tail:]
