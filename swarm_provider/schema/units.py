"""Unit conversions: the Engine wants int nanoseconds, bytes and NanoCPUs.

Users write ``"10s"``, ``"64m"`` or ``"0.5"``; docker-py users pass raw integers.
Both are accepted. Pulumi sends every number as a float, so integral floats are ints.
"""

from __future__ import annotations

import datetime
import math
import re
from typing import Any

from ..errors import FieldValueError

_DURATION_UNITS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_INTEGER = re.compile(r"-?[0-9]+")
"""Digits only: ``str.isdigit`` also takes "²", which ``int()`` then refuses."""
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_BYTE_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_BYTES = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)

NANOCPUS_PER_CPU = 1_000_000_000
INT64_MAX = 2**63 - 1
"""The engine stores counts and durations as int64 (Go ``time.Duration``, ``int64``)."""


def in_int64(number: int, value: Any) -> int:
    """``number``, or an error quoting ``value`` when it doesn't fit the engine's int64."""
    if not -INT64_MAX - 1 <= number <= INT64_MAX:
        raise FieldValueError("is beyond the engine's 64-bit range", value=value)
    return number


def as_int(value: Any, what: str = "an integer") -> int:
    """Accept ints and integral floats (Pulumi numbers); reject bools and fractions."""
    if isinstance(value, bool):
        raise FieldValueError(f"must be {what}, not a boolean", value=value)
    if isinstance(value, int):
        return in_int64(value, value)
    if isinstance(value, float) and value.is_integer():
        return in_int64(int(value), value)
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return in_int64(int(value.strip()), value)
    raise FieldValueError(f"must be {what}", value=value)


def duration_ns(value: Any) -> int:
    """A duration as int nanoseconds: an int (ns, like docker-py), ``"1m30s"`` or a timedelta."""
    if isinstance(value, datetime.timedelta):
        return in_int64(int(value.total_seconds() * 1_000_000_000), str(value))
    if isinstance(value, str):
        text = value.strip()
        if _INTEGER.fullmatch(text) and not text.startswith("-"):
            return in_int64(int(text), value)
        if text and _DURATION_PART.sub("", text) == "":
            total = sum(
                float(number) * _DURATION_UNITS[unit]
                for number, unit in _DURATION_PART.findall(text)
            )
            if not math.isfinite(total):
                raise FieldValueError("is beyond the engine's 64-bit range", value=value)
            return in_int64(int(round(total)), value)
        raise FieldValueError(
            "is not a duration", 'use Go syntax such as "10s", "1m30s", "500ms", or int ns',
            value=value,
        )
    number = as_int(value, "a duration (int nanoseconds or a string like \"10s\")")
    if number < 0:
        raise FieldValueError("must not be negative", value=value)
    return number


_DURATION_PARTS = (("h", 3_600_000_000_000), ("m", 60_000_000_000), ("s", 1_000_000_000),
                   ("ms", 1_000_000), ("us", 1_000), ("ns", 1))


def duration_text(nanoseconds: int) -> str:
    """``10000000000`` -> ``"10s"``, ``90000000000`` -> ``"1m30s"``, ``0`` -> ``"0s"``:
    what a preview shows, exact (``duration_ns`` reads it back to the same int)."""
    if nanoseconds == 0:
        return "0s"
    parts, rest = [], nanoseconds
    for unit, size in _DURATION_PARTS:
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def byte_count(value: Any) -> int:
    """A size in bytes: an int, or ``"64m"``/``"64MiB"``/``"1g"`` (binary units, as docker)."""
    if isinstance(value, str):
        match = _BYTES.match(value)
        if not match:
            raise FieldValueError("is not a size", 'use bytes or "512k", "64m", "1g"',
                                  value=value)
        number, unit = match.groups()
        size = float(number) * _BYTE_UNITS[unit.lower()]
        if not math.isfinite(size):
            raise FieldValueError("is beyond the engine's 64-bit range", value=value)
        return in_int64(int(size), value)
    number = as_int(value, 'a size in bytes (or a string like "64m")')
    if number < 0:
        raise FieldValueError("must not be negative", value=value)
    return number


def nano_cpus(value: Any) -> int:
    """CPUs as NanoCPUs: ints are NanoCPUs (docker-py); ``"0.5"`` or 0.5 mean CPUs."""
    hint = 'use NanoCPUs (1e9 = 1 CPU) or a string such as "0.5"'
    if isinstance(value, str):
        try:
            cpus = float(value.strip())
        except ValueError:
            raise FieldValueError("is not a CPU count", hint, value=value) from None
        return _cpus_to_nano(cpus, value, hint)
    if isinstance(value, float) and not value.is_integer():
        return _cpus_to_nano(value, value, hint)
    number = as_int(value, 'NanoCPUs (1e9 = 1 CPU) or a string such as "0.5"')
    if number < 0:
        raise FieldValueError("must not be negative", hint, value=value)
    return number


def _cpus_to_nano(cpus: float, value: Any, hint: str) -> int:
    """A CPU count (``0.5``) as NanoCPUs; ``inf``/``nan``/negative are errors, not crashes."""
    if not math.isfinite(cpus) or cpus < 0:
        raise FieldValueError("is not a CPU count", hint, value=value)
    return in_int64(int(round(cpus * NANOCPUS_PER_CPU)), value)
