"""check(): every input validated before any engine call, one message shape, unknowns ok."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pulumi.output import Unknown

from swarm_provider.core.check import normalise_inputs
from swarm_provider.providers.service import ServiceProvider

BASE = {"name": "web", "image": "busybox:1", "owner": "p/s/web"}
SHAPE = re.compile(r"^(?P<field>\w+) \((?P<path>[\w.\-]+)\): (?P<problem>.+); got (?P<value>.+)$")


def failures_for(**inputs: Any) -> dict[str, str]:
    _, failures = normalise_inputs({**BASE, **inputs})
    return dict(failures)


@pytest.mark.parametrize(
    ("inputs", "field", "path", "words"),
    [
        ({"stop_grace_period": "ten"}, "stop_grace_period",
         "TaskTemplate.ContainerSpec.StopGracePeriod", "is not a duration"),
        ({"log_driver_options": {"max-size": "1m"}}, "log_driver_options",
         "TaskTemplate.LogDriver.Options", "needs log_driver"),
        ({"mode": "replicated-job", "update_config": {"Parallelism": 1}}, "update_config",
         "UpdateConfig", "not allowed for ReplicatedJob"),
        ({"mode": "global", "maxreplicas": 2}, "maxreplicas",
         "TaskTemplate.Placement.MaxReplicas", "only applies to replicated"),
        ({"resources": {"Limits": {"MemoryBytes": 1024}}}, "resources",
         "TaskTemplate.Resources", "at least 4MiB"),
        ({"resources": {"Limits": {"NanoCPUs": 10}}}, "resources",
         "TaskTemplate.Resources", "at least 0.01 CPU"),
        ({"resources": {"Reservations": {"NanoCPUs": 10}}}, "resources",
         "TaskTemplate.Resources", "at least 0.001 CPU"),
        ({"name": "Web_Server-"}, "name", "Name", "valid as a DNS name"),
        ({"name": "x" * 64}, "name", "Name", "63 characters"),
        ({"endpoint_spec": {"Mode": "dnsrr", "Ports": [{"TargetPort": 80}]}}, "endpoint_spec",
         "EndpointSpec", "ingress mode can't be used with dnsrr"),
        ({"secrets": [{"SecretID": "abc"}]}, "secrets", "TaskTemplate.ContainerSpec.Secrets",
         "needs both SecretID and SecretName"),
    ],
)
def test_failures_name_field_path_and_value(
    inputs: dict[str, Any], field: str, path: str, words: str
) -> None:
    message = failures_for(**inputs)[field]
    match = SHAPE.match(message)
    assert match, message
    assert match["field"] == field and match["path"] == path
    assert words in match["problem"]


def test_secret_values_are_redacted_in_messages() -> None:
    message = failures_for(env={"BAD KEY": "hunter2"})["env"]
    assert "hunter2" not in message and "[secret]" in message


def test_unknown_input_names_are_reported() -> None:
    assert "unknown input" in failures_for(replicas=3)["replicas"]


def test_required_inputs() -> None:
    _, failures = normalise_inputs({"owner": "x"})
    assert {name for name, _ in failures} == {"name", "image"}


def test_unknown_values_pass_check_untouched() -> None:
    provider = ServiceProvider()
    unknown = Unknown()
    result = provider.check({}, {**BASE, "networks": [unknown], "env": unknown,
                                 "mode": {"Replicated": {"Replicas": unknown}}})
    assert result.failures == []
    assert result.inputs["env"] is unknown


def test_check_returns_canonical_inputs() -> None:
    result = ServiceProvider().check({}, {**BASE, "mode": "global", "env": {"A": 1.0}})
    assert result.failures == []
    assert result.inputs["mode"] == {"Global": {}}
    assert result.inputs["env"] == ["A=1"]
    assert "labels" not in result.inputs  # unset rows are left out, not null


def test_check_reports_every_failure_at_once() -> None:
    result = ServiceProvider().check({}, {**BASE, "mode": "sideways", "mounts": ["a:b:c:d"]})
    assert {f.property for f in result.failures} == {"mode", "mounts"}
