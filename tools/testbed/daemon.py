"""The nodes of the private swarm and their dockerds."""

from __future__ import annotations

import contextlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .api import answers
from .config import (
    DEFAULT_BRIDGE,
    NETNS_DIR,
    NODE_PREFIX,
    REPO_DIGEST,
    STATE,
    SUBNET,
    SUN_PATH_MAX,
    VETH_PREFIX,
    TestbedError,
    say,
)
from .process import alive, process_argv, read_state, terminate, wait_until


def runtime_dir() -> Path:
    """Where sockets and exec roots live: .testbed unless that path is too long for a socket."""
    deepest = STATE / "node99" / "exec" / "containerd" / "containerd.sock.ttrpc"
    if len(os.fsencode(deepest)) <= SUN_PATH_MAX:
        return STATE
    return Path(f"/run/swarm-testbed-{REPO_DIGEST}")


@dataclass(frozen=True)
class Node:
    index: int

    @property
    def hostname(self) -> str:
        return f"{NODE_PREFIX}{self.index}"

    @property
    def netns(self) -> str | None:
        return self.hostname if self.index else None

    @property
    def veth(self) -> str:
        return f"{VETH_PREFIX}{self.index}"

    @property
    def address(self) -> str:
        return f"{SUBNET}.{self.index + 1}"

    @property
    def state_dir(self) -> Path:
        return STATE / f"node{self.index}"

    @property
    def data_root(self) -> Path:
        return self.state_dir / "data"

    @property
    def exec_root(self) -> Path:
        return runtime_dir() / f"node{self.index}" / "exec"

    @property
    def pidfile(self) -> Path:
        return self.state_dir / "dockerd.pid"

    @property
    def log(self) -> Path:
        return self.state_dir / "dockerd.log"

    @property
    def socket(self) -> Path:
        if self.index == 0:
            return runtime_dir() / "docker.sock"
        return runtime_dir() / f"node{self.index}" / "docker.sock"

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    @property
    def cgroup_parent(self) -> str:
        return f"swarm-testbed-{REPO_DIGEST}-node{self.index}"


MANAGER = Node(0)


def dockerd_args(node: Node) -> list[str]:
    built = read_state("engine-bin")  # written by `up`: the workers run the manager's engine
    args = [
        f"{built}/dockerd" if built else "dockerd",
        f"--data-root={node.data_root}",
        f"--exec-root={node.exec_root}",
        f"--pidfile={node.pidfile}",
        f"--host={node.host}",
        "--iptables=false",
        "--ip-forward=false",
        "--exec-opt=native.cgroupdriver=cgroupfs",
        f"--cgroup-parent=/{node.cgroup_parent}",
    ]
    if node.index == 0:
        # In the host namespace: a bridge of our own, never the user's docker0.
        args.append(f"--bridge={DEFAULT_BRIDGE}")
    if built:
        # dockerd 28 passes docker-proxy its listening socket: Debian's 20.10 one can't serve it.
        args.append(f"--userland-proxy-path={built}/docker-proxy")
    return args


def launch_command(node: Node) -> list[str]:
    """dockerd in its own UTS namespace (its own hostname) and, for workers, network namespace.

    nsenter rather than `ip netns exec`: the latter remounts /sys, and dockerd then fails
    with "Devices cgroup isn't mounted".
    """
    command = ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', node.hostname]
    command += dockerd_args(node)
    if node.netns:
        command = ["nsenter", f"--net={NETNS_DIR / node.netns}", *command]
    return command


def our_dockerd_pid(node: Node) -> int | None:
    """The pid in the node's pidfile when it is a live dockerd running on the node's data root."""
    try:
        pid = int(node.pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
    argv = process_argv(pid)
    ours = bool(argv) and Path(argv[0]).name == "dockerd"
    return pid if ours and f"--data-root={node.data_root}" in argv and alive(pid) else None


def log_tail(node: Node, lines: int = 25) -> str:
    try:
        text = node.log.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:])


def ensure_dockerd(node: Node) -> None:
    """Start the node's dockerd unless it answers; clear what a killed run left behind."""
    if answers(node.host):
        return
    pid = our_dockerd_pid(node)
    if pid is not None:
        say(f"dockerd of {node.hostname} (pid {pid}) does not answer yet; waiting")
        if wait_until(lambda: answers(node.host), 30, 0.5):
            return
        say(f"stopping unresponsive dockerd of {node.hostname} (pid {pid})")
        terminate([pid], grace=15)
    for stale in (node.pidfile, node.socket):
        stale.unlink(missing_ok=True)
    clear_stale_containerd(node)
    # Tasks of a killed dockerd: it would stop them on start anyway, after a 10 s grace each.
    kill_cgroup_processes(our_cgroups(node.cgroup_parent))
    start_dockerd(node)


def clear_stale_containerd(node: Node) -> None:
    """Drop containerd's pidfile when that process is gone or a zombie.

    dockerd reuses a containerd whose pid still exists; after a kill -9 the old containerd can
    linger as a zombie (this machine's pid 1 reaps slowly), and dockerd then waits for its
    socket until "timeout waiting for containerd to start".
    """
    pidfile = node.exec_root / "containerd" / "containerd.pid"
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return
    if not alive(pid):
        pidfile.unlink(missing_ok=True)


def start_dockerd(node: Node) -> None:
    say(f"starting private dockerd for {node.hostname}…")
    for folder in (node.data_root, node.exec_root, node.socket.parent):
        folder.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, DOCKER_SERVICE_PREFER_OFFLINE_IMAGE="1")
    env.pop("DOCKER_HOST", None)
    with open(node.log, "ab") as log:
        process = subprocess.Popen(
            launch_command(node),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    ready = wait_until(lambda: process.poll() is not None or answers(node.host), 90)
    if process.poll() is not None:
        raise TestbedError(
            f"dockerd of {node.hostname} exited with {process.returncode}; "
            f"tail of {node.log}:\n{log_tail(node)}"
        )
    if not ready:
        raise TestbedError(
            f"dockerd of {node.hostname} did not answer on {node.socket} within 90 s; "
            f"tail of {node.log}:\n{log_tail(node)}"
        )


def our_cgroups(pattern: str = f"swarm-testbed-{REPO_DIGEST}-node*") -> list[Path]:
    """The cgroup folders of our nodes' containers, in every mounted hierarchy."""
    roots = [Path("/sys/fs/cgroup"), *Path("/sys/fs/cgroup").glob("*")]
    return [path for root in roots if root.is_dir() for path in root.glob(pattern)]


def kill_cgroup_processes(groups: list[Path]) -> None:
    """Task processes whose shim died with a killed dockerd still sit in our cgroups."""
    pids = set()
    for group in groups:
        for procs in group.rglob("cgroup.procs"):
            with contextlib.suppress(OSError, ValueError):
                pids |= {int(line) for line in procs.read_text().split()}
    terminate(sorted(pids), grace=0)
