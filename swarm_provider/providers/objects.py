"""Dynamic providers for networks, secrets and configs.

Same flow as ``ServiceProvider``: check and diff are pure (previews need no swarm),
create/update/read/delete go through ``engine``. One base class orchestrates; the two
subclasses say how a network, and how a secret or config, is built and read back.

Deleting something a service still uses is refused by the engine. Pulumi deletes
dependents first when the service's inputs come from this resource's outputs, but a
service update or removal may still be settling (tasks detach asynchronously), so
``delete`` retries for ``delete_timeout`` seconds, then fails naming the blockers.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from pulumi.dynamic import CreateResult
from pulumi.runtime.rpc import contains_unknowns

from ..api import engine
from ..core.diff import diff_fields
from ..core.objects import (
    engine_name,
    file_object_fields,
    file_object_outputs,
    file_object_spec,
    is_versioned,
    network_fields,
    network_outputs,
)
from ..core.rules import Failures
from ..core.spec import build_spec
from ..errors import EngineError, InUse, field_message
from ..schema.objects import CONFIG, DELETE_TIMEOUT, NETWORK, NETWORK_FIELDS, SECRET, FileKind
from ..schema.table import Rows as TableRows
from .table import Json, Kind, TableProvider

DEFAULT_DELETE_TIMEOUT = DELETE_TIMEOUT
POLL_SECONDS = 0.5
SETTLE_SECONDS = 10.0
# swarmkit's rule for secret and config names (controlapi/common.go).
_OBJECT_NAME = re.compile(r"^[a-zA-Z0-9]+(?:[a-zA-Z0-9-_.]*[a-zA-Z0-9])?$")
_MAX_OBJECT_NAME = 64
_VERSION_SUFFIX = 13
"""Characters a versioned name adds: ``-`` and 12 hex digits of the data's sha256."""

Rows = Mapping[str, Any]


@dataclass(frozen=True, kw_only=True)
class ObjectKind(Kind):
    """What differs between a network, a secret and a config: pure functions and flags,
    so ``ObjectProvider`` is written once."""

    spec: Callable[[Rows, Rows], Json]
    """(canonical, props) -> the complete Engine spec to create."""
    read_back: Callable[[Rows, Rows], Json]
    """(live, props) -> the canonical rows of a live object."""
    computed: Callable[[Rows, Rows, Rows], Json]
    """(live, rows, options) -> the outputs: rows, options and computed values."""
    engine_name: Callable[[Rows], str | None]
    """The name the object has on the engine, from its state."""
    names_collide: Callable[[Rows, Rows], bool]
    """Whether old and new can't coexist (same engine name): delete before replace."""
    settled: Callable[[Rows], bool] = lambda _live: True
    """Whether the engine finished what it does after a create."""
    verifiable: Callable[[Rows], bool] = lambda _props: True
    """Whether the read-back shows all of the object (a secret's data never comes back)."""
    labels_in_place: bool = False
    """The engine updates labels in place (secrets, configs); a network changes nothing."""
    file_kind: FileKind | None = None


def _message(table: TableRows, name: str, problem: str, value: Any, hint: str = "") -> str:
    row = next(r for r in table if r.name == name)
    return field_message(name, row.engine_path, problem, value, hint, row.secret)


def _requires_name(table: TableRows, rules: Callable[[Rows, Rows], Failures]
                   ) -> Callable[[Rows, Rows], Failures]:
    """``rules`` after the one every object has: a name (the options are rows, checked
    by ``check_table``)."""
    def checked(canonical: Rows, raw: Rows) -> Failures:
        missing = canonical.get("name") is None
        failures = [("name", _message(table, "name", "is required", None))] if missing else []
        return failures + rules(canonical, raw)
    return checked


# --- networks ----------------------------------------------------------------------------


def _network_rules(canonical: Rows, _raw: Rows) -> Failures:
    driver = canonical.get("driver")
    if canonical.get("ingress") and not contains_unknowns(driver) and driver != "overlay":
        return [("ingress", _message(NETWORK_FIELDS, "ingress", "needs the overlay driver",
                                     True, f"driver is {driver!r}"))]
    return []


def _network_settled(live: Rows) -> bool:
    """The swarm allocates a network after the create returns (observed: ~0.3 s when a
    network of that name was just deleted); until then inspect shows neither IPAM nor
    the driver options, which would read back as a difference."""
    return bool((live.get("IPAM") or {}).get("Driver"))


def _network_rows(live: Rows, props: Rows) -> Json:
    fields = network_fields(live, props)
    if props.get("adopt") and fields.get("owner") is None:
        # An adopted network keeps the labels it was made with (the engine can't add
        # ours): it counts as ours, so no refresh shows that as drift.
        fields["owner"] = props.get("owner")
    return fields


def _network_names_collide(olds: Rows, news: Rows) -> bool:
    new = news.get("name")
    return bool(contains_unknowns(new)) or new == olds.get("name")


