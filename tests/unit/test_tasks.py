"""tasks.assess: how converged a service is, from recorded and hand-made engine JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from swarm_provider.converge import tasks

GOLDEN = sorted((Path(__file__).parent / "golden" / "convergence").glob("*.json"))


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
def test_recorded_situations(path: Path) -> None:
    record = json.loads(path.read_text())
    expect = record["expect"]
    view = tasks.assess(record["service"], record["tasks"], record["nodes"])
    assert (view.done, view.wanted, view.converged) == (
        expect["done"], expect["wanted"], expect["converged"])
    stuck = view.stuck()
    assert (stuck is not None) == ("stuck" in expect), stuck
    if stuck is not None:
        assert expect["stuck"] in stuck
    exhausted = view.exhausted()
    assert (exhausted is not None) == ("exhausted" in expect), exhausted
    if exhausted is not None:
        assert expect["exhausted"] in exhausted


# --- hand-made situations -------------------------------------------------------------------

SECOND = 1_000_000_000


def task(slot: int | None = 1, desired: str = "running", state: str = "running",
         node: str = "n1", at: int = 0, err: str = "", exit_code: int = 0,
         iteration: int | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {"State": state, "ContainerStatus": {"ExitCode": exit_code}}
    if err:
        status["Err"] = err
    made: dict[str, Any] = {
        "ID": f"task{slot}{at:03d}{state}", "DesiredState": desired, "Status": status,
        "NodeID": node, "CreatedAt": f"2024-01-01T00:00:{at:02d}.123456789Z",
    }
    if slot is not None:
        made["Slot"] = slot
    if iteration is not None:
        made["JobIteration"] = {"Index": iteration}
    return made


def node(node_id: str, role: str = "worker", state: str = "ready",
         availability: str = "active", labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"ID": node_id, "Spec": {"Role": role, "Availability": availability,
                                    "Labels": labels or {}},
            "Status": {"State": state},
            "Description": {"Hostname": f"host-{node_id}",
                            "Platform": {"OS": "linux", "Architecture": "x86_64"},
                            "Engine": {"Labels": {"zone": "a"}}}}


def service(mode: dict[str, Any], constraints: list[str] | None = None,
            iteration: int | None = None) -> dict[str, Any]:
    template: dict[str, Any] = {"ContainerSpec": {"Image": "busybox"}}
    if constraints:
        template["Placement"] = {"Constraints": constraints}
    made: dict[str, Any] = {"Spec": {"Mode": mode, "TaskTemplate": template}}
    if iteration is not None:
        made["JobStatus"] = {"JobIteration": {"Index": iteration}}
    return made


REPLICATED_3 = service({"Replicated": {"Replicas": 3}})


@pytest.mark.parametrize(("case", "task_list", "done"), [
    ("all running", [task(1), task(2), task(3)], 3),
    ("one still starting", [task(1), task(2), task(3, state="starting")], 2),
    # A restart: the failed task wants shutdown, its replacement (desired ready) speaks.
    ("restart pending", [task(1), task(2), task(3, "shutdown", "failed", at=1),
                         task(3, "ready", "ready", at=2)], 2),
    # start-first: the old task still runs, but only up-to-date tasks are listed.
    ("desired shutdown does not count", [task(1), task(2), task(3, "shutdown")], 2),
    ("a slot being removed is not wanted", [task(1), task(2), task(3), task(4, "remove")], 3),
])
def test_replicated_counts_one_task_per_slot(case: str, task_list: list[dict[str, Any]],
                                             done: int) -> None:
    view = tasks.assess(REPLICATED_3, task_list)
    assert (view.done, view.wanted) == (done, 3), case
    assert view.converged == (done == 3)


def test_a_slot_without_any_task_is_missing() -> None:
    view = tasks.assess(REPLICATED_3, [task(1), task(2)])
    assert view.done == 2 and view.missing == 1 and not view.converged


def test_zero_replicas_are_converged_at_once() -> None:
    assert tasks.assess(service({"Replicated": {"Replicas": 0}}), []).converged


@pytest.mark.parametrize(("constraints", "eligible"), [
    (None, {"m", "w1", "w2"}),
    (["node.role==worker"], {"w1", "w2"}),
    (["node.role != worker"], {"m"}),
    (["node.hostname==HOST-W1"], {"w1"}),  # values compare case-insensitively
    (["node.labels.disk==ssd"], {"w2"}),
    (["node.labels.Disk==ssd"], set()),  # label names are case-sensitive
    (["node.labels.disk!=ssd"], {"m", "w1"}),
    (["engine.labels.zone==a", "node.platform.os==linux"], {"m", "w1", "w2"}),
    (["node.id==w1"], {"w1"}),
])
def test_global_eligible_nodes_follow_swarmkit_constraints(
    constraints: list[str] | None, eligible: set[str]
) -> None:
    nodes = [node("m", role="manager"), node("w1"), node("w2", labels={"disk": "ssd"}),
             node("down", state="down"), node("drained", availability="drain"),
             node("paused", availability="pause")]
    view = tasks.assess(service({"Global": {}}, constraints), [], nodes)
    assert {g.label.removeprefix("node host-") for g in view.groups} == eligible
    assert view.wanted == len(eligible) and view.missing == len(eligible)


def test_global_trusts_a_node_holding_a_task_over_an_unreadable_constraint() -> None:
    nodes = [node("w1"), node("w2")]
    view = tasks.assess(service({"Global": {}}, ["node.ip==10.0.0.1"]),
                        [task(None, node="w2")], nodes)
    assert (view.done, view.wanted) == (1, 1)


def test_global_counts_running_tasks_per_node() -> None:
    nodes = [node("w1"), node("w2")]
    view = tasks.assess(service({"Global": {}}),
                        [task(None, node="w1"), task(None, node="w2", state="preparing")], nodes)
    assert (view.done, view.wanted, view.converged) == (1, 2, False)
    assert view.summary() == "1/2 nodes running"


def test_jobs_count_completions_of_the_current_iteration_only() -> None:
    job = service({"ReplicatedJob": {"MaxConcurrent": 2, "TotalCompletions": 3}}, iteration=1)
    old = [task(1, "complete", "complete", iteration=0) for _ in range(3)]
    new = [task(1, "complete", "complete", iteration=1), task(2, "complete", "running",
                                                               iteration=1)]
    view = tasks.assess(job, old + new)
    assert (view.done, view.wanted, view.converged) == (1, 3, False)
    assert view.summary() == "1/3 completions"


def test_global_job_needs_one_completion_per_node() -> None:
    nodes = [node("w1"), node("w2")]
    job = service({"GlobalJob": {}})
    done = [task(None, "complete", "complete", node="w1"),
            task(None, "complete", "complete", node="w2")]
    assert tasks.assess(job, done, nodes).converged
    assert not tasks.assess(job, done[:1], nodes).converged


def test_the_same_error_three_times_is_stuck() -> None:
    failed = [task(1, "shutdown", "rejected", at=i, err="No such image: x") for i in range(3)]
    view = tasks.assess(service({"Replicated": {"Replicas": 1}}),
                        [*failed, task(1, "ready", "pending", at=4)])
    assert view.stuck() == "slot 1: the last 3 tasks failed with the same error: No such image: x"
    assert view.exhausted() is None  # a replacement is coming


@pytest.mark.parametrize("err", [
    "invalid pool request: Pool overlaps with other one on this address space",
    "invalid config for network st_default: invalid endpoint settings:\n"
    "no configured subnet or ip-range contain the IP address 10.0.14.15",
])
def test_a_node_still_holding_a_removed_network_is_not_stuck(err: str) -> None:
    """Docker 28 under network churn: the manager hands a removed network's subnet out
    again while a node still holds the old network; the node's errors clear once it has
    removed it, so three of them are no reason to stop waiting (the timeout still ends it,
    naming the last failure)."""
    failed = [task(1, "shutdown", "rejected", at=i, err=err) for i in range(3)]
    view = tasks.assess(service({"Replicated": {"Replicas": 1}}),
                        [*failed, task(1, "ready", "pending", at=4)])
    assert view.stuck() is None


def test_different_errors_are_not_stuck_and_old_failures_are_history() -> None:
    errors = ["a", "b", "a"]
    failed = [task(1, "shutdown", "failed", at=i, err=e) for i, e in enumerate(errors)]
    one = service({"Replicated": {"Replicas": 1}})
    assert tasks.assess(one, failed).stuck() is None
    same = [task(1, "shutdown", "failed", at=i, err="a") for i in range(3)]
    assert tasks.assess(one, same).stuck() is not None
    assert tasks.assess(one, same, since=tasks.engine_time(
        "2024-01-01T00:00:01Z")).stuck() is None


def test_a_failed_task_the_orchestrator_has_not_replaced_yet_is_not_exhausted() -> None:
    one = service({"Replicated": {"Replicas": 1}})
    assert tasks.assess(one, [task(1, "running", "failed", err="x")]).exhausted() is None
    assert tasks.assess(one, [task(1, "shutdown", "failed", err="x")]).exhausted()


def test_exit_code_is_named_once() -> None:
    assert tasks.error_of(task(state="failed", err="task: non-zero exit (3)", exit_code=3)) == (
        "task: non-zero exit (3)")
    assert tasks.error_of(task(state="failed", err="starting failed", exit_code=128)) == (
        "starting failed (exit code 128)")


@pytest.mark.parametrize(("stamp", "seconds"), [
    ("1970-01-01T00:00:01.5Z", 1.5),
    ("1970-01-01T00:00:02.123456789Z", 2.123456789),
    ("1970-01-01T00:00:03Z", 3.0),
    ("", 0.0),
])
def test_engine_time(stamp: str, seconds: float) -> None:
    assert tasks.engine_time(stamp) == pytest.approx(seconds)


def test_describe_names_slot_node_state_desired_state_and_error() -> None:
    line = tasks.describe(task(2, "running", "pending", node="w1",
                               err="no suitable node"), {"w1": "swtb-node1"})
    assert line == ("slot 2 on swtb-node1: task task2000pend pending (desired running): "
                    "no suitable node")


def test_global_job_trusts_a_node_holding_a_job_task() -> None:
    nodes = [node("w1"), node("w2")]
    job = service({"GlobalJob": {}}, ["node.ip==10.0.0.1"])
    view = tasks.assess(job, [task(None, "complete", "complete", node="w2")], nodes)
    assert (view.done, view.wanted, view.converged) == (1, 1, True)


# --- the same error, told apart from per-task noise ------------------------------------------

RECORDED_ERRORS = json.loads(
    (Path(__file__).parent / "golden" / "task-errors" / "recorded.json").read_text())
OTHER_RUNC_SHAPES = [  # what older runc versions and cgroup failures print, one container each
    [f"OCI runtime create failed: container_linux.go:{line}: starting container process caused: "
     f"process_linux.go:{line + 100}: container init caused: rootfs_linux.go:60: mounting "
     f"\"/var/lib/docker/containers/{cid}/hostname\" to rootfs at \"/etc/hostname\": not a "
     "directory: unknown"
     for line, cid in ((367, "a" * 64), (370, "0f1e" * 16), (367, "9c" * 32))],
    [f"failed to write 1 to /sys/fs/cgroup/pids/swarm/{cid}/pids.max: invalid argument; "
     f"pid {pid} at {stamp}"
     for cid, pid, stamp in (("b" * 64, 4242, "2024-01-01T00:00:01.5Z"),
                             ("c1" * 32, 4300, "2024-01-01T00:00:03Z"),
                             ("d2" * 32, 5100, "2024-01-01T00:00:09.25Z"))],
]


def failing_slot(errors: list[str], exit_code: int = 0) -> list[dict[str, Any]]:
    """One slot's failed tasks with these errors (newest first) and a new one starting."""
    made = [task(1, "shutdown", "failed", at=9 - i, err=e, exit_code=exit_code)
            for i, e in enumerate(errors)]
    return [*made, task(1, state="starting", at=10)]


