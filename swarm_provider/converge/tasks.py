"""What a service's tasks say about convergence: pure functions over the engine's JSON.

``assess`` turns one service inspect, its up-to-date tasks and (for global modes) the node
list into an ``Assessment``: how many slots, nodes or completions are done out of how many
are wanted, which are not, and whether some can no longer succeed (``stuck``). No engine
call happens here; ``converge`` polls and decides, the unit tests feed recorded JSON.

How work is counted (the docker CLI's rules, cli/command/service/progress/progress.go at
v20.10, with the differences noted):

- Replicated: one task per ``Slot``; when a slot has several (a restart, a start-first
  update), the one with the lowest desired state, then the lowest observed state, speaks
  for it. A slot is done when that task should run and runs.
- Global: the same per node, over the nodes the service should run on. The CLI takes "the
  nodes that already have an up-to-date task", which during a rolling update of a global
  service counts only the nodes updated so far and calls that converged (its monitor window
  usually catches it). We count the nodes the engine's global orchestrator serves: ready,
  availability ``active`` (a paused node gets no new task, a drained one none at all), and
  matching the placement constraints, evaluated with swarmkit's rules; plus any ready active
  node that holds a task (should our reading of a constraint differ from the engine's).
  A node that matches but cannot run the task (resources, platform, a host port in use)
  keeps a ``pending`` task whose error the timeout message shows.
- Replicated job: tasks of the current ``JobIteration`` in state ``complete`` against
  ``TotalCompletions``. Global job: one completed task per node counted as for global.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

Task = Mapping[str, Any]
Node = Mapping[str, Any]

TASK_STATES = (
    "new", "allocated", "pending", "assigned", "accepted", "preparing", "ready", "starting",
    "running", "complete", "shutdown", "failed", "rejected", "remove", "orphaned",
)
_RANK = {state: rank for rank, state in enumerate(TASK_STATES, start=1)}
_RUNNING = _RANK["running"]
FAILED_STATES = frozenset({"failed", "rejected"})
_GONE = frozenset({"shutdown", "remove", "orphaned"})
"""Desired states that end a task for good (``complete`` is what a live job task wants)."""

SAME_ERROR_ATTEMPTS = 3
"""A slot (node, job) whose last this-many tasks failed with the same error (compared by
``error_signature``) is stuck: the restart policy would keep producing it until the timeout."""

PASSING_ERRORS = (
    "Pool overlaps with other one on this address space",
    "no configured subnet or ip-range contain the IP address",
)
"""Errors that repeat and then clear, so they never make a slot stuck: a node still holds
a network the manager has removed and whose subnet it has handed out again (Docker 28
while networks come and go); once the node has removed the old one, the next task starts.
The timeout still ends a wait on them, naming the last failure."""


def rank(state: str | None) -> int:
    """The state's place in the engine's order; 0 for an unknown state."""
    return _RANK.get(state or "", 0)


def is_terminal(state: str | None) -> bool:
    return rank(state) > _RUNNING


def state_of(task: Task) -> str:
    return str((task.get("Status") or {}).get("State", ""))


def runs(task: Task) -> bool:
    """Should run and does (the CLI's test for a counted replica)."""
    return not is_terminal(task.get("DesiredState")) and state_of(task) == "running"


def error_of(task: Task) -> str:
    """The engine's reason, with the exit code when the container exited non-zero."""
    status = task.get("Status") or {}
    err = str(status.get("Err") or "")
    code = (status.get("ContainerStatus") or {}).get("ExitCode")
    if code and f"({code})" not in err:
        err = f"{err} (exit code {code})" if err else f"exit code {code}"
    return err


_NOISE = (
    # (what, pattern, replacement): per-task noise in engine and runc errors, so that two
    # tasks failing for one reason compare equal. Order matters: longer shapes first.
    ("uuid", r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", "<uuid>"),
    ("time", r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?", "<time>"),
    ("hex id", r"\b(?=[0-9]*[a-f])[0-9a-f]{12,}\b", "<id>"),
    ("swarm id", r"\b(?=[a-z0-9]*\d)(?=[a-z0-9]*[a-z])[a-z0-9]{25}\b", "<id>"),
    ("fd", r"/proc/(?:self|\d+)/fd/\d+", "/proc/<pid>/fd/<n>"),
    ("pid", r"\bpid[ =:]+\d+", "pid <n>"),
    ("source line", r"\b(\w+\.go):\d+", r"\1:<line>"),
    ("address", r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b", "<address>"),
)
_NOISE_PATTERNS = tuple((re.compile(pattern), replacement) for _, pattern, replacement in _NOISE)


def error_signature(error: str) -> str:
    """What stays the same when tasks fail for one reason: the error with container and
    task ids, content hashes (overlay2 layer paths), uuids, file descriptors, pids, Go
    source lines, addresses and timestamps replaced by placeholders. runc and the engine
    put these in their errors (``lstat .../overlay2/<64 hex>/merged/x: not a directory``),
    so raw errors of three tasks never compare equal."""
    for pattern, replacement in _NOISE_PATTERNS:
        error = pattern.sub(replacement, error)
    return error


def unschedulable(task: Task) -> str | None:
    """The scheduler's reason a wanted task has no node yet, or None: a ``pending`` task
    with an error ("no suitable node (host-mode port already in use on 1 node)", "...
    scheduling constraints not satisfied ...", "insufficient resources ..."). A pending
    task without one is merely queued."""
    if is_terminal(task.get("DesiredState")) or state_of(task) != "pending":
        return None
    return str((task.get("Status") or {}).get("Err") or "") or None


def stale_running(every: Sequence[Task], up_to_date: Sequence[Task]) -> list[Task]:
    """Tasks still meant to run that are not of the current spec: what a rolling update
    replaces, and what is left when the engine's updater stopped (a node lost mid-update)."""
    current = {t.get("ID") for t in up_to_date}
    return [t for t in every if t.get("ID") not in current
            and t.get("DesiredState") == "running" and not is_terminal(state_of(t))]


def engine_time(stamp: str | None) -> float:
    """Seconds since the epoch of an engine timestamp (RFC 3339, up to nanoseconds)."""
    match = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?", stamp or "")
    if not match:
        return 0.0
    whole = datetime.strptime(match[1], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    fraction = float(f"0.{match[2]}") if match[2] else 0.0
    return whole.timestamp() + fraction


def created(task: Task) -> float:
    return engine_time(task.get("CreatedAt"))


def _preference(task: Task) -> tuple[int, int]:
    """The CLI's tie-break: lowest desired state first, then lowest observed state."""
    return rank(task.get("DesiredState")), rank(state_of(task))


def representative(tasks: Iterable[Task]) -> Task | None:
    known = [t for t in tasks if rank(t.get("DesiredState")) and rank(state_of(t))]
    return min(known, key=_preference) if known else None


# --- modes ------------------------------------------------------------------------------


def mode_kind(spec: Mapping[str, Any]) -> str:
    """``Replicated``, ``Global``, ``ReplicatedJob`` or ``GlobalJob`` of a live spec."""
    mode = spec.get("Mode") or {"Replicated": {}}
    return str(next(iter(mode)))


def is_job(kind: str) -> bool:
    return kind.endswith("Job")


def replicas(spec: Mapping[str, Any]) -> int:
    replicated = (spec.get("Mode") or {}).get("Replicated") or {}
    value = replicated.get("Replicas")
    return 1 if value is None else int(value)


def total_completions(spec: Mapping[str, Any]) -> int:
    """The engine defaults TotalCompletions to MaxConcurrent, and that to 1."""
    job = (spec.get("Mode") or {}).get("ReplicatedJob") or {}
    concurrent = int(job.get("MaxConcurrent") or 1)
    return int(job.get("TotalCompletions") or concurrent)


def job_iteration(service: Mapping[str, Any]) -> int:
    return int(((service.get("JobStatus") or {}).get("JobIteration") or {}).get("Index") or 0)


def task_iteration(task: Task) -> int:
    return int((task.get("JobIteration") or {}).get("Index") or 0)


# --- nodes and placement constraints ------------------------------------------------------


def node_ready(node: Node) -> bool:
    """Ready and ``active``: a node where the orchestrator places new tasks."""
    return ((node.get("Status") or {}).get("State") == "ready"
            and (node.get("Spec") or {}).get("Availability", "active") == "active")


def hostname(node: Node) -> str:
    return str((node.get("Description") or {}).get("Hostname") or node.get("ID", "")[:12])


def _node_values(node: Node, key: str) -> str | None:
    """The value a constraint key reads on a node (swarmkit manager/constraint), or None
    for a key this module does not know (the caller then trusts the engine's tasks)."""
    description = node.get("Description") or {}
    lowered = key.lower()
    if lowered == "node.id":
        return str(node.get("ID", ""))
    if lowered == "node.hostname":
        return str(description.get("Hostname") or "")
    if lowered == "node.role":
        return str((node.get("Spec") or {}).get("Role") or "")
    if lowered == "node.platform.os":
        return str((description.get("Platform") or {}).get("OS") or "")
    if lowered == "node.platform.arch":
        return str((description.get("Platform") or {}).get("Architecture") or "")
    if lowered.startswith("node.labels.") and len(key) > len("node.labels."):
        labels = (node.get("Spec") or {}).get("Labels") or {}
        return str(labels.get(key[len("node.labels."):], ""))  # label names are case-sensitive
    if lowered.startswith("engine.labels.") and len(key) > len("engine.labels."):
        labels = (description.get("Engine") or {}).get("Labels") or {}
        return str(labels.get(key[len("engine.labels."):], ""))
    return None


def matches(node: Node, constraints: Sequence[str]) -> bool | None:
    """Whether the node satisfies every constraint, compared as swarmkit does (values
    case-insensitively); None when a constraint can't be read here."""
    for constraint in constraints:
        for operator in ("==", "!="):
            key, found, value = constraint.partition(operator)
            if found:
                break
        else:
            return None
        have = _node_values(node, key.strip())
        if have is None:
            return None
        equal = have.lower() == value.strip().lower()
        if equal != (operator == "=="):
            return False
    return True


def eligible_nodes(spec: Mapping[str, Any], nodes: Sequence[Node],
                   tasks: Sequence[Task]) -> list[Node]:
    """The nodes a global service (or job) should end up on; see the module docstring."""
    constraints = ((spec.get("TaskTemplate") or {}).get("Placement") or {}).get("Constraints")
    holding = {t.get("NodeID") for t in tasks if t.get("DesiredState") not in _GONE}
    chosen = []
    for node in nodes:
        if not node_ready(node):
            continue
        verdict = matches(node, constraints or [])
        if node.get("ID") in holding or verdict is True:
            chosen.append(node)
    return chosen


def node_problems(spec: Mapping[str, Any], nodes: Sequence[Node],
                  every: Sequence[Task]) -> list[str]:
    """One line per node that can't take tasks now (not ready, or not ``active``) and
    matters to this service: it holds a task the engine last saw alive, or the placement
    constraints allow it (or can't be read here). ``every``: all the service's tasks."""
    constraints = ((spec.get("TaskTemplate") or {}).get("Placement") or {}).get("Constraints")
    holding = {t.get("NodeID") for t in every if not is_terminal(state_of(t))}
    lines = []
    for node in nodes:
        if node_ready(node):
            continue
        held = node.get("ID") in holding
        if not held and matches(node, constraints or []) is False:
            continue
        status = node.get("Status") or {}
        state = str(status.get("State") or "unknown")
        availability = str((node.get("Spec") or {}).get("Availability") or "active")
        if state != "ready":
            line = f"node {hostname(node)} (id {str(node.get('ID'))[:12]}) is {state}"
            message = str(status.get("Message") or "")
            line += f" ({message})" if message else ""
            line += ": unreachable, its tasks can't start or report" if state != "down" else (
                ": lost, its tasks can't start or report; bring it back, or drain or remove "
                "it so the engine stops waiting for it")
        else:
            line = (f"node {hostname(node)} (id {str(node.get('ID'))[:12]}) is {availability}: "
                    "it takes no new tasks")
        if held:
            line += " (it holds a task of this service)"
        lines.append(line)
    return lines


# --- the assessment -------------------------------------------------------------------------


@dataclass
class Group:
    """One unit of work: a slot, a node, or a replicated job's whole run."""

    label: str
    tasks: list[Task] = field(default_factory=list)
    done: bool = False

    @property
    def current(self) -> Task | None:
        return representative(self.tasks)

    def failures(self, job: bool, since: float = 0.0) -> list[Task]:
        """Failed tasks created at ``since`` (engine time) or later, newest first (see
        ``failure_states``)."""
        bad = failure_states(job)
        found = (t for t in self.tasks if state_of(t) in bad and created(t) >= since)
        return sorted(found, key=created, reverse=True)

    def pending(self, job: bool) -> bool:
        """Some task may still run (or complete): it is wanted and not finished, or it just
        failed and the orchestrator has not decided yet whether to replace it."""
        for task in self.tasks:
            desired = task.get("DesiredState")
            if desired in _GONE or (not job and is_terminal(desired)):
                continue
            state = state_of(task)
            if not is_terminal(state) or state in failure_states(job):
                return True
        return False


def failure_states(job: bool) -> frozenset[str]:
    """``failed`` and ``rejected``; for a service also ``complete``: a service task that
    exits 0 ended early, and only a new task can run again (the updater counts it too)."""
    return FAILED_STATES if job else FAILED_STATES | {"complete"}


@dataclass
class Assessment:
    kind: str
    done: int
    wanted: int
    groups: list[Group]
    missing: int = 0
    """Wanted slots or nodes with no task at all yet."""
    since: float = 0.0
    """Failures of tasks created before this (engine time: the update's POST) are history."""

    @property
    def job(self) -> bool:
        return is_job(self.kind)

    @property
    def converged(self) -> bool:
        return self.done >= self.wanted and self.missing == 0

    def summary(self) -> str:
        if self.job:
            noun = "completions" if self.kind == "ReplicatedJob" else "nodes completed"
            text = f"{self.done}/{self.wanted} {noun}"
        else:
            noun = "tasks running" if self.kind == "Replicated" else "nodes running"
            text = f"{self.done}/{self.wanted} {noun}"
        if self.converged:
            return text
        latest = self.latest_failure()
        blocked = self.blocked()
        if latest is not None:
            text += f" (last failure: {error_of(latest) or state_of(latest)})"
        elif blocked is not None:
            text += f" ({blocked})"
        return text

    def unfinished(self) -> list[Group]:
        return [g for g in self.groups if not g.done]

    def latest_failure(self) -> Task | None:
        failed = [t for g in self.groups for t in g.failures(self.job, self.since)[:1]]
        return max(failed, key=created) if failed else None

    def blocked(self) -> str | None:
        """Why a wanted task has no node: the first unfinished group whose task the
        scheduler can't place (see ``unschedulable``), as ``<group>: pending: <reason>``."""
        for group in self.unfinished():
            current = group.current
            reason = unschedulable(current) if current is not None else None
            if reason:
                return f"{group.label}: pending: {reason}"
        return None

    def stuck(self, attempts: int = SAME_ERROR_ATTEMPTS) -> str | None:
        """Why this can't converge by itself: the same error ``attempts`` times in a row."""
        for group in self.unfinished():
            failures = group.failures(self.job, self.since)[:attempts]
            errors = {error_signature(error_of(t) or state_of(t)) for t in failures}
            newest = (error_of(failures[0]) or state_of(failures[0])) if failures else ""
            if len(failures) >= attempts and len(errors) == 1 and not any(
                    passing in newest for passing in PASSING_ERRORS):
                return (f"{group.label}: the last {attempts} tasks failed with the same "
                        f"error: {newest}")
        return None

    def exhausted(self) -> str | None:
        """Why no new task will come: every task failed and the restart policy (condition
        ``none``/``on-failure`` with MaxAttempts used up) starts no more."""
        if self.converged:
            return None
        for group in self.unfinished():
            failures = group.failures(self.job, self.since)
            if failures and not group.pending(self.job):
                return (f"{group.label}: {len(failures)} task(s) failed (last: "
                        f"{error_of(failures[0]) or state_of(failures[0])}) and the restart "
                        "policy starts no new one")
        return None


def assess(service: Mapping[str, Any], tasks: Sequence[Task],
           nodes: Sequence[Node] | None = None, since: float = 0.0) -> Assessment:
    """Progress of a service from its up-to-date tasks (``nodes`` needed for global modes);
    task failures from before ``since`` (engine time) don't count as failures."""
    view = _assess(service, tasks, nodes)
    view.since = since
    return view


def _assess(service: Mapping[str, Any], tasks: Sequence[Task],
            nodes: Sequence[Node] | None) -> Assessment:
    spec = service.get("Spec") or {}
    kind = mode_kind(spec)
    if is_job(kind):
        iteration = job_iteration(service)
        tasks = [t for t in tasks if task_iteration(t) == iteration]
    if kind in ("Global", "GlobalJob"):
        return _assess_per_node(kind, spec, tasks, nodes or [])
    if kind == "ReplicatedJob":
        # One group for the whole iteration: a retried job task need not keep its slot.
        done = sum(1 for t in tasks if state_of(t) == "complete")
        wanted = total_completions(spec)
        job = Group("job", sorted(tasks, key=created), done=done >= wanted)
        return Assessment(kind, done, wanted, [job])
    by_slot: dict[int, Group] = {}
    for task in sorted(tasks, key=created):
        slot = int(task.get("Slot") or 0)
        by_slot.setdefault(slot, Group(f"slot {slot}")).tasks.append(task)
    groups = list(by_slot.values())
    for group in groups:
        current = group.current
        group.done = current is not None and runs(current)
    # A slot whose tasks are all being removed (scale-down) is not wanted any more.
    groups = [g for g in groups if not all(t.get("DesiredState") == "remove" for t in g.tasks)]
    wanted = replicas(spec)
    done = sum(1 for g in groups if g.done)
    return Assessment(kind, done, wanted, groups, missing=max(0, wanted - len(groups)))


def _assess_per_node(kind: str, spec: Mapping[str, Any], tasks: Sequence[Task],
                     nodes: Sequence[Node]) -> Assessment:
    by_node: dict[str, list[Task]] = {}
    for task in sorted(tasks, key=created):
        by_node.setdefault(str(task.get("NodeID", "")), []).append(task)
    groups = []
    missing = 0
    for node in eligible_nodes(spec, nodes, tasks):
        held = by_node.get(str(node.get("ID")), [])
        if not held:
            missing += 1
        group = Group(f"node {hostname(node)}", held)
        if kind == "GlobalJob":
            group.done = any(state_of(t) == "complete" for t in held)
        else:
            current = group.current
            group.done = current is not None and runs(current)
        groups.append(group)
    done = sum(1 for g in groups if g.done)
    return Assessment(kind, done, len(groups), groups, missing=missing)


# --- messages -------------------------------------------------------------------------------


def describe(task: Task, node_names: Mapping[str, str], label: str = "") -> str:
    """One line per task for error messages: where, state, desired state, error."""
    where = label or (f"slot {task['Slot']}" if task.get("Slot") else "task")
    node = node_names.get(str(task.get("NodeID") or ""))
    line = f"{where}" + (f" on {node}" if node else "") + f": task {str(task.get('ID'))[:12]} "
    line += f"{state_of(task) or 'unknown'} (desired {task.get('DesiredState', '?')})"
    err = error_of(task)
    return f"{line}: {err}" if err else line
