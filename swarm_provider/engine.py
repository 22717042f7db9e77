"""The one module that talks to the Docker engine (through docker-py's low-level API).

Services are created and updated with the complete ServiceSpec as raw JSON, never with
docker-py's ``Service.update()``/``scale()``, which re-send engine defaults and
redeploy every task. Every engine failure becomes an ``EngineError`` that names the
service and quotes the engine, chained from docker's exception.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import docker
import requests
from docker.errors import APIError, DockerException, NotFound

from .api_versions import require_features
from .errors import EngineError, object_label, service_label

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
        # A placeholder version makes no request, so the CA fix applies before the first.
        placeholder = ".".join(str(p) for p in MIN_API_VERSION)
        if connection.host:
            tls = _tls_config(connection) if connection.tls_cert or connection.tls_ca else False
            made = docker.DockerClient(base_url=connection.host, tls=tls, version=placeholder)
        else:
            made = docker.from_env(version=placeholder)
        _keep_engine_ca(made)
        # What version="auto" does: speak the engine's own API version.
        made.api._version = str(made.api.version(api_version=False)["ApiVersion"])
    except (DockerException, requests.exceptions.RequestException) as exc:
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


@contextmanager
def engine_errors(action: str, name: str | None = None, service_id: str | None = None,
                  kind: str = "service") -> Iterator[None]:
    """Turn docker-py errors into EngineError naming the object and quoting the engine."""
    label = object_label(kind, name, service_id)
    try:
        yield
    except APIError as exc:
        said = exc.explanation or str(exc)
        raise EngineError(f"{action} {label} failed: engine said {exc.status_code} {said}") from exc
    except DockerException as exc:
        raise EngineError(f"{action} {label} failed: {exc}") from exc


def is_out_of_sequence(exc: BaseException) -> bool:
    cause = exc.__cause__ if isinstance(exc, EngineError) else exc
    return isinstance(cause, APIError) and "update out of sequence" in str(cause.explanation)


def is_name_conflict(exc: BaseException) -> bool:
    cause = exc.__cause__ if isinstance(exc, EngineError) else exc
    return isinstance(cause, APIError) and cause.status_code == 409


# --- services --------------------------------------------------------------------------


def create_service(api: docker.APIClient, spec: Mapping[str, Any]) -> str:
    require_features(spec, api.api_version, service_label(spec.get("Name"), None))
    with engine_errors("creating", spec.get("Name")):
        reply = api._result(api._post_json(api._url("/services/create"), data=dict(spec)), True)
    return str(reply["ID"])


def update_service(api: docker.APIClient, service_id: str, version: int,
                   spec: Mapping[str, Any]) -> None:
    """POST the full spec at ``version``; raises EngineError (check is_out_of_sequence)."""
    require_features(spec, api.api_version, service_label(spec.get("Name"), service_id))
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


def delete_service(api: docker.APIClient, service_id: str, name: str | None) -> None:
    """``DELETE /services/{id}``; already gone is fine. The tasks stop afterwards, and a
    running job task not at all: use ``removal.remove``, which waits for them."""
    try:
        with engine_errors("removing", name, service_id):
            api.remove_service(service_id)
    except EngineError as exc:
        if not isinstance(exc.__cause__, NotFound):
            raise


def all_tasks(api: docker.APIClient, name: str | None = None,
              service_id: str | None = None) -> list[dict[str, Any]]:
    """Every task the swarm keeps (of every service, removed ones included)."""
    with engine_errors("listing tasks of", name, service_id):
        return [dict(t) for t in api.tasks()]


def list_tasks(api: docker.APIClient, service_id: str, name: str | None = None,
               up_to_date: bool = False) -> list[dict[str, Any]]:
    filters: dict[str, Any] = {"service": service_id}
    if up_to_date:
        filters["_up-to-date"] = "true"
    with engine_errors("listing tasks of", name, service_id):
        return [dict(t) for t in api.tasks(filters=filters)]


def list_nodes(api: docker.APIClient) -> list[dict[str, Any]]:
    """Every node of the swarm (status, availability, role, labels, platform, hostname)."""
    with engine_errors("listing nodes for", None, None, "swarm"):
        return [dict(n) for n in api.nodes()]


def task_logs(api: docker.APIClient, task_id: str, tail: int, tty: bool = False,
              timeout: float = 10.0) -> list[str]:
    """The last ``tail`` lines a task's container wrote (stdout and stderr, interleaved as
    the engine sends them). A TTY task's log is one raw stream, not multiplexed frames."""
    url = api._url("/tasks/{0}/logs", task_id)
    params = {"stdout": 1, "stderr": 1, "tail": tail, "timestamps": 0, "follow": 0}
    with engine_errors("reading logs of task", task_id[:12], None, "task"):
        reply = api._get(url, params=params, stream=False, timeout=timeout)
        raw = api._get_result_tty(False, reply, tty)
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
    return text.splitlines()[-tail:]


