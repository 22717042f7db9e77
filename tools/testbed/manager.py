"""`up`: find a swarm manager, or start the private one (engine, network, dockerd, swarm)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from .api import answers, api, is_manager, list_nodes, swarm_info, wait_swarm
from .config import (
    DATA_PATH_PORT,
    DEFAULT_BRIDGE,
    DEFAULT_ENGINE,
    DEFAULT_HOST,
    ENGINES,
    GATEWAY_BRIDGE,
    MANAGER_ADDR,
    SWARM_PORT,
    TestbedError,
    say,
)
from .daemon import MANAGER, ensure_dockerd
from .image import ensure_image, ensure_packages
from .network import ensure_host_network
from .process import docker, process_argv, read_state, write_state


def require_private_ok() -> None:
    if sys.platform == "linux" and os.geteuid() == 0:
        return
    raise TestbedError(
        "no swarm manager found, and a private one needs root on Linux (it starts dockerd, "
        "a bridge and network namespaces). Either run `sudo scripts/testbed up`, or export "
        "DOCKER_HOST pointing at a Docker engine that is a swarm manager (e.g. one where "
        "`docker swarm init` ran) and run `scripts/testbed up` again."
    )


def external_manager() -> str | None:
    """An engine that is already a swarm manager: $DOCKER_HOST, the recorded one, the default.

    Once a private engine was chosen it stays chosen until `down`; $DOCKER_HOST naming our
    own socket (after `eval "$(scripts/testbed env)"`) is not an external engine.
    """
    env_host = os.environ.get("DOCKER_HOST")
    mode = read_state("mode")
    candidates = [env_host] if env_host and env_host != MANAGER.host else []
    if mode == "external":
        candidates.append(read_state("docker-host") or DEFAULT_HOST)
    elif mode != "private":
        candidates.append(DEFAULT_HOST)
    for host in dict.fromkeys(candidates):
        if answers(host) and is_manager(swarm_info(host)):
            return host
        say(f"no swarm manager answers at {host}")
    return None


def foreign_test_bed() -> str | None:
    """The data root of a private manager that another checkout runs on this machine."""
    for entry in Path("/proc").iterdir():
        argv = process_argv(int(entry.name)) if entry.name.isdigit() else []
        if argv and Path(argv[0]).name == "dockerd" and f"--bridge={DEFAULT_BRIDGE}" in argv:
            roots = [arg.partition("=")[2] for arg in argv if arg.startswith("--data-root=")]
            if roots and roots[0] != str(MANAGER.data_root):
                return roots[0]
    return None


def ensure_gateway_network(host: str) -> None:
    """Create docker_gwbridge before `swarm init`, on a bridge named by us, not the user's."""
    status, network = api(host, "/networks/docker_gwbridge")
    if status == 200:
        if network["Options"].get("com.docker.network.bridge.name") == GATEWAY_BRIDGE:
            return
        docker(host, "network", "rm", "docker_gwbridge")
    docker(
        host, "network", "create", "--driver", "bridge",
        "--opt", f"com.docker.network.bridge.name={GATEWAY_BRIDGE}",
        "--opt", "com.docker.network.bridge.enable_icc=false",
        "--opt", "com.docker.network.bridge.enable_ip_masquerade=false",
        "docker_gwbridge",
    )  # fmt: skip


def ensure_label(host: str, node: dict[str, Any], index: int) -> None:
    if (node["Spec"].get("Labels") or {}).get("testbed.node") != str(index):
        docker(host, "node", "update", "--label-add", f"testbed.node={index}", node["ID"])


def ensure_manager_swarm() -> None:
    """Keep a healthy manager; otherwise drop whatever swarm state is left and init again."""

    def healthy(swarm: dict[str, Any]) -> bool:
        return is_manager(swarm) and swarm.get("NodeAddr") == MANAGER_ADDR

    swarm = wait_swarm(MANAGER.host, healthy, timeout=45)
    if not healthy(swarm):
        if swarm.get("LocalNodeState") != "inactive":
            say(f"leaving stale swarm state ({swarm.get('LocalNodeState')})")
            docker(MANAGER.host, "swarm", "leave", "--force")
        ensure_gateway_network(MANAGER.host)
        say("initialising the swarm…")
        docker(
            MANAGER.host, "swarm", "init", "--advertise-addr", MANAGER_ADDR,
            "--listen-addr", f"{MANAGER_ADDR}:{SWARM_PORT}",
            "--data-path-port", str(DATA_PATH_PORT),
        )  # fmt: skip
        swarm = swarm_info(MANAGER.host)
    manager = next(n for n in list_nodes(MANAGER.host) if n["ID"] == swarm["NodeID"])
    ensure_label(MANAGER.host, manager, 0)


def asked_engine() -> str | None:
    """SWARM_TESTBED_ENGINE, checked; None when unset (keep what runs, else the default)."""
    engine = os.environ.get("SWARM_TESTBED_ENGINE") or None
    if engine is not None and engine not in ENGINES:
        raise TestbedError(f"SWARM_TESTBED_ENGINE={engine}: known engines are {', '.join(ENGINES)}")
    return engine


def check_external_engine(host: str) -> None:
    """An external swarm runs what it runs: only say when it is not the engine asked for."""
    engine = asked_engine()
    status, version = api(host, "/version")
    have = str(version.get("Version", "?")) if status == 200 else "?"
    if engine and not have.startswith(engine + "."):
        raise TestbedError(
            f"SWARM_TESTBED_ENGINE={engine}, but the swarm at {host} runs Docker {have}; "
            "unset DOCKER_HOST to let scripts/testbed start a private swarm on that engine"
        )


def ensure_engine() -> None:
    """Choose the private nodes' engine; a running swarm keeps its own until `down`."""
    running = read_state("engine") if answers(MANAGER.host) else None
    engine = asked_engine() or running or DEFAULT_ENGINE
    if running and engine != running:
        raise TestbedError(
            f"the private swarm runs engine {running}, SWARM_TESTBED_ENGINE asks for "
            f"{engine}: run `scripts/testbed down` first"
        )
    builder = ENGINES[engine]
    bindir = ""
    if builder is not None:
        result = subprocess.run([str(builder)], stdout=subprocess.PIPE, text=True)
        lines = result.stdout.split()
        if result.returncode != 0 or not lines or not Path(lines[-1], "dockerd").is_file():
            raise TestbedError(f"{builder} failed ({result.returncode}) or printed no bin folder")
        bindir = lines[-1]
    write_state("engine", engine)
    write_state("engine-bin", bindir)


def ensure_private_manager() -> str:
    require_private_ok()
    if not answers(MANAGER.host) and (other := foreign_test_bed()):
        raise TestbedError(
            f"another test bed runs on this machine (data root {other}); run `scripts/testbed "
            "down` in that checkout first, or export DOCKER_HOST with its socket to share it"
        )
    # Recorded first, so that `down` cleans up even after a failed start.
    write_state("mode", "private")
    write_state("docker-host", MANAGER.host)
    ensure_packages()
    ensure_engine()
    ensure_host_network()
    ensure_dockerd(MANAGER)
    ensure_manager_swarm()
    return MANAGER.host


def ensure_manager() -> str:
    """The DOCKER_HOST of a swarm manager that holds the test image."""
    host = external_manager()
    if host:
        check_external_engine(host)
        write_state("mode", "external")
        write_state("docker-host", host)
    else:
        host = ensure_private_manager()
    ensure_image(host)
    return host
