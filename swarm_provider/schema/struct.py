"""Nested structures declared once: each key with its Engine name, its docker-py keywords
and its normaliser (after Ansible's ``docker_container`` sub-options).

A ``Struct`` reads a mapping in any spelling a user writes: the Engine's (``ReadOnly``, as
``docker service inspect`` prints it and ``docker.types`` objects hold it), snake case
(``read_only``, docker-py's keywords), and the flat keywords of a docker-py constructor
that land in a nested structure (``Mount(tmpfs_size=...)`` is ``TmpfsOptions.SizeBytes``).
Case and underscores don't count when keys are matched. A key no declaration knows is
refused at every depth, naming where it was found and the closest known key.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import FieldValueError

Normaliser = Callable[[Any], Any]


def squash(name: str) -> str:
    """How keys are matched: ``read_only``, ``ReadOnly`` and ``readonly`` are one key."""
    return name.lower().replace("_", "")


def snake_case(name: str) -> str:
    """``MaxFailureRatio`` -> ``max_failure_ratio`` (docker-py's keyword spelling)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def in_users_spelling(name: str, like: str) -> str:
    """``name`` spelled as the user spells keys: snake_case when ``like`` is lower case
    (a docker-py style dict), the Engine's CamelCase otherwise."""
    return snake_case(name) if like == like.lower() else name


def as_mapping(value: Any, what: str = "a mapping") -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise FieldValueError(f"must be {what}")
    return value


def part(key: str, convert: Callable[[Any], Any], value: Any) -> Any:
    """``convert(value)`` for the sub-key ``key`` of a structure; a failure names the key
    and quotes only that part (``Interval is not a duration; got "bad"``)."""
    try:
        return convert(value)
    except FieldValueError as exc:
        shown = exc.shown(value)
        raise FieldValueError(f"{key} {exc.problem}", exc.hint, value=shown) from None


def keep(value: Any) -> Any:
    """The normaliser of a key whose value the structure's own function reads."""
    return value


@dataclass(frozen=True)
class Key:
    """One key of a structure."""

    engine: str
    """Its Engine name, as inspect prints it (``SizeBytes``)."""
    normalise: Normaliser = keep
    """Raw value -> canonical value; not called when the key is absent."""
    keyword: str = ""
    """docker-py's keyword for it, when that is not the Engine name in snake case (which
    is always accepted: ``read_only`` for ``ReadOnly``): ``options`` for ``DriverOpts``."""
    flat: str = ""
    """docker-py's keyword for it in the enclosing structure, whose constructor is flat:
    ``tmpfs_size`` of ``Mount(...)`` is ``TmpfsOptions.SizeBytes``."""
    struct: Struct | None = None
    """The structure of its value, when that is a mapping read key by key."""
    items: Struct | None = None
    """The structure of each item, when its value is a list of mappings (read by the
    structure's own function: ``EndpointSpec.Ports`` has a map form too)."""
    doc: str = ""


@dataclass(frozen=True)
class Struct:
    """A mapping with declared keys (Mount, Privileges, Resources, ...)."""

    name: str
    """As messages and docs show it: the Engine type (``Mount``, ``TmpfsOptions``)."""
    keys: tuple[Key, ...]
    doc: str = ""
    _index: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    """Squashed spelling -> Engine path inside this structure, for every accepted key."""
    _shown: dict[str, str] = field(init=False, repr=False, compare=False)
    """Squashed spelling -> the key as hints name it (Engine name, or docker-py keyword)."""

    def __post_init__(self) -> None:
        index: dict[str, tuple[str, ...]] = {}
        shown: dict[str, str] = {}

        def accept(spelling: str, path: tuple[str, ...]) -> None:
            index[squash(spelling)], shown[squash(spelling)] = path, spelling

        for key in self.keys:
            accept(key.engine, (key.engine,))
            if key.keyword:
                accept(key.keyword, (key.engine,))
            for inner in key.struct.keys if key.struct else ():
                if inner.flat:
                    accept(inner.flat, (key.engine, inner.engine))
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_shown", shown)

    def accepted(self) -> set[str]:
        """Every key a user may write here, in Engine case and in docker-py's spelling."""
        return set(self._shown.values()) | {snake_case(k.engine) for k in self.keys}

    def read(self, value: Any, where: str = "", prefix: str = "") -> dict[str, Any]:
        """``value`` in Engine shape: every declared key (None when absent), normalised;
        nested structures read the same way. ``where`` names the structure in messages
        about keys (``Mount.VolumeOptions``, by default its name); ``prefix`` starts the
        key's name in messages about values (``VolumeOptions.NoCopy must be ...``)."""
        where = where or self.name
        gathered = self.gather(as_mapping(value, f"a {self.name} or mapping"), where)
        return {key.engine: self._value(key, gathered.get(key.engine), where, prefix)
                for key in self.keys}

    def gather(self, source: Mapping[str, Any], where: str) -> dict[str, Any]:
        """The raw values of ``source`` under their Engine names, flat keywords put in the
        nested mapping they belong to; an unknown key or one given twice is refused."""
        paths = {}
        for name in source:
            path = self._index.get(squash(str(name)))
            if path is None:
                raise self.unknown(str(name), where)
            paths[name] = path
        gathered: dict[str, Any] = {}
        for name, path in sorted(paths.items(), key=lambda item: len(item[1])):
            if len(path) == 1:
                _put(gathered, path[0], source[name], str(name), where)
                continue
            inner = gathered.get(path[0])
            inner = dict(as_mapping(inner, f"a {path[0]} mapping")) if inner else {}
            _put(inner, path[1], source[name], str(name), f"{where}.{path[0]}")
            gathered[path[0]] = inner
        return gathered

    def _value(self, key: Key, raw: Any, where: str, prefix: str) -> Any:
        if raw is None:
            return None
        if key.struct is not None:
            if not isinstance(raw, Mapping):
                raise FieldValueError(f"{prefix}{key.engine} must be a {key.struct.name} "
                                      "mapping", value=raw)
            return key.struct.read(raw, f"{where}.{key.engine}", f"{prefix}{key.engine}.")
        return part(f"{prefix}{key.engine}", key.normalise, raw)

    def walk(self) -> list[Struct]:
        """This structure and every one nested in it, each once, outermost first."""
        found = [self]
        for key in self.keys:
            for nested in (key.struct, key.items):
                for inner in nested.walk() if nested else []:
                    if all(inner is not seen for seen in found):
                        found.append(inner)
        return found

    def unknown(self, name: str, where: str) -> FieldValueError:
        """The refusal of an unknown key, suggesting the closest known one as the user
        spells keys (snake case if the key is lower case, else the Engine's)."""
        close = difflib.get_close_matches(squash(name), list(self._shown), n=1, cutoff=0.6)
        hint = (f"did you mean {in_users_spelling(self._shown[close[0]], name)!r}?" if close
                else f"known: {sorted({in_users_spelling(k, name) for k in self._shown.values()})}")
        return FieldValueError(f"unknown key {name!r} in {where}", hint, value=name)


def _put(target: dict[str, Any], key: str, raw: Any, name: str, where: str) -> None:
    if target.get(key) is not None and raw is not None:
        raise FieldValueError(f"{where}.{key} is given twice (as {name!r} too)", value=name)
    if raw is not None or key not in target:
        target[key] = raw
