"""Services on the engine: create, update, inspect, find, delete, list, logs.

Services are created and updated with the complete ServiceSpec as raw JSON, never with
docker-py's ``Service.update()``/``scale()``, which re-send engine defaults and redeploy
every task. A create whose answer was lost is looked up by name and labels, an update's
outcome is judged by the caller's next read (the version index), and a delete is
idempotent (already gone is fine).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import NotFound, TransientEngineError, service_label
from ..schema.api_versions import require_features
from . import classify
from .classify import Json, absent, engine_errors, read
from .http import request

if TYPE_CHECKING:
    import docker


def create_service(api: docker.APIClient, spec: Mapping[str, Any]) -> str:
    """POST the spec; when the answer is lost (a transient failure), look the service up:
    one of that name with exactly our labels is the one this create made, and none means
    the create did not happen and may be sent again. ``NameConflict`` if the name is
    taken."""
    name = spec.get("Name")
    require_features(spec, api.api_version, service_label(name, None))
    for pause in (*classify.READ_PAUSES, None):
        try:
            with engine_errors("creating", name):
                reply = request(api, "POST", "/services/create", body=spec)
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
    """POST the full spec at ``version``; ``OutOfSequence`` if the version moved, or
    ``TransientEngineError`` when the outcome is unknown: read the service again to know
    (the version index moved if it landed; a POST at the old version can't apply twice)."""
    require_features(spec, api.api_version, service_label(spec.get("Name"), service_id))
    with engine_errors("updating", spec.get("Name"), service_id):
        request(api, "POST", "/services/{0}/update", service_id, body=spec,
                params={"version": version})


@read
def inspect_service(api: docker.APIClient, service_id: str) -> Json | None:
    """The service as the engine stores it (no inserted defaults), or None if gone."""
    def inspect() -> Json:
        with engine_errors("inspecting", None, service_id):
            return dict(api.inspect_service(service_id))
    return absent(inspect)


@read
def find_service(api: docker.APIClient, name: str) -> Json | None:
    """The service with exactly this name (the engine's name filter matches prefixes)."""
    with engine_errors("looking up", name):
        matches = api.services(filters={"name": name})
    exact = [s for s in matches if s["Spec"]["Name"] == name]
    return dict(exact[0]) if exact else None


@read  # idempotent: already gone is fine, so retried like a read
def delete_service(api: docker.APIClient, service_id: str, name: str | None) -> None:
    """``DELETE /services/{id}``; already gone is fine. The tasks stop afterwards, and a
    running job task not at all: use ``converge.removal.remove``, which waits for them."""
    try:
        with engine_errors("removing", name, service_id):
            api.remove_service(service_id)
    except NotFound:
        pass


@read
def list_services(api: docker.APIClient, filters: Mapping[str, Any] | None = None,
                  status: bool | None = None) -> list[Json]:
    """``GET /services`` as docker-py's ``ServiceCollection.list(filters, status)`` sends it
    (``status=True`` adds ServiceStatus: running and desired task counts)."""
    with engine_errors("listing", None, None, "services"):
        return [dict(s) for s in api.services(filters=dict(filters or {}), status=status)]


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
