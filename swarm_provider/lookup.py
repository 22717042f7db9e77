"""Read services without managing them: docker-py's ``ServiceCollection.get``/``list`` and
``Service.tasks``/``logs`` for Pulumi programs and scripts.

Dynamic providers have no Invoke, so nothing here goes through the Pulumi engine: the
functions call the Docker engine from the process they run in (through ``engine``).

- ``get_service`` and ``list_services`` return Outputs for programs. They read the engine
  while the program runs, during ``pulumi preview`` as well as ``pulumi up``, so a preview
  of a program that uses them needs the swarm reachable. Their results are secret by
  default, because a spec carries env values.
- ``read_service``, ``read_services``, ``service_tasks`` and ``service_logs`` are the plain
  synchronous calls, for scripts, tests, or ``output.apply(...)`` in a program.

Nothing connects at import time. The connection is the one the provider would use: the
stack's ``swarm:dockerHost``/``swarm:tls*`` config when running inside a Pulumi program,
else ``DOCKER_HOST``/``DOCKER_TLS_VERIFY``/``DOCKER_CERT_PATH``; or pass ``connection=``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from .api import engine
from .core.outputs import live_fields
from .errors import NotFoundError

Info = dict[str, Any]


class _StackConfig:
    """The running program's stack config, keyed like the provider's (``swarm:dockerHost``).

    ``pulumi.runtime.get_config`` returns secrets as plain values (they never leave this
    process) and ``None`` outside a Pulumi program, where the environment applies.
    """

    def get(self, key: str) -> str | None:
        value = pulumi.runtime.get_config(key)
        return None if value is None else str(value)


def stack_connection() -> engine.Connection:
    """The engine connection the provider uses for this stack (config, else environment)."""
    return engine.connection_from_config(_StackConfig())


def _api(connection: engine.Connection | None) -> Any:
    return engine.client(connection or stack_connection()).api


def describe(service: Mapping[str, Any], network_names: Mapping[str, str] | None = None) -> Info:
    """A live service as a dict: the SwarmService output names, plus ``inputs``, the
    SwarmService keywords that declare it as it is (what ``adopt=True`` compares with).
    ``network_names`` maps network ids to names, to show ``inputs["networks"]`` by name."""
    spec = service.get("Spec") or {}
    endpoint = service.get("Endpoint") or {}
    inputs = {k: v for k, v in live_fields(service, network_names or {}).items()
              if v is not None and k != "owner"}
    return {
        "service_id": service["ID"],
        "name": spec.get("Name"),
        "version": (service.get("Version") or {}).get("Index"),
        "created_at": service.get("CreatedAt"),
        "updated_at": service.get("UpdatedAt"),
        "spec": spec,
        "endpoint": {"Ports": endpoint.get("Ports", []),
                     "VirtualIPs": endpoint.get("VirtualIPs", [])},
        "update_status": service.get("UpdateStatus"),
        "service_status": service.get("ServiceStatus"),
        "inputs": inputs,
    }


def read_service(name_or_id: str, connection: engine.Connection | None = None) -> Info:
    """``client.services.get(name_or_id)`` as a ``describe`` dict; NotFoundError if none."""
    api = _api(connection)
    live = engine.inspect_service(api, name_or_id)
    if live is None:
        raise NotFoundError(f"no service is named {name_or_id!r} or has that id")
    return describe(live, _network_names(api, [live]))


def read_services(filters: Mapping[str, Any] | None = None, status: bool | None = None,
                  connection: engine.Connection | None = None) -> list[Info]:
    """``client.services.list(filters=..., status=...)`` as ``describe`` dicts.

    Filters are the engine's: ``id``, ``name`` (prefix match), ``label``, ``mode``.
    ``status=True`` fills ``service_status`` (RunningTasks, DesiredTasks, CompletedTasks).
    """
    api = _api(connection)
    found = engine.list_services(api, filters, status)
    names = _network_names(api, found)
    return [describe(s, names) for s in found]


def _network_names(api: Any, services: list[dict[str, Any]]) -> dict[str, str]:
    """id -> name of the networks these services attach to."""
    ids = {entry.get("Target") for s in services
           for entry in (s.get("Spec", {}).get("TaskTemplate", {}).get("Networks") or [])}
    names = {}
    for network_id in sorted(i for i in ids if i):
        network = engine.inspect_network(api, network_id)
        if network is not None:
            names[network_id] = str(network["Name"])
    return names


def get_service(name_or_id: pulumi.Input[str], connection: engine.Connection | None = None,
                secret: bool = True) -> pulumi.Output[Info]:
    """Read a service into a program without managing it (``ServiceCollection.get``).

    Resolves once the name is known (never while the module is imported); a missing
    service fails the program with NotFoundError. ``secret=False`` if you know the spec
    holds nothing sensitive and want to export parts of it in plain text.
    """
    found = pulumi.Output.from_input(name_or_id).apply(lambda key: read_service(key, connection))
    return pulumi.Output.secret(found) if secret else found


def list_services(filters: pulumi.Input[Mapping[str, Any]] | None = None,
                  status: bool | None = None, connection: engine.Connection | None = None,
                  secret: bool = True) -> pulumi.Output[list[Info]]:
    """``ServiceCollection.list(filters, status)`` for programs; see ``read_services``."""
    found = pulumi.Output.from_input(filters or {}).apply(
        lambda wanted: read_services(wanted, status, connection))
    return pulumi.Output.secret(found) if secret else found


def service_tasks(name_or_id: str, desired_state: str | None = "running",
                  filters: Mapping[str, Any] | None = None,
                  connection: engine.Connection | None = None) -> list[dict[str, Any]]:
    """``Service.tasks(filters)``: the service's tasks, by default only those meant to run
    (the engine keeps a few finished ones per slot; ``desired_state=None`` lists all)."""
    api = _api(connection)
    info = read_service(name_or_id, connection)
    wanted: dict[str, Any] = {**(filters or {}), "service": info["service_id"]}
    if desired_state:
        wanted["desired-state"] = desired_state
    return engine.tasks(api, wanted, info["name"], info["service_id"])


def service_logs(name_or_id: str, tail: int | str = 100, stdout: bool = True,
                 stderr: bool = True, timestamps: bool = False, since: int = 0,
                 connection: engine.Connection | None = None) -> str:
    """``Service.logs(...)`` as text: the last ``tail`` lines of every task (``"all"`` for
    everything), both streams by default, TTY services included."""
    api = _api(connection)
    info = read_service(name_or_id, connection)
    tty = bool(info["spec"].get("TaskTemplate", {}).get("ContainerSpec", {}).get("TTY"))
    return engine.service_logs(api, info["service_id"], info["name"], tty=tty, tail=tail,
                               stdout=stdout, stderr=stderr, timestamps=timestamps,
                               since=since)
