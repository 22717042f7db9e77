"""The one module that talks to the Docker engine (through docker-py's low-level API).

Services are created and updated with the complete ServiceSpec as raw JSON, never with
docker-py's ``Service.update()``/``scale()``, which re-send engine defaults and
redeploy every task. Every engine failure becomes an ``EngineError`` that names the
service and quotes the engine, chained from docker's exception.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import docker
from docker.errors import APIError, DockerException, NotFound

from .errors import EngineError, service_label

MIN_API_VERSION = (1, 41)
_CLIENTS: dict[Connection, docker.DockerClient] = {}
_CLIENTS_LOCK = threading.Lock()


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


def client(connection: Connection) -> docker.DockerClient:
    """A cached client per connection, created on first use (never at import time)."""
    with _CLIENTS_LOCK:
        cached = _CLIENTS.get(connection)
        if cached is None:
            cached = _connect(connection)
            _CLIENTS[connection] = cached
        return cached


def _connect(connection: Connection) -> docker.DockerClient:
    try:
        if connection.host:
            tls = _tls_config(connection) if connection.tls_cert else False
            made = docker.DockerClient(base_url=connection.host, tls=tls, version="auto")
        else:
            made = docker.from_env(version="auto")
    except DockerException as exc:
        where = connection.describe()
        raise EngineError(f"cannot reach the Docker engine at {where}: {exc}") from exc
    version = tuple(int(p) for p in made.api.api_version.split("."))
    if version < MIN_API_VERSION:
        raise EngineError(
            f"the engine at {connection.describe()} speaks API {made.api.api_version}; "
            "1.41 or newer is needed (older engines silently drop capabilities, ulimits, "
            "pids limits and job modes)"
        )
    return made


def _tls_config(connection: Connection) -> docker.tls.TLSConfig:
    folder = tempfile.mkdtemp(prefix="swarm-provider-tls-")
    paths = {}
    for name, pem in (("ca.pem", connection.tls_ca), ("cert.pem", connection.tls_cert),
                      ("key.pem", connection.tls_key)):
        if pem:
            path = os.path.join(folder, name)
            with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
                handle.write(pem)
            paths[name] = path
    return docker.tls.TLSConfig(
        client_cert=(paths["cert.pem"], paths["key.pem"]),
        ca_cert=paths.get("ca.pem"),
        verify=connection.tls_verify and "ca.pem" in paths,
    )


@contextmanager
def engine_errors(action: str, name: str | None = None,
                  service_id: str | None = None) -> Iterator[None]:
    """Turn docker-py errors into EngineError naming the service and quoting the engine."""
    try:
        yield
    except APIError as exc:
        said = exc.explanation or str(exc)
        status = exc.status_code
        raise EngineError(
            f"{action} {service_label(name, service_id)} failed: engine said {status} {said}"
        ) from exc
    except DockerException as exc:
        raise EngineError(f"{action} {service_label(name, service_id)} failed: {exc}") from exc


def is_out_of_sequence(exc: BaseException) -> bool:
    cause = exc.__cause__ if isinstance(exc, EngineError) else exc
    return isinstance(cause, APIError) and "update out of sequence" in str(cause.explanation)


def is_name_conflict(exc: BaseException) -> bool:
    cause = exc.__cause__ if isinstance(exc, EngineError) else exc
    return isinstance(cause, APIError) and cause.status_code == 409


# --- services --------------------------------------------------------------------------


def create_service(api: docker.APIClient, spec: Mapping[str, Any]) -> str:
    with engine_errors("creating", spec.get("Name")):
        reply = api._result(api._post_json(api._url("/services/create"), data=dict(spec)), True)
    return str(reply["ID"])


def update_service(api: docker.APIClient, service_id: str, version: int,
                   spec: Mapping[str, Any]) -> None:
    """POST the full spec at ``version``; raises EngineError (check is_out_of_sequence)."""
    url = api._url("/services/{0}/update", service_id)
    with engine_errors("updating", spec.get("Name"), service_id):
        api._result(api._post_json(url, data=dict(spec), params={"version": version}), True)


def inspect_service(api: docker.APIClient, service_id: str) -> dict[str, Any] | None:
    """The service as the engine stores it (no inserted defaults), or None if gone."""
    try:
        with engine_errors("inspecting", None, service_id):
            return dict(api.inspect_service(service_id))
    except EngineError as exc:
        if isinstance(exc.__cause__, NotFound):
            return None
        raise


def find_service(api: docker.APIClient, name: str) -> dict[str, Any] | None:
    """The service with exactly this name (the engine's name filter matches prefixes)."""
    with engine_errors("looking up", name):
        matches = api.services(filters={"name": name})
    exact = [s for s in matches if s["Spec"]["Name"] == name]
    return dict(exact[0]) if exact else None


def remove_service(api: docker.APIClient, service_id: str, name: str | None,
                   wait_seconds: float) -> None:
    """Remove the service (already gone is fine), then wait until its tasks are gone."""
    try:
        with engine_errors("removing", name, service_id):
            api.remove_service(service_id)
    except EngineError as exc:
        if not isinstance(exc.__cause__, NotFound):
            raise
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if not list_tasks(api, service_id, name):
            return
        time.sleep(0.2)


def list_tasks(api: docker.APIClient, service_id: str, name: str | None = None,
               up_to_date: bool = False) -> list[dict[str, Any]]:
    filters: dict[str, Any] = {"service": service_id}
    if up_to_date:
        filters["_up-to-date"] = "true"
    with engine_errors("listing tasks of", name, service_id):
        return [dict(t) for t in api.tasks(filters=filters)]


# --- networks ----------------------------------------------------------------------------


def network_ids(api: docker.APIClient, targets: list[str]) -> dict[str, str]:
    """Map each network name or id to the id the engine stores in TaskTemplate.Networks."""
    resolved = {}
    for target in targets:
        try:
            with engine_errors("looking up network for", target):
                resolved[target] = api.inspect_network(target)["Id"]
        except EngineError as exc:
            if not isinstance(exc.__cause__, NotFound):
                raise
    return resolved
