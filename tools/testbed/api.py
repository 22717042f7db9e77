"""The Engine API over plain HTTP on the unix socket: no client needed, and fast."""

from __future__ import annotations

import http.client
import json
import os
import socket
import time
from collections.abc import Callable
from typing import Any

from .config import IMAGE, TestbedError


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def connection(host: str, timeout: float) -> http.client.HTTPConnection:
    scheme, _, rest = host.partition("://")
    if scheme == "unix":
        return UnixHTTPConnection(rest, timeout)
    if scheme in ("tcp", "http") and not os.environ.get("DOCKER_TLS_VERIFY"):
        return http.client.HTTPConnection(rest.split("/")[0], timeout=timeout)
    raise TestbedError(
        f"DOCKER_HOST={host}: scripts/testbed speaks to unix:// sockets and plain tcp:// engines"
    )


def api(host: str, path: str, timeout: float = 10.0) -> tuple[int, Any]:
    """GET `path` from the engine; the body is parsed when it is JSON."""
    conn = connection(host, timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    if response.getheader("Content-Type", "").startswith("application/json"):
        return response.status, json.loads(body)
    return response.status, body.decode(errors="replace")


def answers(host: str) -> bool:
    try:
        return api(host, "/_ping", timeout=3)[0] == 200
    except (OSError, http.client.HTTPException):
        return False


def swarm_info(host: str) -> dict[str, Any]:
    status, body = api(host, "/info")
    if status != 200:
        raise TestbedError(f"{host}: GET /info answered {status}: {body}")
    return body.get("Swarm") or {}


def is_manager(swarm: dict[str, Any]) -> bool:
    return swarm.get("LocalNodeState") == "active" and swarm.get("ControlAvailable") is True


def list_nodes(host: str) -> list[dict[str, Any]]:
    status, body = api(host, "/nodes")
    if status != 200:
        raise TestbedError(f"{host}: GET /nodes answered {status}: {body}")
    nodes: list[dict[str, Any]] = body
    return nodes


def ready_nodes(host: str) -> list[dict[str, Any]]:
    return [node for node in list_nodes(host) if node["Status"]["State"] == "ready"]


def has_image(host: str) -> bool:
    return api(host, f"/images/{IMAGE}/json")[0] == 200


SETTLED = ("inactive", "error", "locked")


def wait_swarm(
    host: str,
    good: Callable[[dict[str, Any]], bool],
    timeout: float,
    settled: tuple[str, ...] = SETTLED,
) -> dict[str, Any]:
    """Poll until `good`, or until the node is in a `settled` state that will not become good."""
    deadline = time.monotonic() + timeout
    while True:
        swarm = swarm_info(host)
        if good(swarm) or swarm.get("LocalNodeState") in settled or time.monotonic() >= deadline:
            return swarm
        time.sleep(0.5)
