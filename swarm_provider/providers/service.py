"""The dynamic provider: orchestrates validate -> spec -> engine -> read back -> diff.

It holds no client and no connection (it is pickled into the Pulumi state); the engine
connection comes from stack config in ``configure`` or from the environment, and the
client is created on first use inside the provider process.
"""

from __future__ import annotations

import time
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

from ..api import engine
from ..converge import progress, removal
from ..converge import wait as converge
from ..core.check import check_table, require_valid
from ..core.diff import diff_fields, diff_table
from ..core.outputs import live_fields, option_values, options_only_update, outputs
from ..core.spec import build_spec, is_as_sent, with_sent_digest
from ..errors import (
    ConflictError,
    EngineError,
    RolloutStalled,
    TransientEngineError,
    ValidationError,
    service_label,
)
from ..schema.service import FIELDS_BY_NAME, OWNER_LABEL, SERVICE
from . import host

OPTIONS = SERVICE.option_names
"""Provider options: inputs that are no part of the spec (schema.service.OPTIONS)."""

_RETRIES = 5
_RESENDS = 2
"""How often ``update`` sends the spec again after ``RolloutStalled``."""


class ServiceProvider(ResourceProvider):
    """Create, read, diff, update and delete one Swarm service."""

    def __init__(self) -> None:
        self.connection = engine.Connection()

    def configure(self, req: ConfigureRequest) -> None:
        host.adjust()  # inside `python -m pulumi.dynamic`: more threads, short errors
        self.connection = engine.connection_from_config(req.config)

    # --- pure steps (no engine call: previews work without a swarm) -------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        canonical, failures = check_table(news, SERVICE)
        if failures:
            return CheckResult(news, [CheckFailure(name, message) for name, message in failures])
        return CheckResult({k: v for k, v in canonical.items() if v is not None}, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = diff_table(olds, news, SERVICE)
        return DiffResult(
            changes=result.has_changes,
            replaces=result.replaces,
            delete_before_replace=True,
        )

    # --- engine steps ---------------------------------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        canonical = require_valid(props, OPTIONS)
        api = engine.client(self.connection).api
        spec = build_spec(canonical)
        existing = engine.find_service(api, canonical["name"]) if props.get("adopt") else None
        if existing is not None:
            service_id = str(existing["ID"])
            change = self._adopt(api, existing, canonical, spec)
            adopted = service_label(canonical["name"], service_id)
            progress.note(canonical["name"], f"adopted existing {adopted} in place (not created)")
            # Not removed if it fails to converge: the service was there before us.
            converge.wait(api, service_id, canonical, props, change)
            return CreateResult(service_id, self._outputs(api, service_id, canonical, props))
        try:
            service_id = engine.create_service(api, self._stamped(api, spec))
        except EngineError as exc:
            if not engine.is_name_conflict(exc):
                raise
            service_id = self._adopt_interrupted(api, canonical, spec, exc)
        converge.wait_created(api, service_id, canonical, props)  # removes it if it fails
        return CreateResult(service_id, self._outputs(api, service_id, canonical, props))

    def _adopt_interrupted(self, api: Any, canonical: dict[str, Any], spec: dict[str, Any],
                           conflict: EngineError) -> str:
        """A service of that name exists: adopt it only if this very resource made it.

        That happens when a previous ``pulumi up`` died after the engine accepted the
        create: the owner label proves the service is ours, so it is updated in place, and
        not touched at all when it already is what the inputs say (no POST, no restart).
        """
        name = canonical["name"]
        existing = engine.find_service(api, name)
        owner = (existing or {}).get("Spec", {}).get("Labels", {}).get(OWNER_LABEL)
        if existing is None or owner != canonical.get("owner"):
            label = service_label(name, existing["ID"] if existing else None)
            raise EngineError(
                f"{label} already exists and is "
                f"not managed by this resource (owner label: {owner!r}); remove it, choose "
                "another name, or adopt it explicitly"
            ) from conflict
        self._post_update(api, existing["ID"], spec, expected=None, wanted=canonical)
        return str(existing["ID"])

    def _adopt(self, api: Any, existing: dict[str, Any], canonical: dict[str, Any],
               spec: dict[str, Any]) -> converge.Change:
        """``adopt=True``: manage the service that already has this name, without recreating it.

        It is updated in place to the declared spec and labelled as ours. Nothing is sent
        when it already matches; when only our owner label is missing, its own spec is
        sent back with the label added, so the task template is untouched and no task
        restarts. A service another Pulumi resource owns, or one whose mode kind differs
        (the engine can't change it in place), is refused.
        """
        service_id = str(existing["ID"])
        label = service_label(canonical["name"], service_id)
        labels = existing["Spec"].get("Labels") or {}
        owner = labels.get(OWNER_LABEL)
        if owner is not None and owner != canonical.get("owner"):
            raise EngineError(
                f"cannot adopt {label}: Pulumi resource {owner!r} manages it; remove it from "
                "that stack first (`pulumi state delete`), then drop the label with "
                f"`docker service update --label-rm {OWNER_LABEL} {canonical['name']}`"
            )
        current = live_fields(existing, self._network_names(api, canonical))
        drift = diff_fields(current, canonical)
        if drift.replaces:
            changes = ", ".join(f"{k} ({drift.details[k]})" for k in drift.replaces)
            raise EngineError(
                f"cannot adopt {label} in place: {changes} would need a new service; declare "
                "what it has (see swarm_provider.lookup.get_service) or remove it first"
            )
        if drift.changed == ["owner"]:
            spec = {**existing["Spec"], "Labels": {**labels, OWNER_LABEL: canonical["owner"]}}
        return self._post_update(api, service_id, spec, expected=None, wanted=canonical)

    def update(self, service_id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        options_only = options_only_update(olds, news, SERVICE)
        if options_only is not None:  # nothing to send: the state takes the new options
            return UpdateResult(options_only)
        canonical = require_valid(news, OPTIONS)
        api = engine.client(self.connection).api
        change = self._post_update(api, service_id, build_spec(canonical), expected=olds,
                                   wanted=canonical)
        for resend in range(_RESENDS + 1):
            try:
                converge.wait(api, service_id, canonical, news, change)
                break
            except RolloutStalled:
                # The engine's updater stopped or paused for a node's loss or return, not
                # for the spec: send the spec again (bounded).
                if resend == _RESENDS:
                    raise
                change = self._post_update(api, service_id, build_spec(canonical),
                                           expected=olds, wanted=canonical)
        return UpdateResult(self._outputs(api, service_id, canonical, news))

    def _post_update(self, api: Any, service_id: str, spec: dict[str, Any],
                     expected: dict[str, Any] | None,
                     wanted: dict[str, Any] | None = None) -> converge.Change:
        """POST the full spec, guarded by the version index recorded in state.

        If the live version moved since the state was written, the update goes ahead
        only when the live spec equals the state (the engine's own bookkeeping moved the
        index), equals the wanted spec (nothing to send; one still rolling out is waited
        for), or is our own update that stopped unfinished on top of the state (a paused
        ``pulumi up``: Pulumi keeps the old outputs when ``update`` raises; see
        ``converge.resumes_unfinished_update`` for what proves it ours). Otherwise someone
        changed the service, with the docker CLI or another copy of this state, and we
        refuse rather than overwrite it. A paused update whose spec already is the wanted
        one is POSTed again as it is: the engine then restarts the rolling update; so is a
        rollout the engine stopped with tasks of an older spec still running
        (``rollout_stalled``). Every spec sent carries the digest label (``_stamped``)
        those checks rely on.
        """
        name = spec.get("Name")
        for _attempt in range(_RETRIES):
            live = engine.inspect_service(api, service_id)
            if live is None:
                raise EngineError(
                    f"{service_label(name, service_id)} no longer exists; run `pulumi refresh` "
                    "to drop it from the state, then `pulumi up` to create it again"
                )
            names = {**self._network_names(api, wanted or {}),
                     **self._network_names(api, expected or {})}
            current = live_fields(live, names)
            status = (live.get("UpdateStatus") or {}).get("State")
            paused = status in ("paused", "rollback_paused")
            restart = paused
            if wanted is not None and not diff_fields(current, wanted).has_changes:
                if status == "updating":  # left by a `pulumi up` that timed out: wait for it
                    return converge.Change(own_update=True, redeploys=True)
                # A rollout the engine stopped (a node lost mid-update) is sent again.
                restart = paused or converge.rollout_stalled(api, live)
                if not restart:
                    return converge.UNCHANGED  # a POST would only churn PreviousSpec
            elif expected is not None and live["Version"]["Index"] != expected.get("version"):
                drift = diff_fields(expected, current)
                previous = (live_fields({"Spec": live["PreviousSpec"]}, names)
                            if live.get("PreviousSpec") else None)
                if drift.has_changes and not converge.resumes_unfinished_update(
                        live, previous, current, expected):
                    raise self._conflict(live, name, service_id, expected, drift)
            try:
                engine.update_service(api, service_id, live["Version"]["Index"],
                                      self._stamped(api, spec))
            except TransientEngineError:
                # Outcome unknown: the next read tells (it landed if the live spec is ours).
                time.sleep(engine.READ_PAUSES[min(_attempt, len(engine.READ_PAUSES) - 1)])
                continue
            except EngineError as exc:
                if not engine.is_out_of_sequence(exc):
                    raise
                continue
            redeploys = wanted is None or restart or converge.redeploys(current, wanted)
            return converge.Change(own_update=True, redeploys=redeploys)
        raise EngineError(
            f"updating {service_label(name, service_id)} kept failing ('update out of "
            f"sequence', or no answer) after {_RETRIES} fresh reads; something else is "
            "writing to it, or the engine is unwell: run `pulumi up` again"
        )

    @staticmethod
    def _conflict(live: dict[str, Any], name: str | None, service_id: str,
                  expected: dict[str, Any], drift: Any) -> ConflictError:
        """The refusal when the live service moved on from the state: who moved it, as far
        as the engine can tell, and what to do."""
        label = service_label(name, service_id)
        changes = ", ".join(f"{k} ({drift.details[k]})" for k in drift.changed)
        recorded = expected.get("version")
        if isinstance(recorded, float) and recorded.is_integer():
            recorded = int(recorded)  # Pulumi's protobuf made the state's index a float
        versions = f"version {recorded} -> {live['Version']['Index']}: {changes}"
        status = (live.get("UpdateStatus") or {}).get("State")
        if is_as_sent(live.get("Spec") or {}):
            rolling = " and is still rolling out" if status == "updating" else ""
            return ConflictError(
                f"{label} was updated by another `pulumi up` since this state was written "
                f"({versions}){rolling}: another copy of this stack's state (a second "
                "checkout, a parallel CI job) or an earlier run that failed or timed out. "
                "Nothing was sent, so that update is not overwritten; once it has finished, "
                "run `pulumi refresh` to record it (or `pulumi up --refresh`), then "
                "`pulumi up` again")
        return ConflictError(
            f"{label} was changed outside Pulumi since the last update ({versions}); run "
            "`pulumi refresh` to accept or review that change, then `pulumi up` again")

    @staticmethod
    def _stamped(api: Any, spec: dict[str, Any]) -> dict[str, Any]:
        """The spec with the digest label that later proves the live spec is still what
        we sent (``spec.with_sent_digest``), its networks resolved as the engine will."""
        targets = [entry["Target"] for entry in
                   (spec.get("TaskTemplate") or {}).get("Networks") or []]
        return with_sent_digest(spec, engine.network_ids(api, targets) if targets else {})

    def read(self, service_id: str, props: dict[str, Any]) -> ReadResult:
        api = engine.client(self.connection).api
        live = engine.inspect_service(api, service_id)
        if live is None:
            return ReadResult("", {})
        options = option_values(props, SERVICE)
        fields = live_fields(live, self._network_names(api, props))
        outs = outputs(live, fields, options)
        inputs = {k: v for k, v in fields.items() if v is not None}
        inputs.update(options)
        # The engine's id, also when asked by name (`--import-pending-creates URN NAME`).
        return ReadResult(str(live["ID"]), outs, inputs)

    def delete(self, service_id: str, props: dict[str, Any]) -> None:
        api = engine.client(self.connection).api
        name = props.get("name")
        removal.remove(api, service_id, name, progress.reporter(str(name or service_id)))

    # --- helpers ----------------------------------------------------------------------

    def _outputs(self, api: Any, service_id: str, canonical: dict[str, Any],
                 props: dict[str, Any]) -> dict[str, Any]:
        live = engine.inspect_service(api, service_id)
        if live is None:
            raise EngineError(f"{service_label(canonical.get('name'), service_id)} vanished")
        options = option_values(props, SERVICE)
        return outputs(live, live_fields(live, self._network_names(api, canonical)), options)

    @staticmethod
    def _network_names(api: Any, inputs: dict[str, Any]) -> dict[str, str]:
        """engine id -> the name the inputs used, for the networks the inputs name."""
        try:
            wanted = FIELDS_BY_NAME["networks"].normalise(inputs.get("networks")) or []
        except ValidationError:
            wanted = []
        except Exception:  # noqa: BLE001 - unreadable old state: show ids as they are
            wanted = []
        targets = [entry["Target"] for entry in wanted]
        resolved = engine.network_ids(api, targets)
        return {network_id: target for target, network_id in resolved.items()}
