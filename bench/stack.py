"""`pulumi up` of N services against `docker stack deploy` and a docker-py floor.

    python bench/stack.py                  # N = 20, 50, 100, and a mix of 20
    python bench/stack.py --sizes 20,50    # other sizes
    python bench/stack.py --quick          # N = 5 and a mix of 4: a smoke run

For every N, the same N services (one overlay network; `sleep` with an init process,
1 s stop grace period, an env var `BENCH_VERSION`) go through five operations with three
tools, one tool after the other:

- **pulumi**: this project's program run by the real CLI (`pulumi up --yes --skip-preview`,
  as the Automation API runs it; a no-op `up` and the preview run with
  `--expect-no-changes`, so the bench fails if they are not no-ops), with every resource
  operation at once (`PULUMI_PARALLEL` = the number of resources, as `docker stack deploy`
  sends every service at once; the CLI's default is 4 per CPU core, 8 here, which makes
  N services converge 8 at a time: `--parallel 0` keeps that default);
- **stack**: `docker stack deploy --detach=false --resolve-image never` of a compose file it
  writes, and `docker stack rm --detach=false` (watched: see STACK_RM_NOTE); stack deploy
  has no preview;
- **floor**: a docker-py script that sends the same specs and waits for the same
  convergence, the least any tool can take: every new task running, then one monitor window
  (5 s, the default of both the provider and the docker CLI). Its no-op reads every service
  and writes nothing; its destroy waits for the tasks to be gone, as the provider does.

A preview is also compared with the preview of a stack of N trivial dynamic resources (a
provider that does nothing), which is the least a Python dynamic provider can cost.

Every tool reaches the engine through a counting proxy (bench/engine_proxy.py), so the table
gives the engine calls of each operation and the writes (anything but GET/HEAD); the Pulumi
provider process's peak RSS comes from /proc (VmHWM). The mix alternates services with 2
replicas and a healthcheck and plain ones. Results: a table on stdout, `stack.json` and
`stack.png` (wall time against N, needs the `bench` extra: `pip install -e '.[bench]'`) in
`--out` (bench/out by default).

Needs the test bed (`eval "$(scripts/testbed env)"`), the `docker` client and `pulumi` on
PATH. Everything it makes is named `bst<run>...` and removed at the end, even on failure.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import docker

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine_proxy import CountingProxy, writes  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
IMAGE = os.environ.get("SWARM_TEST_IMAGE", "swarm-testbed/busybox:1.0")
COMMAND = ["sleep", "86400"]
MONITOR_SECONDS = 5.0
"""The monitor window the provider and the docker CLI wait by default after convergence."""
HEALTHCHECK = {"test": ["CMD", "true"], "interval": "2s", "timeout": "2s", "retries": 3}
POLL_SECONDS = 0.2
TOOLS = ("pulumi", "stack", "floor")
OPERATIONS = ("create", "update", "no-op", "preview", "destroy")
TIMEOUT = 1800

STACK_RM_NOTE = (
    "note: `docker stack rm --detach=false` (docker CLI 28) lists the stack's tasks in a loop\n"
    "with no pause, adding 1 to a count on each list that holds a terminal task, and stops\n"
    "when the count equals the number of tasks listed. So it may return before the tasks are\n"
    "gone (pulumi and the floor wait until they are), or, when the engine removes tasks\n"
    "faster than the count grows, never: then the bench stops it RM_GRACE s after the\n"
    "stack's last task is gone and gives the time that happened, marked `hung`.")
RM_GRACE = 10.0
"""Seconds `docker stack rm` may go on after its stack's last task is gone."""
GOALS: dict[str, list[tuple[str, str, float]]] = {
    # operation -> (against, label, at most): the goals of issue 13
    "create": [("stack", "<=0.25x stack", 0.25)],
    "update": [("floor", "<=1.5x floor", 1.5), ("stack", "<=0.8x stack", 0.8)],
    "preview": [("trivial", "<=1.1x trivial", 1.1)],
}


