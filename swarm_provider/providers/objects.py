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
from collections.abc import Mapping
from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.runtime.rpc import contains_unknowns

from ..api import engine
from ..core.check import Failures, check_table
from ..core.diff import diff_fields, diff_table
from ..core.objects import (
    engine_name,
    file_object_fields,
    file_object_outputs,
    file_object_spec,
    is_versioned,
    network_fields,
    network_outputs,
)
from ..core.outputs import option_values, options_only_update
from ..core.spec import build_spec
from ..errors import EngineError, ValidationError, field_message, object_label
from ..schema.objects import CONFIG, DELETE_TIMEOUT, NETWORK, NETWORK_FIELDS, SECRET, FileKind
from ..schema.service import OWNER_LABEL
from ..schema.table import Rows, Table
from . import host

DEFAULT_DELETE_TIMEOUT = DELETE_TIMEOUT
POLL_SECONDS = 0.5
SETTLE_SECONDS = 10.0
_UPDATE_RETRIES = 5
# swarmkit's rule for secret and config names (controlapi/common.go).
_OBJECT_NAME = re.compile(r"^[a-zA-Z0-9]+(?:[a-zA-Z0-9-_.]*[a-zA-Z0-9])?$")
_MAX_OBJECT_NAME = 64


class _ObjectProvider(ResourceProvider):
    """Orchestration shared by networks, secrets and configs; holds no client."""

    kind = ""
    resource: Table
    table: Rows = ()
    options: frozenset[str] = frozenset()

    def __init__(self) -> None:
        self.connection = engine.Connection()

    def configure(self, req: ConfigureRequest) -> None:
        host.adjust()  # inside `python -m pulumi.dynamic`: more threads, short errors
        self.connection = engine.connection_from_config(req.config)

    # --- pure steps -----------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        canonical, failures = check_table(news, self.resource)
        if not failures:
            failures = self.rules(canonical, news)
        if failures:
            return CheckResult(news, [CheckFailure(name, message) for name, message in failures])
        return CheckResult({k: v for k, v in canonical.items() if v is not None}, [])

    def rules(self, canonical: Mapping[str, Any], raw: Mapping[str, Any]) -> Failures:
        """Cross-field rules; every subclass requires a name."""
        failures: Failures = []
        if canonical.get("name") is None:
            failures.append(("name", self.message("name", "is required", None)))
        return failures

    def message(self, name: str, problem: str, value: Any, hint: str = "") -> str:
        row = next(r for r in self.table if r.name == name)
        return field_message(name, row.engine_path, problem, value, hint, row.secret)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        rows = diff_table(olds, news, self.resource)
        replaces = rows.replaces
        return DiffResult(
            changes=rows.has_changes,
            replaces=replaces,
            delete_before_replace=bool(replaces) and self.names_collide(olds, news),
        )

    def names_collide(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
        """Whether old and new can't coexist (same engine name): delete before replace."""
        raise NotImplementedError

    # --- engine steps -----------------------------------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        canonical = self.require(props)
        api = engine.client(self.connection).api
        spec = self.spec(canonical, props)
        try:
            object_id = self.engine_create(api, spec)
        except EngineError as exc:
            if not engine.is_name_conflict(exc):
                raise
            object_id = self.adopt(api, canonical, props, spec, exc)
        deadline = time.monotonic() + SETTLE_SECONDS
        live = self.inspect(api, object_id, spec.get("Name"))
        while not self.settled(live, props) and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            live = self.inspect(api, object_id, spec.get("Name"))
        return CreateResult(object_id, self.outputs(live, props))

    def settled(self, live: Mapping[str, Any], props: Mapping[str, Any]) -> bool:
        """Whether the engine finished what it does after a create (see NetworkProvider)."""
        return True

    def adopt(self, api: Any, canonical: Mapping[str, Any], props: Mapping[str, Any],
              spec: Mapping[str, Any], conflict: EngineError) -> str:
        """An object of that name exists: take it only if this resource made it, as is.

        That happens when an earlier ``pulumi up`` died after the engine accepted the
        create: the owner label proves it is ours, the read-back that it is what we want.
        """
        name = str(spec.get("Name"))
        existing = self.engine_find(api, name)
        owner = (self.live_labels(existing) if existing else {}).get(OWNER_LABEL)
        problem = f"is not managed by this resource (owner label: {owner!r})"
        if existing is not None and owner is None and props.get("adopt"):
            return self.adopt_unowned(api, self.live_id(existing), name, canonical, props)
        if existing is not None and owner == canonical.get("owner"):
            live = self.inspect(api, self.live_id(existing), name)
            drift = diff_fields(self.outputs(live, props), canonical, self.table)
            if not self.verifiable(props):
                problem = ("was made by this resource earlier, but its content can't be read "
                           "back to check it (only a versioned name vouches for it)")
            elif not drift.has_changes:
                return self.live_id(existing)
            else:
                problem = "was made by this resource earlier, with other settings or content"
        label = object_label(self.kind, name, self.live_id(existing) if existing else None)
        raise EngineError(
            f"{label} already exists and {problem}; remove it or choose another name"
        ) from conflict

    def adopt_unowned(self, api: Any, object_id: str, name: str,
                      canonical: Mapping[str, Any], props: Mapping[str, Any]) -> str:
        """``adopt=True``: take over an object made outside Pulumi (``docker stack
        deploy``, say) if it has what the inputs declare, but for our owner label: the
        labels of secrets and configs are updated to add it; a network's can't change,
        so its outputs carry the owner all the same (``outputs``). A difference the
        engine can't apply in place is refused (the object is in use by what runs)."""
        live = self.inspect(api, object_id, name)
        drift = diff_fields(self.outputs(live, props), canonical, self.table)
        mutable = ("owner", "labels") if self.kind != "network" else ("owner",)
        changed = [row for row in drift.changed if row not in mutable]
        if changed:
            details = ", ".join(f"{row} ({drift.details[row]})" for row in changed)
            raise EngineError(
                f"cannot adopt {object_label(self.kind, name, object_id)}: {details} would need "
                "a new object; declare what it has, or remove it first")
        if self.kind != "network" and drift.changed:
            self.engine_update(api, object_id, canonical, props)
        return object_id

    def verifiable(self, props: Mapping[str, Any]) -> bool:
        return True

    def update(self, object_id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        options_only = options_only_update(olds, news, self.resource)
        if options_only is not None:  # nothing to send: the state takes the new options
            return UpdateResult(options_only)
        canonical = self.require(news)
        api = engine.client(self.connection).api
        self.engine_update(api, object_id, canonical, news)
        live = self.inspect(api, object_id, self.state_engine_name(olds))
        return UpdateResult(self.outputs(live, news))

    def engine_update(self, api: Any, object_id: str, canonical: Mapping[str, Any],
                      props: Mapping[str, Any]) -> None:
        """In-place changes; only provider options by default (nothing to send)."""

    def read(self, object_id: str, props: dict[str, Any]) -> ReadResult:
        api = engine.client(self.connection).api
        live = self.engine_inspect(api, object_id)
        if live is None:
            return ReadResult("", {})
        outs = self.outputs(live, props)
        inputs = {row.name: outs[row.name] for row in self.table if outs.get(row.name) is not None}
        inputs.update(option_values(props, self.resource))
        return ReadResult(object_id, outs, inputs)

    def delete(self, object_id: str, props: dict[str, Any]) -> None:
        """Remove; while the engine says "in use", retry until ``delete_timeout``."""
        api = engine.client(self.connection).api
        name = self.state_engine_name(props)
        timeout = float(props.get("delete_timeout", DEFAULT_DELETE_TIMEOUT))
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.engine_remove(api, object_id, name)
                return
            except EngineError as exc:
                if not engine.is_in_use(exc):
                    raise
                if time.monotonic() >= deadline:
                    users = ", ".join(self.engine_users(api, object_id)) or "an unnamed user"
                    raise EngineError(
                        f"{object_label(self.kind, name, object_id)} is still in use after "
                        f"{timeout:.0f}s, by {users}"
                        f" ({exc}); remove those or stop them using it, then run `pulumi up` "
                        "again (Pulumi orders this by itself when the services' inputs come "
                        f"from this {self.kind}'s outputs)"
                    ) from exc
            time.sleep(POLL_SECONDS)

    # --- helpers ----------------------------------------------------------------------

    def require(self, props: Mapping[str, Any]) -> dict[str, Any]:
        canonical, failures = check_table(props, self.resource)
        failures = failures or self.rules(canonical, props)
        if failures:
            raise ValidationError(failures)
        return canonical

    def inspect(self, api: Any, object_id: str, name: str | None) -> dict[str, Any]:
        live = self.engine_inspect(api, object_id)
        if live is None:
            raise EngineError(
                f"{object_label(self.kind, name, object_id)} no longer exists; run `pulumi "
                "refresh` to drop it from the state, then `pulumi up` to create it again"
            )
        return live

    def outputs(self, live: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def state_engine_name(self, props: Mapping[str, Any]) -> str | None:
        raise NotImplementedError

    def live_id(self, live: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def live_labels(self, live: Mapping[str, Any]) -> dict[str, str]:
        raise NotImplementedError

    def spec(self, canonical: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def engine_create(self, api: Any, spec: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def engine_inspect(self, api: Any, object_id: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def engine_find(self, api: Any, name: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def engine_remove(self, api: Any, object_id: str, name: str | None) -> None:
        raise NotImplementedError

    def engine_users(self, api: Any, object_id: str) -> list[str]:
        raise NotImplementedError


class NetworkProvider(_ObjectProvider):
    """A Swarm network. The engine changes nothing in place: every change replaces it."""

    kind = "network"
    resource = NETWORK
    table = NETWORK_FIELDS
    options = NETWORK.option_names

    def rules(self, canonical: Mapping[str, Any], raw: Mapping[str, Any]) -> Failures:
        failures = super().rules(canonical, raw)
        driver = canonical.get("driver")
        if canonical.get("ingress") and not contains_unknowns(driver) and driver != "overlay":
            failures.append(("ingress", self.message(
                "ingress", "needs the overlay driver", True, f"driver is {driver!r}")))
        return failures

    def settled(self, live: Mapping[str, Any], props: Mapping[str, Any]) -> bool:
        """The swarm allocates a network after the create returns (observed: ~0.3 s when a
        network of that name was just deleted); until then inspect shows neither IPAM nor
        the driver options, which would read back as a difference."""
        return bool((live.get("IPAM") or {}).get("Driver"))

    def names_collide(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
        new = news.get("name")
        return contains_unknowns(new) or new == olds.get("name")

    def outputs(self, live: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        fields = network_fields(live, props)
        if props.get("adopt") and fields.get("owner") is None:
            # An adopted network keeps the labels it was made with (the engine can't
            # add ours): it counts as ours, so no refresh shows that as drift.
            fields["owner"] = props.get("owner")
        return network_outputs(live, fields, option_values(props, self.resource))

    def state_engine_name(self, props: Mapping[str, Any]) -> str | None:
        return props.get("name")

    def live_id(self, live: Mapping[str, Any]) -> str:
        return str(live["Id"])

    def live_labels(self, live: Mapping[str, Any]) -> dict[str, str]:
        return dict(live.get("Labels") or {})

    def spec(self, canonical: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        return build_spec(canonical, NETWORK_FIELDS)

    def engine_create(self, api: Any, spec: Mapping[str, Any]) -> str:
        return engine.create_network(api, spec)

    def engine_inspect(self, api: Any, object_id: str) -> dict[str, Any] | None:
        return engine.inspect_network(api, object_id)

    def engine_find(self, api: Any, name: str) -> dict[str, Any] | None:
        return engine.find_network(api, name)

    def engine_remove(self, api: Any, object_id: str, name: str | None) -> None:
        engine.remove_network(api, object_id, name)

    def engine_users(self, api: Any, object_id: str) -> list[str]:
        return engine.network_users(api, object_id)


class FileObjectProvider(_ObjectProvider):
    """A Swarm secret or config: immutable but for its labels.

    On the engine its name is versioned by content (see ``object_state``), so a new
    content is a new object created *before* the old one is deleted, and the services
    that reference it are updated in between.
    """

    file_kind: FileKind

    def rules(self, canonical: Mapping[str, Any], raw: Mapping[str, Any]) -> Failures:
        failures = super().rules(canonical, raw)
        versioned = raw.get("versioned")
        name, data = canonical.get("name"), canonical.get("data")
        if isinstance(name, str):
            longest = _MAX_OBJECT_NAME - (0 if versioned is False else 13)
            if len(name) > longest:
                failures.append(("name", self.message(
                    "name", f"must be {longest} characters or fewer", name,
                    "13 go to the version suffix" if versioned is not False else "")))
            elif not _OBJECT_NAME.match(name):
                failures.append(("name", self.message(
                    "name", "may only hold letters, digits, '-', '_' and '.'", name,
                    "and must start and end with a letter or digit")))
        if data is None and canonical.get("driver") is None:
            failures.append(("data", self.message("data", "is required", None)))
        elif isinstance(data, str):
            size = len(data.encode("utf-8"))
            kind = self.file_kind
            if not kind.min_bytes <= size < kind.max_bytes and canonical.get("driver") is None:
                failures.append(("data", self.message(
                    "data", f"must be {kind.min_bytes} to {kind.max_bytes - 1} bytes", data,
                    f"it is {size} bytes")))
        return failures

    def names_collide(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
        if contains_unknowns({k: news.get(k) for k in ("name", "data", "driver", "templating")}):
            return not is_versioned(news)
        return engine_name(news, is_versioned(news)) == self.state_engine_name(olds)

    def outputs(self, live: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        fields = file_object_fields(live, self.file_kind, props, is_versioned(props))
        return file_object_outputs(live, self.file_kind, fields,
                                   option_values(props, self.resource))

    def state_engine_name(self, props: Mapping[str, Any]) -> str | None:
        recorded = props.get(f"{self.kind}_name")
        if recorded or props.get("name") is None:
            return recorded
        return engine_name(props, is_versioned(props))

    def verifiable(self, props: Mapping[str, Any]) -> bool:
        # A secret's data never comes back; only a versioned name vouches for it.
        return self.kind != "secret" or is_versioned(props)

    def live_id(self, live: Mapping[str, Any]) -> str:
        return str(live["ID"])

    def live_labels(self, live: Mapping[str, Any]) -> dict[str, str]:
        return dict(live.get("Spec", {}).get("Labels") or {})

    def spec(self, canonical: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        return file_object_spec(canonical, self.file_kind, is_versioned(props))

    def engine_update(self, api: Any, object_id: str, canonical: Mapping[str, Any],
                      props: Mapping[str, Any]) -> None:
        """Send the new labels with the live spec, at its version; retry if it moved."""
        labels = self.spec(canonical, props).get("Labels") or {}
        for _attempt in range(_UPDATE_RETRIES):
            live = self.inspect(api, object_id, self.state_engine_name(props))
            if (live["Spec"].get("Labels") or {}) == labels:
                return
            spec = {**live["Spec"], "Labels": labels}
            try:
                engine.update_swarm_object(api, self.kind, object_id, live["Version"]["Index"],
                                           spec)
                return
            except EngineError as exc:
                if not engine.is_out_of_sequence(exc):
                    raise
        raise EngineError(
            f"updating {object_label(self.kind, self.state_engine_name(props), object_id)} kept "
            f"failing with 'update out of sequence' after {_UPDATE_RETRIES} fresh reads"
        )

    def engine_create(self, api: Any, spec: Mapping[str, Any]) -> str:
        return engine.create_swarm_object(api, self.kind, spec)

    def engine_inspect(self, api: Any, object_id: str) -> dict[str, Any] | None:
        return engine.inspect_swarm_object(api, self.kind, object_id)

    def engine_find(self, api: Any, name: str) -> dict[str, Any] | None:
        return engine.find_swarm_object(api, self.kind, name)

    def engine_remove(self, api: Any, object_id: str, name: str | None) -> None:
        engine.remove_swarm_object(api, self.kind, object_id, name)

    def engine_users(self, api: Any, object_id: str) -> list[str]:
        return engine.swarm_object_users(api, self.kind, object_id)


class SecretProvider(FileObjectProvider):
    file_kind = SECRET
    kind = SECRET.lower
    resource = SECRET.resource
    table = SECRET.table
    options = SECRET.resource.option_names


class ConfigProvider(FileObjectProvider):
    file_kind = CONFIG
    kind = CONFIG.lower
    resource = CONFIG.resource
    table = CONFIG.table
    options = CONFIG.resource.option_names
