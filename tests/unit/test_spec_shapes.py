"""build_spec always sends the sub-structs the docker CLI sends (issue 14, item 1).

Docker 20.10's manager panics when a live service is updated to a spec with no
``TaskTemplate.Placement`` (moby/swarmkit#2947), which is what removing the last
constraint sent before. The base shapes are what ``docker stack deploy`` stores
(measured: tests/integration/test_spec_shapes.py compares with the real CLI), and each
reads back as "unset", so state written without them still diffs as unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest

from swarm_provider.core.check import require_valid
from swarm_provider.core.spec import SERVICE_BASE, build_spec, read_fields
from swarm_provider.providers.service import ServiceProvider

BASE = {"name": "web", "image": "busybox:1", "owner": "p/s/web"}

CLI_BASE = {
    ("TaskTemplate", "Placement"): {},
    ("TaskTemplate", "Resources"): {},
    ("TaskTemplate", "ForceUpdate"): 0,
    ("TaskTemplate", "ContainerSpec", "Privileges"): {"CredentialSpec": None,
                                                      "SELinuxContext": None},
    ("EndpointSpec",): {"Mode": "vip"},
}


def at(spec: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        spec = spec[key]
    return spec


def spec_for(**inputs: Any) -> dict[str, Any]:
    return build_spec(require_valid({**BASE, **inputs}))


@pytest.mark.parametrize("mode", ["replicated", "global", "replicated-job", "global-job"])
def test_a_minimal_spec_carries_every_cli_base_shape(mode: str) -> None:
    spec = spec_for(mode=mode)
    for path, value in CLI_BASE.items():
        assert at(spec, path) == value, path


@pytest.mark.parametrize("cleared", [
    {"constraints": ["node.role==manager"]},
    {"preferences": [("spread", "node.labels.zone")]},
    {"maxreplicas": 2},
    {"platforms": ["linux/amd64"]},
    {"resources": {"Limits": {"MemoryBytes": "64m"}}},
    {"pids_limit": 50},
    {"endpoint_spec": {"Mode": "dnsrr"}},
    {"endpoint_spec": {"Ports": [{"TargetPort": 80, "PublishedPort": 18080}]}},
    {"privileges": {"selinux_disable": True}},
    {"force_update": 3},
])
def test_clearing_an_input_keeps_the_base_shape(cleared: dict[str, Any]) -> None:
    """What used to vanish (and crash the manager for Placement) stays as the CLI's base."""
    with_it, without = spec_for(**cleared), spec_for()
    for path, value in CLI_BASE.items():
        assert at(without, path) == value, path
        assert isinstance(at(with_it, path), type(value)), path


def test_inputs_merge_into_the_base() -> None:
    spec = spec_for(constraints=["node.role==manager"], pids_limit=5,
                    endpoint_spec={"Ports": {18080: 80}}, privileges={"selinux_disable": True},
                    force_update=2)
    task = spec["TaskTemplate"]
    assert task["Placement"] == {"Constraints": ["node.role==manager"]}
    assert task["Resources"] == {"Limits": {"Pids": 5}}
    assert task["ForceUpdate"] == 2
    assert task["ContainerSpec"]["Privileges"] == {"CredentialSpec": None,
                                                   "SELinuxContext": {"Disable": True}}
    assert spec["EndpointSpec"]["Mode"] == "vip" and len(spec["EndpointSpec"]["Ports"]) == 1
    assert SERVICE_BASE["TaskTemplate"]["Placement"] == {}  # the base itself is untouched


def test_the_base_shapes_read_back_as_unset() -> None:
    assert {k: v for k, v in read_fields(SERVICE_BASE).items() if v is not None} == {
        "mode": {"Replicated": {"Replicas": 1}}}


def old_spec(**inputs: Any) -> dict[str, Any]:
    """What the previous build_spec sent: no sub-struct that no input sets."""
    def strip(value: Any, base: Any) -> Any:
        if isinstance(value, dict) and isinstance(base, dict):
            out = {k: strip(v, base.get(k)) for k, v in value.items() if v != base.get(k)}
            return {k: v for k, v in out.items() if v != {}}
        return value
    return strip(spec_for(**inputs), SERVICE_BASE)


@pytest.mark.parametrize("inputs", [{}, {"constraints": ["node.role==manager"]},
                                    {"mode": "global-job"}])
def test_state_written_without_the_base_still_diffs_as_unchanged(inputs: dict[str, Any]) -> None:
    assert "Placement" not in old_spec()["TaskTemplate"]
    provider = ServiceProvider()
    old_state = read_fields(old_spec(**inputs))
    assert old_state == read_fields(spec_for(**inputs))
    checked = provider.check({}, {**BASE, **inputs})
    assert provider.diff("id", old_state, checked.inputs).changes is False
