"""Where the Docker engine is, and the one cached client per place.

The providers hold a ``Connection`` (it is pickled into the Pulumi state), never a
client: the client is made on first use inside the provider process. docker-py (and
requests under it) is imported then too, not with this module: previews (check and
diff) never call the engine, and importing docker costs a third of a second.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import EngineError

if TYPE_CHECKING:
    import docker

MIN_API_VERSION = (1, 41)
MAX_POOL_SIZE = 64
"""Connections kept per client. The provider host runs every service's create, update and
delete at once (see ``providers.host``): docker-py's default of 10 would close (and log
about) the extra connections of a 20-service ``pulumi up``."""


@dataclass(frozen=True)
class Connection:
    """Where the engine is. Empty fields fall back to DOCKER_HOST/DOCKER_TLS_VERIFY/
    DOCKER_CERT_PATH. TLS material is PEM text (from stack config secrets)."""

    host: str = ""
    tls_ca: str = ""
    tls_cert: str = ""
    tls_key: str = ""
    tls_verify: bool = True

    def describe(self) -> str:
        return self.host or os.environ.get("DOCKER_HOST") or "the default Docker socket"


# Pickled by reference into every resource's state: the path stays the one 0.2 wrote
# (``swarm_provider.api.engine`` re-exports it), whichever module defines it.
Connection.__module__ = "swarm_provider.api.engine"

_CLIENTS: dict[Connection, docker.DockerClient] = {}
_CLIENTS_LOCK = threading.Lock()


def connection_from_config(config: Any) -> Connection:
    """The engine connection from stack config (``swarm:dockerHost``, ``swarm:tls*``)."""
    return Connection(
        host=config.get("swarm:dockerHost") or "",
        tls_ca=config.get("swarm:tlsCaCert") or "",
        tls_cert=config.get("swarm:tlsCert") or "",
        tls_key=config.get("swarm:tlsKey") or "",
        tls_verify=(config.get("swarm:tlsVerify") or "true").lower() != "false",
    )


def client(connection: Connection) -> docker.DockerClient:
    """A cached client per connection, created on first use (never at import time)."""
    with _CLIENTS_LOCK:
        cached = _CLIENTS.get(connection)
        if cached is None:
            cached = _connect(connection)
            _CLIENTS[connection] = cached
        return cached


def _connect(connection: Connection) -> docker.DockerClient:
    """A client that speaks the engine's own API version (what ``version="auto"`` does),
    refused below ``MIN_API_VERSION``. A first client with a placeholder version asks
    the engine; it makes no request before that, so the CA fix applies to the question."""
    import requests
    from docker.errors import DockerException

    tls = (_tls_config(connection)
           if connection.host and (connection.tls_cert or connection.tls_ca) else False)
    try:
        probe = _client(connection, ".".join(str(p) for p in MIN_API_VERSION), tls)
        try:
            spoken = str(probe.api.version(api_version=False)["ApiVersion"])
        finally:
            probe.close()
        made = _client(connection, spoken, tls)
    except (DockerException, requests.exceptions.RequestException) as exc:
        where = connection.describe()
        raise EngineError(f"cannot reach the Docker engine at {where}: {exc}") from exc
    if tuple(int(p) for p in spoken.split(".")) < MIN_API_VERSION:
        raise EngineError(
            f"the engine at {connection.describe()} speaks API {spoken}; "
            "1.41 or newer is needed (older engines silently drop capabilities, ulimits, "
            "pids limits and job modes)"
        )
    return made


def _client(connection: Connection, version: str,
            tls: docker.tls.TLSConfig | bool) -> docker.DockerClient:
    import docker

    if connection.host:
        made = docker.DockerClient(base_url=connection.host, tls=tls, version=version,
                                   max_pool_size=MAX_POOL_SIZE)
    else:
        made = docker.from_env(version=version, max_pool_size=MAX_POOL_SIZE)
    _keep_engine_ca(made)
    return made


def _keep_engine_ca(made: docker.DockerClient) -> None:
    """Verify the engine against the CA it was given, whatever the environment says.

    requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override a session's CA file on every
    request, so with either set (common on CI runners) a TLS engine signed by its own CA
    fails verification. With a CA file configured, the client ignores the environment
    (proxy variables included; the engine connection has its own settings).
    """
    if isinstance(made.api.verify, str):
        made.api.trust_env = False


def _tls_config(connection: Connection) -> docker.tls.TLSConfig:
    import docker.tls

    folder = tempfile.mkdtemp(prefix="swarm-provider-tls-")
    paths = {}
    for name, pem in (("ca.pem", connection.tls_ca), ("cert.pem", connection.tls_cert),
                      ("key.pem", connection.tls_key)):
        if pem:
            path = os.path.join(folder, name)
            with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
                handle.write(pem)
            paths[name] = path
    if ("cert.pem" in paths) != ("key.pem" in paths):
        raise EngineError("swarm:tlsCert and swarm:tlsKey go together: set both or neither")
    # A CA alone verifies the server without a client certificate.
    client_cert = (paths["cert.pem"], paths["key.pem"]) if "key.pem" in paths else None
    return docker.tls.TLSConfig(
        client_cert=client_cert,
        ca_cert=paths.get("ca.pem"),
        verify=connection.tls_verify and "ca.pem" in paths,
    )
