"""One engine poll shared by every service a provider process is waiting on.

The provider host runs every service's create or update at once (see ``host``), and each
waits for convergence (``converge``). Polled one by one, N services cost the engine N
inspects and N task lists per interval. Here the waits of one engine client share
rounds instead: a round is one service list and one task list for all the services
being waited on (the engine's ``service`` filter takes many values, and ``_up-to-date``
applies to each), so the calls per second stay the same whatever N is. A round with a
single service is the plain inspect and task list it always was.

No thread of its own: a waiter that finds the next round due and none running makes it
for everyone (the "leader"); the others sleep on a condition until it lands. Each
waiter sees every round at most once and never a round that started before it joined,
so what it judges is never older than its own request. The node list (global modes)
is shared the same way, read at most every ``node_max_age`` seconds.

Removals share the rounds too (``watch(..., removal=True)``): once a service is deleted
its tasks can only be found in the whole task list (the ``service`` filter answers 404
for a removed service), so a round with removals waiting adds one unfiltered task list,
which every removal reads its own tasks from: a destroy of N services costs one task
list per interval, not N.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..api import engine
from ..errors import EngineError, NotFound

Json = dict[str, Any]


@dataclass(frozen=True)
class Round:
    """What one poll saw."""

    number: int
    started: float
    """``time.monotonic()`` when its first call went out."""
    services: dict[str, Json] = field(default_factory=dict)
    """Service id -> the service as the engine stores it; a removed one is absent."""
    tasks: dict[str, list[Json]] = field(default_factory=dict)
    """Service id -> its tasks of the current spec (``_up-to-date``)."""
    every: list[Json] | None = None
    """Every task the swarm keeps, when removals were waiting as the round started."""
    error: EngineError | None = None


class Poller:
    """The shared rounds of one engine client; see the module docstring."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self.changed = threading.Condition()
        self.watched: Counter[str] = Counter()
        """Services being waited on to converge, and how many waits each has."""
        self.removing: Counter[str] = Counter()
        """Services being waited on to be gone (a removal), likewise."""
        self.no_tasks: set[str] = set()
        """Services whose waiter skips the tasks of the next round (a rollback running)."""
        self.started = 0
        """Rounds started so far (a round's number is the count when it started)."""
        self.latest = Round(0, 0.0)
        self.fetching = False
        self.next_due = 0.0
        self.node_lock = threading.Lock()
        self.node_list: list[Json] | None = None
        self.nodes_read = 0.0

    def round_after(self, seen: int, interval: float) -> Round:
        """The first round numbered above ``seen``, waiting for it (or making it)."""
        with self.changed:
            while True:
                if self.latest.number > seen:
                    return self.latest
                now = time.monotonic()
                if not self.fetching and now >= self.next_due:
                    self.fetching = True  # this thread makes the round, for everyone
                    self.started += 1
                    number, ids = self.started, sorted(self.watched)
                    task_ids = [i for i in ids if i not in self.no_tasks]
                    every = bool(self.removing)
                    break
                self.changed.wait(None if self.fetching else self.next_due - now)
        made: Round | None = None
        try:
            made = self._fetch(number, ids, task_ids, every)
        finally:
            with self.changed:
                self.fetching = False
                if made is not None:
                    self.latest = made
                    self.next_due = made.started + interval
                self.changed.notify_all()
        return made

    def _fetch(self, number: int, ids: list[str], task_ids: list[str], every: bool) -> Round:
        started = time.monotonic()
        try:
            if len(ids) == 1:
                services, tasks = self._fetch_one(ids[0], bool(task_ids))
            else:
                services, tasks = self._fetch_many(ids, task_ids) if ids else ({}, {})
            listed = engine.all_tasks(self.api) if every else None
            return Round(number, started, services, tasks, listed)
        except EngineError as exc:
            return Round(number, started, error=exc)

    def _fetch_one(self, service_id: str, with_tasks: bool
                   ) -> tuple[dict[str, Json], dict[str, list[Json]]]:
        """A round of one service: the plain inspect and task list."""
        service = engine.inspect_service(self.api, service_id)
        if service is None:
            return {}, {}
        tasks = (engine.list_tasks(self.api, service_id, _name(service), up_to_date=True)
                 if with_tasks else [])
        return {service_id: service}, {service_id: tasks}

    def _fetch_many(self, ids: list[str], task_ids: list[str]
                    ) -> tuple[dict[str, Json], dict[str, list[Json]]]:
        for attempt in range(2):
            wanted = set(ids)
            # The id filter matches prefixes: keep exact ids only.
            services = {str(s["ID"]): s for s in engine.list_services(self.api, {"id": ids})
                        if s.get("ID") in wanted}
            listed_ids = sorted(set(task_ids) & set(services))
            if not listed_ids:
                return services, {}
            filters = {"service": listed_ids, "_up-to-date": "true"}
            try:
                listed = engine.tasks(self.api, filters)
            except NotFound:
                # A service removed between the two calls makes the engine answer 404.
                if attempt == 0:
                    continue
                raise
            tasks: dict[str, list[Json]] = {service_id: [] for service_id in listed_ids}
            for task in listed:
                tasks.setdefault(str(task.get("ServiceID")), []).append(task)
            return services, tasks
        raise AssertionError("unreachable")  # pragma: no cover

    def nodes(self, max_age: float) -> list[Json]:
        """Every node of the swarm, read at most every ``max_age`` seconds for all waiters."""
        with self.node_lock:
            now = time.monotonic()
            if self.node_list is None or now - self.nodes_read > max_age:
                self.node_list = engine.list_nodes(self.api)
                self.nodes_read = now
            return self.node_list


