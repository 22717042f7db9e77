"""removal.stopping_spec: the job iteration that runs nothing (issue 14, item 8)."""

from __future__ import annotations

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
