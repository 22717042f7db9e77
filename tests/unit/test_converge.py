"""converge: the wait's decisions on scripted engine answers, and its pure helpers."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from typing import Any

import pytest

from swarm_provider.api import engine
from swarm_provider.converge import progress
from swarm_provider.converge import wait as converge
from swarm_provider.core.check import check_options, require_valid
from swarm_provider.core.spec import build_spec, is_as_sent, read_fields, with_sent_digest
from swarm_provider.errors import ConvergenceError, RolloutStalled
from swarm_provider.schema.service import SERVICE

SECOND = 1_000_000_000


def spec(replicas: int = 2, monitor_ns: int | None = 300_000_000,
         **extra: Any) -> dict[str, Any]:
    made: dict[str, Any] = {"Name": "web", "Mode": {"Replicated": {"Replicas": replicas}},
                            "TaskTemplate": {"ContainerSpec": {"Image": "busybox"}}, **extra}
    if monitor_ns is not None:
        made.setdefault("UpdateConfig", {})["Monitor"] = monitor_ns
    return made


def running(slot: int, state: str = "running", err: str = "", at: int = 0) -> dict[str, Any]:
    status: dict[str, Any] = {"State": state}
    if err:
        status["Err"] = err
    desired = "running" if state in ("running", "starting") else "shutdown"
    return {"ID": f"t{slot}{at}{state}", "Slot": slot, "DesiredState": desired,
            "Status": status, "NodeID": "n1", "CreatedAt": f"2024-01-01T00:00:{at:02d}Z"}


class Script:
    """Engine answers, one (UpdateStatus, tasks) pair per poll; the last one repeats."""

    def __init__(self, steps: list[tuple[str | None, list[dict[str, Any]]]],
                 service_spec: dict[str, Any] | None = None) -> None:
        self.steps = steps
        self.spec = service_spec or spec()
        self.polls = 0
        self.listed: list[str] = []

    def inspect(self, _api: Any, _service_id: str) -> dict[str, Any]:
        status, _ = self.steps[min(self.polls, len(self.steps) - 1)]
        self.polls += 1
        made: dict[str, Any] = {"ID": "svc", "Spec": self.spec,
                                "UpdatedAt": "2024-01-01T00:00:00Z"}
        if status:
            made["UpdateStatus"] = {"State": status, "Message": f"engine says {status}",
                                    "StartedAt": "2024-01-01T00:00:00Z"}
        return made

    def tasks(self, _api: Any, _service_id: str, _name: Any = None,
              up_to_date: bool = False) -> list[dict[str, Any]]:
        self.listed.append("up-to-date" if up_to_date else "all")
        return self.steps[min(self.polls - 1, len(self.steps) - 1)][1]


@pytest.fixture
def script(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def install(steps: list[tuple[str | None, list[dict[str, Any]]]], **kw: Any) -> Script:
        made = Script(steps, **kw)
        monkeypatch.setattr(engine, "inspect_service", made.inspect)
        monkeypatch.setattr(engine, "list_tasks", made.tasks)
        monkeypatch.setattr(engine, "list_nodes", lambda _api: [])
        monkeypatch.setattr(engine, "task_logs", lambda *_a, **_k: ["line one", "line two"])
        monkeypatch.setattr(converge, "POLL_SECONDS", 0.01)
        return made

    yield install


def wait(change: converge.Change = converge.CREATED, timeout: float | None = None) -> list[str]:
    said: list[str] = []
    converge.wait(None, "svc", {"name": "web"}, {"timeout": timeout}, change, said.append)
    return said


def test_converged_then_stable_for_the_monitor_window(script: Any) -> None:
    script([(None, [running(1, "starting")]), (None, [running(1), running(2)])])
    started = time.monotonic()
    said = wait()
    assert time.monotonic() - started >= 0.3
    assert said[:2] == ["0/2 tasks running", "2/2 tasks running; waiting 0.3s for them to stay up"]


def test_a_regression_restarts_the_window(script: Any) -> None:
    two = [running(1), running(2)]
    flap = [running(1), running(2, "failed", err="task: non-zero exit (1)")]
    made = script([(None, two)] * 3 + [(None, flap)] + [(None, two)])
    said = wait()
    assert any(s.endswith("a task failed, waiting again") for s in said)
    assert made.polls >= 4 + 0.3 / 0.01 * 0.8  # a whole window after the regression


def test_an_update_that_keeps_the_tasks_needs_no_window(script: Any) -> None:
    made = script([(None, [running(1), running(2)])])
    started = time.monotonic()
    wait(converge.Change(own_update=True, redeploys=False))
    assert time.monotonic() - started < 0.1 and made.polls == 1


def test_an_update_the_engine_completed_needs_no_window(script: Any) -> None:
    made = script([("completed", [running(1), running(2)])])
    wait(converge.Change(own_update=True, redeploys=True))
    assert made.polls == 1


def test_rollback_started_waits_for_the_outcome(script: Any) -> None:
    failed = running(1, "failed", err="task: non-zero exit (3)", at=1)
    failed["Status"]["ContainerStatus"] = {"ContainerID": "c1", "ExitCode": 3}
    made = script([("updating", []), ("rollback_started", []), ("rollback_started", []),
                   ("rollback_completed", [failed])])
    with pytest.raises(ConvergenceError) as error:
        wait(converge.Change(own_update=True, redeploys=True))
    message = str(error.value)
    assert "rolled it back: engine says rollback_started (engine says rollback_completed)" in (
        message)
    assert "slot 1: task t11failed failed (desired shutdown): task: non-zero exit (3)" in message
    assert "last 2 log lines of task t11failed:\n  | line one\n  | line two" in message
    assert made.polls == 4
    # No task list once the rollback is known (the round that shows it was already asked).
    assert made.listed == ["up-to-date", "up-to-date", "all"]


def test_a_rollback_someone_else_finished_is_not_our_failure(script: Any) -> None:
    script([("rollback_completed", [running(1), running(2)])])
    wait(converge.UNCHANGED)


@pytest.mark.parametrize("status", ["paused", "rollback_paused"])
def test_a_paused_update_fails_whoever_paused_it(script: Any, status: str) -> None:
    script([(status, [])])
    with pytest.raises(ConvergenceError, match="paused"):
        wait(converge.UNCHANGED)


def test_stuck_tasks_fail_a_create_before_the_timeout(script: Any) -> None:
    failures = [running(1, "rejected", err="No such image: x", at=i) for i in range(3)]
    script([(None, failures)], service_spec=spec(replicas=1))
    with pytest.raises(ConvergenceError, match="the last 3 tasks failed with the same error"):
        wait(timeout=30)


def test_the_engine_decides_while_its_updater_runs(script: Any) -> None:
    failures = [running(1, "failed", err="boom", at=i) for i in range(3)]
    made = script([("updating", failures)] * 3 + [("paused", failures)],
                  service_spec=spec(replicas=1))
    with pytest.raises(ConvergenceError, match="paused"):
        wait(converge.Change(own_update=True, redeploys=True))
    assert made.polls == 4


def test_timeout_lists_unfinished_tasks(script: Any) -> None:
    pending = running(2, "pending", err="no suitable node (2 nodes)")
    pending["DesiredState"] = "running"
    script([(None, [running(1), pending])])
    with pytest.raises(ConvergenceError) as error:
        wait(timeout=0.05)
    assert ("did not converge within 0.05s (1/2 tasks running (slot 2: pending: no suitable "
            "node (2 nodes)))") in str(error.value)
    assert "slot 2: task t20pending pending (desired running): no suitable node" in str(
        error.value)


def test_an_unschedulable_task_fails_after_the_grace_and_names_the_reason(
        script: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(converge, "UNSCHEDULABLE_GRACE", 0.2)
    pending = running(2, "pending", err="no suitable node (host-mode port already in use)")
    pending["DesiredState"] = "running"
    script([("updating", [running(1), pending])])
    started = time.monotonic()
    with pytest.raises(ConvergenceError) as error:
        wait(converge.Change(own_update=True, redeploys=True), timeout=30)
    assert 0.2 <= time.monotonic() - started < 2
    message = str(error.value)
    assert "cannot converge" in message and "no node can run a task for 0.2s" in message
    assert "slot 2: pending: no suitable node (host-mode port already in use)" in message


def test_an_unschedulable_reason_that_clears_within_the_grace_is_no_failure(
        script: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(converge, "UNSCHEDULABLE_GRACE", 0.5)
    pending = running(2, "pending", err="no suitable node (scheduling constraints)")
    pending["DesiredState"] = "running"
    steps: list[tuple[str | None, list[dict[str, Any]]]] = [(None, [running(1), pending])] * 20
    said: list[str] = []
    script([*steps, (None, [running(1), running(2)])])
    converge.wait(None, "svc", {"name": "web"}, {"timeout": 30}, converge.CREATED, said.append)
    assert said[0] == "1/2 tasks running (slot 2: pending: no suitable node (scheduling " \
        "constraints))"  # shown at once


def test_old_spec_tasks_with_no_update_under_way_are_a_stalled_rollout(
        script: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(converge, "STALLED_GRACE", 0.05)
    made = script([(None, [])])  # no task of the current spec, no UpdateStatus
    old = running(1, at=1)
    monkeypatch.setattr(engine, "list_tasks", lambda _a, _i, _n=None, up_to_date=False:
                        made.tasks(_a, _i, _n, up_to_date) if up_to_date else [old])
    with pytest.raises(RolloutStalled, match=r"stopped rolling out(.|\n)*slot 1: task t11running"):
        wait(converge.Change(own_update=True, redeploys=True), timeout=30)
    # Not for a create: its tasks come from the orchestrator, not from an update.
    with pytest.raises(ConvergenceError) as created:
        wait(converge.CREATED, timeout=0.2)
    assert not isinstance(created.value, RolloutStalled)


@pytest.mark.parametrize(("named_state", "exit_code", "stalled"), [
    ("shutdown", None, True),
    ("shutdown", 143, True),  # SIGTERM'd under init when its node was drained
    ("shutdown", 1, False),  # it failed on its way down: maybe the spec
    ("failed", 1, False),
])
def test_a_pause_caused_by_a_task_the_engine_shut_down_is_a_stalled_rollout(
        script: Any, monkeypatch: pytest.MonkeyPatch, named_state: str, exit_code: int | None,
        stalled: bool) -> None:
    named = running(1, named_state, err="" if named_state == "shutdown" else
                    "task: non-zero exit (1)", at=1)
    if exit_code is not None:
        named["Status"]["ContainerStatus"] = {"ExitCode": exit_code}
    named["ID"] = "abcdefghijklmnopqrstuvwxy"
    made = script([("paused", [named])])
    monkeypatch.setattr(made, "inspect", lambda _a, _i: {
        "ID": "svc", "Spec": made.spec, "UpdatedAt": "2024-01-01T00:00:00Z",
        "UpdateStatus": {"State": "paused", "StartedAt": "2024-01-01T00:00:00Z",
                         "Message": "update paused due to failure or early termination of "
                                    "task abcdefghijklmnopqrstuvwxy"}})
    monkeypatch.setattr(engine, "inspect_service", made.inspect)
    with pytest.raises(ConvergenceError) as error:
        wait(converge.Change(own_update=True, redeploys=True))
    assert isinstance(error.value, RolloutStalled) == stalled
    assert "the task it names: slot 1: task abcdefghijkl" in str(error.value)


def test_wait_false_makes_no_engine_call(script: Any) -> None:
    made = script([(None, [])])
    converge.wait(None, "svc", {"name": "web"}, {"wait": False})
    assert made.polls == 0


# --- pure helpers -----------------------------------------------------------------------


@pytest.mark.parametrize(("live", "seconds"), [
    # 1 replica, no UpdateConfig: 60 + (10 grace + 5 monitor + 0 delay + 30 start)
    (spec(1, None), 105),
    # 4 replicas, parallelism 2: two batches of (1 + 2 + 1 + 30)
    (spec(4, None, UpdateConfig={"Parallelism": 2, "Monitor": 2 * SECOND, "Delay": SECOND},
          TaskTemplate={"ContainerSpec": {"StopGracePeriod": SECOND}}), 60 + 2 * 34),
    # Parallelism 0: all at once
    (spec(4, None, UpdateConfig={"Parallelism": 0}), 105),
    ({"Mode": {"ReplicatedJob": {"MaxConcurrent": 2, "TotalCompletions": 5}}}, 60 + 3 * 120),
    ({"Mode": {"GlobalJob": {}}}, 180),
])
def test_default_timeout(live: dict[str, Any], seconds: float) -> None:
    assert converge.default_timeout(live) == seconds


def test_default_timeout_of_a_global_service_grows_with_nodes() -> None:
    live: dict[str, Any] = {"Mode": {"Global": {}}}
    assert converge.default_timeout(live, nodes=3) == 60 + 3 * 45


@pytest.mark.parametrize(("news", "bad"), [
    ({"wait": False, "timeout": 30}, []),
    ({"timeout": 0.5}, []),
    ({"wait": "no"}, ["wait"]),
    ({"timeout": -1}, ["timeout"]),
    ({"timeout": "300"}, ["timeout"]),
    ({"timeout": True}, ["timeout"]),
])
def test_check_options(news: dict[str, Any], bad: list[str]) -> None:
    """The wait options are rows of the service's table, checked like inputs."""
    assert [field for field, _ in check_options(news, SERVICE)[1]] == bad