def _name(service: Json) -> str | None:
    return (service.get("Spec") or {}).get("Name")


class Watch:
    """One service's view of its poller's rounds."""

    def __init__(self, poller: Poller, service_id: str, interval: float) -> None:
        self.poller = poller
        self.service_id = service_id
        self.interval = interval
        self.seen = poller.started
        """Only rounds that start after joining include this service."""

    def next(self, tasks: bool = True) -> tuple[Json | None, list[Json]]:
        """The service (None once removed) and its up-to-date tasks (none unless ``tasks``),
        from the next round; ``EngineError`` if that round failed."""
        with self.poller.changed:
            if tasks:
                self.poller.no_tasks.discard(self.service_id)
            else:
                self.poller.no_tasks.add(self.service_id)
        made = self._round()
        return made.services.get(self.service_id), made.tasks.get(self.service_id, [])

    def remaining(self) -> list[Json]:
        """Every task of the service the swarm still keeps (whether or not the service is
        still there), from the next round; needs a ``watch(..., removal=True)``."""
        made = self._round()
        if made.every is None:
            raise RuntimeError("remaining() needs a removal watch")  # a bug, not the engine
        return [t for t in made.every if t.get("ServiceID") == self.service_id]

    def _round(self) -> Round:
        made = self.poller.round_after(self.seen, self.interval)
        self.seen = made.number
        if made.error is not None:
            raise EngineError(str(made.error)) from made.error
        return made

    def nodes(self, max_age: float) -> list[Json]:
        return self.poller.nodes(max_age)


_POLLERS: dict[int, Poller] = {}
_POLLERS_LOCK = threading.Lock()


@contextmanager
def watch(api: Any, service_id: str, interval: float, removal: bool = False
          ) -> Iterator[Watch]:
    """Take part in the rounds of ``api``'s poller while waiting for ``service_id`` to
    converge (``Watch.next``) or, with ``removal``, to be gone (``Watch.remaining``);
    rounds come at most every ``interval`` seconds. The poller lives while anyone waits."""
    with _POLLERS_LOCK:
        poller = _POLLERS.get(id(api))
        if poller is None or poller.api is not api:
            poller = _POLLERS[id(api)] = Poller(api)
        waits = poller.removing if removal else poller.watched
        with poller.changed:
            waits[service_id] += 1
            joined = Watch(poller, service_id, interval)
    try:
        yield joined
    finally:
        with _POLLERS_LOCK, poller.changed:
            waits[service_id] -= 1
            if waits[service_id] <= 0:
                del waits[service_id]
                if not removal:
                    poller.no_tasks.discard(service_id)
            if not (poller.watched or poller.removing) and _POLLERS.get(id(api)) is poller:
                del _POLLERS[id(api)]
