"""removal.stopping_spec: the job iteration that runs nothing (issue 14, item 8); the
waits of many removals at once cost the engine one task list per interval (issue 13.3)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from swarm_provider.api import engine
from swarm_provider.converge import removal
from swarm_provider.core.check import require_valid
from swarm_provider.core.spec import build_spec


def spec_for(**inputs: object) -> dict:
    return build_spec(require_valid({"name": "job", "image": "busybox:1", "owner": "p/s/job",
                                     **inputs}))


def test_a_replicated_job_is_stopped_by_zero_completions() -> None:
    spec = spec_for(mode={"mode": "replicated-job", "replicas": 4, "concurrency": 2})
    stopped = removal.stopping_spec(spec)
    assert stopped["Mode"] == {"ReplicatedJob": {"MaxConcurrent": 2, "TotalCompletions": 0}}
    assert stopped["TaskTemplate"] == spec["TaskTemplate"]
    assert spec["Mode"]["ReplicatedJob"]["TotalCompletions"] == 4  # the input is untouched


def test_a_global_job_is_stopped_by_a_constraint_no_node_matches() -> None:
    spec = spec_for(mode="global-job", constraints=["node.role==worker"])
    stopped = removal.stopping_spec(spec)
    assert stopped["TaskTemplate"]["Placement"]["Constraints"] == ["node.role==worker",
                                                                   removal.NO_NODE]
    assert stopped["Mode"] == {"GlobalJob": {}}
    assert spec["TaskTemplate"]["Placement"]["Constraints"] == ["node.role==worker"]


class Swarm:
    """A fake engine whose deleted services' tasks stop ``stop_after`` seconds after the
    delete; it counts the whole task lists it answers."""

    def __init__(self, count: int, stop_after: float) -> None:
        self.lock = threading.Lock()
        self.deleted: dict[str, float] = {}
        self.ids = [f"svc{i}" for i in range(count)]
        self.stop_after = stop_after
        self.lists: list[float] = []

    def inspect_service(self, _api: Any, service_id: str) -> dict[str, Any] | None:
        return {"ID": service_id, "Spec": {"Mode": {"Replicated": {"Replicas": 1}}}}

    def delete_service(self, _api: Any, service_id: str, _name: Any) -> None:
        with self.lock:
            self.deleted[service_id] = time.monotonic()

    def all_tasks(self, _api: Any, *_who: Any) -> list[dict[str, Any]]:
        now = time.monotonic()
        with self.lock:
            self.lists.append(now)
            stopped = {i for i, at in self.deleted.items() if now - at >= self.stop_after}
        return [{"ServiceID": i, "Status": {"State": "shutdown" if i in stopped else "running"}}
                for i in self.ids]


@pytest.mark.parametrize("count", [1, 20, 100])
def test_many_removals_at_once_share_the_task_lists(monkeypatch: pytest.MonkeyPatch,
                                                     count: int) -> None:
    swarm = Swarm(count, stop_after=1.0)
    for name in ("inspect_service", "delete_service", "all_tasks"):
        monkeypatch.setattr(engine, name, getattr(swarm, name))
    api = object()
    done: dict[str, float] = {}

    def remove(service_id: str) -> None:
        removal.remove(api, service_id, service_id)
        done[service_id] = time.monotonic()

    threads = [threading.Thread(target=remove, args=(i,)) for i in swarm.ids]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    took = time.monotonic() - started
    assert sorted(done) == sorted(swarm.ids)
    rate = len(swarm.lists) / took
    # One whole task list per POLL_SECONDS for all of them (polled one by one, 100
    # removals made 500 lists a second).
    assert rate <= 1 / removal.POLL_SECONDS + 1, (count, rate)
    late = max(done[i] - swarm.deleted[i] - swarm.stop_after for i in swarm.ids)
    assert late <= 0.5, f"the end of a removal was seen {late:.2f}s late"