# --- the services, one table for every tool -------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """One benchmark service, rendered alike for Pulumi, compose and the Engine API."""

    key: str
    replicas: int
    healthcheck: bool

    def pulumi(self, name: str) -> dict[str, Any]:
        """SwarmService inputs (the program adds env, image and network)."""
        inputs: dict[str, Any] = {"name": name, "replicas": self.replicas}
        if self.healthcheck:
            inputs["healthcheck"] = HEALTHCHECK
        return inputs

    def compose(self, version: str) -> dict[str, Any]:
        service: dict[str, Any] = {
            "image": IMAGE, "entrypoint": COMMAND, "init": True, "stop_grace_period": "1s",
            "environment": {"BENCH_VERSION": version}, "deploy": {"replicas": self.replicas}}
        if self.healthcheck:
            service["healthcheck"] = HEALTHCHECK
        return service

    def task_template(self, version: str, network_id: str) -> dict[str, Any]:
        """The TaskTemplate `docker stack deploy` sends for the compose service above."""
        container: dict[str, Any] = {
            "Image": IMAGE, "Command": COMMAND, "Init": True, "StopGracePeriod": 10**9,
            "Env": [f"BENCH_VERSION={version}"]}
        if self.healthcheck:
            container["Healthcheck"] = {"Test": HEALTHCHECK["test"], "Interval": 2 * 10**9,
                                        "Timeout": 2 * 10**9, "Retries": 3}
        return {"ContainerSpec": container, "Networks": [{"Target": network_id}],
                "Placement": {}, "Resources": {}, "ForceUpdate": 0}


def shapes(count: int, mix: bool) -> list[Shape]:
    """`count` services; in a mix every other one has 2 replicas and a healthcheck."""
    return [Shape(f"s{i}", 2 if mix and i % 2 == 0 else 1, mix and i % 2 == 0)
            for i in range(count)]


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Measure:
    seconds: float
    calls: int
    writes: int
    rss_mib: float | None = None
    """The provider process's peak resident memory (Pulumi only)."""
    load: float = 0.0
    """The machine's 1-minute load average when it ended (2 cores: above 2 is contention)."""
    note: str = ""
    """Why ``seconds`` is not simply how long the call took (``Ended``)."""


@dataclass(frozen=True)
class Ended:
    """What an operation returns when it ended before its call returned."""

    after: float
    """Seconds from the start to the real end."""
    note: str


class ProviderMemory:
    """Peak RSS of the dynamic-provider processes the Pulumi CLI starts for this bench.

    They are found in /proc by an environment variable only this run sets; the language
    host and the program (`pulumi-language-python*`) are not counted. VmHWM is the peak
    of a process's life, so sampling every 0.2 s misses at most the last 0.2 s of growth."""

    def __init__(self, tag: str) -> None:
        self.marker = f"BENCH_TAG={tag}".encode()
        self._peak_kib = 0
        self._lock = threading.Lock()
        self._others: set[str] = set()  # pids of other processes than this run's
        threading.Thread(target=self._sample, daemon=True, name="provider-rss").start()

    def take(self) -> float | None:
        with self._lock:
            peak, self._peak_kib = self._peak_kib, 0
        return round(peak / 1024, 1) if peak else None

    def _sample(self) -> None:
        while True:
            for peak in self._providers():
                with self._lock:
                    self._peak_kib = max(self._peak_kib, peak)
            time.sleep(0.2)

    def _providers(self) -> Iterator[int]:
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit() or proc.name in self._others:
                continue
            try:
                if self.marker not in (proc / "environ").read_bytes().split(b"\0"):
                    self._others.add(proc.name)  # not this run's: never read again
                    continue
                # This run's: the CLI, language host, program, or a provider (whose shim
                # is a shell script until it execs python, so look every time).
                argv = (proc / "cmdline").read_bytes().split(b"\0")
                if b"python" not in argv[0] or b"pulumi-language" in b" ".join(argv):
                    continue
                for line in (proc / "status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        yield int(line.split()[1])
            except OSError:
                continue


def run(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> None:
    """Run a CLI command; on failure raise with the end of its output."""
    with log.open("ab") as out:
        out.write(f"\n$ {' '.join(command)}\n".encode())
        out.flush()
        done = subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                              timeout=TIMEOUT, check=False)
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(command[:3])} failed ({done.returncode}):\n{tail}")


# --- the three tools ------------------------------------------------------------------------


