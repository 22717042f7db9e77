"""Canonical forms that read like what the user wrote, back to Engine units.

A preview shows canonical values, and ``10000000000`` or ``292`` say little: durations are
canonical as ``"10s"`` and file modes as ``"0o444"``. The spec sent to the engine needs int
nanoseconds and int modes again; these are the rows' ``to_engine`` functions
(``Field.engine_value``, used by ``spec.build_spec``). State written before, in Engine
units, still compares equal: the diff normalises both sides.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..units import duration_ns


def mode_bits(text: Any) -> int:
    """``"0o440"`` -> 288 (an int passes through: state written by an older version)."""
    return text if isinstance(text, int) else int(str(text), 8)


def durations_at(*keys: str) -> Callable[[Any], Any]:
    """Engine value of a structure whose ``keys`` are canonical durations."""
    def convert(value: Any) -> Any:
        return {k: duration_ns(v) if k in keys else v for k, v in value.items()}
    return convert


def file_modes(value: Any) -> Any:
    """Secret/config references: ``File.Mode`` as int bits."""
    return [{**ref, "File": {**ref["File"], "Mode": mode_bits(ref["File"]["Mode"])}}
            if "File" in ref else ref for ref in value]


def tmpfs_modes(value: Any) -> Any:
    """Mounts: ``TmpfsOptions.Mode`` as int bits."""
    out = []
    for mount in value:
        tmpfs = mount.get("TmpfsOptions") or {}
        if "Mode" in tmpfs:
            mount = {**mount, "TmpfsOptions": {**tmpfs, "Mode": mode_bits(tmpfs["Mode"])}}
        out.append(mount)
    return out


stop_grace_period = duration_ns
healthcheck = durations_at("Interval", "Timeout", "StartPeriod")
update_config = durations_at("Delay", "Monitor")
restart_policy = durations_at("Delay", "Window")
