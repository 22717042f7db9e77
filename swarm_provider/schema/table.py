"""The shape of a field table: what one row says about one resource input.

Every resource (service, network, secret, config) has one ``Table``: its input rows
(``Field``, one per ``create()`` keyword, bound to an Engine path), its option rows (inputs
that steer the provider and are no part of the Engine spec: ``wait``, ``delete_timeout``,
...), its output rows (what the resource exports besides its inputs) and its nested
structures. Validation, spec building, read-back, diffing and the docs iterate over it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .struct import Struct

OPTION_PATH = "provider option"
"""What messages and docs show in place of an Engine path for an option row."""

Compare = Literal["value", "list", "set", "map", "keyed"]
"""How two canonical values differ: a scalar, an ordered list, an unordered set of
strings, a string map, or a list of records identified by a key (mounts by target)."""

Origin = Literal["docker-py", "extra", "internal", "option"]
"""Where a row comes from: a docker-py ``create()`` keyword, an Engine feature docker-py
lacks, the provider's own bookkeeping (not an input), or a provider option."""


@dataclass(frozen=True)
class EngineDefault:
    """What the engine runs when a row is unset (for an option row: what the provider does
    when it is unset), so that a value equal to it compares as
    unset: docker-py's ``Service.update()``/``scale()``/``force_update()`` write these
    defaults into the stored spec (they read it with ``insertDefaults``), and a refresh
    must not turn them into a change to remove.

    Folding is per key: ``keys`` lists, for a mapping value, the keys whose value the
    engine treats as the key being unset (RestartPolicy ``Delay`` 5 s); after that, a
    value equal to ``whole`` is the row unset (``UpdateConfig`` ``{Parallelism: 1}``,
    ``StopGracePeriod`` 10 s). Anything else is a real setting, e.g. RestartPolicy
    ``{Condition: on-failure}``.
    """

    keys: tuple[tuple[str, Any], ...] = ()
    whole: Any = None

    def fold(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            unset = dict(self.keys)
            value = {k: v for k, v in value.items() if k not in unset or unset[k] != v}
        return None if value == self.whole else value


@dataclass(frozen=True)
class Field:
    name: str
    path: tuple[str, ...]
    normalise: Callable[[Any], Any]
    compare: Compare
    doc: str
    replace: bool | Callable[[Any, Any], bool] = False
    secret: bool = False
    origin: Origin = "docker-py"
    key: str = ""
    """For ``keyed`` rows: the record key that identifies an item."""
    to_engine: Callable[[Any], Any] | None = None
    """For rows whose canonical form reads like the user wrote it (durations ``"10s"``,
    file modes ``"0o440"``) rather than in Engine units: the Engine value. None: the
    canonical value is the Engine value."""

    default: EngineDefault | None = None
    """The engine's behaviour when unset; a value equal to it compares as unset."""
    struct: Struct | None = None
    """The declared structure of the value (or of each item, for a list of records):
    its keys, their docker-py keywords and normalisers (``schema.struct``)."""
    order_free: Callable[[Any], Any] | None = None
    """For rows whose canonical form keeps the user's order (ports, mounts, networks and
    their aliases: the engine stores them as sent, and ``docker stack deploy`` has its own
    order), the canonical value in one fixed order: two values that differ only in order
    compare equal. None: the normaliser already fixes the order (sets) or it matters."""

    def engine_value(self, canonical: Any) -> Any:
        """The value as the Engine spec holds it (see ``to_engine``)."""
        if self.to_engine is None or canonical is None:
            return canonical
        return self.to_engine(canonical)

    @property
    def engine_path(self) -> str:
        """Where the value lives in the Engine spec; options live in no spec."""
        return ".".join(self.path) if self.path else OPTION_PATH

    @property
    def is_option(self) -> bool:
        return self.origin == "option"

    def comparable(self, value: Any, engine_defaults: bool = True, ordered: bool = False) -> Any:
        """The canonical value as compared: engine defaults read as unset (see
        EngineDefault) and lists in one fixed order (``order_free``). ``ordered`` keeps the
        given order, as the engine does when it decides whether a spec changed."""
        canonical = self.normalise(value)
        if not ordered and self.order_free is not None:
            canonical = self.order_free(canonical)
        if engine_defaults and self.default is not None and canonical is not None:
            return self.default.fold(canonical)
        return canonical

    def forces_replacement(self, old: Any, new: Any) -> bool:
        if callable(self.replace):
            return self.replace(old, new)
        return self.replace


Rows = Sequence[Field]
"""The input rows of one resource, in the order the docs list them."""


def option(name: str, normalise: Callable[[Any], Any], doc: str, default: Any = None,
           replace: bool = False) -> Field:
    """An option row: an input that steers the provider and is sent to no engine.

    Options follow one diff rule (docs/inputs.md): a changed option is a change; it
    replaces the resource when ``replace`` (the option names the engine object), and is
    otherwise an update that writes nothing to the engine, only the new value to the
    state. A value equal to ``default`` (what the provider does when it is unset) is
    unset, so writing the default out is no change.
    """
    return Field(name, (), normalise, "value", doc, replace=replace, origin="option",
                 default=None if default is None else EngineDefault(whole=default))


@dataclass(frozen=True)
class Output:
    """An output row: one value the resource exports besides its inputs."""

    name: str
    doc: str
    read: Callable[[Mapping[str, Any], Mapping[str, Any]], Any]
    """(the live object as the engine returns it, the canonical rows read from it) -> value."""
    secret: bool = False
    """Pulumi stores it as a secret (the service's ``spec`` carries env values)."""


def live_at(*path: str, default: Any = None) -> Callable[[Mapping[str, Any], Any], Any]:
    """An ``Output.read`` taking the value at ``path`` of the live object."""
    def read(live: Mapping[str, Any], _fields: Any) -> Any:
        value: Any = live
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        return default if value is None else value
    return read


@dataclass(frozen=True)
class Table:
    """Everything one resource declares: inputs, options and outputs, each once."""

    resource: str
    """The Pulumi resource class, e.g. ``SwarmService``."""
    inputs: tuple[Field, ...]
    options: tuple[Field, ...] = ()
    outputs: tuple[Output, ...] = ()

    @property
    def option_names(self) -> frozenset[str]:
        return frozenset(row.name for row in self.options)

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(row.name for row in self.outputs)

    @property
    def input_names(self) -> frozenset[str]:
        """The keyword arguments the resource class accepts: user rows and options."""
        return input_names(self.inputs, self.option_names)

    def row(self, name: str) -> Field:
        """The input or option row of that name (KeyError if none)."""
        for row in (*self.inputs, *self.options):
            if row.name == name:
                return row
        raise KeyError(name)


def nested_paths(table: Rows, field: Field) -> list[tuple[str, ...]]:
    """Paths of other rows that live inside this row's value (pids_limit in resources)."""
    depth = len(field.path)
    return [
        other.path[depth:]
        for other in table
        if other is not field and len(other.path) > depth and other.path[:depth] == field.path
    ]


def input_names(table: Rows, options: frozenset[str]) -> frozenset[str]:
    """The keyword arguments a resource class accepts: its user rows plus its options."""
    return frozenset(row.name for row in table if row.origin != "internal") | options
