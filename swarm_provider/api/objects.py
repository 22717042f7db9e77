"""Engine objects by kind: networks, secrets and configs (and services, for the calls
every kind shares), each addressed through one ``Route`` row.

The engine serves the three object kinds alike (``POST /<kind>s/create``,
``GET /<kind>s/{id}``, ``GET /<kind>s?filters=``, ``DELETE /<kind>s/{id}``); where they
differ (the id key, where the name sits) is data in ``ROUTES``, as docker-py's models
keep ``id_attribute``. The calls the providers share with services (``create``,
``inspect``, ``find``, ``update``) take ``kind="service"`` too and go to ``services``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import NotFound, service_label
from . import services
from .classify import Json, absent, engine_errors, read
from .http import request

if TYPE_CHECKING:
    import docker

SERVICE = "service"


@dataclass(frozen=True)
class Route:
    """Where the engine serves one kind of object, and how its answers are shaped."""

    path: str
    """The collection's URL path: ``/networks``."""
    id_key: str
    """The key of the id in a create's answer and an inspect: ``Id`` for networks."""
    name_at: tuple[str, ...]
    """Where the name sits in an inspect: a network's at the top, the others' in Spec."""
    reference: tuple[str, str] = ("", "")
    """Where a service's ContainerSpec refers to it: (list key, id key); networks are
    attached through TaskTemplate.Networks instead."""


ROUTES = {
    "network": Route("/networks", "Id", ("Name",)),
    "secret": Route("/secrets", "ID", ("Spec", "Name"), ("Secrets", "SecretID")),
    "config": Route("/configs", "ID", ("Spec", "Name"), ("Configs", "ConfigID")),
}


def _name_of(live: Mapping[str, Any], route: Route) -> Any:
    value: Any = live
    for key in route.name_at:
        value = (value or {}).get(key)
    return value


def create(api: docker.APIClient, kind: str, spec: Mapping[str, Any]) -> str:
    """Create from the complete Engine spec; the new id. ``NameConflict`` if taken."""
    if kind == SERVICE:
        return services.create_service(api, spec)
    route = ROUTES[kind]
    with engine_errors("creating", spec.get("Name"), None, kind):
        reply = request(api, "POST", f"{route.path}/create", body=spec)
    return str(reply[route.id_key])


def inspect(api: docker.APIClient, kind: str, object_id: str) -> Json | None:
    """The object as the engine reports it (secrets without Data), or None if gone."""
    if kind == SERVICE:
        return services.inspect_service(api, object_id)
    return _inspect_object(api, kind, object_id)


@read
def _inspect_object(api: docker.APIClient, kind: str, object_id: str) -> Json | None:
    return _get(api, kind, object_id, "inspecting", None)


def _get(api: docker.APIClient, kind: str, object_id: str, action: str,
         name: str | None) -> Json | None:
    def inspect() -> Json:
        with engine_errors(action, name, None if name else object_id, kind):
            return dict(request(api, "GET", ROUTES[kind].path + "/{0}", object_id))
    return absent(inspect)


def inspect_network(api: docker.APIClient, network_id: str) -> Json | None:
    """The network as the engine reports it, or None if gone."""
    return inspect(api, "network", network_id)


def find(api: docker.APIClient, kind: str, name: str) -> Json | None:
    """The object with exactly this name (the engine's name filters match prefixes or,
    for networks, substrings)."""
    if kind == SERVICE:
        return services.find_service(api, name)
    return _find_object(api, kind, name)


@read
def _find_object(api: docker.APIClient, kind: str, name: str) -> Json | None:
    route = ROUTES[kind]
    params = {"filters": json.dumps({"name": [name]})}
    with engine_errors("looking up", name, None, kind):
        matches = request(api, "GET", route.path, params=params)
    exact = [o for o in matches if _name_of(o, route) == name]
    return dict(exact[0]) if exact else None


def update(api: docker.APIClient, kind: str, object_id: str, version: int,
           spec: Mapping[str, Any]) -> None:
    """POST the spec at ``version`` (``OutOfSequence`` if it moved); a secret or config
    accepts label changes only, a network none."""
    if kind == SERVICE:
        return services.update_service(api, object_id, version, spec)
    with engine_errors("updating", spec.get("Name"), object_id, kind):
        request(api, "POST", ROUTES[kind].path + "/{0}/update", object_id, body=spec,
                params={"version": version}, answer="none")
    return None


def remove(api: docker.APIClient, kind: str, object_id: str, name: str | None) -> None:
    """Remove the object (already gone is fine); ``InUse`` while something uses it."""
    try:
        with engine_errors("removing", name, object_id, kind):
            request(api, "DELETE", ROUTES[kind].path + "/{0}", object_id, answer="none")
    except NotFound:
        pass


@read
def network_ids(api: docker.APIClient, targets: list[str]) -> dict[str, str]:
    """Map each network name or id to the id the engine stores in TaskTemplate.Networks;
    a network that does not exist is left out."""
    resolved = {}
    for target in targets:
        found = _get(api, "network", target, "looking up", target)
        if found is not None:
            resolved[target] = str(found["Id"])
    return resolved


@read
def users(api: docker.APIClient, kind: str, object_id: str) -> list[str]:
    """Who keeps an object busy (what blocks its removal): the services that refer to a
    secret or config; for a network also their live tasks and containers."""
    with engine_errors("listing users of", None, object_id, kind):
        listed = {s["ID"]: s for s in api.services()}
    if kind != "network":
        key, id_key = ROUTES[kind].reference
        return [service_label(s["Spec"]["Name"], s["ID"]) for s in listed.values()
                if any(ref.get(id_key) == object_id for ref in
                       (s["Spec"].get("TaskTemplate", {}).get("ContainerSpec", {}).get(key)
                        or []))]
    return _network_users(api, object_id, listed)


def _network_users(api: docker.APIClient, network_id: str, listed: Mapping[str, Json]
                   ) -> list[str]:
    with engine_errors("listing users of", None, network_id, "network"):
        running = api.tasks(filters={"desired-state": "running"})
    found = []
    for service in listed.values():
        spec = service["Spec"]
        attached = spec.get("TaskTemplate", {}).get("Networks") or spec.get("Networks") or []
        if any(entry.get("Target") == network_id for entry in attached):
            found.append(service_label(spec["Name"], service["ID"]))
    for task in running:
        attachments = task.get("NetworksAttachments") or []
        if any(a.get("Network", {}).get("ID") == network_id for a in attachments):
            owner = listed.get(task.get("ServiceID", ""))
            label = service_label(owner["Spec"]["Name"] if owner else None, task.get("ServiceID"))
            if label not in found:
                found.append(f"a task of {label}")
    live = inspect(api, "network", network_id) or {}
    for container in (live.get("Containers") or {}).values():
        found.append(f"container {container.get('Name')!r}")
    return found