NETWORK_KIND = ObjectKind(
    name="network", resource=NETWORK, rules=_requires_name(NETWORK_FIELDS, _network_rules),
    id_key="Id", labels_at=("Labels",),
    spec=lambda canonical, _props: build_spec(canonical, NETWORK_FIELDS),
    read_back=_network_rows, computed=network_outputs,
    engine_name=lambda props: props.get("name"), names_collide=_network_names_collide,
    settled=_network_settled,
)


# --- secrets and configs -----------------------------------------------------------------


def _file_rules(kind: FileKind, canonical: Rows, raw: Rows) -> Failures:
    failures = _file_name_rules(kind, canonical.get("name"), raw.get("versioned") is not False)
    data = canonical.get("data")
    if data is None and canonical.get("driver") is None:
        failures.append(("data", _message(kind.table, "data", "is required", None)))
    elif isinstance(data, str) and canonical.get("driver") is None:
        size = len(data.encode("utf-8"))
        if not kind.min_bytes <= size < kind.max_bytes:
            failures.append(("data", _message(
                kind.table, "data", f"must be {kind.min_bytes} to {kind.max_bytes - 1} bytes",
                data, f"it is {size} bytes")))
    return failures


def _file_name_rules(kind: FileKind, name: Any, versioned: bool) -> Failures:
    if not isinstance(name, str):
        return []
    longest = _MAX_OBJECT_NAME - (_VERSION_SUFFIX if versioned else 0)
    if len(name) > longest:
        return [("name", _message(
            kind.table, "name", f"must be {longest} characters or fewer", name,
            f"{_VERSION_SUFFIX} go to the version suffix" if versioned else ""))]
    if not _OBJECT_NAME.match(name):
        return [("name", _message(
            kind.table, "name", "may only hold letters, digits, '-', '_' and '.'", name,
            "and must start and end with a letter or digit"))]
    return []


def _file_engine_name(kind: FileKind, props: Rows) -> str | None:
    recorded: str | None = props.get(f"{kind.lower}_name")
    if recorded or props.get("name") is None:
        return recorded
    return engine_name(props, is_versioned(props))


def _file_names_collide(kind: FileKind, olds: Rows, news: Rows) -> bool:
    if contains_unknowns({k: news.get(k) for k in ("name", "data", "driver", "templating")}):
        return not is_versioned(news)
    return engine_name(news, is_versioned(news)) == _file_engine_name(kind, olds)


def _file_kind(kind: FileKind) -> ObjectKind:
    """A secret or config: immutable but for its labels, its engine name versioned by
    content (see ``core.objects``), so new content is a new object created *before* the
    old one is deleted, and the services that reference it are updated in between."""
    return ObjectKind(
        name=kind.lower, resource=kind.resource,
        rules=_requires_name(kind.table, partial(_file_rules, kind)),
        spec=lambda canonical, props: file_object_spec(canonical, kind, is_versioned(props)),
        read_back=lambda live, props: file_object_fields(live, kind, props, is_versioned(props)),
        computed=lambda live, rows, options: file_object_outputs(live, kind, rows, options),
        engine_name=partial(_file_engine_name, kind),
        names_collide=partial(_file_names_collide, kind),
        # A secret's data never comes back; only a versioned name vouches for it.
        verifiable=lambda props: kind is not SECRET or is_versioned(props),
        labels_in_place=True, file_kind=kind,
    )


SECRET_KIND = _file_kind(SECRET)
CONFIG_KIND = _file_kind(CONFIG)


# --- the provider --------------------------------------------------------------------------