PROGRAM = '''\
"""The bench program: config `services` (JSON) says which services to declare."""
import json

import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider

config = pulumi.Config()
services = json.loads(config.require("services"))

if config.get_bool("trivial"):
    class Nothing(ResourceProvider):
        def create(self, props):
            return CreateResult(id_=props["name"], outs=props)

    class Trivial(Resource):
        pass

    for service in services:
        Trivial(Nothing(), service["name"], {"name": service["name"]})
else:
    from swarm_provider import SwarmNetwork, SwarmService

    network = SwarmNetwork("net", name=config.require("network"), driver="overlay")
    for key, inputs in services.items():
        replicas = inputs.pop("replicas")
        SwarmService(key, image=config.require("image"), command=%(command)r, init=True,
                     stop_grace_period="1s", env={"BENCH_VERSION": config.require("version")},
                     mode={"mode": "replicated", "replicas": replicas},
                     networks=[network.name], **inputs)
'''


class PulumiTool:
    """The project's program through the real Pulumi CLI, in a private backend."""

    def __init__(self, work: Path, env: dict[str, str], prefix: str,
                 services: list[Shape], trivial: bool = False, parallel: int = 0) -> None:
        self.dir = work / ("trivial" if trivial else "pulumi")
        self.dir.mkdir()
        self.env = {**env, "PULUMI_PARALLEL": str(parallel)} if parallel else env
        self.log = work / f"{self.dir.name}.log"
        runtime = {"virtualenv": sys.prefix} if sys.prefix != sys.base_prefix else {}
        (self.dir / "Pulumi.yaml").write_text(json.dumps(
            {"name": "bench-stack", "runtime": {"name": "python", "options": runtime}}))
        (self.dir / "__main__.py").write_text(PROGRAM % {"command": COMMAND})
        declared: Any = {s.key: s.pulumi(f"{prefix}{s.key}") for s in services}
        if trivial:
            declared = [{"name": f"{prefix}{s.key}"} for s in services]
        self.cli(["stack", "init", "bench"])
        config = {"services": json.dumps(declared), "network": f"{prefix}net", "image": IMAGE,
                  "trivial": "true" if trivial else "false"}
        for key, value in config.items():
            self.cli(["config", "set", key, value])

    def cli(self, args: list[str]) -> None:
        run(["pulumi", *args, "--non-interactive"], self.dir, self.env, self.log)

    def up(self, version: str, expect_no_changes: bool = False) -> None:
        self.cli(["config", "set", "version", version])
        self.cli(["up", "--yes", "--skip-preview", "--suppress-outputs",
                  *(["--expect-no-changes"] if expect_no_changes else [])])

    def create(self, version: str) -> None:
        self.up(version)

    def update(self, version: str) -> None:
        self.up(version)

    def noop(self, version: str) -> None:
        self.up(version, expect_no_changes=True)

    def preview(self) -> None:
        self.cli(["preview", "--expect-no-changes", "--suppress-outputs"])

    def destroy(self) -> None:
        self.cli(["destroy", "--yes", "--skip-preview"])

    def remove(self) -> None:
        try:
            self.cli(["destroy", "--yes", "--skip-preview"])
        finally:
            self.cli(["stack", "rm", "--yes", "--force"])


