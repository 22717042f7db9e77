"""The shared poll (``swarm_provider.converge.poll``) with a counting fake engine (issue #13.3)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from swarm_provider.api import engine
from swarm_provider.converge import poll
from swarm_provider.errors import EngineError, NotFound

INTERVAL = 0.02


class Engine:
    """Counts calls; every service exists and has one task per listing."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.lock = threading.Lock()
        self.removed: set[str] = set()
        self.fail_tasks_once = False

    def _count(self, what: str) -> None:
        with self.lock:
            self.calls.append(what)

    def inspect_service(self, _api: Any, service_id: str) -> dict[str, Any] | None:
        self._count("inspect")
        return None if service_id in self.removed else {"ID": service_id, "Spec": {}}

    def list_tasks(self, _api: Any, service_id: str, _name: Any = None,
                   up_to_date: bool = False) -> list[dict[str, Any]]:
        self._count("tasks of one")
        return [{"ServiceID": service_id}]

    def list_services(self, _api: Any, filters: dict[str, Any]) -> list[dict[str, Any]]:
        self._count("services")
        time.sleep(0.002)
        return [{"ID": i, "Spec": {}} for i in filters["id"] if i not in self.removed]

    def tasks(self, _api: Any, filters: dict[str, Any]) -> list[dict[str, Any]]:
        self._count("tasks")
        if self.fail_tasks_once:
            self.fail_tasks_once = False
            raise NotFound("listing tasks failed: engine said 404 service not found")
        return [{"ServiceID": i} for i in filters["service"]]

    def all_tasks(self, _api: Any, *_who: Any) -> list[dict[str, Any]]:
        self._count("all tasks")
        return [{"ServiceID": i} for i in ("gone0", "gone1", "gone1")]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Engine:
    made = Engine()
    for name in ("inspect_service", "list_tasks", "list_services", "tasks", "all_tasks"):
        monkeypatch.setattr(engine, name, getattr(made, name))
    return made


def _wait_many(count: int, polls: int) -> dict[str, list[tuple[Any, list[Any]]]]:
    api = object()
    seen: dict[str, list[tuple[Any, list[Any]]]] = {}
    ready = threading.Barrier(count)

    def waiter(service_id: str) -> None:
        with poll.watch(api, service_id, INTERVAL) as watch:
            ready.wait()
            seen[service_id] = [watch.next() for _ in range(polls)]

    threads = [threading.Thread(target=waiter, args=(f"svc{i}",)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return seen


def test_many_waiters_share_each_round(fake: Engine) -> None:
    started = time.monotonic()
    seen = _wait_many(count=50, polls=10)
    took = time.monotonic() - started
    assert sorted(seen) == sorted(f"svc{i}" for i in range(50))
    for service_id, answers in seen.items():
        assert answers == [({"ID": service_id, "Spec": {}}, [{"ServiceID": service_id}])] * 10
    rounds = fake.calls.count("services")
    # 10 polls each: about 10 shared rounds (a few more while the waiters join), not 500.
    assert 10 <= rounds <= 16, fake.calls
    assert fake.calls.count("tasks") == rounds
    assert "inspect" not in fake.calls[2:]
    # The first round goes at once, the others one per interval at most.
    assert rounds <= took / INTERVAL + 2, "never faster than one round per interval"
    assert not poll._POLLERS, "the poller goes when its last waiter does"


def test_one_waiter_polls_as_before(fake: Engine) -> None:
    _wait_many(count=1, polls=5)
    assert fake.calls == ["inspect", "tasks of one"] * 5


def test_a_removed_service_is_none_and_a_404_is_retried(fake: Engine) -> None:
    fake.removed.add("svc1")
    fake.fail_tasks_once = True
    seen = _wait_many(count=3, polls=2)
    assert [service for service, _ in seen["svc1"]] == [None, None]
    assert seen["svc0"][0] == ({"ID": "svc0", "Spec": {}}, [{"ServiceID": "svc0"}])
    assert fake.calls[:4] == ["services", "tasks", "services", "tasks"]


def test_a_failed_round_fails_its_waiters(fake: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any) -> Any:
        raise EngineError("listing services failed: engine said 500 oops")

    monkeypatch.setattr(engine, "list_services", broken)
    api = object()
    with poll.watch(api, "a", INTERVAL) as first, poll.watch(api, "b", INTERVAL):
        with pytest.raises(EngineError, match="500 oops"):
            first.next()


def test_no_tasks_during_a_rollback(fake: Engine) -> None:
    api = object()
    with poll.watch(api, "a", INTERVAL) as watch:
        assert watch.next(tasks=False) == ({"ID": "a", "Spec": {}}, [])
        assert watch.next() == ({"ID": "a", "Spec": {}}, [{"ServiceID": "a"}])
    assert fake.calls == ["inspect", "inspect", "tasks of one"]


def test_removals_share_one_whole_task_list_per_round(fake: Engine) -> None:
    api = object()
    with (poll.watch(api, "gone0", INTERVAL, removal=True) as first,
          poll.watch(api, "gone1", INTERVAL, removal=True) as second,
          poll.watch(api, "svc", INTERVAL) as converging):
        assert first.remaining() == [{"ServiceID": "gone0"}]
        assert second.remaining() == [{"ServiceID": "gone1"}] * 2
        assert converging.next() == ({"ID": "svc", "Spec": {}}, [{"ServiceID": "svc"}])
        assert first.remaining() == [{"ServiceID": "gone0"}]
    # Two rounds, each the converging service's inspect and tasks plus one whole list.
    assert fake.calls == ["inspect", "tasks of one", "all tasks"] * 2
    assert not poll._POLLERS


def test_a_round_without_removals_lists_no_whole_task_list(fake: Engine) -> None:
    api = object()
    with poll.watch(api, "svc", INTERVAL) as converging:
        converging.next()
        with pytest.raises(RuntimeError, match="removal watch"):
            converging.remaining()
    assert "all tasks" not in fake.calls
