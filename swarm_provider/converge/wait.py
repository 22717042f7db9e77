"""Wait until a service really runs: tasks converged, then stable for the monitor window.

``wait`` mirrors ``docker service create/update --detach=false`` (cli/command/service/
progress/progress.go at v20.10) and goes further: every mode, a timeout, failed and rolled
back updates as errors with the tasks' reasons and logs, and no needless waiting.

One poll (every ``POLL_SECONDS``) reads the service and its tasks of the current spec (the
engine's ``_up-to-date`` filter); the global modes add a node list, cached
``NODE_CACHE_SECONDS``. Polls are shared by all the services this process waits on
(``poll``): one service list and one task list per round for all of them, so the engine's
load does not grow with their number. ``tasks.assess`` counts the work (see there for
how, and how it differs from the CLI). Then:

- **Converged** (every slot running, every eligible node running, every completion of the
  current job iteration done) starts a stability window of ``UpdateConfig.Monitor`` (5 s
  when unset), as the CLI does; any regression restarts it. Jobs have no window. Neither
  has an update that changed nothing the tasks run (only service labels, UpdateConfig,
  RollbackConfig...): the engine keeps the tasks and sets no UpdateStatus, so there is
  nothing to watch. An update the engine reports ``completed`` is done at once: the engine
  has already watched its last tasks for a monitor period.
- **Failed update** (UpdateStatus ``paused``, ``rollback_paused``, ``rollback_completed``,
  or ``rollback_started``, after which we keep waiting for the rollback's outcome):
  ``ConvergenceError`` with the engine's message, the failed tasks and the last log lines
  of one of them. The docker CLI exits 0 after an automatic rollback; we don't.
- **Stuck**: the last ``tasks.SAME_ERROR_ATTEMPTS`` tasks of a slot failed with the same
  error (a missing image, an unknown user, a command that exits), or every task failed and
  the restart policy starts no new one. Fails at once rather than at the timeout. While
  the engine's updater is running an update whose FailureAction is pause or rollback, it
  is left to decide (its verdict is the better report).
- **Unschedulable**: a wanted task stays ``pending`` with the scheduler's reason (a host-mode
  port in use, no node meeting the constraints, resources, a node down). The reason shows in
  the progress row at once; if some task is still unplaceable ``UNSCHEDULABLE_GRACE`` seconds
  later, the wait fails saying what blocks it (a reason that clears sooner is no failure).
  The engine's updater never decides this case: it waits for the task forever.
- **Timeout** (the ``timeout`` input, else ``default_timeout``): every unfinished slot or
  node with its task's state, desired state, error and node; tasks of an older spec that no
  update replaces; and every node the service could use that is down, unreachable, drained
  or paused, by name.

``wait_created`` removes a service whose first wait failed: Pulumi records nothing when a
dynamic provider's ``create`` raises, so a service left behind would be unmanaged.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..api import engine
from ..core.diff import diff_fields
from ..core.spec import is_as_sent
from ..errors import ConvergenceError, EngineError, RolloutStalled, service_label
from ..schema.service import FIELDS_BY_NAME
from . import poll, removal, tasks
from .progress import Report, reporter

POLL_SECONDS = 0.2
NODE_CACHE_SECONDS = 3.0
DEFAULT_MONITOR_NS = 5_000_000_000
DEFAULT_STOP_GRACE_NS = 10_000_000_000
LOG_LINES = 10

FAILED_UPDATE_STATES = frozenset({"paused", "rollback_started", "rollback_paused",
                                  "rollback_completed"})
STOPPED_UPDATE_STATES = frozenset({"paused", "rollback_paused"})
"""An update in these states stopped unfinished: nobody is rolling it out any more."""

BASE_TIMEOUT = 60.0
START_ALLOWANCE = 30.0
"""Seconds per batch of tasks to create and start a container (an image pull, a slow
entrypoint) on top of the stop grace period, monitor and delay of the update config."""
JOB_WAVE_ALLOWANCE = 120.0
"""Seconds per wave of MaxConcurrent job tasks: a job's run time is unknowable, so the
default is generous; set ``timeout`` for long jobs."""
EXHAUSTED_GRACE = 1.5
"""How long "no task left to run" must persist before failing: a replicated job creates
its next tasks only after the last ones finished."""

STALLED_GRACE = 5.0
"""Seconds our update may show tasks of the older spec with no update under way (the engine
starts its updater within milliseconds of the POST) before the wait calls it stalled."""
UNSCHEDULABLE_GRACE = 30.0
"""Seconds a wanted task may stay unplaceable before the wait fails: long enough for a node
to come back from a daemon restart or a label to be added, far shorter than a timeout."""

_TASK_PARTS = frozenset({"TaskTemplate", "EndpointSpec", "Mode"})


@dataclass(frozen=True)
class Change:
    """What the provider just did to the service, which tells ``wait`` how to read it."""

    own_update: bool
    """UpdateStatus speaks of our update: we just POSTed one (the engine reset the status),
    or one of the wanted spec, left by a ``pulumi up`` that timed out, is still running."""
    redeploys: bool
    """The tasks change (task template, endpoint, mode): watch them for a monitor window."""


CREATED = Change(own_update=False, redeploys=True)
UNCHANGED = Change(own_update=False, redeploys=False)


def redeploys(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Whether going from ``current`` to ``wanted`` canonical rows touches the tasks: the
    engine compares stored shapes, so an engine default written into the live spec and
    not in ours (docker-py's ``Service.update()`` writes them) is a change here, and so is
    an order of mounts, ports or networks that differs (the update sends the wanted one)."""
    changed = diff_fields(current, wanted, engine_defaults=False, ordered=True).changed
    return any(FIELDS_BY_NAME[name].path[0] in _TASK_PARTS for name in changed)


