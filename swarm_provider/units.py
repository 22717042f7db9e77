"""Unit conversions: the Engine wants int nanoseconds, bytes and NanoCPUs.

Users write ``"10s"``, ``"64m"`` or ``"0.5"``; docker-py users pass raw integers.
Both are accepted. Pulumi sends every number as a float, so integral floats are ints.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from .errors import FieldValueError

_DURATION_UNITS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_BYTE_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_BYTES = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)

NANOCPUS_PER_CPU = 1_000_000_000


def as_int(value: Any, what: str = "an integer") -> int:
    """Accept ints and integral floats (Pulumi numbers); reject bools and fractions."""
    if isinstance(value, bool):
        raise FieldValueError(f"must be {what}, not a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise FieldValueError(f"must be {what}")


def duration_ns(value: Any) -> int:
    """A duration as int nanoseconds: an int (ns, like docker-py), ``"1m30s"`` or a timedelta."""
    if isinstance(value, datetime.timedelta):
        return int(value.total_seconds() * 1_000_000_000)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        if text and _DURATION_PART.sub("", text) == "":
            total = sum(
                float(number) * _DURATION_UNITS[unit]
                for number, unit in _DURATION_PART.findall(text)
            )
            return int(round(total))
        raise FieldValueError(
            "is not a duration", 'use Go syntax such as "10s", "1m30s", "500ms", or int ns'
        )
    number = as_int(value, "a duration (int nanoseconds or a string like \"10s\")")
    if number < 0:
        raise FieldValueError("must not be negative")
    return number


def byte_count(value: Any) -> int:
    """A size in bytes: an int, or ``"64m"``/``"64MiB"``/``"1g"`` (binary units, as docker)."""
    if isinstance(value, str):
        match = _BYTES.match(value)
        if not match:
            raise FieldValueError("is not a size", 'use bytes or "512k", "64m", "1g"')
        number, unit = match.groups()
        return int(float(number) * _BYTE_UNITS[unit.lower()])
    number = as_int(value, 'a size in bytes (or a string like "64m")')
    if number < 0:
        raise FieldValueError("must not be negative")
    return number


def nano_cpus(value: Any) -> int:
    """CPUs as NanoCPUs: ints are NanoCPUs (docker-py); ``"0.5"`` or 0.5 mean CPUs."""
    if isinstance(value, str):
        try:
            return int(round(float(value.strip()) * NANOCPUS_PER_CPU))
        except ValueError:
            raise FieldValueError(
                "is not a CPU count", 'use NanoCPUs (1e9 = 1 CPU) or a string such as "0.5"'
            ) from None
    if isinstance(value, float) and not value.is_integer():
        return int(round(value * NANOCPUS_PER_CPU))
    return as_int(value, 'NanoCPUs (1e9 = 1 CPU) or a string such as "0.5"')
