"""Every value form docker-py accepts normalises to one canonical Engine form."""

from __future__ import annotations

from typing import Any

import pytest
from docker import types

from swarm_provider.errors import FieldValueError
from swarm_provider.schema import normalise as n
from swarm_provider.schema.service import FIELDS_BY_NAME

MIB = 1024 * 1024

# (field, forms that must all give `expected`, expected)
EQUIVALENT_FORMS: list[tuple[str, list[Any], Any]] = [
    ("mode", [None, "replicated", {"replicated": {}}, {"Replicated": {"Replicas": 1}},
              types.ServiceMode("replicated", 1), {"mode": "replicated", "replicas": 1.0}],
     {"Replicated": {"Replicas": 1}}),
    ("mode", ["global", types.ServiceMode("global"), {"Global": {}}], {"Global": {}}),
    ("mode", [{"mode": "replicated-job", "replicas": 4, "concurrency": 2},
              types.ServiceMode("replicated-job", replicas=4, concurrency=2),
              {"ReplicatedJob": {"MaxConcurrent": 2, "TotalCompletions": 4}}],
     {"ReplicatedJob": {"MaxConcurrent": 2, "TotalCompletions": 4}}),
    ("mode", ["replicated-job", {"ReplicatedJob": {}}],
     {"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": 1}}),
    ("mode", ["global-job", types.ServiceMode("global-job")], {"GlobalJob": {}}),
    ("env", [{"B": "2", "A": "1"}, ["A=1", "B=2"], ["B=2", "A=1"], ("A=1", "B=2")],
     ["A=1", "B=2"]),
    ("env", [{"FLAG": None}, ["FLAG"]], ["FLAG"]),
    ("env", [{"N": 1.0}, ["N=1"]], ["N=1"]),
    ("env", [None, {}, []], None),
    ("command", ["sh -c 'echo hi'", ["sh", "-c", "echo hi"]], ["sh", "-c", "echo hi"]),
    ("labels", [None, {}], None),
    ("labels", [{"b": "2", "a": 1}, ["a=1", "b=2"]], {"a": "1", "b": "2"}),
    ("isolation", [None, "default", ""], None),
    ("constraints", [["node.role==worker", "node.os==linux"],
                     ["node.os==linux", "node.role==worker", "node.os==linux"]],
     ["node.os==linux", "node.role==worker"]),
    ("hosts", [{"db": "10.0.0.2", "api": "10.0.0.3"}, ["10.0.0.3 api", "10.0.0.2  db"],
               ["db:10.0.0.2", "api:10.0.0.3"]], ["10.0.0.2 db", "10.0.0.3 api"]),
    ("platforms", [[("amd64", "linux")], [["amd64", "linux"]], ["linux/amd64"],
                   [{"Architecture": "amd64", "OS": "linux"}]],
     [{"Architecture": "amd64", "OS": "linux"}]),
    ("preferences", [[("spread", "node.labels.zone")], ["spread=node.labels.zone"],
                     [types.PlacementPreference("spread", "node.labels.zone")]],
     [{"Spread": {"SpreadDescriptor": "node.labels.zone"}}]),
    ("resources", [types.Resources(cpu_limit=500_000_000, mem_limit=64 * MIB),
                   {"cpu_limit": 500_000_000, "mem_limit": "64m"},
                   {"Limits": {"NanoCPUs": "0.5", "MemoryBytes": "64MiB"}},
                   {"Limits": {"NanoCPUs": 0.5, "MemoryBytes": 64.0 * MIB}}],
     {"Limits": {"NanoCPUs": 500_000_000, "MemoryBytes": 64 * MIB}}),
    ("resources", [None, {}, types.Resources(), {"Limits": {}, "Reservations": {}}], None),
    ("restart_policy", [types.RestartPolicy(condition="any", delay=0),
                        {"Condition": "any", "Delay": 0, "MaxAttempts": 0, "Window": 0}],
     {"Condition": "any", "Delay": "0s", "Window": "0s"}),
    ("restart_policy", [{"Condition": "any", "Delay": 2_000_000_000, "MaxAttempts": 0},
                        {"delay": "2s"}], {"Condition": "any", "Delay": "2s"}),
    ("restart_policy", [{"delay": "5s"}, {"Condition": "any", "Delay": 5_000_000_000}],
     {"Condition": "any", "Delay": "5s"}),
    ("update_config", [types.UpdateConfig(parallelism=1, failure_action="rollback",
                                          monitor=3_000_000_000),
                       {"parallelism": 1, "failure_action": "rollback", "monitor": "3s"},
                       {"Parallelism": 1, "FailureAction": "rollback", "Monitor": 3_000_000_000,
                        "MaxFailureRatio": 0, "Order": "stop-first"}],
     {"Parallelism": 1, "FailureAction": "rollback", "Monitor": "3s"}),
    ("update_config", [{}, {"FailureAction": "", "Order": ""},
                       {"Parallelism": 0, "FailureAction": "pause", "MaxFailureRatio": 0}], {}),
    ("endpoint_spec", [types.EndpointSpec(ports={8080: (80, "tcp", "host")}),
                       {"ports": {"8080": [80, "tcp", "host"]}},
                       {"Mode": "vip", "Ports": [{"TargetPort": 80, "PublishedPort": 8080,
                                                  "PublishMode": "host"}]}],
     {"Ports": [{"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080,
                 "PublishMode": "host"}]}),
    ("endpoint_spec", [None, {}, types.EndpointSpec(), {"Mode": "vip"}], None),
    ("healthcheck", [types.Healthcheck(test="wget -q -O- localhost", interval=5_000_000_000),
                     {"test": "wget -q -O- localhost", "interval": "5s"},
                     {"Test": ["CMD-SHELL", "wget -q -O- localhost"], "Interval": 5_000_000_000,
                      "Timeout": 0, "Retries": 0}],
     {"Test": ["CMD-SHELL", "wget -q -O- localhost"], "Interval": "5s"}),
    ("dns_config", [types.DNSConfig(nameservers=["1.1.1.1"]),
                    {"Nameservers": ["1.1.1.1"], "Search": None, "Options": None}],
     {"Nameservers": ["1.1.1.1"]}),
    ("dns_config", [None, types.DNSConfig(), {}], None),
    ("oom_score_adj", [-500, -500.0, "-500"], -500),
    ("oom_score_adj", [None, 0], None),
    ("privileges", [types.Privileges(selinux_disable=True),
                    {"CredentialSpec": None, "SELinuxContext": {"Disable": True, "User": "",
                                                                "Role": "", "Type": "",
                                                                "Level": ""}}],
     {"SELinuxContext": {"Disable": True}}),
    # Docker 25+ reads back "NoNewPrivileges": false with every Privileges: unset.
    ("privileges", [{"SELinuxContext": {"Disable": True}, "NoNewPrivileges": False},
                    {"CredentialSpec": None, "SELinuxContext": {"Disable": True, "User": ""},
                     "NoNewPrivileges": False}],
     {"SELinuxContext": {"Disable": True}}),
    ("privileges", [{"NoNewPrivileges": False}, {"CredentialSpec": None, "SELinuxContext": None,
                                                 "NoNewPrivileges": False}], None),
    ("privileges", [{"NoNewPrivileges": True}, {"no_new_privileges": True}],
     {"NoNewPrivileges": True}),
    ("mounts", [["/srv:/data:ro"], [types.Mount("/data", "/srv", type="bind", read_only=True)],
                [{"Type": "bind", "Source": "/srv", "Target": "/data", "ReadOnly": True}]],
     [{"Type": "bind", "Source": "/srv", "Target": "/data", "ReadOnly": True}]),
    ("mounts", [[types.Mount("/t", None, type="tmpfs", tmpfs_size="16m")],
                [{"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": 16 * MIB}}]],
     [{"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": 16 * MIB}}]),
    ("mounts", [[types.Mount("/d", "vol", subpath="app/data")],
                [{"target": "/d", "source": "vol", "subpath": "app/data"}],
                [{"Type": "volume", "Source": "vol", "Target": "/d",
                  "VolumeOptions": {"Subpath": "app/data", "NoCopy": False}}]],
     [{"Type": "volume", "Source": "vol", "Target": "/d",
       "VolumeOptions": {"Subpath": "app/data"}}]),
    # docker-py's Mount keywords, alone or mixed with Engine keys (issue #10).
    ("mounts", [[{"source": "v", "target": "/t", "read_only": True}],
                [types.Mount("/t", "v", read_only=True)],
                [{"Source": "v", "Target": "/t", "ReadOnly": True}]],
     [{"Type": "volume", "Source": "v", "Target": "/t", "ReadOnly": True}]),
    ("mounts", [[{"type": "tmpfs", "target": "/t", "tmpfs_size": "50M"}],
                [types.Mount("/t", None, type="tmpfs", tmpfs_size="50M")],
                [{"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"size_bytes": 50 * MIB}}]],
     [{"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": 50 * MIB}}]),
    ("mounts", [[types.Mount("/t", "v", no_copy=True, labels={"a": "b"},
                             driver_config=types.DriverConfig("local", {"o": "x"}))],
                [{"target": "/t", "source": "v", "no_copy": True, "labels": {"a": "b"},
                  "driver_config": {"name": "local", "options": {"o": "x"}}}]],
     [{"Type": "volume", "Source": "v", "Target": "/t",
       "VolumeOptions": {"NoCopy": True, "Labels": {"a": "b"},
                         "DriverConfig": {"Name": "local", "Options": {"o": "x"}}}}]),
    ("mounts", [[types.Mount("/t", "/s", type="bind", propagation="rshared")],
                [{"type": "bind", "source": "/s", "target": "/t", "propagation": "rshared"}]],
     [{"Type": "bind", "Source": "/s", "Target": "/t",
       "BindOptions": {"Propagation": "rshared"}}]),
    ("resources", [{"cpu_limit": "0.5", "Limits": {"MemoryBytes": "64m"}},
                   {"limits": {"nano_cpus": 500_000_000, "memory_bytes": 64 * MIB}}],
     {"Limits": {"NanoCPUs": 500_000_000, "MemoryBytes": 64 * MIB}}),
    ("privileges", [{"selinux_user": "u", "credentialspec_file": "f"},
                    types.Privileges(selinux_user="u", credentialspec_file="f"),
                    {"SELinuxContext": {"User": "u"}, "CredentialSpec": {"File": "f"}}],
     {"CredentialSpec": {"File": "f"}, "SELinuxContext": {"User": "u"}}),
    ("secrets", [[types.SecretReference("sid", "db-pass")],
                 [{"secret_id": "sid", "secret_name": "db-pass"}],
                 [{"SecretID": "sid", "SecretName": "db-pass",
                   "File": {"Name": "db-pass", "UID": "0", "GID": "0", "Mode": 292}}]],
     [{"SecretID": "sid", "SecretName": "db-pass",
       "File": {"Name": "db-pass", "UID": "0", "GID": "0", "Mode": "0o444"}}]),
    ("configs", [[types.ConfigReference("cid", "app.conf", filename="/etc/app.conf", mode=0o400)],
                 [{"ConfigID": "cid", "ConfigName": "app.conf",
                   "File": {"Name": "/etc/app.conf", "Mode": 256.0}}]],
     [{"ConfigID": "cid", "ConfigName": "app.conf",
       "File": {"Name": "/etc/app.conf", "UID": "0", "GID": "0", "Mode": "0o400"}}]),
    ("networks", [["front"], [types.NetworkAttachmentConfig("front")], [{"Target": "front"}]],
     [{"Target": "front"}]),
    ("ulimits", [{"nofile": [1024, 2048]}, {"nofile": {"soft": 1024, "hard": 2048}},
                 [{"Name": "nofile", "Soft": 1024, "Hard": 2048}]],
     [{"Name": "nofile", "Soft": 1024, "Hard": 2048}]),
    ("stop_grace_period", ["10s", 10_000_000_000, 1e10, "10000ms"], "10s"),
    ("force_update", [None, 0, 0.0], None),
    ("tty", [None, False], None),
    ("init", [False], False),
]


@pytest.mark.parametrize(
    ("name", "form", "expected"),
    [(name, form, expected) for name, forms, expected in EQUIVALENT_FORMS for form in forms],
)
def test_value_forms_normalise_alike(name: str, form: Any, expected: Any) -> None:
    assert FIELDS_BY_NAME[name].normalise(form) == expected


@pytest.mark.parametrize(("name", "expected"), [(n_, e) for n_, _, e in EQUIVALENT_FORMS])
def test_normalising_is_idempotent(name: str, expected: Any) -> None:
    assert FIELDS_BY_NAME[name].normalise(expected) == expected


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("mode", "sideways", "unknown mode"),
        ("mode", {"Replicated": {}, "Global": {}}, "exactly one mode"),
        ("mounts", ["vol:/x:z"], "not ro or rw"),
        ("mounts", ["/a:/x", "b:/x"], "duplicate mount point"),
        ("mounts", [{"Target": "/d", "Source": "v", "VolumeOptions": {"Subpath": "/abs"}}],
         "relative path within the volume"),
        ("mounts", [{"Target": "/d", "Source": "v", "VolumeOptions": {"Subpath": "a/../.."}}],
         "relative path within the volume"),
        ("mounts", [{"Target": "/d", "VolumeOptions": {"Subpath": "a"}}], "named volume"),
        ("mounts", [{"Type": "bind", "Source": "/s", "Target": "/d",
                     "VolumeOptions": {"Subpath": "a"}}], "only applies to volume mounts"),
        ("secrets", [{"SecretName": "only-a-name"}], "needs both SecretID and SecretName"),
        # the Engine's SecretReference has no Runtime (a ConfigReference has)
        ("secrets", [{"SecretID": "i", "SecretName": "n", "Runtime": {}}],
         "unknown key 'Runtime' in SecretReference"),
        ("stop_grace_period", "10 seconds", "is not a duration"),
        ("update_config", {"FailureAction": "explode"}, "FailureAction must be"),
        ("update_config", {"Order": "sideways"}, "Order must be"),
        ("restart_policy", {"Condition": "always"}, "Condition must be"),
        ("endpoint_spec", {"Ports": [{"TargetPort": 70000}]}, "outside 1-65535"),
        ("healthcheck", {"Test": "true", "Interval": 500}, "at least 1ms"),
        ("resources", {"Limits": {"MemoryBytes": "lots"}}, "is not a size"),
        ("ulimits", {"nofile": [10, 5]}, "exceeds hard"),
        ("isolation", "sandbox", "must be one of"),
        ("env", {"BAD NAME": "x"}, "invalid variable name"),
        ("maxreplicas", True, "not a boolean"),
        ("oom_score_adj", 1001, "between -1000 and 1000"),
        ("oom_score_adj", "high", "must be an integer"),
        # str.isdigit() is true for these, and int() refuses them (found by the fuzz test)
        ("oom_score_adj", "\u00b9", "must be an integer"),
        ("stop_grace_period", "\u00b2", "is not a duration"),
    ],
)
def test_bad_values_are_rejected(name: str, value: Any, problem: str) -> None:
    with pytest.raises(FieldValueError, match=problem):
        FIELDS_BY_NAME[name].normalise(value)