# --- the default timeout -----------------------------------------------------------------


def _seconds(value: Any, default_ns: int) -> float:
    return float(default_ns if value is None else value) / 1e9


def default_timeout(spec: Mapping[str, Any], nodes: int = 1,
                    config_key: str = "UpdateConfig") -> float:
    """Seconds to allow for a live ``spec`` to converge (``config_key`` RollbackConfig for
    a rollback): ``BASE_TIMEOUT`` plus, per batch of ``Parallelism`` tasks (1 when no
    config is stored, 0 = all at once), the stop grace period, the monitor window, the
    delay and ``START_ALLOWANCE``. ``nodes`` is the node count for global modes. Jobs:
    ``JOB_WAVE_ALLOWANCE`` per wave of MaxConcurrent tasks."""
    kind = tasks.mode_kind(spec)
    if kind == "ReplicatedJob":
        job = (spec.get("Mode") or {}).get("ReplicatedJob") or {}
        waves = math.ceil(tasks.total_completions(spec) / int(job.get("MaxConcurrent") or 1))
        return BASE_TIMEOUT + waves * JOB_WAVE_ALLOWANCE
    if kind == "GlobalJob":
        return BASE_TIMEOUT + JOB_WAVE_ALLOWANCE
    units = tasks.replicas(spec) if kind == "Replicated" else max(nodes, 1)
    config = spec.get(config_key)
    parallelism = 1 if config is None else int(config.get("Parallelism") or 0)
    batches = math.ceil(units / parallelism) if parallelism else 1
    container = (spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}
    per_batch = (_seconds(container.get("StopGracePeriod"), DEFAULT_STOP_GRACE_NS)
                 + _seconds((config or {}).get("Monitor"), DEFAULT_MONITOR_NS)
                 + _seconds((config or {}).get("Delay"), 0) + START_ALLOWANCE)
    return BASE_TIMEOUT + max(batches, 1) * per_batch


def monitor_seconds(spec: Mapping[str, Any]) -> float:
    return _seconds((spec.get("UpdateConfig") or {}).get("Monitor") or None, DEFAULT_MONITOR_NS)


def failure_action(spec: Mapping[str, Any]) -> str:
    return str((spec.get("UpdateConfig") or {}).get("FailureAction") or "pause")


# --- the guard for updates left unfinished --------------------------------------------------


