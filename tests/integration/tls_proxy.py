"""A TLS front for the test bed's engine socket, to test TLS connection settings cheaply.

The private dockerd listens on a unix socket only, and the swarm is shared, so it is not
restarted with `--tlsverify`. Instead this relays `tcp://127.0.0.1:<port>` (TLS, client
certificate required, as `dockerd --tlsverify` does) to the socket. Certificates are made
with the `openssl` CLI: a CA, a server certificate for 127.0.0.1, a client certificate.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TlsEngine:
    url: str
    """tcp://127.0.0.1:<port>"""
    cert_dir: Path
    """ca.pem, cert.pem and key.pem (the client's), as DOCKER_CERT_PATH expects."""

    def pem(self, name: str) -> str:
        return (self.cert_dir / name).read_text()


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_certificates(folder: Path) -> Path:
    """CA, server (127.0.0.1) and client certificates in ``folder``; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-keyout", "ca-key.pem", "-out", "ca.pem", "-subj", "/CN=swarm-provider test CA",
             cwd=folder)
    for who, extension in (("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth"),
                           ("client", "extendedKeyUsage=clientAuth")):
        (folder / f"{who}.ext").write_text(extension + "\n")
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{who}-key.pem",
                 "-out", f"{who}.csr", "-subj", f"/CN={who}", cwd=folder)
        _openssl("x509", "-req", "-in", f"{who}.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
                 "-CAcreateserial", "-days", "2", "-out", f"{who}.pem",
                 "-extfile", f"{who}.ext", cwd=folder)
    client = folder / "client-certs"
    client.mkdir(exist_ok=True)
    shutil.copy(folder / "ca.pem", client / "ca.pem")
    shutil.copy(folder / "client.pem", client / "cert.pem")
    shutil.copy(folder / "client-key.pem", client / "key.pem")
    return folder


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            target.sendall(chunk)
    except OSError:
        pass
    finally:
        for end in (source, target):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _serve(listener: ssl.SSLSocket, unix_path: str, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            client, _ = listener.accept()
        except (OSError, ssl.SSLError):
            continue
        client.settimeout(None)
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(unix_path)
        except OSError:
            client.close()
            continue
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pump, args=(a, b), daemon=True).start()


@contextmanager
def tls_engine(unix_path: str, folder: Path) -> Iterator[TlsEngine]:
    """Serve TLS on 127.0.0.1 in front of ``unix_path`` while the context is open."""
    make_certificates(folder)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(folder / "ca.pem"))
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(str(folder / "server.pem"), str(folder / "server-key.pem"))
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    raw.bind(("127.0.0.1", 0))
    raw.listen(32)
    raw.settimeout(0.5)
    port = raw.getsockname()[1]
    listener = context.wrap_socket(raw, server_side=True)  # takes over raw's descriptor
    stop = threading.Event()
    thread = threading.Thread(target=_serve, args=(listener, unix_path, stop), daemon=True)
    thread.start()
    try:
        yield TlsEngine(f"tcp://127.0.0.1:{port}", folder / "client-certs")
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