def rows(**inputs: Any) -> dict[str, Any]:
    return read_fields(build_spec(require_valid({"name": "web", "image": "busybox:1",
                                                 "owner": "p/s/web", **inputs})))


@pytest.mark.parametrize(("change", "expected"), [
    ({"labels": {"a": "b"}}, False),
    ({"update_config": {"Monitor": "1s"}}, False),
    ({"rollback_config": {"Parallelism": 2}}, False),
    ({"env": {"A": "1"}}, True),
    ({"force_update": 1}, True),
    ({"endpoint_spec": {"Ports": {8080: 80}}}, True),
    ({"mode": {"mode": "replicated", "replicas": 3}}, True),
])
def test_redeploys(change: dict[str, Any], expected: bool) -> None:
    assert converge.redeploys(rows(), rows(**change)) is expected


def live_service(status: str | None, stamped: bool, **inputs: Any) -> dict[str, Any]:
    spec = build_spec(require_valid({"name": "web", "image": "busybox:1", "owner": "p/s/web",
                                     **inputs}))
    if stamped:
        spec = with_sent_digest(spec, {})
    service: dict[str, Any] = {"Spec": spec}
    if status:
        service["UpdateStatus"] = {"State": status}
    return service


@pytest.mark.parametrize(("status", "previous", "stamped", "expected"), [
    ("paused", "recorded", True, True),  # our update paused on top of the state
    ("rollback_paused", "recorded", True, True),
    ("paused", "live", True, True),  # our own retry of the paused update...
    (None, "live", True, True),  # ...which sets no status when no slot is left to update
    # still rolling out: may be another copy of this state's `pulumi up` (issue 14, item 3)
    ("updating", "recorded", True, False),
    ("completed", "recorded", True, False),
    (None, "recorded", True, False),
    ("paused", "other", True, False),
    ("paused", None, True, False),
    # not what the provider sent: `docker service update` on top (issue 14, item 2)
    ("updating", "recorded", False, False),
    ("paused", "recorded", False, False),
    (None, "live", False, False),  # a manual no-op update after an out-of-band change
])
def test_resumes_unfinished_update(status: str | None, previous: str | None, stamped: bool,
                                   expected: bool) -> None:
    recorded, live, other = rows(), rows(command="sh -c 'exit 3'"), rows(image="nginx:1")
    chosen = {"recorded": recorded, "live": live, "other": other, None: None}[previous]
    service = live_service(status, stamped, command="sh -c 'exit 3'")
    assert converge.resumes_unfinished_update(service, chosen, live, recorded) is expected


