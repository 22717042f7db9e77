"""`down`: stop what the private swarm runs and remove what it made."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path

from .config import (
    BRIDGE,
    DAEMON_NAMES,
    DEFAULT_BRIDGE,
    GATEWAY_BRIDGE,
    NETNS_DIR,
    NODE_PREFIX,
    STATE,
    say,
)
from .daemon import Node, kill_cgroup_processes, our_cgroups, our_dockerd_pid, runtime_dir
from .network import link_exists, remove_network
from .process import process_argv, read_state, run, terminate


def state_nodes() -> list[Node]:
    names = [path.name for folder in (STATE, runtime_dir()) for path in folder.glob("node*")]
    found = {0} | {int(name[4:]) for name in names if re.fullmatch(r"node\d+", name)}
    return [Node(index) for index in sorted(found)]


def our_markers() -> list[str]:
    return sorted({str(STATE), str(runtime_dir())})


def leftover_daemons() -> list[int]:
    """containerd, shims and dockerds whose command line names our folders (killed runs)."""
    markers = our_markers()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        argv = process_argv(int(entry.name))
        if argv and Path(argv[0]).name in DAEMON_NAMES:
            if any(marker in arg for arg in argv for marker in markers):
                pids.append(int(entry.name))
    return pids


def remove_cgroups(groups: list[Path]) -> None:
    for group in groups:
        for folder in sorted((p for p in group.rglob("*") if p.is_dir()), reverse=True):
            with contextlib.suppress(OSError):
                folder.rmdir()
        with contextlib.suppress(OSError):
            group.rmdir()


def our_mounts() -> list[str]:
    markers = our_markers()
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), line.split()[4])
        if any(point == marker or point.startswith(marker + "/") for marker in markers):
            points.append(point)
    return sorted(set(points), key=lambda p: p.count("/"), reverse=True)


def unmount_all() -> None:
    for _ in range(3):
        points = our_mounts()
        if not points:
            return
        for point in points:
            run(["umount", "-l", point], check=False)


def has_private_leftovers() -> bool:
    if any(our_dockerd_pid(node) for node in state_nodes()):
        return True
    if read_state("mode") == "external":
        return False  # nothing of ours ran; the bridges may belong to another checkout
    links = [BRIDGE, DEFAULT_BRIDGE, GATEWAY_BRIDGE]
    namespaces = NETNS_DIR.is_dir() and any(NETNS_DIR.glob(f"{NODE_PREFIX}*"))
    return read_state("mode") == "private" or namespaces or any(map(link_exists, links))


def stop_private() -> None:
    # Tasks first: dockerd would give each one a 10 s grace period, and everything goes anyway.
    groups = our_cgroups()
    kill_cgroup_processes(groups)
    daemons = [pid for node in state_nodes() if (pid := our_dockerd_pid(node)) is not None]
    if daemons:
        say(f"stopping {len(daemons)} dockerd(s)…")
        terminate(daemons, grace=40)
    terminate(leftover_daemons(), grace=10)
    kill_cgroup_processes(groups)
    unmount_all()
    remove_network()
    remove_cgroups(groups)
    if runtime_dir() != STATE:
        shutil.rmtree(runtime_dir(), ignore_errors=True)
