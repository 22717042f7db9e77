"""diff(): pure, field by field, replacement only where the engine demands it."""

from __future__ import annotations

from typing import Any

import pytest
from docker import types
from pulumi.output import Unknown

from swarm_provider.core.check import require_valid
from swarm_provider.core.spec import build_spec, read_fields
from swarm_provider.providers.service import ServiceProvider

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


def test_options_alone_are_an_update_that_replaces_nothing() -> None:
    """The one rule for options (test_options.py): the new values must reach the state."""
    result = diff(state_for(), wait=False, timeout=30)
    assert result.changes is True and result.replaces == []


# --- engine defaults compare as unset (issue 14, item 11) ------------------------------------

DOCKER_PY_DEFAULTS = {  # what docker-py's Service.update() writes back (insertDefaults)
    "restart_policy": {"Condition": "any", "Delay": 5_000_000_000, "MaxAttempts": 0},
    "update_config": {"Parallelism": 1, "FailureAction": "pause", "Monitor": 5_000_000_000,
                      "MaxFailureRatio": 0, "Order": "stop-first"},
    "rollback_config": {"Parallelism": 1, "FailureAction": "pause", "Monitor": 5_000_000_000,
                        "MaxFailureRatio": 0, "Order": "stop-first"},
    "stop_grace_period": 10_000_000_000,
    "dns_config": {},
    "resources": {},
    "constraints": [],
}


@pytest.mark.parametrize("field", sorted(DOCKER_PY_DEFAULTS))
def test_an_engine_default_in_the_state_is_no_change(field: str) -> None:
    old = state_for(**{field: DOCKER_PY_DEFAULTS[field]})
    assert diff(old).changes is False


@pytest.mark.parametrize(("field", "value"), [
    ("restart_policy", {"Condition": "on-failure"}),
    ("restart_policy", {"Condition": "any", "Delay": 1_000_000_000}),
    ("restart_policy", {"MaxAttempts": 3}),
    ("restart_policy", {"Window": 5_000_000_000}),
    ("update_config", {"Parallelism": 0}),  # stored: all tasks at once
    ("update_config", {"Parallelism": 2, "Monitor": 5_000_000_000}),
    ("update_config", {"Parallelism": 1, "FailureAction": "rollback"}),
    ("rollback_config", {"Parallelism": 1, "Order": "start-first"}),
    ("stop_grace_period", 9_000_000_000),
])
def test_a_value_other_than_the_default_is_still_a_change(field: str, value: Any) -> None:
    assert diff(state_for(**{field: value})).changes is True


@pytest.mark.parametrize(("stored", "declared"), [
    ({"Condition": "on-failure", "Delay": 5_000_000_000, "MaxAttempts": 0},
     {"Condition": "on-failure"}),
    ({"Condition": "any", "Delay": 5_000_000_000, "Window": 1_000_000_000},
     {"Window": "1s"}),
])
def test_defaults_fold_per_key(stored: dict[str, Any], declared: dict[str, Any]) -> None:
    assert diff(state_for(restart_policy=stored), restart_policy=declared).changes is False


def test_redeploy_decisions_still_see_the_stored_shape() -> None:
    """The engine redeploys when an explicit default disappears from the task template."""
    from swarm_provider.converge import wait as converge
    stored = state_for(stop_grace_period=10_000_000_000)
    assert converge.redeploys(stored, state_for()) is True
    assert converge.redeploys(state_for(), state_for()) is False