class StackTool:
    """`docker stack deploy` of a compose file with the same services."""

    def __init__(self, work: Path, env: dict[str, str], prefix: str,
                 services: list[Shape], engine: str) -> None:
        self.dir = work / "stack"
        self.dir.mkdir()
        self.env = env
        self.log = work / "stack.log"
        self.name = prefix.rstrip("-")
        self.services = services
        self.api = docker.APIClient(base_url=engine, version="1.41", timeout=120)
        """The engine itself, not the counting proxy: watching is not the CLI's work."""

    def deploy(self, version: str) -> None:
        compose = {"version": "3.8",
                   "services": {s.key: s.compose(version) for s in self.services}}
        # JSON is YAML: the CLI reads it as a compose file.
        (self.dir / "compose.yaml").write_text(json.dumps(compose, indent=1))
        run(["docker", "stack", "deploy", "--detach=false", "--resolve-image", "never",
             "-c", "compose.yaml", self.name], self.dir, self.env, self.log)

    create = update = noop = deploy

    def destroy(self) -> Ended | None:
        """`docker stack rm --detach=false`, watched (see STACK_RM_NOTE): once the stack's
        tasks are gone, it has RM_GRACE s to return; if it has not, it is stopped."""
        started = time.monotonic()
        stack_tasks = {"label": f"com.docker.stack.namespace={self.name}"}
        with self.log.open("ab") as out:
            out.write(f"\n$ docker stack rm --detach=false {self.name}\n".encode())
            out.flush()
            cli = subprocess.Popen(["docker", "stack", "rm", "--detach=false", self.name],
                                   cwd=self.dir, env=self.env, stdout=out,
                                   stderr=subprocess.STDOUT)
        gone_at: float | None = None
        try:
            while cli.poll() is None:
                now = time.monotonic()
                if now - started > TIMEOUT:
                    raise TimeoutError(f"docker stack rm {self.name}: over {TIMEOUT} s")
                if gone_at is None and not self.api.tasks(filters=stack_tasks):
                    gone_at = now
                if gone_at is not None and now - gone_at > RM_GRACE:
                    return Ended(round(gone_at - started, 2),
                                 f"hung: still waiting {RM_GRACE:.0f} s after the last task "
                                 "was gone, stopped")
                with contextlib.suppress(subprocess.TimeoutExpired):
                    cli.wait(timeout=0.5)
        finally:
            if cli.poll() is None:
                cli.kill()
                cli.wait()
        returned = time.monotonic()
        if cli.returncode != 0:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"docker stack rm failed ({cli.returncode}):\n{tail}")
        if gone_at is not None or not self.api.tasks(filters=stack_tasks):
            return None
        while self.api.tasks(filters=stack_tasks):  # returned early: how long they took
            if time.monotonic() - started > TIMEOUT:
                raise TimeoutError(f"the tasks of {self.name}: over {TIMEOUT} s")
            time.sleep(0.5)
        gone = time.monotonic() - started
        return Ended(round(returned - started, 2),
                     f"returned before its tasks were gone, which took {gone:.2f} s")


class FloorTool:
    """A docker-py script: POST every spec, wait for all new tasks running, one monitor."""

    def __init__(self, host: str, prefix: str, services: list[Shape]) -> None:
        self.api = docker.APIClient(base_url=host, version="1.41", timeout=120)
        self.prefix = prefix
        self.services = services
        self.ids: dict[str, str] = {}
        self.network = ""

    def create(self, version: str) -> None:
        self.network = self.api.create_network(f"{self.prefix}net", driver="overlay")["Id"]
        for shape in self.services:
            self.ids[shape.key] = self.api.create_service(
                shape.task_template(version, self.network), name=f"{self.prefix}{shape.key}",
                mode={"Replicated": {"Replicas": shape.replicas}},
                endpoint_spec={"Mode": "vip"})["ID"]
        self.converge(version)

    def update(self, version: str) -> None:
        for shape in self.services:
            live = self.api.inspect_service(self.ids[shape.key])
            spec = live["Spec"]
            self.api.update_service(
                live["ID"], live["Version"]["Index"],
                task_template=shape.task_template(version, self.network), name=spec["Name"],
                mode=spec["Mode"], endpoint_spec=spec.get("EndpointSpec"))
        self.converge(version)

    def noop(self, version: str) -> None:
        for shape in self.services:
            env = self.api.inspect_service(self.ids[shape.key])["Spec"]["TaskTemplate"][
                "ContainerSpec"]["Env"]
            assert env == [f"BENCH_VERSION={version}"], env

    def converge(self, version: str) -> None:
        """Every slot has a running task of the new spec (one task list per poll), then the
        monitor window."""
        wanted = {self.ids[s.key]: s.replicas for s in self.services}
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            running: dict[str, int] = dict.fromkeys(wanted, 0)
            for task in self.api.tasks(filters={"service": list(wanted),
                                                "desired-state": "running"}):
                env = task["Spec"]["ContainerSpec"].get("Env") or []
                if task["Status"]["State"] == "running" and f"BENCH_VERSION={version}" in env:
                    running[task["ServiceID"]] += 1
            if all(running[i] >= n for i, n in wanted.items()):
                time.sleep(MONITOR_SECONDS)
                return
            time.sleep(POLL_SECONDS)
        raise TimeoutError(f"floor: services not converged in {TIMEOUT}s")

    def destroy(self) -> None:
        for service_id in self.ids.values():
            self.api.remove_service(service_id)
        gone = set(self.ids.values())
        # A removed service can't be named in a task filter: list all tasks.
        while any(t["ServiceID"] in gone for t in self.api.tasks()):
            time.sleep(POLL_SECONDS)
        self.api.remove_network(self.network)