class ObjectProvider(TableProvider):
    """Networks, secrets and configs: one provider, its ``kind_data`` says which."""

    kind_data: ClassVar[ObjectKind]

    def replaced_first(self, olds: Mapping[str, Any], news: Mapping[str, Any],
                       replaces: list[str]) -> bool:
        return bool(replaces) and self.kind_data.names_collide(olds, news)

    def create(self, props: dict[str, Any]) -> CreateResult:
        canonical = self.require(props)
        api = self.api()
        spec = self.kind_data.spec(canonical, props)
        object_id = self.create_or_claim(api, canonical, props, spec)
        deadline = time.monotonic() + SETTLE_SECONDS
        live = self.live(api, object_id, spec.get("Name"))
        while not self.settled(live, props) and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            live = self.live(api, object_id, spec.get("Name"))
        return CreateResult(object_id, self.outputs(live, self.fields(api, live, props), props))

    def settled(self, live: Mapping[str, Any], _props: Mapping[str, Any]) -> bool:
        """Whether the engine finished what it does after a create (see ``_network_settled``)."""
        return self.kind_data.settled(live)

    def resume(self, api: Any, existing: Json, canonical: Json, props: Mapping[str, Any],
               spec: Json) -> str | None:
        """Our own object, left by an interrupted create: taken as it is if the read-back
        shows it is what the inputs say."""
        live = self.live(api, self.kind_data.live_id(existing), spec.get("Name"))
        drift = diff_fields(self.fields(api, live, props), canonical, self.kind_data.table)
        if not self.kind_data.verifiable(props):
            return ("was made by this resource earlier, but its content can't be read back "
                    "to check it (only a versioned name vouches for it)")
        if drift.has_changes:
            return "was made by this resource earlier, with other settings or content"
        return None

    def adopt(self, api: Any, existing: Json, canonical: Json, props: Mapping[str, Any],
              spec: Json) -> str | None:
        """``adopt=True``: take over an object made outside Pulumi (``docker stack
        deploy``, say) if it has what the inputs declare, but for our owner label: the
        labels of secrets and configs are updated to add it; a network's can't change,
        so its outputs carry the owner all the same (``_network_rows``). A difference
        the engine can't apply in place is refused (the object is in use by what runs)."""
        object_id, name = self.kind_data.live_id(existing), spec.get("Name")
        live = self.live(api, object_id, name)
        drift = diff_fields(self.fields(api, live, props), canonical, self.kind_data.table)
        mutable = ("owner", "labels") if self.kind_data.labels_in_place else ("owner",)
        changed = [row for row in drift.changed if row not in mutable]
        if changed:
            details = ", ".join(f"{row} ({drift.details[row]})" for row in changed)
            raise EngineError(
                f"cannot adopt {self.label(name, object_id)}: {details} would need a new "
                "object; declare what it has, or remove it first")
        if self.kind_data.labels_in_place and drift.changed:
            self._update_labels(api, object_id, canonical, props)
        return object_id

    def apply(self, api: Any, object_id: str, olds: Mapping[str, Any],
              news: Mapping[str, Any], canonical: Json) -> Json:
        """Labels are all the engine changes in place (secrets and configs); the rest of
        an update is provider options."""
        if self.kind_data.labels_in_place:
            self._update_labels(api, object_id, canonical, news)
        live = self.live(api, object_id, self.kind_data.engine_name(olds))
        return self.outputs(live, self.fields(api, live, news), news)

    def _update_labels(self, api: Any, object_id: str, canonical: Json,
                       props: Mapping[str, Any]) -> None:
        """Send the new labels with the live spec, at its version (the engine changes
        nothing else of a secret or config)."""
        labels = self.kind_data.spec(canonical, props).get("Labels") or {}

        def plan(live: Json) -> tuple[Json | None, None]:
            if (live["Spec"].get("Labels") or {}) == labels:
                return None, None
            return {**live["Spec"], "Labels": labels}, None

        self.send_at_live_version(api, object_id, self.kind_data.engine_name(props), plan)

    def delete(self, object_id: str, props: dict[str, Any]) -> None:
        """Remove; while the engine says "in use", retry until ``delete_timeout``."""
        api = self.api()
        name = self.kind_data.engine_name(props)
        timeout = float(props.get("delete_timeout", DEFAULT_DELETE_TIMEOUT))
        deadline = time.monotonic() + timeout
        while True:
            try:
                engine.remove(api, self.kind, object_id, name)
                return
            except InUse as exc:
                if time.monotonic() >= deadline:
                    raise self._still_in_use(api, object_id, name, timeout, exc) from exc
            time.sleep(POLL_SECONDS)

    def _still_in_use(self, api: Any, object_id: str, name: str | None, timeout: float,
                      exc: InUse) -> EngineError:
        users = ", ".join(engine.users(api, self.kind, object_id)) or "an unnamed user"
        return EngineError(
            f"{self.label(name, object_id)} is still in use after {timeout:.0f}s, by {users}"
            f" ({exc}); remove those or stop them using it, then run `pulumi up` again "
            "(Pulumi orders this by itself when the services' inputs come from this "
            f"{self.kind}'s outputs)")

    def fields(self, api: Any, live: Mapping[str, Any], props: Mapping[str, Any]) -> Json:
        return self.kind_data.read_back(live, props)

    def outputs(self, live: Mapping[str, Any], fields: Mapping[str, Any],
                props: Mapping[str, Any]) -> Json:
        return self.kind_data.computed(live, fields, self.options_of(props))


class NetworkProvider(ObjectProvider):
    """A Swarm network. The engine changes nothing in place: every change replaces it."""

    kind_data = NETWORK_KIND


class FileObjectProvider(ObjectProvider):
    """A Swarm secret or config (``file_kind``)."""

    @property
    def file_kind(self) -> FileKind:
        assert self.kind_data.file_kind is not None
        return self.kind_data.file_kind


class SecretProvider(FileObjectProvider):
    kind_data = SECRET_KIND


class ConfigProvider(FileObjectProvider):
    kind_data = CONFIG_KIND