@pytest.mark.parametrize("case", sorted(RECORDED_ERRORS["cases"]))
def test_recorded_errors_of_one_cause_are_the_same_error(case: str) -> None:
    recorded = RECORDED_ERRORS["cases"][case]["tasks"]
    errors = [t["Err"] for t in recorded]
    view = tasks.assess(service({"Replicated": {"Replicas": 1}}), failing_slot(errors))
    stuck = view.stuck()
    assert stuck is not None, f"{case}: {errors}"
    assert stuck.endswith(f"the same error: {errors[0]}")  # the raw newest error is shown


def test_recorded_errors_with_per_task_hashes_were_never_equal() -> None:
    """The point of the normalisation: these cases differ in every raw error."""
    for case in ("wd", "secret"):
        assert len({t["Err"] for t in RECORDED_ERRORS["cases"][case]["tasks"]}) == 4


@pytest.mark.parametrize("errors", OTHER_RUNC_SHAPES, ids=["runc-1.0-lines", "cgroup-path"])
def test_ids_lines_pids_and_times_do_not_make_errors_differ(errors: list[str]) -> None:
    assert len(set(errors)) == 3
    assert len({tasks.error_signature(e) for e in errors}) == 1


def test_different_causes_keep_different_signatures() -> None:
    signatures = {case: {tasks.error_signature(t["Err"]) for t in value["tasks"]}
                  for case, value in RECORDED_ERRORS["cases"].items()}
    flat = [next(iter(s)) for s in signatures.values()]
    assert len(set(flat)) == len(flat)
    # What tells two causes apart survives: paths, names, numbers that are not ids.
    assert tasks.error_signature("stat /no/such/cmd: no such file") != tasks.error_signature(
        "stat /no/such/other: no such file")
    assert tasks.error_signature("task: non-zero exit (3)") != tasks.error_signature(
        "task: non-zero exit (4)")
    assert tasks.error_signature("limit 1073741824000 bytes") == "limit 1073741824000 bytes"


