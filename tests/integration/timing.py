"""The integration suite's clock: slowest tests first, and what each module took.

scripts/test spreads the integration tests over a few pytest-xdist workers. Most of their
time is spent waiting (on the engine, on the Pulumi CLI), and the run ends when the last
worker does: a 60-s test that starts last keeps the run going a minute after the other
workers ran dry. So the tests are handed out longest first (the classic LPT rule), by the
durations the last run left in pytest's cache, or an estimate for a test never timed; and
at the end one line per module says how many tests it has, their summed time and the wall
span from its first test's start to its last test's end, so a slow group is seen at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pytest

CACHE_KEY = "swarm-provider/integration-durations"
"""Seconds per test node id, of the last run that ran it (setup + call + teardown)."""

ESTIMATES = {
    "test_user_project.py": 120.0,
    "test_crash_recovery.py": 90.0,
    "test_compose_differential.py::test_same_specs_as_docker_stack_deploy": 90.0,
    "test_compose_differential.py": 30.0,
    "test_rotation.py": 60.0,
    "test_secret_redaction.py": 55.0,
    "test_failed_update.py": 50.0,
    "test_examples.py": 50.0,
    "test_stack_workflows.py": 40.0,
    "test_many_resources.py": 25.0,
    "test_scheduling.py": 20.0,
    "test_host.py": 20.0,
    "test_pulumi_smoke.py": 20.0,
    "test_adoption.py": 15.0,
    "test_compose_stack.py": 15.0,
}
"""Seconds for a test the cache has never timed (a fresh clone, CI: every run there), by
test (``module::name``, parameters aside) or else by module: rounded means of a stage-1
run on 4 workers; only the slow ones are listed, the rest count as 5 s. A rough guide is
enough: a wrong guess makes the order worse, never a result different."""

DEFAULT_ESTIMATE = 5.0
SHOWN = 12
"""Modules listed by name in the table; the quicker rest share one line."""
INTEGRATION = "integration/"
"""What the node ids of this folder's tests contain (``tests/integration/test_x.py::...``)."""


def expected_seconds(nodeid: str, known: dict[str, float]) -> float:
    """How long ``nodeid`` should take: its last time, else its own or its module's
    estimate."""
    if nodeid in known:
        return known[nodeid]
    test = nodeid.rsplit("/", 1)[-1].split("[", 1)[0]  # test_x.py::test_y
    module = test.split("::", 1)[0]
    return ESTIMATES.get(test, ESTIMATES.get(module, DEFAULT_ESTIMATE))


@dataclass
class ModuleClock:
    """What one module's tests took: how many, their summed seconds, their wall span."""

    tests: int = 0
    seconds: float = 0.0
    first_start: float = float("inf")
    last_stop: float = 0.0

    def add(self, report: pytest.TestReport) -> None:
        if report.when == "setup":
            self.tests += 1
        self.seconds += report.duration
        self.first_start = min(self.first_start, report.start)
        self.last_stop = max(self.last_stop, report.stop)


@dataclass
class Timing:
    """The plugin: orders the collected tests, times the reported ones, prints the table."""

    config: pytest.Config
    durations: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    modules: dict[str, ModuleClock] = field(default_factory=lambda: defaultdict(ModuleClock))

    def known(self) -> dict[str, float]:
        cache = getattr(self.config, "cache", None)  # none under -p no:cacheprovider
        stored = cache.get(CACHE_KEY, {}) if cache is not None else {}
        return stored if isinstance(stored, dict) else {}

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        # Every xdist worker collects and must find the same order: a stable sort of the
        # same cache content gives it.
        # Tests from outside this folder (unit tests in the same run) stay first: they are
        # quick and have no estimate.
        known = self.known()
        items.sort(key=lambda item: (INTEGRATION in item.nodeid,
                                     -expected_seconds(item.nodeid, known)))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if INTEGRATION not in report.nodeid:
            return
        self.durations[report.nodeid] += report.duration
        self.modules[report.nodeid.split("::", 1)[0]].add(report)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        cache = getattr(self.config, "cache", None)
        if cache is None or not self.durations or hasattr(self.config, "workerinput"):
            return
        cache.set(CACHE_KEY, {**self.known(), **self.durations})

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.modules:
            return
        write = terminalreporter.write_line
        terminalreporter.section("time per module: summed s, wall span s, tests")
        ranked = sorted(self.modules.items(), key=lambda kv: -kv[1].seconds)
        for module, clock in ranked[:SHOWN]:
            span = clock.last_stop - clock.first_start
            write(f"{clock.seconds:7.1f} {span:7.1f} {clock.tests:4d}  {module}")
        rest = ranked[SHOWN:]
        if rest:
            seconds = sum(clock.seconds for _, clock in rest)
            tests = sum(clock.tests for _, clock in rest)
            write(f"{seconds:7.1f} {'':7} {tests:4d}  {len(rest)} more modules")
