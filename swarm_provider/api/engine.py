"""The one module that talks to the Docker engine (through docker-py's low-level API).

Services are created and updated with the complete ServiceSpec as raw JSON, never with
docker-py's ``Service.update()``/``scale()``, which re-send engine defaults and
redeploy every task. Every engine failure becomes an ``EngineError`` that names the
service and quotes the engine, chained from docker's exception; ``engine_errors`` classifies
it once: a connection reset or refused, a timeout or a 5xx answer is a
``TransientEngineError``.

Reads (``@read``: inspect, lists, logs) are retried after a transient failure, with the
pauses of ``READ_PAUSES`` (3.7 s in all, far below any wait's timeout). Writes are not
sent again blindly: a create whose answer was lost is looked up by name and labels, an
update's outcome is judged by the caller's next read (the version index), and a delete is
idempotent (already gone is fine).

docker-py (and requests under it) is imported on the first engine call, not with this
module: previews (check and diff) never call the engine, and importing docker costs a
third of a second in the program and in the provider process on every run.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ..errors import EngineError, TransientEngineError, object_label, service_label
from ..schema.api_versions import require_features

if TYPE_CHECKING:
    import docker

MIN_API_VERSION = (1, 41)
READ_PAUSES = (0.2, 0.5, 1.0, 2.0)
"""Seconds between the attempts of a read that failed transiently (five attempts)."""
P = ParamSpec("P")
R = TypeVar("R")
MAX_POOL_SIZE = 64
"""Connections kept per client. The provider host runs every service's create, update and
delete at once (see ``host``): docker-py's default of 10 would close (and log about) the
extra connections of a 20-service ``pulumi up``."""
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
    import docker
    import requests
    from docker.errors import DockerException

    try:
        # A placeholder version makes no request, so the CA fix applies before the first.
        placeholder = ".".join(str(p) for p in MIN_API_VERSION)
        if connection.host:
            tls = _tls_config(connection) if connection.tls_cert or connection.tls_ca else False
            made = docker.DockerClient(base_url=connection.host, tls=tls, version=placeholder,
                                       max_pool_size=MAX_POOL_SIZE)
        else:
            made = docker.from_env(version=placeholder, max_pool_size=MAX_POOL_SIZE)
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


@contextmanager
def engine_errors(action: str, name: str | None = None, service_id: str | None = None,
                  kind: str = "service") -> Iterator[None]:
    """Turn docker-py errors into EngineError naming the object and quoting the engine."""
    import requests
    from docker.errors import APIError, DockerException

    transient = (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                 requests.exceptions.ChunkedEncodingError)
    label = object_label(kind, name, service_id)
    try:
        yield
    except APIError as exc:
        said = exc.explanation or str(exc)
        status = exc.status_code or 0
        error = TransientEngineError if status >= 500 and status != 501 else EngineError
        raise error(f"{action} {label} failed: engine said {status} {said}") from exc
    except DockerException as exc:
        raise EngineError(f"{action} {label} failed: {exc}") from exc
    except transient as exc:
        raise TransientEngineError(f"{action} {label} failed: the engine did not answer "
                                   f"({type(exc).__name__}: {exc})") from exc
    except requests.exceptions.RequestException as exc:
        raise EngineError(f"{action} {label} failed: {exc}") from exc


def read(function: Callable[P, R]) -> Callable[P, R]:
    """Retry a read after a ``TransientEngineError`` (pauses: ``READ_PAUSES``); the last
    failure is raised as it came."""
    @wraps(function)
    def retried(*args: P.args, **kwargs: P.kwargs) -> R:
        for pause in READ_PAUSES:
            try:
                return function(*args, **kwargs)
            except TransientEngineError:
                time.sleep(pause)
        return function(*args, **kwargs)
    return retried


def _docker_cause(exc: BaseException) -> Any:
    """The docker-py exception behind ``exc`` (itself, or an EngineError's cause), or None.
    One exists only once docker is imported, so nothing is imported to look."""
    cause = exc.__cause__ if isinstance(exc, EngineError) else exc
    errors = sys.modules.get("docker.errors")
    if errors is None or not isinstance(cause, errors.DockerException):
        return None
    return cause


def _is_api_error(exc: BaseException) -> Any:
    cause = _docker_cause(exc)
    return cause if isinstance(cause, sys.modules["docker.errors"].APIError) else None


def is_out_of_sequence(exc: BaseException) -> bool:
    cause = _is_api_error(exc)
    return cause is not None and "update out of sequence" in str(cause.explanation)


def is_name_conflict(exc: BaseException) -> bool:
    cause = _is_api_error(exc)
    return cause is not None and cause.status_code == 409


# --- services --------------------------------------------------------------------------


def create_service(api: docker.APIClient, spec: Mapping[str, Any]) -> str:
    """POST the spec; when the answer is lost (a transient failure), look the service up:
    one of that name with exactly our labels is the one this create made, and none means
    the create did not happen and may be sent again."""
    name = spec.get("Name")
    require_features(spec, api.api_version, service_label(name, None))
    for pause in (*READ_PAUSES, None):
        try:
            with engine_errors("creating", name):
                reply = api._result(
                    api._post_json(api._url("/services/create"), data=dict(spec)), True)
            return str(reply["ID"])
        except TransientEngineError:
            existing = find_service(api, str(name)) if name else None
            if existing is not None:
                if (existing["Spec"].get("Labels") or {}) == (spec.get("Labels") or {}):
                    return str(existing["ID"])
                raise  # someone else's: the caller's name-conflict handling decides
            if pause is None:
                raise
            time.sleep(pause)
    raise AssertionError("unreachable")


def update_service(api: docker.APIClient, service_id: str, version: int,
                   spec: Mapping[str, Any]) -> None:
    """POST the full spec at ``version``; raises EngineError (check is_out_of_sequence), or
    TransientEngineError when the outcome is unknown: read the service again to know (the
    version index moved if it landed; a POST at the old version can't apply twice)."""
    require_features(spec, api.api_version, service_label(spec.get("Name"), service_id))
    url = api._url("/services/{0}/update", service_id)
    with engine_errors("updating", spec.get("Name"), service_id):
        api._result(api._post_json(url, data=dict(spec), params={"version": version}), True)


@read
def inspect_service(api: docker.APIClient, service_id: str) -> dict[str, Any] | None:
    """The service as the engine stores it (no inserted defaults), or None if gone."""
    try:
        with engine_errors("inspecting", None, service_id):
            return dict(api.inspect_service(service_id))
    except EngineError as exc:
        if is_not_found(exc):
            return None
        raise


@read
def find_service(api: docker.APIClient, name: str) -> dict[str, Any] | None:
    """The service with exactly this name (the engine's name filter matches prefixes)."""
    with engine_errors("looking up", name):
        matches = api.services(filters={"name": name})
    exact = [s for s in matches if s["Spec"]["Name"] == name]
    return dict(exact[0]) if exact else None


@read  # idempotent: already gone is fine, so retried like a read
def delete_service(api: docker.APIClient, service_id: str, name: str | None) -> None:
    """``DELETE /services/{id}``; already gone is fine. The tasks stop afterwards, and a
    running job task not at all: use ``removal.remove``, which waits for them."""
    try:
        with engine_errors("removing", name, service_id):
            api.remove_service(service_id)
    except EngineError as exc:
        if not is_not_found(exc):
            raise


@read
def all_tasks(api: docker.APIClient, name: str | None = None,
              service_id: str | None = None) -> list[dict[str, Any]]:
    """Every task the swarm keeps (of every service, removed ones included)."""
    with engine_errors("listing tasks of", name, service_id):
        return [dict(t) for t in api.tasks()]


@read
def list_tasks(api: docker.APIClient, service_id: str, name: str | None = None,
               up_to_date: bool = False) -> list[dict[str, Any]]:
    filters: dict[str, Any] = {"service": service_id}
    if up_to_date:
        filters["_up-to-date"] = "true"
    with engine_errors("listing tasks of", name, service_id):
        return [dict(t) for t in api.tasks(filters=filters)]


@read
def list_nodes(api: docker.APIClient) -> list[dict[str, Any]]:
    """Every node of the swarm (status, availability, role, labels, platform, hostname)."""
    with engine_errors("listing nodes for", None, None, "swarm"):
        return [dict(n) for n in api.nodes()]


@read
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


@read
def list_services(api: docker.APIClient, filters: Mapping[str, Any] | None = None,
                  status: bool | None = None) -> list[dict[str, Any]]:
    """``GET /services`` as docker-py's ``ServiceCollection.list(filters, status)`` sends it
    (``status=True`` adds ServiceStatus: running and desired task counts)."""
    with engine_errors("listing", None, None, "services"):
        return [dict(s) for s in api.services(filters=dict(filters or {}), status=status)]


@read
def tasks(api: docker.APIClient, filters: Mapping[str, Any],
          name: str | None = None, service_id: str | None = None) -> list[dict[str, Any]]:
    """``GET /tasks`` with any filters (``service``, ``desired-state``, ``node``, ...)."""
    with engine_errors("listing tasks of", name, service_id):
        return [dict(t) for t in api.tasks(filters=dict(filters))]


@read
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


@read
def network_ids(api: docker.APIClient, targets: list[str]) -> dict[str, str]:
    """Map each network name or id to the id the engine stores in TaskTemplate.Networks."""
    resolved = {}
    for target in targets:
        try:
            with engine_errors("looking up network for", target):
                resolved[target] = api.inspect_network(target)["Id"]
        except EngineError as exc:
            if not is_not_found(exc):
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
    cause = _docker_cause(exc)
    return cause is not None and isinstance(cause, sys.modules["docker.errors"].NotFound)


def is_in_use(exc: BaseException) -> bool:
    """The engine refused a delete because a service, task or container still uses it."""
    cause = _is_api_error(exc)
    said = str(getattr(cause, "explanation", "") or "")
    return cause is not None and ("in use" in said or "active endpoints" in said)


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


@read
def inspect_network(api: docker.APIClient, network_id: str) -> dict[str, Any] | None:
    """The network as the engine reports it, or None if gone."""
    def read() -> Any:
        with object_errors("inspecting", "network", None, network_id):
            return api.inspect_network(network_id)
    return _object_or_none(read)


@read
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


@read
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


@read
def inspect_swarm_object(api: docker.APIClient, kind: str, object_id: str) -> dict[str, Any] | None:
    """The secret or config as the engine stores it (secrets without Data), or None."""
    def read() -> Any:
        with object_errors("inspecting", kind, None, object_id):
            return api._result(api._get(api._url(_OBJECT_URLS[kind] + "/{0}", object_id)), True)
    return _object_or_none(read)


@read
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


@read
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