# --- unschedulable tasks, stale tasks and nodes that can't take tasks ------------------------


def test_a_pending_task_with_the_schedulers_reason_is_blocked_and_says_why() -> None:
    reason = "no suitable node (host-mode port already in use on 1 node)"
    view = tasks.assess(REPLICATED_3, [task(1), task(2), task(3, state="pending", err=reason)])
    assert view.blocked() == f"slot 3: pending: {reason}"
    assert view.summary() == f"2/3 tasks running (slot 3: pending: {reason})"
    queued = tasks.assess(REPLICATED_3, [task(1), task(2), task(3, state="pending")])
    assert queued.blocked() is None and queued.summary() == "2/3 tasks running"


def test_stale_running_are_wanted_tasks_of_an_older_spec() -> None:
    old, gone = task(1, at=1), task(2, "shutdown", "running", at=2)
    new = task(2, at=3)
    assert tasks.stale_running([old, gone, new], [new]) == [old]


def test_node_problems_name_lost_drained_and_unreachable_nodes_that_matter() -> None:
    nodes = [node("n1"), node("n2", state="down"), node("n3", availability="drain"),
             node("n4", state="unknown", labels={"zone": "b"}),
             node("n5", state="down", labels={"zone": "b"})]
    nodes[1]["Status"]["Message"] = "heartbeat failure"
    spec = service({"Replicated": {"Replicas": 2}}, ["node.labels.zone!=b"])["Spec"]
    held = [task(1, "shutdown", "running", node="n5")]
    lines = tasks.node_problems(spec, nodes, held)
    assert lines == [
        "node host-n2 (id n2) is down (heartbeat failure): lost, its tasks can't start or "
        "report; bring it back, or drain or remove it so the engine stops waiting for it",
        "node host-n3 (id n3) is drain: it takes no new tasks",
        "node host-n5 (id n5) is down: lost, its tasks can't start or report; bring it back, "
        "or drain or remove it so the engine stops waiting for it (it holds a task of this "
        "service)",
    ]  # n4 is excluded by the constraint and holds nothing
