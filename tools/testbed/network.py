"""Host networking: the bridge that joins the nodes, their namespaces, the FORWARD rule."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .config import (
    BRIDGE,
    DEFAULT_BRIDGE,
    FORWARD_RULE,
    GATEWAY_BRIDGE,
    MANAGER_ADDR,
    NETNS_DIR,
    NODE_PREFIX,
    VETH_PREFIX,
)
from .daemon import Node
from .process import run


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run(["ip", *args], check=check)


def link_exists(name: str) -> bool:
    return Path("/sys/class/net", name).exists()


def ensure_link_up(name: str) -> None:
    flags = int(Path("/sys/class/net", name, "flags").read_text(), 16)
    if not flags & 0x1:  # IFF_UP
        ip("link", "set", name, "up")


def ensure_bridge(name: str, address: str | None = None) -> None:
    if not link_exists(name):
        ip("link", "add", name, "type", "bridge")
    if address and address not in ip("-4", "-o", "addr", "show", "dev", name).stdout:
        ip("addr", "add", address, "dev", name)
    ensure_link_up(name)


def iptables(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run(["iptables", "-w", *args], check=check)


def ensure_host_network() -> None:
    """Bridge swtb0 joins the nodes; the host's FORWARD policy may be DROP (any dockerd sets it)."""
    ensure_bridge(BRIDGE, f"{MANAGER_ADDR}/24")
    ensure_bridge(DEFAULT_BRIDGE)
    if iptables("-C", *FORWARD_RULE, check=False).returncode != 0:
        iptables("-I", *FORWARD_RULE)


def ensure_namespace(node: Node) -> None:
    """Network namespace swtb-nodeK with eth0 = 192.168.77.(K+1)/24, veth swtb-vK in swtb0.

    No default route, on purpose: nothing a worker or its tasks send can leave the machine.
    """
    assert node.netns
    if not (NETNS_DIR / node.netns).exists():
        ip("netns", "add", node.netns)
    addresses = ip("-n", node.netns, "-4", "-o", "addr", "show", "dev", "eth0", check=False)
    if f"{node.address}/24" not in addresses.stdout:
        if link_exists(node.veth):
            ip("link", "del", node.veth)
        ip("-n", node.netns, "link", "del", "eth0", check=False)
        ip("link", "add", node.veth, "type", "veth", "peer", "name", "eth0", "netns", node.netns)
        ip("-n", node.netns, "addr", "add", f"{node.address}/24", "dev", "eth0")
        ip("-n", node.netns, "link", "set", "eth0", "up")
        ip("-n", node.netns, "link", "set", "lo", "up")
    master = Path("/sys/class/net", node.veth, "master")
    if not master.exists() or master.resolve().name != BRIDGE:
        ip("link", "set", node.veth, "master", BRIDGE)
    ensure_link_up(node.veth)


def remove_network() -> None:
    if NETNS_DIR.is_dir():
        for netns in NETNS_DIR.glob(f"{NODE_PREFIX}*"):
            ip("netns", "del", netns.name, check=False)
    for link in Path("/sys/class/net").glob(f"{VETH_PREFIX}*"):
        ip("link", "del", link.name, check=False)
    for bridge in (BRIDGE, DEFAULT_BRIDGE, GATEWAY_BRIDGE):
        if link_exists(bridge):
            ip("link", "del", bridge, check=False)
    if shutil.which("iptables"):
        while iptables("-C", *FORWARD_RULE, check=False).returncode == 0:
            iptables("-D", *FORWARD_RULE)
