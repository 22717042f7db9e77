"""The Docker engine as the rest of the package sees it: one name for every call.

The calls live in small modules by what they touch (``connection``, ``services``,
``objects``, ``tasks``; failures are classified in ``classify``, docker-py's private
HTTP helpers sit behind ``http.request``); callers write ``engine.inspect_service(...)``
and need not know which. ``Connection`` keeps this module as its pickled path: Pulumi
state names ``swarm_provider.api.engine.Connection`` (and 0.1's
``swarm_provider.engine.Connection``, aliased here by ``swarm_provider._moved``).
"""

from __future__ import annotations

from .classify import READ_PAUSES, engine_errors, read
from .connection import MIN_API_VERSION, Connection, client, connection_from_config
from .objects import (
    ROUTES,
    create,
    find,
    inspect,
    inspect_network,
    network_ids,
    remove,
    update,
    users,
)
from .services import (
    create_service,
    delete_service,
    find_service,
    inspect_service,
    list_services,
    service_logs,
    update_service,
)
from .tasks import all_tasks, list_nodes, list_tasks, task_logs, tasks

__all__ = [
    "MIN_API_VERSION", "READ_PAUSES", "ROUTES", "Connection", "all_tasks", "client",
    "connection_from_config", "create", "create_service", "delete_service",
    "engine_errors", "find", "find_service", "inspect", "inspect_network",
    "inspect_service", "list_nodes", "list_services", "list_tasks", "network_ids", "read",
    "remove", "service_logs", "task_logs", "tasks", "update", "update_service",
    "users",
]