# An unknown key at any depth: (input, value, where the message says it was found).
UNKNOWN_AT_DEPTH = [
    ("mounts", [{"Target": "/d", "Nope": 1}], "in Mount"),
    ("mounts", [{"Target": "/d", "Source": "v", "VolumeOptions": {"Nope": 1}}],
     "in Mount.VolumeOptions"),
    ("mounts", [{"Target": "/d", "Source": "v",
                 "VolumeOptions": {"DriverConfig": {"Name": "local", "Nope": 1}}}],
     "in Mount.VolumeOptions.DriverConfig"),
    ("mounts", [{"target": "/d", "type": "bind", "source": "/s",
                 "bind_options": {"Nope": 1}}], "in Mount.BindOptions"),
    ("privileges", {"SELinuxContext": {"Nope": 1}}, "in Privileges.SELinuxContext"),
    ("privileges", {"CredentialSpec": {"Nope": 1}}, "in Privileges.CredentialSpec"),
    ("resources", {"Limits": {"Nope": 1}}, "in Resources.Limits"),
    ("resources", {"Reservations": {"GenericResources": [
        {"DiscreteResourceSpec": {"Kind": "gpu", "Value": 1, "Nope": 1}}]}},
     "in DiscreteResourceSpec"),
    ("secrets", [{"SecretID": "i", "SecretName": "n", "File": {"Nope": 1}}],
     "in SecretReference.File"),
    ("configs", [{"ConfigID": "i", "ConfigName": "n", "File": {"Nope": 1}}],
     "in ConfigReference.File"),
    ("endpoint_spec", {"Ports": [{"TargetPort": 80, "Nope": 1}]}, "in PortConfig"),
    ("healthcheck", {"Test": "true", "Nope": 1}, "in Healthcheck"),
    ("restart_policy", {"Nope": 1}, "in RestartPolicy"),
    ("update_config", {"Nope": 1}, "in UpdateConfig"),
    ("rollback_config", {"Nope": 1}, "in UpdateConfig"),
    ("dns_config", {"Nope": 1}, "in DNSConfig"),
    ("ulimits", [{"Name": "nofile", "Soft": 1, "Hard": 1, "Nope": 1}], "in Ulimit"),
    ("ulimits", {"nofile": {"soft": 1, "hard": 2, "Nope": 1}}, "in Ulimit"),
    ("networks", [{"Target": "n", "Nope": 1}], "in NetworkAttachmentConfig"),
    ("platforms", [{"OS": "linux", "Nope": 1}], "in Platform"),
]


