"""``TableProvider``: what the four providers (service, network, secret, config) share.

Each provider is one table (its rows) and one ``Kind`` (the data that differs between
resources, as docker-py's models keep ``id_attribute``); this base writes once what every
resource does alike:

- ``configure`` (the engine connection from stack config) and a ``connection`` only:
  the provider is pickled into the state, so it holds no client;
- ``check``: every row normalised, the cross-field rules, provider options passed on;
- the create that claims a name already taken (409) only when the owner label says this
  very resource made it (an earlier ``pulumi up`` died after the engine said yes);
- the update sent at the live version index, read again and re-sent after
  ``OutOfSequence`` or a lost answer, and the "no longer exists; run pulumi refresh" stop;
- ``read``: outputs and inputs rebuilt from the live object.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from ..api import classify, engine
from ..core.check import check_table
from ..core.diff import diff_table
from ..core.outputs import option_values, options_only_update
from ..core.rules import Failures
from ..errors import EngineError, NameConflict, TransientEngineError, ValidationError, object_label
from ..schema.service import OWNER_LABEL
from ..schema.table import Rows, Table
from . import host

Json = dict[str, Any]
T = TypeVar("T")
UPDATE_RETRIES = 5
"""Fresh reads an update gets before it gives up on a version that keeps moving."""
Plan = Callable[[Json], tuple[Json | None, T]]
"""Given the live object: the spec to send at its version (None: send nothing) and what
the update returns once done."""


def _no_rules(_canonical: Mapping[str, Any], _raw: Mapping[str, Any]) -> Failures:
    return []


@dataclass(frozen=True)
class Kind:
    """The data that makes one resource of the table providers differ from another."""

    name: str
    """The engine's word for it (``service``, ``network``, ...): errors, api routes."""
    resource: Table
    """Its declaration: input, option and output rows (``schema``)."""
    rules: Callable[[Mapping[str, Any], Mapping[str, Any]], Failures] = _no_rules
    """(canonical, raw) -> failures of the cross-field rules ``check_table`` does not
    know, checked once every row is readable (pure)."""
    id_key: str = "ID"
    """Where an inspect holds the id: ``Id`` for networks."""
    labels_at: tuple[str, ...] = ("Spec", "Labels")
    """Where an inspect holds the labels (the owner label among them)."""

    @property
    def table(self) -> Rows:
        """The input rows."""
        return self.resource.inputs

    @property
    def options(self) -> frozenset[str]:
        return self.resource.option_names

    def normalise(self, raw: Mapping[str, Any]) -> tuple[Json, Failures]:
        """Canonical inputs and options, and every (field, message) failure."""
        canonical, failures = check_table(raw, self.resource)
        return canonical, failures or self.rules(canonical, raw)

    def live_id(self, live: Mapping[str, Any]) -> str:
        return str(live[self.id_key])

    def owner_of(self, live: Mapping[str, Any] | None) -> Any:
        """The owner label of a live object (None if unlabelled or no object)."""
        value: Any = live or {}
        for key in self.labels_at:
            value = value.get(key) or {}
        return value.get(OWNER_LABEL)