# --- one run --------------------------------------------------------------------------------


@dataclass
class Scenario:
    label: str
    count: int
    mix: bool


class Bench:
    def __init__(self, work: Path, proxy: CountingProxy, parallel: int | None = None,
                 tools: tuple[str, ...] = (*TOOLS, "trivial")) -> None:
        self.work = work
        self.proxy = proxy
        self.tools = tools
        self.parallel = parallel
        """Pulumi's --parallel; None: as many as the program has resources; 0: the CLI's."""
        self.run_id = uuid.uuid4().hex[:4]
        self.memory = ProviderMemory(self.run_id)
        home = work / "pulumi-home"
        state = work / "state"
        home.mkdir()
        state.mkdir()
        pythonpath = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
        self.env = {
            **os.environ, "DOCKER_HOST": proxy.host, "BENCH_TAG": self.run_id,
            "PULUMI_HOME": str(home), "PULUMI_BACKEND_URL": f"file://{state}",
            "PULUMI_CONFIG_PASSPHRASE": "bench", "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_PYTHON_CMD": sys.executable, "PYTHONPATH": pythonpath,
        }
        self.results: dict[str, dict[str, dict[str, Measure]]] = {}

    def measure(self, scenario: Scenario, tool: str, operation: str,
                call: Callable[[], Ended | None]) -> None:
        self.proxy.take()
        self.memory.take()
        started = time.monotonic()
        ended = call()
        seconds = ended.after if ended else time.monotonic() - started
        counts = self.proxy.take()
        rss = self.memory.take() if tool in ("pulumi", "trivial") else None
        found = Measure(round(seconds, 2), sum(counts.values()), writes(counts), rss,
                        round(os.getloadavg()[0], 1), ended.note if ended else "")
        self.results.setdefault(scenario.label, {}).setdefault(operation, {})[tool] = found
        print(f"  {scenario.label:>7} {tool:<7} {operation:<8} {seconds:7.2f} s  "
              f"{found.calls:5d} calls ({found.writes} writes)"
              + (f"  provider {rss} MiB" if rss else "") + f"  load {found.load}"
              + (f"  ({found.note})" if found.note else ""), file=sys.stderr, flush=True)

    def scenario(self, scenario: Scenario) -> None:
        services = shapes(scenario.count, scenario.mix)
        for tool in self.tools:
            prefix = f"bst{self.run_id}{scenario.count}{tool[0]}{'m' if scenario.mix else ''}-"
            work = self.work / f"{scenario.label}-{tool}"
            work.mkdir()
            if tool == "trivial":
                self.trivial(scenario, work, prefix, services)
            else:
                self.tool(scenario, tool, work, prefix, services)

    def tool(self, scenario: Scenario, tool: str, work: Path, prefix: str,
             services: list[Shape]) -> None:
        """The five operations with one tool, then nothing of it left on the swarm."""
        made: Any
        if tool == "pulumi":
            made = PulumiTool(work, self.env, prefix, services,
                              parallel=self.parallel_for(services))
        elif tool == "stack":
            made = StackTool(work, self.env, prefix, services, f"unix://{self.proxy.upstream}")
        else:
            made = FloorTool(self.proxy.host, prefix, services)
        try:
            self.measure(scenario, tool, "create", functools.partial(made.create, "v1"))
            self.measure(scenario, tool, "update", functools.partial(made.update, "v2"))
            self.measure(scenario, tool, "no-op", functools.partial(made.noop, "v2"))
            if tool == "pulumi":
                self.measure(scenario, tool, "preview", made.preview)
            self.measure(scenario, tool, "destroy", made.destroy)
        finally:
            # A failed clean-up is said, not raised: it must not hide why the run failed.
            cleanups = [made.remove] if tool == "pulumi" else []
            for cleanup in (*cleanups, functools.partial(remove_leftovers, prefix.rstrip("-"))):
                try:
                    cleanup()
                except Exception as exc:
                    print(f"  clean-up of {prefix}* failed: {str(exc)[-500:]}", file=sys.stderr)

    def trivial(self, scenario: Scenario, work: Path, prefix: str,
                services: list[Shape]) -> None:
        """The preview of N dynamic resources whose provider does nothing."""
        program = PulumiTool(work, self.env, prefix, services, trivial=True,
                             parallel=self.parallel_for(services))
        try:
            program.up("v1")
            self.measure(scenario, "trivial", "preview", program.preview)
        finally:
            program.remove()


    def parallel_for(self, services: list[Shape]) -> int:
        """Pulumi's parallelism for a program of these services (and one network)."""
        return len(services) + 2 if self.parallel is None else self.parallel


