"""Shared helpers and the normalisers of scalars, lists and maps."""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Callable, Mapping
from typing import Any

from ...errors import FieldValueError
from ..struct import as_mapping as as_mapping  # re-exported: every normaliser uses it
from ..struct import in_users_spelling, squash
from ..struct import part as part
from ..units import as_int, duration_ns, duration_text

Normaliser = Callable[[Any], Any]

_ENV_KEY = re.compile(r"^[^=\s]+$")


def is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def as_list(value: Any, what: str) -> list[Any]:
    if not is_list(value):
        raise FieldValueError(f"must be a list of {what}")
    return list(value)


def pick(source: Mapping[str, Any], *names: str) -> Any:
    """Read a key in Engine case or docker-py keyword case (``Target`` / ``target``)."""
    lowered = {str(key).lower().replace("_", ""): val for key, val in source.items()}
    for name in names:
        key = name.lower().replace("_", "")
        if key in lowered:
            return lowered[key]
    return None


def only_keys(source: Mapping[str, Any], allowed: set[str], what: str) -> None:
    """Refuse unknown keys, suggesting the closest known one in the user's spelling."""
    known = {squash(name): name for name in allowed}
    unknown = sorted(str(k) for k in source if squash(str(k)) not in known)
    if not unknown:
        return
    key = unknown[0]
    close = difflib.get_close_matches(squash(key), list(known), n=1, cutoff=0.6)
    spelled = sorted({in_users_spelling(name, key) for name in allowed})
    hint = (f"did you mean {in_users_spelling(known[close[0]], key)!r}?" if close
            else f"known: {spelled}")
    raise FieldValueError(f"unknown key {key!r} in {what}", hint, value=key)


def item_text(value: Any, what: str = "a string") -> str:
    """One string inside a list or map: a scalar, never ``None``, a list or a mapping
    (``str()`` would turn those into ``"None"`` or ``"['x']"`` silently)."""
    if value is None or isinstance(value, (Mapping, list, tuple, set)):
        raise FieldValueError(f"holds {_kind(value)} where {what} belongs", value=value)
    return as_text(value)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return "a mapping" if isinstance(value, Mapping) else "a list"


def strict_bool(value: Any, what: str) -> bool:
    """A real boolean (``"no"`` is truthy in Python and must not mean true)."""
    if value is None:
        return False
    if not isinstance(value, bool):
        raise FieldValueError(f"{what} must be true or false", value=value)
    return value


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



# --- scalars -------------------------------------------------------------------------


def text(value: Any) -> str | None:
    """A plain string; "" is "not set"."""
    if value is None:
        return None
    if isinstance(value, (Mapping, list, tuple, set)):
        raise FieldValueError("must be a string")
    return as_text(value) or None


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


def boolean(value: Any) -> bool | None:
    """A real boolean or unset: ``"no"`` is truthy in Python and must not mean true."""
    if value is None or isinstance(value, bool):
        return value
    raise FieldValueError("must be true or false")


def seconds(problem: str, minimum: float = 0, above: bool = False,
            below: float | None = None, hint: str = "") -> Normaliser:
    """A number of seconds (an option's timeout): at least ``minimum`` (strictly more with
    ``above``) and less than ``below``; a boolean or a string is refused with ``problem``."""
    def normalise(value: Any) -> float | int | None:
        if value is None:
            return None
        number = value if isinstance(value, (int, float)) and not isinstance(value, bool) \
            else None
        if number is None or number < minimum or (above and number == minimum) or (
                below is not None and number >= below) or number != number:
            raise FieldValueError(problem, hint)
        return number
    return normalise


def one_of(choices: set[str]) -> Normaliser:
    """A choice from ``choices``; "" is the engine's zero value: unset."""
    def normalise(value: Any) -> str | None:
        if value == "":
            return None
        if not isinstance(value, str) or value not in choices:
            raise FieldValueError(f"must be one of {sorted(choices)}", value=value)
        return value
    return normalise