def test_the_sent_digest_breaks_on_any_change_but_not_on_engine_defaults() -> None:
    spec = live_service(None, True, command="sleep 5", env={"A": "1"})["Spec"]
    assert is_as_sent(spec)
    changed = copy.deepcopy(spec)
    changed["TaskTemplate"]["ContainerSpec"]["Env"].append("X=1")
    assert not is_as_sent(changed)
    relabelled = copy.deepcopy(spec)
    relabelled["Labels"]["team"] = "a"
    assert not is_as_sent(relabelled)
    defaults = copy.deepcopy(spec)  # what docker-py's Service.update() writes back
    defaults["TaskTemplate"]["RestartPolicy"] = {"Condition": "any", "Delay": 5_000_000_000,
                                                 "MaxAttempts": 0}
    defaults["TaskTemplate"]["ContainerSpec"]["StopGracePeriod"] = 10_000_000_000
    assert is_as_sent(defaults)
    assert read_fields(spec)["labels"] is None  # the digest is no input's value


# --- the progress channel ---------------------------------------------------------------


def test_progress_finds_the_urn_of_the_grpc_request_being_served() -> None:
    handler = compile("def Create(self, request, context):\n    return current()\n",
                      "/venv/site-packages/pulumi/dynamic/__main__.py", "exec")
    scope: dict[str, Any] = {"current": progress._current_urn}
    exec(handler, scope)

    class Request:
        urn = "urn:pulumi:dev::proj::pulumi-python:dynamic/swarm:Service::web"

    assert scope["Create"](None, Request(), None) == Request.urn
    assert progress._current_urn() == ""


def test_progress_outside_a_provider_host_logs_only(caplog: pytest.LogCaptureFixture) -> None:
    assert progress.engine_address(["x", "127.0.0.1:4567"]) is None  # not pulumi.dynamic
    report = progress.reporter("web")
    with caplog.at_level("INFO", logger="swarm_provider"):
        report("1/2 tasks running")
        report("1/2 tasks running")  # repeated: not sent again
        report("2/2 tasks running")
    assert [r.getMessage() for r in caplog.records] == [
        "web: 1/2 tasks running", "web: 2/2 tasks running"]