def remove_leftovers(prefix: str) -> list[str]:
    """Remove services and networks named ``prefix...`` (a failed run's); say which."""
    client = docker.from_env(version="auto")
    removed = []
    for service in client.services.list(filters={"name": prefix}):
        if service.name.startswith(prefix):
            service.remove()
            removed.append(service.name)
    deadline = time.monotonic() + 60
    for network in client.networks.list(names=[prefix]):
        while network.name.startswith(prefix):
            try:
                network.remove()
                removed.append(network.name)
                break
            except docker.errors.NotFound:  # removed meanwhile (docker stack rm)
                break
            except docker.errors.APIError:  # its tasks are still going
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
    if removed:
        print(f"  removed leftovers: {', '.join(removed)}", file=sys.stderr)
    return removed


# --- report ---------------------------------------------------------------------------------


def ratio(results: dict[str, Measure], tool: str, against: str) -> float | None:
    if tool in results and against in results and results[against].seconds > 0:
        return results[tool].seconds / results[against].seconds
    return None


def table(results: dict[str, dict[str, dict[str, Measure]]]) -> str:
    head = (f"{'N':>7} {'operation':<9} {'pulumi':>7} {'stack':>7} {'floor':>7} {'trivial':>7}"
            f" {'p/stack':>7} {'p/floor':>7} {'p/triv':>6}  {'calls p/s/f':<16}"
            f" {'p writes':>8} {'RSS MiB':>7}  goals")
    lines = [head, "-" * len(head)]
    for label, operations in results.items():
        for operation in OPERATIONS:
            row = operations.get(operation)
            if not row:
                continue

            def seconds(tool: str, row: dict[str, Measure] = row) -> str:
                return f"{row[tool].seconds:7.2f}" if tool in row else f"{'-':>7}"

            def times(against: str, width: int, row: dict[str, Measure] = row) -> str:
                found = ratio(row, "pulumi", against)
                return f"{found:{width}.2f}" if found is not None else f"{'-':>{width}}"

            calls = "/".join(str(row[t].calls) if t in row else "-" for t in TOOLS)
            pulumi = row.get("pulumi")
            goals = []
            for against, text, most in GOALS.get(operation, []):
                found = ratio(row, "pulumi", against)
                if found is not None:
                    goals.append(f"{text} {'ok' if found <= most else 'MISSED'}")
            if operation == "preview" and pulumi:
                goals.append(f"0 calls {'ok' if pulumi.calls == 0 else 'MISSED'}")
            if operation == "no-op" and pulumi:
                goals.append(f"0 writes {'ok' if pulumi.writes == 0 else 'MISSED'}")
            lines.append(
                f"{label:>7} {operation:<9} {seconds('pulumi')} {seconds('stack')}"
                f" {seconds('floor')} {seconds('trivial')} {times('stack', 7)}"
                f" {times('floor', 7)} {times('trivial', 6)}  {calls:<16}"
                f" {pulumi.writes if pulumi else '-':>8}"
                f" {pulumi.rss_mib if pulumi and pulumi.rss_mib else '-':>7}  {', '.join(goals)}")
    notes = [f"{label:>7} {operation:<9} {tool}: {measure.note}"
             for label, operations in results.items() for operation in OPERATIONS
             for tool, measure in operations.get(operation, {}).items() if measure.note]
    return "\n".join(lines + notes)


