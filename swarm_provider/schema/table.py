"""The shape of a field table: what one row says about one resource input.

Every resource (service, network, secret, config) has one table of ``Field`` rows;
validation, spec building, read-back and diffing iterate over it generically.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Compare = Literal["value", "list", "set", "map", "keyed"]
"""How two canonical values differ: a scalar, an ordered list, an unordered set of
strings, a string map, or a list of records identified by a key (mounts by target)."""

Origin = Literal["docker-py", "extra", "internal"]


@dataclass(frozen=True)
class EngineDefault:
    """What the engine runs when a row is unset, so that a value equal to it compares as
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

    def engine_value(self, canonical: Any) -> Any:
        return canonical if self.to_engine is None or canonical is None else self.to_engine(
            canonical)
    default: EngineDefault | None = None
    """The engine's behaviour when unset; a value equal to it compares as unset."""
    order_free: Callable[[Any], Any] | None = None
    """For rows whose canonical form keeps the user's order (ports, mounts, networks and
    their aliases: the engine stores them as sent, and ``docker stack deploy`` has its own
    order), the canonical value in one fixed order: two values that differ only in order
    compare equal. None: the normaliser already fixes the order (sets) or it matters."""

    @property
    def engine_path(self) -> str:
        return ".".join(self.path)

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


Table = Sequence[Field]


def nested_paths(table: Table, field: Field) -> list[tuple[str, ...]]:
    """Paths of other rows that live inside this row's value (pids_limit in resources)."""
    depth = len(field.path)
    return [
        other.path[depth:]
        for other in table
        if other is not field and len(other.path) > depth and other.path[:depth] == field.path
    ]


def input_names(table: Table, options: frozenset[str]) -> frozenset[str]:
    """The keyword arguments a resource class accepts: its user rows plus its options."""
    return frozenset(row.name for row in table if row.origin != "internal") | options
