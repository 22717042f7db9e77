"""Spec features newer than Engine API 1.41, and the API version each one needs.

An engine that is too old does not refuse a key it does not know: Go's JSON decoder
drops it, the service is stored without the feature, and every later preview shows it as
a change that never sticks. So a spec that uses a feature is refused before it is sent
to an engine whose API is older than the feature (``engine.create_service`` and
``engine.update_service`` call ``require_features``). Pure: the caller passes the
version the engine reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import EngineError, field_message

ApiVersion = tuple[int, int]


@dataclass(frozen=True)
class Feature:
    """One spec key that only engines from ``minimum`` on keep."""

    field: str
    """The input that sets it (for the error message)."""
    path: tuple[str, ...]
    """Its Engine path; ``"*"`` stands for every item of a list."""
    minimum: ApiVersion
    """The first Engine API version that stores it."""
    release: str
    """The first Docker Engine release with that API (users know releases, not APIs)."""


_MOUNT = ("TaskTemplate", "ContainerSpec", "Mounts", "*")

FEATURES = (
    Feature("mounts", (*_MOUNT, "VolumeOptions", "Subpath"), (1, 45), "26.0"),
    Feature("mounts", (*_MOUNT, "BindOptions", "CreateMountpoint"), (1, 42), "23.0"),
    Feature("mounts", (*_MOUNT, "BindOptions", "ReadOnlyNonRecursive"), (1, 44), "25.0"),
    Feature("mounts", (*_MOUNT, "BindOptions", "ReadOnlyForceRecursive"), (1, 44), "25.0"),
    Feature("privileges", ("TaskTemplate", "ContainerSpec", "Privileges", "NoNewPrivileges"),
            (1, 44), "25.0"),
    Feature("oom_score_adj", ("TaskTemplate", "ContainerSpec", "OomScoreAdj"), (1, 46), "27.0"),
)


def parse_api_version(text: str) -> ApiVersion:
    major, _, minor = text.partition(".")
    return int(major), int(minor or 0)


def require_features(spec: Mapping[str, Any], api_version: str, service: str) -> None:
    """Raise EngineError naming the service and every feature the engine would drop."""
    have = parse_api_version(api_version)
    problems = [
        field_message(
            feature.field,
            ".".join(part for part in feature.path if part != "*"),
            f"needs Engine API {'.'.join(map(str, feature.minimum))} (Docker "
            f"{feature.release}) or newer, but the engine speaks API {api_version} and "
            "would silently drop it",
            value,
            f"upgrade the engine, or leave {feature.path[-1]} out",
        )
        for feature in FEATURES
        if have < feature.minimum
        for value in _values_at(spec, feature.path)
    ]
    if problems:
        raise EngineError(f"{service}: " + "; ".join(problems))


def _values_at(source: Any, path: tuple[str, ...]) -> Iterator[Any]:
    """Every value set (not None, not empty) at ``path``."""
    if not path:
        if source not in (None, "", [], {}):
            yield source
        return
    head, rest = path[0], path[1:]
    if head == "*":
        for item in source if isinstance(source, list) else []:
            yield from _values_at(item, rest)
    elif isinstance(source, Mapping) and head in source:
        yield from _values_at(source[head], rest)