def chart(results: dict[str, dict[str, dict[str, Measure]]], sizes: list[int],
          path: Path) -> bool:
    """Wall time against N, one panel per operation, one line per tool (the preview's
    against the trivial program's); False without matplotlib (the `bench` extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    panels = ("create", "update", "no-op", "preview", "destroy")
    figure, axes = plt.subplots(1, len(panels), figsize=(15, 3.2), sharex=True)
    for axis, operation in zip(axes, panels, strict=True):
        for index, tool in enumerate((*TOOLS, "trivial")):
            points = [(n, results[str(n)][operation][tool].seconds) for n in sizes
                      if tool in results.get(str(n), {}).get(operation, {})]
            if points:  # one colour per tool in every panel
                axis.plot(*zip(*points, strict=True), marker="o", label=tool, color=f"C{index}")
        axis.set_title(operation)
        axis.set_xlabel("services (N)")
        axis.set_xticks(sizes)
        axis.set_ylim(bottom=0)
        axis.grid(alpha=0.3)
    axes[0].set_ylabel("wall time (s)")
    axes[0].legend()
    axes[panels.index("preview")].legend()
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)
    return True


def arguments() -> tuple[argparse.Namespace, list[int], list[Scenario]]:
    """The command line: its options, the sizes N and the scenarios they make."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="20,50,100", help="comma-separated N")
    parser.add_argument("--mix", type=int, default=20,
                        help="N of the mix with healthchecks and 2 replicas (0: none)")
    parser.add_argument("--quick", action="store_true", help="N = 5 and a mix of 4")
    parser.add_argument("--parallel", type=int, default=None,
                        help="pulumi's --parallel (default: every resource at once; 0: the "
                             "CLI's default, 4 per CPU core)")
    parser.add_argument("--tools", default=",".join((*TOOLS, "trivial")),
                        help="which of pulumi, stack, floor, trivial to run (all)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--keep", action="store_true",
                        help="keep the work folder (projects, compose files, CLI logs)")
    args = parser.parse_args()
    sizes = [5] if args.quick else [int(n) for n in args.sizes.split(",") if n]
    mix = 4 if args.quick else args.mix
    scenarios = [Scenario(str(n), n, False) for n in sizes]
    if mix:
        scenarios.append(Scenario(f"{mix} mix", mix, True))
    return args, sizes, scenarios


def main() -> None:
    args, sizes, scenarios = arguments()
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        sys.exit(f"bench/stack.py counts engine calls through a unix socket; got {host!r}")
    for needed in ("docker", "pulumi"):
        if not shutil.which(needed):
            sys.exit(f"`{needed}` is not on PATH: eval \"$(scripts/testbed env)\" first")
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-stack-"))
    proxy = CountingProxy(host.removeprefix("unix://"), work / "engine.sock").start()
    tools = tuple(t for t in args.tools.split(",") if t)
    if unknown := set(tools) - {*TOOLS, "trivial"}:
        sys.exit(f"unknown --tools: {', '.join(sorted(unknown))}")
    bench = Bench(work, proxy, args.parallel, tools)
    nodes = docker.from_env(version="auto").nodes.list(filters={"role": "worker"})
    print(f"bench/stack.py run bst{bench.run_id}: {', '.join(s.label for s in scenarios)}; "
          f"{1 + len(nodes)} nodes, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, "
          f"pulumi --parallel {'N+2' if args.parallel is None else args.parallel or 'default'}",
          file=sys.stderr)
    try:
        for scenario in scenarios:
            bench.scenario(scenario)
    finally:  # a failed run still shows what it measured
        proxy.close()
        if args.keep:
            print(f"work folder kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
        report(bench.results, sizes, args.out)


def report(results: dict[str, dict[str, dict[str, Measure]]], sizes: list[int],
           out: Path) -> None:
    (out / "stack.json").write_text(json.dumps(
        {label: {op: {tool: asdict(m) for tool, m in row.items()} for op, row in ops.items()}
         for label, ops in results.items()}, indent=1))
    print(table(results))
    print(STACK_RM_NOTE)
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores shared: figures "
          "taken under load are upper bounds)")
    png = out / "stack.png"
    if chart(results, sizes, png):
        print(f"chart: {png}")
    else:
        print("no chart: matplotlib is missing (pip install -e '.[bench]')")

if __name__ == "__main__":
    main()
