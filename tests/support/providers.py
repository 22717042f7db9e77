"""Helpers for driving a provider the way Pulumi does: check first, then the operation."""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import ResourceProvider


def checked(provider: ResourceProvider, raw: dict[str, Any]) -> dict[str, Any]:
    """The inputs ``check`` hands on, asserting it found nothing wrong."""
    result = provider.check({}, raw)
    assert result.failures == [], [f.reason for f in result.failures]
    return dict(result.inputs)


def failures(provider: ResourceProvider, raw: dict[str, Any]) -> dict[str, str]:
    """What ``check`` refused: field -> message."""
    return {f.property: f.reason for f in provider.check({}, raw).failures or []}