def resumes_unfinished_update(live: Mapping[str, Any], previous: Mapping[str, Any] | None,
                              current: Mapping[str, Any], recorded: Mapping[str, Any]) -> bool:
    """Whether the live service is our own update, stopped unfinished on top of what the
    state records: what a ``pulumi up`` leaves when its update paused (Pulumi keeps the old
    outputs when a dynamic provider's ``update`` raises).

    ``previous``, ``current`` and ``recorded`` are canonical rows of the live
    ``PreviousSpec``, the live ``Spec`` and the state. Only an update that really is ours
    qualifies:

    - the live spec still carries the digest of what the provider sent
      (``spec.is_as_sent``): a ``docker service update`` on top of it (``--env-add``, or a
      no-op one after a change) breaks it;
    - the update has stopped (``paused``, ``rollback_paused``), with the state's spec as
      its PreviousSpec, or the live spec itself (our retry of a paused update re-sends its
      spec; the engine then sets no status at all when every slot already runs it).

    An update still ``updating`` never qualifies: it may be another ``pulumi up`` of a
    copy of this state in flight right now (its spec carries our digest too), and
    overwriting it would lose that update without a word. One whose spec is exactly the
    wanted one is simply waited for (``ServiceProvider._post_update``).
    """
    if previous is None or not is_as_sent(live.get("Spec") or {}):
        return False
    status = (live.get("UpdateStatus") or {}).get("State")
    retried = not diff_fields(current, previous).has_changes
    if status in STOPPED_UPDATE_STATES:
        return retried or not diff_fields(recorded, previous).has_changes
    return status is None and retried


def rollout_stalled(api: Any, live: Mapping[str, Any]) -> bool:
    """Whether tasks of an older spec still run while no update is under way to replace
    them. The engine leaves this when a node is lost mid-update: the slot on the lost node
    is restarted with the new spec, the updater stops, and a slot on another node keeps its
    old task for good. Sending the spec again starts a rolling update that replaces it."""
    status = (live.get("UpdateStatus") or {}).get("State")
    if status in ("updating", "rollback_started"):
        return False
    service_id = str(live.get("ID"))
    name = (live.get("Spec") or {}).get("Name")
    every = engine.list_tasks(api, service_id, name)
    up_to_date = engine.list_tasks(api, service_id, name, up_to_date=True)
    return bool(tasks.stale_running(every, up_to_date))


# --- the wait --------------------------------------------------------------------------------


def wait(api: Any, service_id: str, canonical: Mapping[str, Any], options: Mapping[str, Any],
         change: Change = CREATED, report: Report | None = None) -> None:
    """Block until the service converged and stayed so; ``ConvergenceError`` otherwise."""
    if options.get("wait") is False:
        return
    name = canonical.get("name")
    _Wait(api, service_id, name, options.get("timeout"), change,
          report or reporter(str(name or service_id))).run()


def wait_created(api: Any, service_id: str, canonical: Mapping[str, Any],
                 options: Mapping[str, Any], report: Report | None = None) -> None:
    """``wait`` after a create; on failure the service is removed, and the error says so."""
    try:
        wait(api, service_id, canonical, options, CREATED, report)
    except ConvergenceError as exc:
        label = service_label(canonical.get("name"), service_id)
        try:
            removal.remove(api, service_id, canonical.get("name"), report)
        except EngineError as failure:
            raise ConvergenceError(
                f"{exc}\n{label} could not be removed after the failed create ({failure}); "
                "remove it by hand, or run `pulumi up` again: the owner label lets the next "
                "create take it over") from failure
        # Not chained: the CLI prints every exception of a chain, so the message twice.
        raise ConvergenceError(
            f"{exc}\n{label} was removed, so nothing is left unmanaged: fix the inputs and run "
            "`pulumi up` again") from None


