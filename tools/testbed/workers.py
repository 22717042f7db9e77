"""The private swarm's workers: join them (`nodes`), find them (`node-stop`, `node-start`)."""

from __future__ import annotations

from typing import Any

from .api import SETTLED, api, list_nodes, ready_nodes, swarm_info, wait_swarm
from .config import MANAGER_ADDR, STATE, SWARM_PORT, TestbedError, say
from .daemon import MANAGER, Node, ensure_dockerd
from .image import copy_image
from .network import ensure_namespace
from .process import docker, read_state, wait_until


def ensure_joined(node: Node, token: str) -> str:
    """Join the worker to our swarm unless it already belongs to it; return its node ID."""
    known = {n["ID"] for n in list_nodes(MANAGER.host)}

    def member(swarm: dict[str, Any]) -> bool:
        return (
            swarm.get("LocalNodeState") == "active"
            and swarm.get("NodeID") in known
            and swarm.get("NodeAddr") == node.address
        )

    # An active worker that is not a member belongs to an older swarm: no use waiting.
    swarm = wait_swarm(node.host, member, timeout=20, settled=(*SETTLED, "active"))
    if not member(swarm):
        if swarm.get("LocalNodeState") != "inactive":
            say(f"{node.hostname}: leaving stale swarm state ({swarm.get('LocalNodeState')})")
            docker(node.host, "swarm", "leave", "--force")
        say(f"{node.hostname}: joining the swarm…")
        docker(
            node.host, "swarm", "join", "--token", token, "--advertise-addr", node.address,
            "--listen-addr", f"{node.address}:{SWARM_PORT}", f"{MANAGER_ADDR}:{SWARM_PORT}",
        )  # fmt: skip
        swarm = swarm_info(node.host)
    return str(swarm["NodeID"])


def worker_token() -> str:
    status, swarm = api(MANAGER.host, "/swarm")
    if status != 200:
        raise TestbedError(f"{MANAGER.host}: GET /swarm answered {status}: {swarm}")
    return str(swarm["JoinTokens"]["Worker"])


def ensure_worker(node: Node, token: str) -> str:
    ensure_namespace(node)
    ensure_dockerd(node)
    node_id = ensure_joined(node, token)
    copy_image(MANAGER.host, node.host)
    return node_id


def forget_replaced_nodes(current: dict[str, int]) -> None:
    """Remove entries a re-joined worker left behind under its old ID (they stay `down`)."""
    names = {Node(index).hostname for index in current.values()}
    for entry in list_nodes(MANAGER.host):
        stale = entry["ID"] not in current and entry["Status"]["State"] != "ready"
        if stale and entry["Description"]["Hostname"] in names:
            docker(MANAGER.host, "node", "rm", "--force", entry["ID"])


def wait_for_ready(host: str, count: int, timeout: float = 120) -> None:
    if not wait_until(lambda: len(ready_nodes(host)) >= count, timeout, 1.0):
        table = ", ".join(
            f"{n['Description']['Hostname']}={n['Status']['State']}" for n in list_nodes(host)
        )
        raise TestbedError(f"{count} nodes were not ready within {timeout:.0f} s: {table}")


def private_worker(index: int) -> Node:
    """Worker `index` of our private swarm, or a TestbedError saying why it can't be used."""
    if read_state("mode") != "private":
        raise TestbedError(
            f"node-stop/node-start act on the private swarm only; {STATE} records mode "
            f"{read_state('mode') or 'none'} (set SWARM_TESTBED_HOME to the checkout that ran `up`)"
        )
    if index < 1:
        raise TestbedError("node 0 is the manager: stopping it stops the whole swarm; use K >= 1")
    node = Node(index)
    if not node.data_root.is_dir():
        raise TestbedError(
            f"{node.hostname} was never started; run `scripts/testbed nodes {index + 1}`"
        )
    return node


def node_entry(hostname: str) -> dict[str, Any] | None:
    """The manager's entry for the node of that hostname (the newest, if it re-joined)."""
    entries = [n for n in list_nodes(MANAGER.host) if n["Description"]["Hostname"] == hostname]
    return max(entries, key=lambda n: n["CreatedAt"]) if entries else None
