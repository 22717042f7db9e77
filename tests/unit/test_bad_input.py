"""Bad input found by the campaign of issue #14 (item 5): each fails in check (so in
``pulumi preview``), naming the input, in the one message shape; and the values Ansible's
docker_swarm_service idempotence suite writes are accepted."""

from __future__ import annotations

import re
from typing import Any

import pytest

from swarm_provider.core.check import normalise_inputs, normalise_rows
from swarm_provider.schema.objects import CONFIG, NETWORK_FIELDS

BASE = {"name": "web", "image": "busybox:1", "owner": "p/s/web"}
SHAPE = re.compile(r"^(?P<field>\w+) \((?P<path>[\w.\-]+)\): (?P<problem>.+); got (?P<value>.+)$")
REF = {"SecretID": "abc", "SecretName": "s"}

BAD_SERVICE_INPUTS: list[tuple[str, Any]] = [
    ("env", ["A=1", None]),
    ("env", {"A": {"nested": "x"}}),
    ("env", {"A": True}),
    ("command", ["sh", None]),
    ("command", ["sh", True]),
    ("command", True),
    ("args", [["nested"]]),
    ("args", 'echo "unbalanced'),  # shlex: No closing quotation (found by the fuzz test)
    ("command", "sh -c 'unbalanced"),
    ("constraints", ["node.role==worker", None]),
    ("constraints", ["node.role=worker"]),
    ("cap_add", [None]),
    ("labels", {"a": None}),
    ("labels", {"a": {"b": "c"}}),
    ("labels", {"swarm-provider.owner": "someone/else"}),
    ("container_labels", {"a": ["x"]}),
    ("sysctls", {"net.core.somaxconn": None}),
    ("hosts", ["1.2.3.4 a", None]),
    ("hosts", {"a": None}),
    ("mounts", ["/srv:relative/target"]),
    ("mounts", [{"Type": "volume", "Source": "v", "Target": "data"}]),
    ("mounts", [{"Type": "bind", "Source": "/srv", "Target": "/srv", "ReadOnly": "no"}]),
    ("mounts", [{"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"Mode": "1777"}}]),
    ("secrets", [{**REF, "File": {"Name": "s", "Mode": "0400"}}]),
    ("secrets", [{"secret_id": "abc", "secret_name": "s", "mode": "0400"}]),
    ("dns_config", {"Nameservers": "8.8.8.8"}),
    ("privileges", {"selinux_disable": "yes"}),
    ("privileges", {"SELinuxContext": {"Disable": "yes"}}),
    ("networks", [{"Target": "n", "Aliases": [["nested"]]}]),
    ("networks", [{"Target": "n", "DriverOpts": ["a=b"]}]),
    ("image", "busy box:1"),
    ("image", "Busybox:1"),
    ("stop_grace_period", 2**63),
    ("stop_grace_period", "9999999999h"),
    ("stop_grace_period", 10),
    ("update_config", {"Delay": 500}),
    ("restart_policy", {"Delay": 10}),
    ("force_update", 2**64),
    ("maxreplicas", 1e19),
    ("mode", {"mode": "replicated", "replicas": 2**64}),
    ("endpoint_spec", {"Ports": [{"TargetPort": 80, "PublishedPort": 8080},
                                 {"TargetPort": 81, "PublishedPort": 8080}]}),
    ("resources", {"Limits": {"NanoCPUs": "0.005"}}),
    ("resources", {"Limits": {"NanoCPUs": "inf"}}),
    ("resources", {"Limits": {"NanoCPUs": float("inf")}}),
    ("resources", {"Limits": {"MemoryBytes": "1e400"}}),
    ("healthcheck", {"test": ["CMD", None]}),
    ("healthcheck", {"test": True}),
    ("preferences", [("spread",)]),
    ("platforms", [("amd64",)]),
]


@pytest.mark.parametrize(("field", "value"), BAD_SERVICE_INPUTS,
                         ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD_SERVICE_INPUTS)])
def test_bad_service_input_fails_in_check_naming_the_input(field: str, value: Any) -> None:
    _, failures = normalise_inputs({**BASE, field: value})
    messages = [message for name, message in failures if name == field]
    assert messages, f"{field}={value!r} was accepted"
    match = SHAPE.match(messages[0])
    assert match and match["field"] == field, messages[0]


@pytest.mark.parametrize(("table", "field", "value"), [
    (NETWORK_FIELDS, "name", "my network"),
    (NETWORK_FIELDS, "ipam", {"Config": [{"Subnet": "10.0.0.0/33"}]}),
    (NETWORK_FIELDS, "ipam", {"Config": [{"Subnet": "10.0.0.0/24", "Gateway": "10.0.0"}]}),
    (CONFIG.table, "templating", {"Name": "jinja"}),
])
def test_bad_object_input_fails_in_check(table: Any, field: str, value: Any) -> None:
    _, failures = normalise_rows({"name": "x", field: value}, table)
    messages = [message for name, message in failures if name == field]
    assert messages and SHAPE.match(messages[0]), (field, value, failures)


def test_a_nested_failure_quotes_only_the_offending_part() -> None:
    _, failures = normalise_inputs({**BASE, "healthcheck": {
        "test": "curl -H 'Authorization: t0ps3cret'", "interval": "bad"}})
    message = dict(failures)["healthcheck"]
    assert "Interval is not a duration" in message and 'got "bad"' in message
    assert "t0ps3cret" not in message


def test_sub_millisecond_durations_say_how_to_write_seconds() -> None:
    _, failures = normalise_inputs({**BASE, "stop_grace_period": 10.0})
    message = dict(failures)["stop_grace_period"]
    assert "below 1 ms" in message and '"10s"' in message and "10.0" not in message


ANSIBLE_IDEMPOTENCE_VALUES: list[dict[str, Any]] = [
    # community.docker tests/integration/targets/docker_swarm_service/tasks/tests/*.yml,
    # written in this package's keywords; numbers arrive as floats from Pulumi.
    {"healthcheck": {"test": ["CMD", "sleep", 1.0], "timeout": "2s",
                     "interval": "0h0m2s3ms4us", "retries": 2.0, "start_period": "20s"}},
    {"healthcheck": {"test": ["NONE"]}},
    {"healthcheck": {"test": "sleep 1"}},
    {"healthcheck": {}},
    {"command": '/bin/sh -v -c "sleep 10m"'},
    {"args": ["sleep", "3600"]},
    {"args": []},
    {"env": {"TEST1": "val1", "TEST2": "val2"}},
    {"groups": ["1234", "5678"]},
    {"hosts": {"example.com": "1.2.3.4", "example.org": "4.3.2.1"}},
    {"dns_config": {"nameservers": ["1.1.1.1", "8.8.8.8"], "search": ["example.com"],
                    "options": ["timeout:10", "rotate"]}},
    {"preferences": [{"spread": "node.labels.mylabel"}]},
    {"constraints": ["node.role == manager", "node.labels.x!=y"]},
    {"update_config": {"delay": "5s", "monitor": "1m", "max_failure_ratio": 0.25,
                       "parallelism": 2.0, "order": "start-first", "failure_action": "rollback"}},
    {"restart_policy": {"condition": "on-failure", "delay": "5s", "max_attempts": 1.0,
                        "window": "10s"}},
    {"resources": {"Limits": {"NanoCPUs": "1", "MemoryBytes": "64M"},
                   "Reservations": {"NanoCPUs": "0.5", "MemoryBytes": "64MB"}}},
    {"mounts": [{"source": "myvol", "target": "/tmp", "type": "volume", "readonly": True}]},
    {"mounts": [{"Target": "/tmp", "Type": "tmpfs",
                 "TmpfsOptions": {"SizeBytes": "50M", "Mode": float(0o1777)}}]},
    {"secrets": [{"secret_id": "abc", "secret_name": "s", "filename": "/run/secrets/x.txt",
                  "uid": "1000", "gid": "1000", "mode": float(0o400)}]},
    {"endpoint_spec": {"Ports": [{"PublishedPort": 60001.0, "TargetPort": 60001.0,
                                  "Protocol": "udp"},
                                 {"PublishedPort": 60001.0, "TargetPort": 60001.0,
                                  "Protocol": "tcp"}]}},
    {"image": "localhost:5000/team/app:1.2.3"},
    {"image": "nginx:1.27@sha256:" + "a" * 64},
    {"stop_grace_period": 0},
    {"stop_grace_period": "1m30s"},
]


@pytest.mark.parametrize("inputs", ANSIBLE_IDEMPOTENCE_VALUES)
def test_values_ansibles_suite_writes_are_accepted(inputs: dict[str, Any]) -> None:
    _, failures = normalise_inputs({**BASE, **inputs})
    assert not failures, failures


@pytest.mark.parametrize(("value", "suggestion"), [
    ({"parallelizm": 2}, "did you mean 'parallelism'?"),
    ({"Parallelizm": 2}, "did you mean 'Parallelism'?"),
    ({"max_failure_ration": 0.5}, "did you mean 'max_failure_ratio'?"),
    ({"MaxFailureRation": 0.5}, "did you mean 'MaxFailureRatio'?"),
])
def test_did_you_mean_in_the_spelling_the_user_used(value: dict[str, Any],
                                                    suggestion: str) -> None:
    _, failures = normalise_inputs({**BASE, "update_config": value})
    assert suggestion in dict(failures)["update_config"]


def test_durations_and_modes_read_as_written_and_build_in_engine_units() -> None:
    """Issue #12 item 5: the preview shows "10s" and "0o440"; the engine gets ns and bits;
    state written in Engine units by an earlier version diffs as unchanged."""
    from swarm_provider.core.diff import diff_fields
    from swarm_provider.core.spec import build_spec

    ref = {"SecretID": "abc", "SecretName": "s", "File": {"Name": "s", "Mode": 0o440}}
    canonical, failures = normalise_inputs({
        **BASE, "stop_grace_period": 10_000_000_000.0, "secrets": [ref],
        "healthcheck": {"test": "true", "interval": 5e9, "start_period": "1m30s"},
        "update_config": {"monitor": "5s", "delay": 500_000_000},
        "restart_policy": {"delay": 0, "window": "2m"},
        "mounts": [{"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"Mode": 0o1777}}]})
    assert not failures, failures
    assert canonical["stop_grace_period"] == "10s"
    assert canonical["secrets"][0]["File"]["Mode"] == "0o440"
    assert canonical["healthcheck"] == {"Test": ["CMD-SHELL", "true"], "Interval": "5s",
                                        "StartPeriod": "1m30s"}
    assert canonical["update_config"] == {"Monitor": "5s", "Delay": "500ms"}
    assert canonical["restart_policy"] == {"Condition": "any", "Delay": "0s", "Window": "2m"}
    assert canonical["mounts"][0]["TmpfsOptions"] == {"Mode": "0o1777"}

    spec = build_spec(canonical)
    container = spec["TaskTemplate"]["ContainerSpec"]
    assert container["StopGracePeriod"] == 10_000_000_000
    assert container["Secrets"][0]["File"]["Mode"] == 0o440
    assert container["Healthcheck"]["Interval"] == 5_000_000_000
    assert container["Healthcheck"]["StartPeriod"] == 90_000_000_000
    assert container["Mounts"][0]["TmpfsOptions"]["Mode"] == 0o1777
    assert spec["UpdateConfig"] == {"Monitor": 5_000_000_000, "Delay": 500_000_000}
    assert spec["TaskTemplate"]["RestartPolicy"] == {
        "Condition": "any", "Delay": 0, "Window": 120_000_000_000}

    old_state = {**canonical, "stop_grace_period": 10_000_000_000,
                 "secrets": [{**canonical["secrets"][0],
                              "File": {**canonical["secrets"][0]["File"], "Mode": 288}}],
                 "healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 5_000_000_000,
                                 "StartPeriod": 90_000_000_000},
                 "update_config": {"Monitor": 5_000_000_000, "Delay": 500_000_000}}
    assert not diff_fields(old_state, canonical).has_changes