def positive_int(value: Any) -> int | None:
    """A count where 0 means "not set" (MaxReplicas, Pids, ForceUpdate)."""
    if value is None:
        return None
    number = as_int(value)
    if number < 0:
        raise FieldValueError("must not be negative")
    return number or None


def duration(value: Any) -> str | None:
    """A duration, canonical as Go-style text (``"10s"``): what a preview shows."""
    return None if value is None else duration_text(duration_ns(value))


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
        try:
            return shlex.split(value) or None
        except ValueError as exc:  # an unbalanced quote: "No closing quotation"
            raise FieldValueError(f"can't be split like a shell command ({exc})",
                                  "balance the quotes, or give a list of strings",
                                  value=value) from exc
    items = as_list(value, "strings")
    if any(isinstance(v, bool) for v in items):
        raise FieldValueError("holds a boolean where a string belongs",
                              'quote it ("true")', value=next(v for v in items
                                                              if isinstance(v, bool)))
    return [item_text(v) for v in items] or None


def string_set(value: Any) -> list[str] | None:
    """An unordered list of strings (constraints, capabilities, groups): sorted, unique."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    return sorted({item_text(v) for v in as_list(value, "strings")}) or None


def string_map(value: Any) -> dict[str, str] | None:
    """Labels, sysctls, driver options: str -> str, {} is "not set"."""
    if value is None:
        return None
    if is_list(value):  # ["k=v", ...], as the docker CLI writes labels
        value = dict(item_text(item, '"key=value"').partition("=")[::2] for item in value)
    mapping = as_mapping(value)
    return {str(k): item_text(v) for k, v in sorted(mapping.items(), key=lambda kv: str(kv[0]))
            } or None


def strict_string_map(value: Any) -> dict[str, str] | None:
    """A str -> str mapping where a list is not a form (network DriverOpts)."""
    if value is None:
        return None
    return string_map(as_mapping(value, "a mapping of strings"))


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
            if isinstance(val, bool):  # "true" or "True"? docker-py and YAML disagree
                raise FieldValueError(f"{key}: holds a boolean", 'quote it ("true")')
            entries[str(key)] = None if val is None else item_text(val)
    else:
        for item in as_list(value, '"KEY=value" strings'):
            key, sep, val = item_text(item, '"KEY=value"').partition("=")
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
        lines = [f"{_host_word(ip, 'address')} {_host_word(host, 'host name')}"
                 for host, ip in value.items()]
    else:
        lines = []
        for item in as_list(value, '"IP host" strings'):
            entry = " ".join(item_text(item, '"IP host"').split())
            if " " not in entry:
                host, sep, ip = entry.partition(":")
                if not sep or not ip:
                    raise FieldValueError(f"host entry {entry!r} needs an address", '"IP host"')
                entry = f"{ip} {host}"
            lines.append(entry)
    return sorted(set(lines)) or None

def _host_word(value: Any, what: str) -> str:
    """One word of an /etc/hosts line: non-empty, no spaces, not a boolean."""
    word = item_text(value, what)
    if isinstance(value, bool) or not word or len(word.split()) != 1 or word != word.strip():
        raise FieldValueError(f"{what} {word!r} is not one word", '{"host": "1.2.3.4"}',
                              value=value)
    return word


def at_least(minimum: int) -> Normaliser:
    """A whole number of at least ``minimum`` (a structure's count: Retries, Replicas)."""
    def normalise(value: Any) -> int:
        number = as_int(value)
        if number < minimum:
            raise FieldValueError(f"must be at least {minimum}", value=value)
        return number
    return normalise


count = at_least(0)


def count_at_least(value: Any, what: str, minimum: int = 0) -> int:
    number: int = part(what, as_int, value)
    if number < minimum:
        raise FieldValueError(f"{what} must be at least {minimum}", value=value)
    return number