@pytest.mark.parametrize(("name", "value", "where"), UNKNOWN_AT_DEPTH,
                         ids=[w for _, _, w in UNKNOWN_AT_DEPTH])
def test_an_unknown_key_is_refused_at_every_depth_naming_input_and_path(
        name: str, value: Any, where: str) -> None:
    from swarm_provider.core.check import normalise_inputs

    failures = dict(normalise_inputs({"name": "web", "image": "busybox:1", name: value})[1])
    row = FIELDS_BY_NAME[name]
    assert failures[name].startswith(f"{name} ({row.engine_path}): "), failures
    assert f"unknown key 'Nope' {where}; got \"Nope\"" in failures[name]


@pytest.mark.parametrize(("value", "problem"), [
    ({"Target": "/d", "Source": "v", "Type": "tmpfs", "TmpfsOptions": {"SizeBytes": "lots"}},
     "TmpfsOptions.SizeBytes is not a size"),
    ({"Target": "/d", "Source": "v", "VolumeOptions": {"NoCopy": "yes"}},
     "VolumeOptions.NoCopy must be true or false"),
    ({"Target": "/d", "Source": "/s", "Type": "bind", "no_copy": True},
     "VolumeOptions only apply to volume mounts, not bind"),
    ({"Target": "/d", "Source": "v", "TmpfsOptions": {"SizeBytes": 1}},
     "TmpfsOptions only apply to tmpfs mounts, not volume"),
    ({"target": "/d", "tmpfs_size": "1m", "TmpfsOptions": {"SizeBytes": "2m"}},
     "Mount.TmpfsOptions.SizeBytes is given twice"),
    ({"Target": "/d", "VolumeOptions": "x"}, "VolumeOptions must be a VolumeOptions mapping"),
])
def test_a_nested_value_is_refused_naming_its_path(value: Any, problem: str) -> None:
    with pytest.raises(FieldValueError, match=problem):
        n.mounts([value])


def test_a_misspelt_nested_key_gets_the_closest_one_in_the_users_spelling() -> None:
    with pytest.raises(FieldValueError) as caught:
        n.mounts([{"target": "/d", "tmpfs_sise": "1m"}])
    assert caught.value.hint == "did you mean 'tmpfs_size'?"
    with pytest.raises(FieldValueError) as caught:
        n.mounts([{"Target": "/d", "VolumeOptions": {"NoCoppy": True}}])
    assert caught.value.hint == "did you mean 'NoCopy'?"


def test_replicated_job_keeps_concurrency_docker_py_drops() -> None:
    # docker-py's ServiceMode('replicated-job', concurrency=3) sends {"ReplicatedJob": {}};
    # the constructor-style dict keeps it.
    assert n.mode({"mode": "replicated-job", "concurrency": 3}) == {
        "ReplicatedJob": {"MaxConcurrent": 3, "TotalCompletions": 3}
    }