def list_services(api: docker.APIClient, filters: Mapping[str, Any] | None = None,
                  status: bool | None = None) -> list[dict[str, Any]]:
    """``GET /services`` as docker-py's ``ServiceCollection.list(filters, status)`` sends it
    (``status=True`` adds ServiceStatus: running and desired task counts)."""
    with engine_errors("listing", None, None, "services"):
        return [dict(s) for s in api.services(filters=dict(filters or {}), status=status)]


def tasks(api: docker.APIClient, filters: Mapping[str, Any],
          name: str | None = None, service_id: str | None = None) -> list[dict[str, Any]]:
    """``GET /tasks`` with any filters (``service``, ``desired-state``, ``node``, ...)."""
    with engine_errors("listing tasks of", name, service_id):
        return [dict(t) for t in api.tasks(filters=dict(filters))]


def service_logs(api: docker.APIClient, service_id: str, name: str | None, *, tty: bool,
                 tail: int | str = "all", stdout: bool = True, stderr: bool = True,
                 timestamps: bool = False, since: int = 0) -> str:
    """The service's logs as text, gathered from every node (``json-file``/``journald``).

    Unlike docker-py's ``Service.logs()``, both streams default to on (docker-py sends
    neither and the engine answers 500), and a TTY service's stream, which docker-py
    yields one byte at a time, is joined like any other.
    """
    with engine_errors("reading logs of", name, service_id):
        chunks = api.service_logs(service_id, stdout=stdout, stderr=stderr, tail=tail,
                                  timestamps=timestamps, since=since, is_tty=tty)
        return b"".join(chunks).decode("utf-8", errors="replace")


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


# --- networks, secrets and configs as resources ------------------------------------------


def connection_from_config(config: Any) -> Connection:
    """The engine connection from stack config (``swarm:dockerHost``, ``swarm:tls*``)."""
    return Connection(
        host=config.get("swarm:dockerHost") or "",
        tls_ca=config.get("swarm:tlsCaCert") or "",
        tls_cert=config.get("swarm:tlsCert") or "",
        tls_key=config.get("swarm:tlsKey") or "",
        tls_verify=(config.get("swarm:tlsVerify") or "true").lower() != "false",
    )


def object_errors(action: str, kind: str, name: str | None = None,
                  object_id: str | None = None) -> Any:
    """``engine_errors`` for a network, secret or config (``kind``)."""
    return engine_errors(action, name, object_id, kind)


def is_not_found(exc: BaseException) -> bool:
    cause = exc.__cause__ if isinstance(exc, EngineError) else exc
    return isinstance(cause, NotFound)


def is_in_use(exc: BaseException) -> bool:
    """The engine refused a delete because a service, task or container still uses it."""
    cause = exc.__cause__ if isinstance(exc, EngineError) else exc
    said = str(getattr(cause, "explanation", "") or "")
    return isinstance(cause, APIError) and ("in use" in said or "active endpoints" in said)


def _object_or_none(read: Any) -> dict[str, Any] | None:
    try:
        return dict(read())
    except EngineError as exc:
        if is_not_found(exc):
            return None
        raise


def create_network(api: docker.APIClient, spec: Mapping[str, Any]) -> str:
    with object_errors("creating", "network", spec.get("Name")):
        reply = api._result(api._post_json(api._url("/networks/create"), data=dict(spec)), True)
    return str(reply["Id"])


def inspect_network(api: docker.APIClient, network_id: str) -> dict[str, Any] | None:
    """The network as the engine reports it, or None if gone."""
    def read() -> Any:
        with object_errors("inspecting", "network", None, network_id):
            return api.inspect_network(network_id)
    return _object_or_none(read)


def find_network(api: docker.APIClient, name: str) -> dict[str, Any] | None:
    """The network with exactly this name (the engine's name filter matches substrings)."""
    with object_errors("looking up", "network", name):
        matches = api.networks(names=[name])
    exact = [n for n in matches if n["Name"] == name]
    return dict(exact[0]) if exact else None


