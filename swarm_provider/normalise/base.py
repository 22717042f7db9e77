"""Shared helpers and the normalisers of scalars, lists and maps."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import FieldValueError
from ..units import as_int, duration_ns

Normaliser = Callable[[Any], Any]

_ENV_KEY = re.compile(r"^[^=\s]+$")


def is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def as_list(value: Any, what: str) -> list[Any]:
    if not is_list(value):
        raise FieldValueError(f"must be a list of {what}")
    return list(value)


def as_mapping(value: Any, what: str = "a mapping") -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise FieldValueError(f"must be {what}")
    return value


def pick(source: Mapping[str, Any], *names: str) -> Any:
    """Read a key in Engine case or docker-py keyword case (``Target`` / ``target``)."""
    lowered = {str(key).lower().replace("_", ""): val for key, val in source.items()}
    for name in names:
        key = name.lower().replace("_", "")
        if key in lowered:
            return lowered[key]
    return None


def only_keys(source: Mapping[str, Any], allowed: set[str], what: str) -> None:
    known = {name.lower().replace("_", "") for name in allowed}
    unknown = sorted(str(k) for k in source if str(k).lower().replace("_", "") not in known)
    if unknown:
        raise FieldValueError(f"unknown key {unknown[0]!r} in {what}", f"known: {sorted(allowed)}")


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def prune(value: Any) -> Any:
    """Drop None, "", [], {} and False recursively: the engine omits them (omitempty)."""
    if isinstance(value, Mapping):
        pruned = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, "", [], {}, False)}
    if is_list(value):
        return [prune(v) for v in value]
    return value


def drop_defaults(source: dict[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in source.items() if v is not None and defaults.get(k, object()) != v}


def _or_none(value: Any) -> Any:
    return value if value not in (None, "", [], {}) else None


# --- scalars -------------------------------------------------------------------------


def text(value: Any) -> str | None:
    """A plain string; "" is "not set"."""
    if value is None:
        return None
    if isinstance(value, (dict, list, tuple)):
        raise FieldValueError("must be a string")
    return _or_none(as_text(value))


def flag(value: Any) -> bool | None:
    """A boolean the engine omits when false (TTY, OpenStdin, ReadOnly)."""
    if value is None or value is False:
        return None
    if value is True:
        return True
    raise FieldValueError("must be true or false")


def tristate(value: Any) -> bool | None:
    """A ``*bool`` the engine keeps even when false (Init)."""
    if value is None or isinstance(value, bool):
        return value
    raise FieldValueError("must be true, false or null")


def positive_int(value: Any) -> int | None:
    """A count where 0 means "not set" (MaxReplicas, Pids, ForceUpdate)."""
    if value is None:
        return None
    number = as_int(value)
    if number < 0:
        raise FieldValueError("must not be negative")
    return number or None


def duration(value: Any) -> int | None:
    return None if value is None else duration_ns(value)


def isolation(value: Any) -> str | None:
    name = text(value)
    if name is None or name == "default":
        return None
    if name not in ("process", "hyperv"):
        raise FieldValueError("must be one of default, process, hyperv")
    return name


# --- lists and maps ------------------------------------------------------------------


def command(value: Any) -> list[str] | None:
    """A command or args: a list, or a string split like a shell (docker-py split_command)."""
    if value is None:
        return None
    if isinstance(value, str):
        return shlex.split(value) or None
    return [as_text(v) for v in as_list(value, "strings")] or None


def string_set(value: Any) -> list[str] | None:
    """An unordered list of strings (constraints, capabilities, groups): sorted, unique."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    return sorted({as_text(v) for v in as_list(value, "strings")}) or None


def string_map(value: Any) -> dict[str, str] | None:
    """Labels, sysctls, driver options: str -> str, {} is "not set"."""
    if value is None:
        return None
    if is_list(value):  # ["k=v", ...], as the docker CLI writes labels
        value = dict(str(item).partition("=")[::2] for item in value)
    return {str(k): as_text(v) for k, v in sorted(as_mapping(value).items())} or None


def env(value: Any) -> list[str] | None:
    """Environment: a dict (``None`` value = key only, like docker-py) or ``KEY=value`` list.

    The engine keeps the order it is given; order has no meaning for a process
    environment, so the canonical form is sorted by key (later duplicates win).
    """
    if value is None:
        return None
    entries: dict[str, str | None] = {}
    if isinstance(value, Mapping):
        for key, val in value.items():
            entries[str(key)] = None if val is None else as_text(val)
    else:
        for item in as_list(value, '"KEY=value" strings'):
            key, sep, val = as_text(item).partition("=")
            entries[key] = val if sep else None
    for key in entries:
        if not _ENV_KEY.match(key):
            raise FieldValueError(f"invalid variable name {key!r}")
    return [k if v is None else f"{k}={v}" for k, v in sorted(entries.items())] or None


def hosts(value: Any) -> list[str] | None:
    """Extra /etc/hosts lines: ``{host: ip}`` (docker-py), ``"IP host"`` or ``"host:ip"``."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        lines = [f"{as_text(ip)} {host}" for host, ip in value.items()]
    else:
        lines = []
        for item in as_list(value, '"IP host" strings'):
            entry = " ".join(as_text(item).split())
            if " " not in entry:
                host, sep, ip = entry.partition(":")
                if not sep or not ip:
                    raise FieldValueError(f"host entry {entry!r} needs an address", '"IP host"')
                entry = f"{ip} {host}"
            lines.append(entry)
    return sorted(set(lines)) or None

def count_at_least(value: Any, what: str, minimum: int = 0) -> int:
    number = as_int(value)
    if number < minimum:
        raise FieldValueError(f"{what} must be at least {minimum}")
    return number
