"""diff(): pure, field by field, replacement only where the engine demands it."""

from __future__ import annotations

from typing import Any

import pytest
from docker import types
from pulumi.output import Unknown

from swarm_provider.provider import ServiceProvider
from swarm_provider.spec import build_spec, read_fields
from swarm_provider.validate import require_valid

BASE = {"name": "web", "image": "busybox:1", "owner": "p/s/web"}


def state_for(**inputs: Any) -> dict[str, Any]:
    """What create would store: the canonical rows as read back from the built spec."""
    return read_fields(build_spec(require_valid({**BASE, **inputs})))


def diff(old: dict[str, Any], **new: Any) -> Any:
    provider = ServiceProvider()
    checked = provider.check({}, {**BASE, **new})
    assert checked.failures == []
    return provider.diff("id", old, checked.inputs)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"mode": "replicated"}, {"mode": types.ServiceMode("replicated", 1)}),
        ({}, {"mode": "replicated"}),
        ({"env": ["A=1", "B=2"]}, {"env": {"B": "2", "A": "1"}}),
        ({"constraints": ["a==1", "b==2"]}, {"constraints": ["b==2", "a==1"]}),
        ({"stop_grace_period": "10s"}, {"stop_grace_period": 10_000_000_000}),
        ({"update_config": types.UpdateConfig(parallelism=1)},
         {"update_config": {"Parallelism": 1, "FailureAction": "continue"}}),
        ({"labels": {}}, {}),
        ({"isolation": "default"}, {}),
    ],
)
def test_equivalent_inputs_diff_to_nothing(old: dict[str, Any], new: dict[str, Any]) -> None:
    result = diff(state_for(**old), **new)
    assert result.changes is False and result.replaces == []


@pytest.mark.parametrize(
    ("old", "new", "replaces"),
    [
        ({"mode": "replicated"}, {"mode": types.ServiceMode("replicated", 3)}, []),
        ({"mode": "replicated"}, {"mode": "global"}, ["mode"]),
        ({"mode": "replicated-job"}, {"mode": "global-job"}, ["mode"]),
        ({"mode": {"mode": "replicated-job", "replicas": 2}},
         {"mode": {"mode": "replicated-job", "replicas": 5}}, []),
        ({}, {"name": "web2"}, ["name"]),
        ({"labels": {"a": "1"}}, {"labels": {"a": "2"}}, []),
        ({"env": ["A=1"]}, {}, []),
    ],
)
def test_changes_update_or_replace(
    old: dict[str, Any], new: dict[str, Any], replaces: list[str]
) -> None:
    result = diff(state_for(**old), **new)
    assert result.changes is True
    assert result.replaces == replaces
    assert result.delete_before_replace is True


def test_unknown_values_count_as_changes_and_unknown_names_as_replacement() -> None:
    provider = ServiceProvider()
    result = provider.diff("id", state_for(), {**require_valid(BASE), "name": Unknown()})
    assert result.changes is True and result.replaces == ["name"]
    result = provider.diff("id", state_for(), {**require_valid(BASE), "env": Unknown()})
    assert result.changes is True and result.replaces == []


def test_options_alone_do_not_trigger_an_update() -> None:
    result = diff(state_for(), wait=False, timeout=30)
    assert result.changes is False
