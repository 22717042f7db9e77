"""The service provider: orchestrates check -> spec -> api -> read back -> diff.

What every resource does alike (configure, check, the claim of a name taken by an
interrupted create, the version-guarded update loop, read) is ``TableProvider``'s; this
class keeps what only a service has: the drift guard (a live spec someone else changed is
never overwritten; the sent digest tells our own updates apart), the wait for
convergence, adoption in place, and the removal that also stops job tasks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi.dynamic import CreateResult

from ..api import engine
from ..converge import progress, removal
from ..converge import wait as converge
from ..core.diff import FieldDiff, diff_fields
from ..core.outputs import live_fields, outputs
from ..core.spec import build_spec, is_as_sent, with_sent_digest
from ..errors import ConflictError, EngineError, RolloutStalled, ValidationError, service_label
from ..schema.service import FIELDS_BY_NAME, OWNER_LABEL, SERVICE
from .table import Json, Kind, TableProvider

_RESENDS = 2
"""How often ``update`` sends the spec again after ``RolloutStalled``."""

SERVICE_KIND = Kind("service", SERVICE)
"""A service: its table (``schema.service.SERVICE``); its cross-field rules are
``check_table``'s own."""


class ServiceProvider(TableProvider):
    """Create, read, diff, update and delete one Swarm service."""

    kind_data = SERVICE_KIND

    def create(self, props: dict[str, Any]) -> CreateResult:
        canonical = self.require(props)
        api = self.api()
        spec = build_spec(canonical)
        existing = engine.find_service(api, canonical["name"]) if props.get("adopt") else None
        if existing is not None:
            service_id = str(existing["ID"])
            change = self._adopt_in_place(api, existing, canonical, spec)
            adopted = service_label(canonical["name"], service_id)
            progress.note(canonical["name"], f"adopted existing {adopted} in place (not created)")
            # Not removed if it fails to converge: the service was there before us.
            converge.wait(api, service_id, canonical, props, change)
        else:
            service_id = self.create_or_claim(api, canonical, props, self._stamped(api, spec))
            converge.wait_created(api, service_id, canonical, props)  # removes it if it fails
        return CreateResult(service_id, self._outputs(api, service_id, canonical, props))

    def resume(self, api: Any, existing: Json, canonical: Json, props: Mapping[str, Any],
               spec: Json) -> str | None:
        """Our own service, left by a ``pulumi up`` that died after the engine accepted the
        create: updated in place, and not touched at all when it already is what the
        inputs say (no POST, no restart)."""
        self._post_update(api, str(existing["ID"]), build_spec(canonical), expected=None,
                          wanted=canonical)
        return None

    def adopt(self, api: Any, existing: Json, canonical: Json, props: Mapping[str, Any],
              spec: Json) -> str | None:
        """Never after a 409: ``create`` adopts before it creates, and what appeared in
        between is refused, since a failed wait after a create removes the service."""
        return None

    def _adopt_in_place(self, api: Any, existing: Json, canonical: Json,
                        spec: Json) -> converge.Change:
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
        drift = diff_fields(live_fields(existing, self._network_names(api, canonical)),
                            canonical)
        if drift.replaces:
            changes = ", ".join(f"{k} ({drift.details[k]})" for k in drift.replaces)
            raise EngineError(
                f"cannot adopt {label} in place: {changes} would need a new service; declare "
                "what it has (see swarm_provider.lookup.get_service) or remove it first"
            )
        if drift.changed == ["owner"]:
            spec = {**existing["Spec"], "Labels": {**labels, OWNER_LABEL: canonical["owner"]}}
        return self._post_update(api, service_id, spec, expected=None, wanted=canonical)

    def apply(self, api: Any, service_id: str, olds: Mapping[str, Any],
              news: Mapping[str, Any], canonical: Json) -> Json:
        """The update, guarded by the state's version (``_post_update``), then the wait;
        sent again when the engine's rollout stalled for a node, not for the spec."""
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
        return self._outputs(api, service_id, canonical, news)

    def _post_update(self, api: Any, service_id: str, spec: Json,
                     expected: Mapping[str, Any] | None,
                     wanted: Json | None = None) -> converge.Change:
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

        def plan(live: Json) -> tuple[Json | None, converge.Change]:
            names = {**self._network_names(api, wanted or {}),
                     **self._network_names(api, expected or {})}
            current = live_fields(live, names)
            status = (live.get("UpdateStatus") or {}).get("State")
            restart = status in ("paused", "rollback_paused")
            if wanted is not None and not diff_fields(current, wanted).has_changes:
                if status == "updating":  # left by a `pulumi up` that timed out: wait for it
                    return None, converge.Change(own_update=True, redeploys=True)
                # A rollout the engine stopped (a node lost mid-update) is sent again.
                restart = restart or converge.rollout_stalled(api, live)
                if not restart:
                    return None, converge.UNCHANGED  # a POST would only churn PreviousSpec
            elif expected is not None:
                self._refuse_drift(live, current, names, expected)
            redeploys = wanted is None or restart or converge.redeploys(current, wanted)
            return self._stamped(api, spec), converge.Change(own_update=True,
                                                               redeploys=redeploys)

        return self.send_at_live_version(api, service_id, name, plan)

    def _refuse_drift(self, live: Json, current: Json, names: Mapping[str, str],
                      expected: Mapping[str, Any]) -> None:
        """``ConflictError`` if the live service moved on from the state (``expected``) by
        a change that is neither the engine's bookkeeping nor our own unfinished update."""
        if live["Version"]["Index"] == expected.get("version"):
            return
        drift = diff_fields(expected, current)
        previous = (live_fields({"Spec": live["PreviousSpec"]}, names)
                    if live.get("PreviousSpec") else None)
        if drift.has_changes and not converge.resumes_unfinished_update(
                live, previous, current, expected):
            raise self._conflict(live, live["Spec"].get("Name"), str(live["ID"]), expected,
                                 drift)

    @staticmethod
    def _conflict(live: Json, name: str | None, service_id: str,
                  expected: Mapping[str, Any], drift: FieldDiff) -> ConflictError:
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
    def _stamped(api: Any, spec: Json) -> Json:
        """The spec with the digest label that later proves the live spec is still what
        we sent (``spec.with_sent_digest``), its networks resolved as the engine will."""
        targets = [entry["Target"] for entry in
                   (spec.get("TaskTemplate") or {}).get("Networks") or []]
        return with_sent_digest(spec, engine.network_ids(api, targets) if targets else {})

    def delete(self, service_id: str, props: dict[str, Any]) -> None:
        name = props.get("name")
        removal.remove(self.api(), service_id, name, progress.reporter(str(name or service_id)))

    def fields(self, api: Any, live: Mapping[str, Any], props: Mapping[str, Any]) -> Json:
        return live_fields(live, self._network_names(api, props))

    def outputs(self, live: Mapping[str, Any], fields: Mapping[str, Any],
                props: Mapping[str, Any]) -> Json:
        return outputs(live, fields, self.options_of(props))

    def _outputs(self, api: Any, service_id: str, canonical: Json,
                 props: Mapping[str, Any]) -> Json:
        live = self.live(api, service_id, canonical.get("name"))
        return self.outputs(live, self.fields(api, live, canonical), props)

    @staticmethod
    def _network_names(api: Any, inputs: Mapping[str, Any]) -> dict[str, str]:
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
