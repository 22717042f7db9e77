"""A unix socket in front of the engine's that counts the HTTP requests passing through.

The benchmarks point each tool (the Pulumi provider process, the docker CLI, a docker-py
script) at this socket through DOCKER_HOST, so the calls a tool makes are counted the same
way whatever its client library. Bytes are forwarded as they arrive; the request stream is
only parsed (request line, Content-Length) to find where one request ends and the next one
starts on a kept-alive connection. A chunked body or an upgraded connection (attach) ends
the counting on that connection, which is then piped untouched and reported as such.
"""

from __future__ import annotations

import collections
import re
import socket
import threading
from pathlib import Path

ID_ROUTES = re.compile(
    r"/(services|tasks|nodes|networks|secrets|configs|containers)/(?!create$|create/)[^/]+")
ID_PLACEHOLDER = r"/\1/{id}"
READS = {"GET", "HEAD"}


def route(method: str, target: str) -> str:
    """`GET /v1.41/services/abc?x=1` -> `GET /services/{id}`: one key per kind of call."""
    path = re.sub(r"^/v\d+\.\d+", "", target.split("?", 1)[0])
    return f"{method} {ID_ROUTES.sub(ID_PLACEHOLDER, path)}"


class CountingProxy:
    """Forward connections on ``path`` to the engine socket ``upstream``, counting requests."""

    def __init__(self, upstream: str, path: Path) -> None:
        self.upstream = upstream
        self.path = path
        self._counts: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)

    def start(self) -> CountingProxy:
        self.path.unlink(missing_ok=True)
        self._server.bind(str(self.path))
        self._server.listen(256)
        threading.Thread(target=self._accept, daemon=True, name="engine-proxy").start()
        return self

    @property
    def host(self) -> str:
        """The DOCKER_HOST value that reaches the engine through this proxy."""
        return f"unix://{self.path}"

    def take(self) -> collections.Counter[str]:
        """The counts since the last take, and start again from zero."""
        with self._lock:
            counts, self._counts = self._counts, collections.Counter()
        return counts

    def close(self) -> None:
        self._server.close()
        self.path.unlink(missing_ok=True)

    def _count(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            engine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                engine.connect(self.upstream)
            except OSError:
                client.close()
                continue
            done = _Closer(client, engine)
            threading.Thread(target=self._requests, args=(client, engine, done),
                             daemon=True).start()
            threading.Thread(target=_pipe, args=(engine, client, done), daemon=True).start()

    def _requests(self, client: socket.socket, engine: socket.socket, done: _Closer) -> None:
        """Client to engine: forward every byte, count each request's head once."""
        pending = b""      # bytes of a request head not complete yet
        body_left = 0      # bytes of the current request's body still to come
        counting = True
        try:
            while received := client.recv(65536):
                data = received if counting else b""
                while data:
                    if body_left:
                        taken = min(body_left, len(data))
                        body_left -= taken
                        data = data[taken:]
                        continue
                    pending += data
                    data = b""
                    end = pending.find(b"\r\n\r\n")
                    if end < 0:
                        break
                    head, data = pending[:end].decode("latin-1"), pending[end + 4:]
                    pending = b""
                    body_left, counting = self._head(head)
                    if not counting:
                        break
                # Counted before it is sent: the caller may read the counts as soon as
                # the engine has answered.
                engine.sendall(received)
        except OSError:
            pass
        finally:
            _shut(engine)
            done.one_side_ended()

    def _head(self, head: str) -> tuple[int, bool]:
        """Count one request; return its body length and whether counting can go on."""
        request, *fields = head.split("\r\n")
        method, target, *_ = request.split(" ") + ["", ""]
        self._count(route(method, target))
        headers = {k.strip().lower(): v.strip()
                   for k, _, v in (f.partition(":") for f in fields)}
        if "chunked" in headers.get("transfer-encoding", "").lower() or \
                headers.get("upgrade") or "upgrade" in headers.get("connection", "").lower():
            self._count("(connection no longer counted)")
            return 0, False
        return int(headers.get("content-length") or 0), True


def writes(counts: collections.Counter[str]) -> int:
    """Requests that may change something on the engine (anything but GET and HEAD)."""
    return sum(n for key, n in counts.items() if key.split(" ", 1)[0] not in READS
               and not key.startswith("("))


class _Closer:
    """Closes both sockets of a forwarded connection once both directions have ended."""

    def __init__(self, *sockets: socket.socket) -> None:
        self._sockets = sockets
        self._left = 2
        self._lock = threading.Lock()

    def one_side_ended(self) -> None:
        with self._lock:
            self._left -= 1
            if self._left:
                return
        for sock in self._sockets:
            sock.close()


def _pipe(source: socket.socket, target: socket.socket, done: _Closer) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        _shut(target)
        done.one_side_ended()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
