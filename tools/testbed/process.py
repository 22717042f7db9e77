"""Processes and the state folder: run commands, wait, signal, lock, remember."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shlex
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .config import STATE, TestbedError


def run(
    cmd: list[str], *, check: bool = True, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run a command, capture its output, and raise a TestbedError that quotes it on failure."""
    result = subprocess.run(
        cmd, capture_output=True, text=True, env=env, timeout=timeout, stdin=subprocess.DEVNULL
    )
    if check and result.returncode != 0:
        output = (result.stderr or result.stdout).strip()
        raise TestbedError(f"{shlex.join(cmd)} failed ({result.returncode}): {output}")
    return result


def docker_env(host: str) -> dict[str, str]:
    env = dict(os.environ, DOCKER_HOST=host)
    env.pop("DOCKER_CONTEXT", None)
    return env


def docker(host: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run(["docker", *args], check=check, env=docker_env(host))


def process_argv(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def terminate(pids: list[int], grace: float) -> None:
    """SIGTERM, wait up to `grace` seconds, then SIGKILL what is left."""
    signal_all(pids, signal.SIGTERM)
    if not wait_until(lambda: not any(map(alive, pids)), grace):
        signal_all(pids, signal.SIGKILL)
        wait_until(lambda: not any(map(alive, pids)), 5)


def signal_all(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)


@contextlib.contextmanager
def state_lock() -> Iterator[None]:
    """Serialise up/nodes/down: tests may call `nodes` while someone else runs `up`."""
    STATE.mkdir(parents=True, exist_ok=True)
    with open(STATE / "lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def read_state(name: str) -> str | None:
    try:
        return (STATE / name).read_text().strip() or None
    except OSError:
        return None


def write_state(name: str, value: str) -> None:
    STATE.mkdir(parents=True, exist_ok=True)
    (STATE / name).write_text(value + "\n")