class _Wait:
    """One wait: the poll loop and what it remembers between polls."""

    def __init__(self, api: Any, service_id: str, name: str | None, timeout: Any,
                 change: Change, report: Report) -> None:
        self.api = api
        self.service_id = service_id
        self.name = name
        self.label = service_label(name, service_id)
        self.change = change
        self.report = report
        self.started = time.monotonic()
        self.timeout = float(timeout) if timeout else None
        self.deadline: float | None = None
        self.stable_since: float | None = None
        self.exhausted_since: float | None = None
        self.blocked_since: float | None = None
        self.stalled_since: float | None = None
        self.saw_updating = False
        self.rolling_back: str | None = None
        self.nodes: list[dict[str, Any]] | None = None
        self.watch: poll.Watch | None = None
        self.up_to_date: list[dict[str, Any]] = []
        self.assessment: tasks.Assessment | None = None
        self.since = 0.0
        """Engine time of our update: older task failures belong to an earlier attempt."""

    def run(self) -> None:
        with poll.watch(self.api, self.service_id, POLL_SECONDS) as watch:
            self.watch = watch
            self._run(watch)

    def _run(self, watch: poll.Watch) -> None:
        while True:
            # Paced by the shared rounds (one per POLL_SECONDS); no tasks during a rollback.
            service, self.up_to_date = watch.next(tasks=self.rolling_back is None)
            if service is None:
                raise ConvergenceError(f"{self.label} was removed while waiting for it")
            spec = service.get("Spec") or {}
            kind = tasks.mode_kind(spec)
            if self.deadline is None:
                if self.change.own_update:
                    self.since = tasks.engine_time(service.get("UpdatedAt"))
                nodes = len(self._nodes()) if kind in ("Global", "GlobalJob") else 1
                self.timeout = self.timeout or default_timeout(spec, nodes)
                self.deadline = self.started + self.timeout
            if self._update_failed(service):
                raise self._failed_update_error(service)
            if self.rolling_back is None and self._poll_tasks(service, kind) is None:
                return
            if time.monotonic() >= self.deadline:
                raise self._timeout_error(service)

    # --- one poll -------------------------------------------------------------------------

    def _poll_tasks(self, service: Mapping[str, Any], kind: str) -> float | None:
        """Assess the tasks; None when done, else how long the stability window still runs."""
        spec = service.get("Spec") or {}
        status = (service.get("UpdateStatus") or {}).get("State")
        up_to_date = self.up_to_date
        nodes = self._nodes() if kind in ("Global", "GlobalJob") else None
        view = tasks.assess(service, up_to_date, nodes, self.since)
        self.assessment = view
        now = time.monotonic()
        if not view.converged:
            if self.stable_since is not None:
                self.report(f"{view.summary()}: a task failed, waiting again")
            else:
                self.report(view.summary())
            self.stable_since = None
            self._check_blocked(view, spec, now)
            self._check_stalled(view, up_to_date, status, now)
            self._check_stuck(view, spec, status, now)
            return POLL_SECONDS
        self.exhausted_since = None
        self.blocked_since = None
        if self.change.own_update and status == "completed":
            return None  # the engine watched the new tasks for its monitor period already
        window = self._window(spec, view)
        if self.stable_since is None:
            self.stable_since = now
            if window > 0:
                self.report(f"{view.summary()}; waiting {window:g}s for them to stay up")
        remaining = self.stable_since + window - now
        if remaining <= 0:
            self.report(view.summary())
            return None
        return remaining

    def _window(self, spec: Mapping[str, Any], view: tasks.Assessment) -> float:
        if view.job or view.wanted == 0:
            return 0.0
        if not (self.change.redeploys or self.saw_updating):
            return 0.0
        return monitor_seconds(spec)

    def _update_failed(self, service: Mapping[str, Any]) -> bool:
        """Track UpdateStatus; True once it says our update failed for good."""
        status = service.get("UpdateStatus") or {}
        state = status.get("State")
        if state == "updating":
            self.saw_updating = True
        if state in ("paused", "rollback_paused"):
            return True  # nothing converges while an update is paused, whoever paused it
        if not self.change.own_update or state not in FAILED_UPDATE_STATES:
            return False
        if state == "rollback_completed":
            return True
        if self.rolling_back is None:  # rollback_started: wait (bounded) for its outcome
            self.rolling_back = str(status.get("Message") or "update rolled back")
            self.report(f"update failed, the engine is rolling back: {self.rolling_back}")
            spec = service.get("Spec") or {}
            allowance = default_timeout(spec, len(self.nodes or []) or 1, "RollbackConfig")
            self.deadline = max(self.deadline or 0.0, time.monotonic() + allowance)
        return False

    def _check_blocked(self, view: tasks.Assessment, spec: Mapping[str, Any],
                       now: float) -> None:
        """Fail once some wanted task has been unplaceable for ``UNSCHEDULABLE_GRACE``."""
        blocked = view.blocked()
        if blocked is None:
            self.blocked_since = None
            return
        self.blocked_since = self.blocked_since or now
        if now - self.blocked_since < UNSCHEDULABLE_GRACE:
            return
        raise ConvergenceError(
            f"{self.label} cannot converge ({view.summary()}): no node can run a task "
            f"for {UNSCHEDULABLE_GRACE:g}s: {blocked}{self._node_problems_text(spec)}\n"
            "Free what blocks it (a host-mode port another service publishes, a placement "
            "constraint or resource no ready node meets, a node that is down) and run "
            "`pulumi up` again.")

    def _check_stalled(self, view: tasks.Assessment, up_to_date: list[dict[str, Any]],
                       status: str | None, now: float) -> None:
        """``RolloutStalled`` once our update has had slots without a current task, tasks of
        the older spec and no update under way, for ``STALLED_GRACE``."""
        if (not self.change.own_update or not view.missing
                or status in ("updating", "rollback_started", "paused", "rollback_paused")):
            self.stalled_since = None
            return
        self.stalled_since = self.stalled_since or now
        if now - self.stalled_since < STALLED_GRACE:
            return
        every = engine.list_tasks(self.api, self.service_id, self.name)
        stale = tasks.stale_running(every, up_to_date)
        if not stale:
            self.stalled_since = None
            return
        names = self._node_names()
        raise RolloutStalled(
            f"{self.label}: the engine stopped rolling out the new spec ({view.summary()}); "
            "still on the older spec:\n  - " + "\n  - ".join(
                tasks.describe(t, names) for t in stale)
            + "\nSending the spec again starts the update that replaces them.")

    def _check_stuck(self, view: tasks.Assessment, spec: Mapping[str, Any],
                     status: str | None, now: float) -> None:
        if status in ("updating", "rollback_started") and failure_action(spec) != "continue":
            return  # the engine's updater decides: pause or roll back, and says why
        reason = view.stuck()
        if reason is None:
            exhausted = view.exhausted()
            if exhausted is None:
                self.exhausted_since = None
                return
            self.exhausted_since = self.exhausted_since or now
            if now - self.exhausted_since < EXHAUSTED_GRACE:
                return
            reason = exhausted
        raise ConvergenceError(
            f"{self.label} cannot converge ({view.summary()}): {reason}"
            f"{self._failed_tasks_text(view_tasks(view))}")

    def _nodes(self) -> list[dict[str, Any]]:
        if self.watch is None:
            self.nodes = engine.list_nodes(self.api)
        else:
            self.nodes = self.watch.nodes(NODE_CACHE_SECONDS)
        return self.nodes

    # --- error messages -----------------------------------------------------------------

    def _node_names(self) -> dict[str, str]:
        try:
            nodes = self._nodes()
        except EngineError:
            return {}
        return {str(n.get("ID")): tasks.hostname(n) for n in nodes}

    def _node_problems_text(self, spec: Mapping[str, Any],
                            every: list[dict[str, Any]] | None = None) -> str:
        """The nodes this service could use, or holds tasks on, that can't run tasks now:
        down or unreachable (a lost worker, a daemon restarting), drained or paused."""
        try:
            self.nodes = None  # fresh: a node's state is the point here
            nodes = self._nodes()
            every = every if every is not None else engine.list_tasks(
                self.api, self.service_id, self.name)
        except EngineError:
            return ""
        lines = tasks.node_problems(spec, nodes, every)
        return "\nnodes that can't take tasks:\n  - " + "\n  - ".join(lines) if lines else ""

    def _failed_update_error(self, service: Mapping[str, Any]) -> ConvergenceError:
        status = service.get("UpdateStatus") or {}
        state = status.get("State")
        message = str(status.get("Message") or "")
        spec = service.get("Spec") or {}
        if state == "rollback_completed":
            why = f": {self.rolling_back}" if self.rolling_back else ""
            head = (f"update of {self.label} failed and the engine rolled it back{why} "
                    f"({message}). The service runs its previous spec again, which is what "
                    "the state records: the next preview shows your change again")
        elif state == "paused":
            head = (f"update of {self.label} paused: {message}. The service keeps the new spec "
                    "(partly deployed) while the state still records the previous one: fix the "
                    "inputs and run `pulumi up` again (it updates the service from there), or "
                    "`pulumi refresh` to record what is live")
        else:  # rollback_paused
            head = (f"update of {self.label} failed and its rollback paused too: {message}"
                    + (f" (rollback after: {self.rolling_back})" if self.rolling_back else "")
                    + ". Run `pulumi refresh` to record what is live, then `pulumi up`")
        since = tasks.engine_time(status.get("StartedAt"))
        every = engine.list_tasks(self.api, self.service_id, self.name)
        failed = [t for t in every if tasks.state_of(t) in tasks.failure_states(
            tasks.is_job(tasks.mode_kind(spec))) and tasks.created(t) >= since]
        named = [t for t in every if str(t.get("ID")) and str(t.get("ID")) in message]
        if named:
            names = self._node_names()
            head += "\nthe task it names: " + tasks.describe(named[0], names)
            if tasks.created(named[0]) < since:
                head += (" [older than this update: a task that ended as its node came back "
                         "or restarted, not a fault of the new spec; `pulumi up` again "
                         "restarts the update]")
        text = head + self._failed_tasks_text(failed) + self._node_problems_text(spec, every)
        if state == "paused" and named and _shut_down_by_the_engine(named[0]):
            return RolloutStalled(text)
        return ConvergenceError(text)

    def _timeout_error(self, service: Mapping[str, Any]) -> ConvergenceError:
        view = self.assessment
        names = self._node_names()
        lines = []
        if self.rolling_back is not None:
            head = (f"update of {self.label} failed ({self.rolling_back}) and its rollback did "
                    f"not finish within the timeout ({self.timeout:g}s)")
        else:
            summary = view.summary() if view else "no task seen"
            head = f"{self.label} did not converge within {self.timeout:g}s ({summary})"
        try:
            every: list[dict[str, Any]] | None = engine.list_tasks(
                self.api, self.service_id, self.name)
        except EngineError:
            every = None
        if view is not None:
            for group in view.unfinished():
                current = group.current
                lines.append(tasks.describe(current, names, group.label) if current
                             else f"{group.label}: no task yet")
            stale = tasks.stale_running(every or [], [t for g in view.groups for t in g.tasks])
            for task in stale if view.missing else []:
                lines.append(tasks.describe(task, names) + " [a task of an older spec, and no "
                             "update is under way to replace it: `pulumi up` again sends the "
                             "spec again, which replaces it]")
            if view.missing and not view.unfinished() and not stale:
                lines.append(f"{view.missing} slot(s) or node(s) have no task yet")
            if view.converged and self.stable_since is not None:
                lines.append("all running, but not yet for the whole monitor window")
        text = head + (";\nunfinished:\n  - " + "\n  - ".join(lines) if lines else "")
        text += self._node_problems_text(service.get("Spec") or {}, every)
        if self.change.own_update:
            text += ("\nThe engine goes on applying the new spec; the state still records the "
                     "previous one. Run `pulumi up` again to wait for it, or raise `timeout`.")
        else:
            text += "\nRaise `timeout` (seconds) if the work is legitimately slower."
        return ConvergenceError(text)

    def _failed_tasks_text(self, failed: list[dict[str, Any]]) -> str:
        """The failed tasks, newest first, and the last log lines of the newest one that
        had a container."""
        if not failed:
            return ""
        failed = sorted(failed, key=tasks.created, reverse=True)
        names = self._node_names()
        lines = [tasks.describe(t, names) for t in failed[:5]]
        text = "\nfailed tasks (newest first):\n  - " + "\n  - ".join(lines)
        if len(failed) > 5:
            text += f"\n  - ... and {len(failed) - 5} more"
        with_container = [t for t in failed
                          if ((t.get("Status") or {}).get("ContainerStatus") or {})
                          .get("ContainerID")]
        if with_container:
            text += self._logs_text(with_container[0])
        return text

    def _logs_text(self, task: Mapping[str, Any]) -> str:
        task_id = str(task.get("ID"))
        tty = bool(((task.get("Spec") or {}).get("ContainerSpec") or {}).get("TTY"))
        try:
            lines = engine.task_logs(self.api, task_id, LOG_LINES, tty)
        except EngineError as exc:
            return f"\n(no logs of task {task_id[:12]}: {exc})"
        if not lines:
            return f"\ntask {task_id[:12]} wrote no log lines"
        shown = [line[:300] for line in lines]
        what = "log line" if len(shown) == 1 else f"{len(shown)} log lines"
        return f"\nlast {what} of task {task_id[:12]}:\n  | " + "\n  | ".join(shown)


STOP_SIGNAL_EXIT_CODES = frozenset({0, 128 + 2, 128 + 9, 128 + 15})
"""Exit codes of a container stopped on request: cleanly, or by SIGINT, SIGKILL, SIGTERM
(a drained node's task under ``init`` exits 143)."""


def _shut_down_by_the_engine(task: Mapping[str, Any]) -> bool:
    """A task the orchestrator stopped itself (``shutdown`` as desired, no engine error,
    an exit code of a stop signal): when it is what paused an update, a node's drain,
    loss or return did, not a fault of the spec."""
    status = task.get("Status") or {}
    code = (status.get("ContainerStatus") or {}).get("ExitCode") or 0
    return (tasks.state_of(task) == "shutdown" and task.get("DesiredState") == "shutdown"
            and not status.get("Err") and code in STOP_SIGNAL_EXIT_CODES)


def view_tasks(view: tasks.Assessment) -> list[dict[str, Any]]:
    """The failed tasks of an assessment's unfinished groups."""
    return [dict(t) for g in view.unfinished() for t in g.failures(view.job, view.since)]
