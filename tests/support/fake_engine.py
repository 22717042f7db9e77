"""An in-memory engine at the ``swarm_provider.api`` level, for fast provider unit tests.

It stands in for the calls the providers make through ``swarm_provider.api.engine``
(``create``, ``inspect``, ``find``, ``update``, ``remove``, ``users``, ``network_ids``
and the service and task calls the convergence and removal code reads), and answers as
the real engine does where the providers' logic depends on it:

- every write bumps one version index shared by all objects (a raft index);
- a create of a name already taken is ``NameConflict`` (409);
- an update at a version that is no longer the live one is ``OutOfSequence``;
- a secret's or config's update may change its labels only;
- a delete refused while something uses the object is ``InUse`` (``in_use``);
- what is not there is ``NotFound`` for an update, None for an inspect.

It raises the typed exceptions ``api.classify`` raises, so a provider under test sees
exactly what it sees in production; the classification itself, and docker-py under it,
are tested in test_engine_faults.py and against the real swarm in tests/integration.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from swarm_provider.api import engine
from swarm_provider.errors import (
    EngineError,
    InUse,
    NameConflict,
    NotFound,
    OutOfSequence,
    object_label,
)

Json = dict[str, Any]

PATCHED = ("client", "create", "inspect", "find", "update", "remove", "users", "network_ids",
           "create_service", "inspect_service", "find_service", "update_service",
           "delete_service", "list_tasks", "all_tasks", "list_nodes")
"""The names of ``swarm_provider.api.engine`` that ``install`` replaces."""


@dataclass
class FakeEngine:
    """The swarm's objects by kind and id, and what the providers asked of it."""

    objects: dict[str, dict[str, Json]] = field(
        default_factory=lambda: {"service": {}, "network": {}, "secret": {}, "config": {}})
    calls: list[tuple[str, str]] = field(default_factory=list)
    """(operation, kind) of every call, in order: ``("update", "service")``."""
    in_use: dict[str, int] = field(default_factory=dict)
    """Object id -> how many more deletes are refused with ``InUse``."""
    users_of: dict[str, list[str]] = field(default_factory=dict)
    """Object id -> what ``users`` names as keeping it busy."""
    races: dict[str, int] = field(default_factory=dict)
    """Object id -> how many more updates find that someone wrote first."""
    _index: itertools.count[int] = field(default_factory=lambda: itertools.count(10))

    # --- setting the scene ---------------------------------------------------------------

    def install(self, monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
        """Make ``swarm_provider.api.engine`` answer from this fake (for one test)."""
        for name in PATCHED:
            monkeypatch.setattr(engine, name, getattr(self, name))
        return self

    def add(self, kind: str, spec: Mapping[str, Any]) -> str:
        """An object made outside the provider (the CLI, another stack); its id."""
        return self._make(kind, spec)

    def change_out_of_band(self, object_id: str, change: Callable[[Json], None]) -> None:
        """A write that is not ours (``docker service update``): ``change`` edits the
        spec in place, and the version moves."""
        live = self._live(object_id)
        change(live["Spec"])
        self._bump(live)

    def bump(self, object_id: str) -> None:
        """The engine's own bookkeeping (UpdateStatus writes): the version moves, the
        spec stays."""
        self._bump(self._live(object_id))

    def spec_of(self, object_id: str) -> Json:
        live = self._live(object_id)
        return dict(live if "Id" in live else live["Spec"])

    def sent(self, operation: str, kind: str = "service") -> int:
        """How often ``operation`` was asked for on that kind."""
        return self.calls.count((operation, kind))

    # --- the engine calls ------------------------------------------------------------------

    def client(self, _connection: Any) -> Any:
        return SimpleNamespace(api=self)

    def create(self, _api: Any, kind: str, spec: Mapping[str, Any]) -> str:
        self.calls.append(("create", kind))
        name = spec.get("Name")
        taken = self._by_name(kind, str(name))
        if taken is not None:
            raise NameConflict(f"creating {object_label(kind, name, None)} failed: engine "
                               f"said 409 {kind} with name {name} already exists")
        return self._make(kind, spec)

    def inspect(self, _api: Any, kind: str, object_id: str) -> Json | None:
        self.calls.append(("inspect", kind))
        live = self.objects[kind].get(object_id) or self._by_name(kind, object_id)
        return copy.deepcopy(live) if live is not None else None

    def find(self, _api: Any, kind: str, name: str) -> Json | None:
        self.calls.append(("find", kind))
        live = self._by_name(kind, name)
        return copy.deepcopy(live) if live is not None else None

    def update(self, _api: Any, kind: str, object_id: str, version: int,
               spec: Mapping[str, Any]) -> None:
        self.calls.append(("update", kind))
        live = self.objects[kind].get(object_id)
        label = object_label(kind, spec.get("Name"), object_id)
        if live is None:
            raise NotFound(f"updating {label} failed: engine said 404 {kind} not found")
        if self.races.get(object_id):
            self.races[object_id] -= 1
            self._bump(live)  # someone else wrote first
        if version != live["Version"]["Index"]:
            raise OutOfSequence(f"updating {label} failed: engine said 500 rpc error: code = "
                                "Unknown desc = update out of sequence")
        if kind in ("secret", "config") and _without_labels(spec) != _without_labels(
                live["Spec"]):
            raise EngineError(f"updating {label} failed: engine said 400 only updates to "
                              "Labels are allowed")
        live["PreviousSpec"], live["Spec"] = live["Spec"], copy.deepcopy(dict(spec))
        self._bump(live)

    def remove(self, _api: Any, kind: str, object_id: str, name: str | None) -> None:
        self.calls.append(("remove", kind))
        if self.in_use.get(object_id):
            self.in_use[object_id] -= 1
            raise InUse(f"removing {object_label(kind, name, object_id)} failed: engine said "
                        f"400 {kind} is in use by the following service: web")
        self.objects[kind].pop(object_id, None)  # already gone is fine

    def users(self, _api: Any, kind: str, object_id: str) -> list[str]:
        self.calls.append(("users", kind))
        return list(self.users_of.get(object_id, []))

    def network_ids(self, _api: Any, targets: list[str]) -> dict[str, str]:
        networks = self.objects["network"]
        return {t: network_id for t in targets for network_id, live in networks.items()
                if t in (network_id, live.get("Name"))}

    def create_service(self, api: Any, spec: Mapping[str, Any]) -> str:
        return self.create(api, "service", spec)

    def inspect_service(self, api: Any, service_id: str) -> Json | None:
        return self.inspect(api, "service", service_id)

    def find_service(self, api: Any, name: str) -> Json | None:
        return self.find(api, "service", name)

    def update_service(self, api: Any, service_id: str, version: int,
                       spec: Mapping[str, Any]) -> None:
        self.update(api, "service", service_id, version, spec)

    def delete_service(self, api: Any, service_id: str, name: str | None) -> None:
        self.remove(api, "service", service_id, name)

    def list_tasks(self, *_args: Any, **_kwargs: Any) -> list[Json]:
        return []  # no task runs here: a wait is asked not to wait (wait=False)

    def all_tasks(self, *_args: Any, **_kwargs: Any) -> list[Json]:
        return []

    def list_nodes(self, *_args: Any, **_kwargs: Any) -> list[Json]:
        return []

    # --- inside ------------------------------------------------------------------------------

    def _make(self, kind: str, spec: Mapping[str, Any]) -> str:
        object_id = f"{kind}{len(self.objects[kind]) + 1}-{next(self._index)}"
        index = next(self._index)
        if kind == "network":  # inspect shows a network flat, allocated at once
            live = {**copy.deepcopy(dict(spec)), "Id": object_id, "Created": "now",
                    "IPAM": spec.get("IPAM") or {"Driver": "default", "Config": []}}
        else:
            live = {"ID": object_id, "Version": {"Index": index}, "CreatedAt": "now",
                    "UpdatedAt": "now", "Spec": copy.deepcopy(dict(spec))}
        self.objects[kind][object_id] = live
        return object_id

    def _bump(self, live: Json) -> None:
        if "Version" in live:
            live["Version"] = {"Index": next(self._index)}
            live["UpdatedAt"] = "later"

    def _live(self, object_id: str) -> Json:
        for objects in self.objects.values():
            if object_id in objects:
                return objects[object_id]
        raise KeyError(object_id)

    def _by_name(self, kind: str, name: str) -> Json | None:
        for live in self.objects[kind].values():
            if (live.get("Name") if kind == "network" else live["Spec"].get("Name")) == name:
                return live
        return None


def _without_labels(spec: Mapping[str, Any]) -> Json:
    return {k: v for k, v in spec.items() if k != "Labels"}
