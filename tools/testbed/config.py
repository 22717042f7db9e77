"""Names, paths and constants of the test bed, its error type and its progress output."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

# tools/testbed/config.py: the checkout is two folders up.
REPO = Path(__file__).resolve().parents[2]
# The checkout whose test bed this is: its .testbed holds the state, its path names the cgroups.
HOME = Path(os.environ.get("SWARM_TESTBED_HOME") or REPO).resolve()
STATE = HOME / ".testbed"
REPO_DIGEST = hashlib.sha256(os.fsencode(HOME)).hexdigest()[:12]

IMAGE = "swarm-testbed/busybox:1.0"
APPLETS = (
    "sh sleep echo cat ls httpd nc wget env true false id ps kill touch mkdir rm printf test "
    "head tail grep sed hostname date"
).split()
BUSYBOX = Path("/bin/busybox")

BRIDGE = "swtb0"
SUBNET = "192.168.77"
MANAGER_ADDR = f"{SUBNET}.1"
SWARM_PORT = 2377
# Not 4789, so that a swarm of the machine's own engine could keep its VXLAN port.
DATA_PATH_PORT = 4799
DEFAULT_BRIDGE = "swtb-docker0"
GATEWAY_BRIDGE = "swtb-gwbridge"
FORWARD_RULE = ("FORWARD", "-i", BRIDGE, "-o", BRIDGE, "-j", "ACCEPT")
NETNS_DIR = Path("/var/run/netns")
NODE_PREFIX = "swtb-node"
VETH_PREFIX = "swtb-v"
MAX_NODES = 50

DEFAULT_HOST = "unix:///var/run/docker.sock"
PACKAGES = ("docker.io", "busybox-static", "iproute2", "iptables")
TOOLS = ("dockerd", "docker", "ip", "iptables", "nsenter", "unshare")
# Processes a private dockerd spawns; `down` ends those whose command line names our folders.
DAEMON_NAMES = {"dockerd", "containerd", "containerd-shim", "containerd-shim-runc-v2", "runc"}
SUN_PATH_MAX = 107  # sockaddr_un.sun_path holds 108 bytes with the final NUL

SCRIPTS = REPO / "scripts"
PULUMI_STATE = STATE / "pulumi-state"

# SWARM_TESTBED_ENGINE values: what the private nodes run ("dockerd" on PATH, or a build).
ENGINES = {"20.10": None, "28": SCRIPTS / "engine"}
DEFAULT_ENGINE = "20.10"


class TestbedError(Exception):
    """A step failed; the message says what to do about it."""


def say(message: str) -> None:
    print(f"testbed: {message}", file=sys.stderr, flush=True)