def remove_network(api: docker.APIClient, network_id: str, name: str | None) -> None:
    """Remove the network (already gone is fine); EngineError otherwise (see is_in_use)."""
    try:
        with object_errors("removing", "network", name, network_id):
            api.remove_network(network_id)
    except EngineError as exc:
        if not is_not_found(exc):
            raise


def network_users(api: docker.APIClient, network_id: str) -> list[str]:
    """Who keeps a network busy: services attached to it, their live tasks, containers."""
    with object_errors("listing users of", "network", None, network_id):
        services = {s["ID"]: s for s in api.services()}
        tasks = api.tasks(filters={"desired-state": "running"})
    users = []
    for service in services.values():
        spec = service["Spec"]
        attached = spec.get("TaskTemplate", {}).get("Networks") or spec.get("Networks") or []
        if any(entry.get("Target") == network_id for entry in attached):
            users.append(service_label(spec["Name"], service["ID"]))
    for task in tasks:
        attachments = task.get("NetworksAttachments") or []
        if any(a.get("Network", {}).get("ID") == network_id for a in attachments):
            owner = services.get(task.get("ServiceID", ""))
            label = service_label(owner["Spec"]["Name"] if owner else None, task.get("ServiceID"))
            if label not in users:
                users.append(f"a task of {label}")
    live = inspect_network(api, network_id) or {}
    for container in (live.get("Containers") or {}).values():
        users.append(f"container {container.get('Name')!r}")
    return users


_OBJECT_URLS = {"secret": "/secrets", "config": "/configs"}


def create_swarm_object(api: docker.APIClient, kind: str, spec: Mapping[str, Any]) -> str:
    """Create a secret or config (``kind``) from its complete Engine spec (Data in base64)."""
    url = api._url(f"{_OBJECT_URLS[kind]}/create")
    with object_errors("creating", kind, spec.get("Name")):
        reply = api._result(api._post_json(url, data=dict(spec)), True)
    return str(reply["ID"])


def inspect_swarm_object(api: docker.APIClient, kind: str, object_id: str) -> dict[str, Any] | None:
    """The secret or config as the engine stores it (secrets without Data), or None."""
    def read() -> Any:
        with object_errors("inspecting", kind, None, object_id):
            return api._result(api._get(api._url(_OBJECT_URLS[kind] + "/{0}", object_id)), True)
    return _object_or_none(read)


def find_swarm_object(api: docker.APIClient, kind: str, name: str) -> dict[str, Any] | None:
    """The secret or config with exactly this name (the name filter matches prefixes)."""
    params = {"filters": json.dumps({"name": [name]})}
    with object_errors("looking up", kind, name):
        matches = api._result(api._get(api._url(_OBJECT_URLS[kind]), params=params), True)
    exact = [o for o in matches if o["Spec"]["Name"] == name]
    return dict(exact[0]) if exact else None


def update_swarm_object(api: docker.APIClient, kind: str, object_id: str, version: int,
                        spec: Mapping[str, Any]) -> None:
    """POST the spec at ``version``; the engine accepts label changes only."""
    url = api._url(_OBJECT_URLS[kind] + "/{0}/update", object_id)
    with object_errors("updating", kind, spec.get("Name"), object_id):
        api._raise_for_status(api._post_json(url, data=dict(spec), params={"version": version}))


def remove_swarm_object(api: docker.APIClient, kind: str, object_id: str, name: str | None) -> None:
    """Remove the secret or config (already gone is fine); see is_in_use."""
    url = api._url(_OBJECT_URLS[kind] + "/{0}", object_id)
    try:
        with object_errors("removing", kind, name, object_id):
            api._raise_for_status(api._delete(url))
    except EngineError as exc:
        if not is_not_found(exc):
            raise


def swarm_object_users(api: docker.APIClient, kind: str, object_id: str) -> list[str]:
    """The services whose spec references this secret or config (what blocks its removal)."""
    key, id_key = ("Secrets", "SecretID") if kind == "secret" else ("Configs", "ConfigID")
    with object_errors("listing users of", kind, None, object_id):
        services = api.services()
    users = []
    for service in services:
        container = service["Spec"].get("TaskTemplate", {}).get("ContainerSpec", {})
        if any(ref.get(id_key) == object_id for ref in container.get(key) or []):
            users.append(service_label(service["Spec"]["Name"], service["ID"]))
    return users