class TableProvider(ResourceProvider):
    """Create, read, diff, update and delete one engine object described by ``kind``."""

    kind_data: ClassVar[Kind]
    kind: ClassVar[str]
    """The engine's word for what this provider manages (``kind_data.name``)."""
    options: ClassVar[frozenset[str]]
    """Its provider options (``kind_data.options``)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind_data" in cls.__dict__:
            cls.kind, cls.options = cls.kind_data.name, cls.kind_data.options

    def __init__(self) -> None:
        self.connection = engine.Connection()

    def configure(self, req: ConfigureRequest) -> None:
        host.adjust()  # inside `python -m pulumi.dynamic`: more threads, short errors
        self.connection = engine.connection_from_config(req.config)

    # --- pure steps (no engine call: previews work without a swarm) -------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        canonical, failures = self.kind_data.normalise(news)
        if failures:
            return CheckResult(news, [CheckFailure(name, message) for name, message in failures])
        return CheckResult({k: v for k, v in canonical.items() if v is not None}, [])

    def require(self, props: Mapping[str, Any]) -> Json:
        """Canonical inputs, or ``ValidationError`` listing every problem."""
        canonical, failures = self.kind_data.normalise(props)
        if failures:
            raise ValidationError(failures)
        return canonical

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Rows and options alike (``core.diff.diff_table``); ``replaced_first`` says
        whether the old object goes before the new one is made."""
        result = diff_table(olds, news, self.kind_data.resource)
        return DiffResult(
            changes=result.has_changes,
            replaces=result.replaces,
            delete_before_replace=self.replaced_first(olds, news, result.replaces),
        )

    def replaced_first(self, olds: Mapping[str, Any], news: Mapping[str, Any],
                       replaces: list[str]) -> bool:
        """Whether old and new can't coexist: a service's always go first (the old one
        may hold the name, published ports, ...)."""
        return True

    def update(self, object_id: str, olds: dict[str, Any], news: dict[str, Any]
               ) -> UpdateResult:
        """A change of options alone sends nothing: the state takes the new option values
        (``core.outputs.options_only_update``); anything else is ``apply``'s."""
        outs = options_only_update(olds, news, self.kind_data.resource)
        if outs is None:
            outs = self.apply(self.api(), object_id, olds, news, self.require(news))
        return UpdateResult(outs)

    def apply(self, api: Any, object_id: str, olds: Mapping[str, Any],
              news: Mapping[str, Any], canonical: Json) -> Json:
        """Bring the live object to ``canonical``; the new outputs."""
        raise NotImplementedError

    def options_of(self, props: Mapping[str, Any]) -> Json:
        """The provider options set in ``props``."""
        return option_values(props, self.kind_data.resource)

    def inputs_of(self, rows: Mapping[str, Any], props: Mapping[str, Any]) -> Json:
        """What Pulumi records as inputs: the rows that are set, and the options."""
        inputs = {row.name: rows[row.name] for row in self.kind_data.table
                  if rows.get(row.name) is not None}
        return {**inputs, **self.options_of(props)}

    def label(self, name: str | None, object_id: str | None) -> str:
        return object_label(self.kind, name, object_id)

    # --- engine steps shared by every kind ----------------------------------------------

    def api(self) -> Any:
        """docker-py's low-level client for this provider's engine (made on first use)."""
        return engine.client(self.connection).api

    def live(self, api: Any, object_id: str, name: str | None) -> Json:
        """The live object; an error that says what to do when it is gone."""
        live = engine.inspect(api, self.kind, object_id)
        if live is None:
            raise EngineError(
                f"{self.label(name, object_id)} no longer exists; run `pulumi refresh` "
                "to drop it from the state, then `pulumi up` to create it again"
            )
        return live

    def create_or_claim(self, api: Any, canonical: Json, props: Mapping[str, Any],
                        spec: Json) -> str:
        """Create from ``spec``; if its name is taken, ``claim`` decides."""
        try:
            return engine.create(api, self.kind, spec)
        except NameConflict as conflict:
            return self.claim(api, canonical, props, spec, conflict)

    def claim(self, api: Any, canonical: Json, props: Mapping[str, Any], spec: Json,
              conflict: NameConflict) -> str:
        """An object of that name exists: take it only if the owner label says this
        resource made it (``resume`` brings it to the inputs or says why not), or, with
        ``adopt``, if it has no owner (``adopt``). Anything else is refused."""
        name = str(spec.get("Name"))
        existing = engine.find(api, self.kind, name)
        owner = self.kind_data.owner_of(existing)
        problem = f"is not managed by this resource (owner label: {owner!r})"
        hint = "remove it, choose another name, or adopt it explicitly"
        adopted = (self.adopt(api, existing, canonical, props, spec)
                   if existing is not None and owner is None and props.get("adopt") else None)
        if adopted is not None:
            return adopted
        if existing is not None and owner == canonical.get("owner"):
            refused = self.resume(api, existing, canonical, props, spec)
            if refused is None:
                return self.kind_data.live_id(existing)
            problem, hint = refused, "remove it or choose another name"
        object_id = self.kind_data.live_id(existing) if existing else None
        raise EngineError(
            f"{self.label(name, object_id)} already exists and {problem}; {hint}"
        ) from conflict

    def adopt(self, api: Any, existing: Json, canonical: Json, props: Mapping[str, Any],
              spec: Json) -> str | None:
        """``adopt=True``, and the name is taken by an object with no owner label: take it
        over; its id, or None to refuse it like any other object of that name."""
        raise NotImplementedError

    def resume(self, api: Any, existing: Json, canonical: Json, props: Mapping[str, Any],
               spec: Json) -> str | None:
        """Finish taking over our own object an interrupted create left: None when it is
        (now) what the inputs say, else the problem (``already exists and <problem>``)."""
        raise NotImplementedError

    def send_at_live_version(self, api: Any, object_id: str, name: str | None,
                             plan: Plan[T]) -> T:
        """Read, decide (``plan``), send at the version read; again after a lost answer
        or ``OutOfSequence`` (the next read tells whether it landed, and the new index)."""
        for attempt in range(UPDATE_RETRIES):
            live = self.live(api, object_id, name)
            spec, result = plan(live)
            if spec is None:
                return result
            try:
                engine.update(api, self.kind, object_id, live["Version"]["Index"], spec)
            except TransientEngineError:  # OutOfSequence is one: its index moved
                time.sleep(classify.pause_after(attempt))
                continue
            return result
        raise EngineError(
            f"updating {self.label(name, object_id)} kept failing ('update out of "
            f"sequence', or no answer) after {UPDATE_RETRIES} fresh reads; something else "
            "is writing to it, or the engine is unwell: run `pulumi up` again"
        )

    def read(self, object_id: str, props: dict[str, Any]) -> ReadResult:
        api = self.api()
        live = engine.inspect(api, self.kind, object_id)
        if live is None:
            return ReadResult("", {})
        fields = self.fields(api, live, props)
        # The engine's id, also when asked by name (`--import-pending-creates URN NAME`).
        return ReadResult(self.kind_data.live_id(live), self.outputs(live, fields, props),
                          self.inputs_of(fields, props))

    def fields(self, api: Any, live: Mapping[str, Any], props: Mapping[str, Any]) -> Json:
        """The canonical rows of a live object, read back as ``props`` would show them."""
        raise NotImplementedError

    def outputs(self, live: Mapping[str, Any], fields: Mapping[str, Any],
                props: Mapping[str, Any]) -> Json:
        """What the state stores: the rows, the options and the computed outputs."""
        raise NotImplementedError
