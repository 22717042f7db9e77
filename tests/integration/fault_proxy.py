"""A fault injector between the provider and the engine: a loopback HTTP relay that can fail
chosen requests, to test what the provider does when the engine connection misbehaves.

It listens on ``tcp://127.0.0.1:<port>`` and relays each request to the engine's unix socket
on a fresh upstream connection (asking ``Connection: close``, so one response ends with the
upstream's end of stream and the client opens a new connection for the next request). A
``Fault`` matches requests by method and path (without the ``/v1.NN`` prefix) and does, for
the next ``count`` matching requests, one of:

- ``reset``: read the request, send nothing upstream, reset the connection (TCP RST): the
  engine never saw it, the client sees ``Connection reset by peer``;
- ``status``: answer ``<status>`` with an engine-shaped JSON error, never forwarding;
- ``lose-answer``: forward it, let the engine answer, then reset instead of relaying the
  answer: a write whose outcome the client can't know.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


@dataclass
class Fault:
    action: str
    """``reset``, ``status`` or ``lose-answer``."""
    method: str = ""
    """Only requests of this method ('' = any)."""
    path: str = ""
    """A regular expression searched in the path ('' = any)."""
    count: int = 1
    status: int = 500
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.hits < self.count and (not self.method or method == self.method)
                and (not self.path or re.search(self.path, path) is not None))


@dataclass
class FaultProxy:
    url: str
    upstream: str
    faults: list[Fault] = field(default_factory=list)
    log: list[tuple[str, str, str]] = field(default_factory=list)
    """(method, path, what happened) of every request seen."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def inject(self, action: str, method: str = "", path: str = "", count: int = 1,
               status: int = 500) -> Fault:
        fault = Fault(action, method, path, count, status)
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()

    def injected(self) -> list[tuple[str, str, str]]:
        return [entry for entry in self.log if entry[2] != "relayed"]

    def _choose(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.hits += 1
                    return fault
        return None


def _read_request(client: socket.socket) -> bytes | None:
    """One whole request (head and Content-Length body), or None at end of stream."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    length = int(match[1]) if match else 0
    while len(body) < length:
        chunk = client.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head + b"\r\n\r\n" + body


def _closing(request: bytes) -> bytes:
    head, _, body = request.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
    return b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + body


def _reset(client: socket.socket) -> None:
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()


def _relay(request: bytes, upstream_path: str, client: socket.socket | None) -> None:
    """Send the request upstream and copy the answer to ``client`` (or drop it)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as upstream:
        upstream.connect(upstream_path)
        upstream.sendall(_closing(request))
        while chunk := upstream.recv(65536):
            if client is not None:
                client.sendall(chunk)


def _handle(proxy: FaultProxy, client: socket.socket) -> None:
    try:
        request = _read_request(client)
        if request is None:
            client.close()
            return
        method, raw_path = request.split(b" ", 2)[:2]
        path = re.sub(r"^/v\d+\.\d+", "", raw_path.decode().split("?")[0])
        fault = proxy._choose(method.decode(), path)
        what = fault.action if fault else "relayed"
        proxy.log.append((method.decode(), path, what))
        if fault is None:
            _relay(request, proxy.upstream, client)
            client.close()
        elif fault.action == "reset":
            _reset(client)
        elif fault.action == "lose-answer":
            _relay(request, proxy.upstream, None)
            _reset(client)
        else:
            body = json.dumps({"message": f"injected {fault.status}"}).encode()
            reason = _REASONS.get(fault.status, "Error")
            client.sendall(f"HTTP/1.1 {fault.status} {reason}\r\nContent-Type: application/json"
                           f"\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                           .encode() + body)
            client.close()
    except OSError:
        client.close()


def _serve(listener: socket.socket, proxy: FaultProxy, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            client, _ = listener.accept()
        except OSError:
            continue
        client.settimeout(120)
        threading.Thread(target=_handle, args=(proxy, client), daemon=True).start()


@contextmanager
def fault_proxy(upstream_unix_path: str) -> Iterator[FaultProxy]:
    """Serve the relay on 127.0.0.1 while the context is open."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.5)
    proxy = FaultProxy(f"tcp://127.0.0.1:{listener.getsockname()[1]}", upstream_unix_path)
    stop = threading.Event()
    thread = threading.Thread(target=_serve, args=(listener, proxy, stop), daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
