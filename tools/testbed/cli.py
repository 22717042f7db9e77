"""The subcommands: `scripts/testbed` runs `main`."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import subprocess
import time

from . import __doc__ as OVERVIEW
from .api import answers, api, list_nodes, ready_nodes, swarm_info
from .config import IMAGE, MAX_NODES, PULUMI_STATE, REPO, STATE, TestbedError, say
from .daemon import MANAGER, Node, ensure_dockerd, our_dockerd_pid
from .manager import ensure_label, ensure_manager, require_private_ok
from .network import ensure_namespace
from .process import alive, read_state, signal_all, state_lock, terminate, wait_until
from .teardown import has_private_leftovers, stop_private
from .toolchain import ensure_pulumi_cli, ensure_venv
from .workers import (
    ensure_worker,
    forget_replaced_nodes,
    node_entry,
    private_worker,
    wait_for_ready,
    worker_token,
)


def cmd_up(_: argparse.Namespace) -> None:
    started = time.monotonic()
    with state_lock():
        host = ensure_manager()
    ensure_venv()
    ensure_pulumi_cli()
    say(f"swarm manager ready at {host} ({time.monotonic() - started:.2f} s)")


def cmd_nodes(args: argparse.Namespace) -> None:
    count = args.count
    if not 1 <= count <= MAX_NODES:
        raise TestbedError(f"nodes: N must be between 1 and {MAX_NODES}; got {count}")
    started = time.monotonic()
    with state_lock():
        host = ensure_manager()
        if read_state("mode") == "external":
            ready = len(ready_nodes(host))
            if ready < count:
                raise TestbedError(
                    f"the external swarm at {host} has {ready} ready node(s), {count} wanted; "
                    "scripts/testbed starts nodes only in its private swarm "
                    "(`scripts/testbed down`, then `up` and `nodes` without DOCKER_HOST)"
                )
            return
        token = worker_token()
        current = {swarm_info(MANAGER.host)["NodeID"]: 0}
        for index in range(1, count):
            current[ensure_worker(Node(index), token)] = index
        forget_replaced_nodes(current)
        wait_for_ready(MANAGER.host, count)
        for entry in list_nodes(MANAGER.host):
            if entry["ID"] in current:
                ensure_label(MANAGER.host, entry, current[entry["ID"]])
    say(f"{count} node(s) ready ({time.monotonic() - started:.2f} s)")


def cmd_node_stop(args: argparse.Namespace) -> None:
    """Stop the worker's dockerd only: containerd and the tasks' processes keep running, as on a
    machine whose daemon crashed; the manager marks the node `down` after its heartbeat expires."""
    node = private_worker(args.index)
    with state_lock():
        pid = our_dockerd_pid(node)
        if pid is None:
            say(f"dockerd of {node.hostname} is not running")
            return
        say(f"{'killing' if args.kill else 'stopping'} dockerd of {node.hostname} (pid {pid})")
        if args.kill:
            signal_all([pid], signal.SIGKILL)
            wait_until(lambda: not alive(pid), 10)
        else:
            terminate([pid], grace=40)
    if alive(pid):
        raise TestbedError(f"dockerd of {node.hostname} (pid {pid}) is still alive")


def cmd_node_start(args: argparse.Namespace) -> None:
    node = private_worker(args.index)
    started = time.monotonic()
    with state_lock():
        ensure_namespace(node)
        ensure_dockerd(node)

        def ready() -> bool:
            entry = node_entry(node.hostname)
            return entry is not None and entry["Status"]["State"] == "ready"

        if not wait_until(ready, args.timeout, 0.5):
            entry = node_entry(node.hostname) or {}
            state = (entry.get("Status") or {}).get("State", "unknown")
            raise TestbedError(
                f"{node.hostname} is {state}, not ready, {args.timeout:.0f} s after its start"
            )
    say(f"{node.hostname} ready ({time.monotonic() - started:.2f} s)")


def cmd_env(_: argparse.Namespace) -> None:
    host = read_state("docker-host")
    if host is None:
        say("warning: `scripts/testbed up` has not run; printing the private engine's address")
        host = MANAGER.host
    front = [entry for entry in (read_state("pulumi-bin"), str(REPO / ".venv" / "bin")) if entry]
    rest = [entry for entry in os.environ.get("PATH", "").split(":") if entry not in front]
    PULUMI_STATE.mkdir(parents=True, exist_ok=True)
    exports = {
        "DOCKER_HOST": host,
        "PATH": ":".join(front + rest),
        "PULUMI_BACKEND_URL": f"file://{PULUMI_STATE}",
        "PULUMI_CONFIG_PASSPHRASE": "testbed-only",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "SWARM_TEST_IMAGE": IMAGE,
    }
    for name, value in exports.items():
        print(f"export {name}={shlex.quote(value)}")


def cmd_status(_: argparse.Namespace) -> None:
    host = read_state("docker-host")
    print(f"mode: {read_state('mode') or 'none (run scripts/testbed up)'}")
    print(f"DOCKER_HOST: {host or '-'}")
    if not host or not answers(host):
        print("engine: not answering")
        return
    version = api(host, "/version")[1]
    print(f"engine: Docker {version.get('Version')} (API {version.get('ApiVersion')})")
    for entry in sorted(list_nodes(host), key=lambda n: n["Description"]["Hostname"]):
        role = "manager" if entry.get("ManagerStatus") else "worker"
        print(
            f"  {entry['Description']['Hostname']:<14} {entry['Status']['State']:<8} "
            f"{role:<8} {entry['Status'].get('Addr', '-'):<15} {entry['ID']}"
        )


def cmd_down(_: argparse.Namespace) -> None:
    if has_private_leftovers():
        require_private_ok()
        with state_lock():
            stop_private()
    shutil.rmtree(STATE, ignore_errors=True)
    if STATE.exists():
        raise TestbedError(f"could not remove {STATE}; still mounted? `grep {STATE} /proc/mounts`")
    say("test bed removed")


def parse_args(argv: list[str]) -> argparse.Namespace:
    summary = (OVERVIEW or "").split("\n")[0]
    parser = argparse.ArgumentParser(prog="scripts/testbed", description=summary)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="make sure a swarm manager answers").set_defaults(run=cmd_up)
    nodes = commands.add_parser("nodes", help="grow the private swarm to N nodes")
    nodes.add_argument("count", type=int, metavar="N")
    nodes.set_defaults(run=cmd_nodes)
    stop = commands.add_parser("node-stop", help="stop worker K's dockerd (node loss)")
    stop.add_argument("index", type=int, metavar="K")
    stop.add_argument("--kill", action="store_true", help="SIGKILL: a crash, not a shutdown")
    stop.set_defaults(run=cmd_node_stop)
    start = commands.add_parser("node-start", help="start worker K's dockerd again")
    start.add_argument("index", type=int, metavar="K")
    start.add_argument("--timeout", type=float, default=90, help="seconds to wait for ready")
    start.set_defaults(run=cmd_node_start)
    commands.add_parser("env", help="print export lines").set_defaults(run=cmd_env)
    commands.add_parser("status", help="print mode and nodes").set_defaults(run=cmd_status)
    commands.add_parser("down", help="remove the test bed").set_defaults(run=cmd_down)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.run is not cmd_env:  # `env` prints the user's PATH, not ours
        # dockerd, ip and iptables live in sbin folders that a user's PATH may lack.
        path = os.environ.get("PATH", "").split(":")
        extra = [p for p in ("/usr/local/sbin", "/usr/sbin", "/sbin") if p not in path]
        os.environ["PATH"] = ":".join(path + extra)
    try:
        args.run(args)
    except TestbedError as exc:
        say(f"error: {exc}")
        return 1
    except subprocess.CalledProcessError as exc:
        say(f"error: {shlex.join(map(str, exc.cmd))} failed with {exc.returncode}")
        return 1
    return 0
