"""The static types users' type checkers see: TypedDicts that can't drift from the
normalisers, SwarmService's annotations, and mypy run on small user programs."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import textwrap
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from pulumi._types import resource_types

from swarm_provider.resources.service import SwarmService
from swarm_provider.schema import normalise
from swarm_provider.schema.normalise import container, service, task
from swarm_provider.schema.service import FIELDS_BY_NAME
from swarm_provider.types import (
    NESTED_INPUTS,
    CredentialSpec,
    GenericResourceValue,
    PortConfig,
    ReplicatedJobMode,
    ReplicatedMode,
    ResourceSpec,
    SELinuxContext,
)

REPO = Path(__file__).resolve().parents[2]


def canon(key: str) -> str:
    """How the normalisers match keys: case and underscores don't count."""
    return key.lower().replace("_", "")


# Values that take every branch of a normaliser (each form once), so that every set of
# keys it accepts is seen.
FULL_VALUES: dict[str, list[Any]] = {
    "update_config": [{"parallelism": 1, "delay": "1s", "failure_action": "rollback",
                       "monitor": "5s", "max_failure_ratio": 0.1, "order": "start-first"}],
    "rollback_config": [{"Parallelism": 1}],
    "restart_policy": [{"condition": "any", "delay": "1s", "max_attempts": 3, "window": "9s"}],
    "resources": [{"cpu_limit": "0.5", "mem_limit": "64m", "cpu_reservation": "0.1",
                   "mem_reservation": "32m", "generic_resources": {"gpu": 1}},
                  {"Limits": {"NanoCPUs": 1, "MemoryBytes": "8m", "Pids": 9},
                   "Reservations": {"NanoCPUs": 1, "MemoryBytes": "8m",
                                    "GenericResources": {"gpu": 1}}}],
    "healthcheck": [{"test": "true", "interval": "1s", "timeout": "1s", "retries": 1,
                     "start_period": "1s"}],
    "endpoint_spec": [{"Mode": "vip", "Ports": [{"TargetPort": 80, "PublishedPort": 81,
                                                 "Protocol": "tcp", "PublishMode": "host",
                                                 "Name": "web"}]}],
    "mode": [{"mode": "replicated", "replicas": 2}, {"Replicated": {"Replicas": 2}},
             {"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": 2}}],
    "mounts": [[{"target": "/a", "source": "/srv", "type": "bind", "read_only": True,
                 "consistency": "default", "propagation": "rprivate"}],
               [{"Target": "/b", "Source": "v", "Type": "volume", "ReadOnly": True,
                 "Consistency": "default", "VolumeOptions": {}}]],
    "secrets": [[{"secret_id": "i", "secret_name": "n", "filename": "f", "uid": "0",
                  "gid": "0", "mode": 0o400}],
                [{"SecretID": "i", "SecretName": "n", "File": {"Name": "f"}}]],
    "configs": [[{"config_id": "i", "config_name": "n", "filename": "f", "uid": "0",
                  "gid": "0", "mode": 0o400}],
                [{"ConfigID": "i", "ConfigName": "n", "Runtime": {}}]],
    "dns_config": [{"nameservers": ["1.1.1.1"], "search": ["a"], "options": ["ndots:1"]}],
    "privileges": [{"credentialspec_file": "f", "credentialspec_registry": None,
                    "selinux_disable": None, "selinux_user": "u", "selinux_role": "r",
                    "selinux_type": "t", "selinux_level": "l"},
                   {"CredentialSpec": {"Config": "c"}, "SELinuxContext": {"User": "u"}}],
    "ulimits": [[{"Name": "nofile", "Soft": 1, "Hard": 2}]],
    "preferences": [[{"Spread": {"SpreadDescriptor": "node.labels.zone"}}]],
    "networks": [[{"Target": "n", "Aliases": ["a"], "DriverOpts": {"k": "v"}}]],
    "platforms": [[{"Architecture": "amd64", "OS": "linux"}]],
}

# Keys a TypedDict holds although no only_keys() call lists them: read another way.
READ_OTHERWISE: dict[str, set[str]] = {
    # mode: the Engine kinds are the dict's single key, looked up in a table.
    "mode": {"Replicated", "Global", "ReplicatedJob", "GlobalJob"},
    # Mount: the Engine form's snake spellings and the nested option blocks.
    "mounts": {"bind_options", "volume_options", "tmpfs_options"},
    # preferences: the strategy key is matched by name ("spread"), no key list.
    "preferences": {"Spread", "spread"},
    # platforms: read with pick(), no key list.
    "platforms": {"Architecture", "OS", "architecture", "os"},
    # privileges: the Engine blocks in snake case.
    "privileges": {"credential_spec", "selinux_context"},
    # references: the File block in snake case.
    "secrets": {"file"},
    "configs": {"file", "runtime"},
}

# Keys the normaliser accepts that the type leaves out on purpose.
LEFT_OUT: dict[str, set[str]] = {
    "secrets": {"runtime"},  # accepted, meaningless for a secret: the Engine has none
}

# Nested blocks recorded under their own label, checked against their own TypedDict.
NESTED_BLOCKS = {"Limits": ResourceSpec, "Reservations": ResourceSpec,
                 "Replicated mode": ReplicatedMode, "ReplicatedJob mode": ReplicatedJobMode,
                 "port": PortConfig, "CredentialSpec": CredentialSpec,
                 "SELinuxContext": SELinuxContext,
                 "DiscreteResourceSpec": GenericResourceValue,
                 "NamedResourceSpec": GenericResourceValue}


def accepted_keys(monkeypatch: pytest.MonkeyPatch, field: str) -> dict[str, set[str]]:
    """label -> keys, from every only_keys() call the field's normaliser makes."""
    seen: dict[str, set[str]] = defaultdict(set)
    for module in (service, task, container):
        original = module.only_keys

        def recording(source: Any, allowed: set[str], what: str, *rest: Any,
                      _original: Any = original, **kw: Any) -> Any:
            seen[what].update(allowed)
            return _original(source, allowed, what, *rest, **kw)

        monkeypatch.setattr(module, "only_keys", recording)
    for value in FULL_VALUES[field]:
        FIELDS_BY_NAME[field].normalise(value)
    monkeypatch.undo()
    return seen


@pytest.mark.parametrize("field", sorted(NESTED_INPUTS))
def test_typed_dict_holds_exactly_the_keys_the_normaliser_accepts(
    monkeypatch: pytest.MonkeyPatch, field: str
) -> None:
    typed = NESTED_INPUTS[field]
    seen = accepted_keys(monkeypatch, field)
    nested = {label: keys for label, keys in seen.items() if label in NESTED_BLOCKS}
    top = set().union(*(keys for label, keys in seen.items() if label not in NESTED_BLOCKS))
    declared = set(typed.__annotations__)
    expected = {canon(k) for k in top | READ_OTHERWISE.get(field, set())}
    expected -= LEFT_OUT.get(field, set())
    assert {canon(k) for k in declared} == expected, field
    by_type: dict[type, set[str]] = defaultdict(set)  # Limits and Reservations share one
    for label, keys in nested.items():
        by_type[NESTED_BLOCKS[label]].update(keys)
    for block, keys in by_type.items():
        assert {canon(k) for k in block.__annotations__} == {canon(k) for k in keys}, block


@pytest.mark.parametrize("field", sorted(NESTED_INPUTS))
def test_every_engine_key_has_its_snake_case_twin(field: str) -> None:
    """Users write either spelling; a dict literal must type-check in both."""
    declared = set(NESTED_INPUTS[field].__annotations__)
    engine_case = {k for k in declared if k[0].isupper()} - READ_OTHERWISE.get("mode", set())
    missing = [k for k in engine_case
               if not any(canon(k) == canon(s) and s.islower() for s in declared)]
    if field in ("mode", "preferences", "platforms"):
        missing = [k for k in missing if k not in READ_OTHERWISE[field]]
    assert missing == [], (field, missing)


def test_nested_rows_are_exactly_the_typed_ones() -> None:
    """Every field-table row whose normaliser reads a mapping has its TypedDict, and
    SwarmService's annotation of that input names it."""
    mapping_rows = {name for name, row in FIELDS_BY_NAME.items()
                    if row.normalise in _MAPPING_NORMALISERS}
    assert set(NESTED_INPUTS) == mapping_rows
    annotations = inspect.signature(SwarmService.__init__).parameters
    for field, typed in NESTED_INPUTS.items():
        assert typed.__name__ in str(annotations[field].annotation), field


_MAPPING_NORMALISERS = {
    normalise.update_config, normalise.restart_policy, normalise.resources,
    normalise.healthcheck, normalise.endpoint_spec, normalise.mode, normalise.mounts,
    normalise.secrets, normalise.configs, normalise.dns_config, normalise.privileges,
    normalise.ulimits, normalise.preferences, normalise.networks, normalise.platforms,
}


def test_runtime_output_annotations_stay_loose() -> None:
    """The SDK converts outputs by the class annotations it sees at run time and raises
    on a dict declared as a TypedDict; only type checkers see EndpointOut."""
    hints = resource_types(SwarmService)  # what the SDK reads
    assert hints["endpoint"] is Any and hints["version"] is int


# --- mypy on a user's program -------------------------------------------------------------

GOOD = '''
    import pulumi
    from docker import types
    from swarm_provider import SwarmConfig, SwarmNetwork, SwarmSecret, SwarmService

    net = SwarmNetwork("backend", attachable=True)
    pw = SwarmSecret("pw", data="x")
    conf = SwarmConfig("conf", data="y")
    web = SwarmService(
        "web",
        image="nginx:1.27",
        mode={"mode": "replicated", "replicas": 2},
        update_config={"parallelism": 1, "failure_action": "rollback", "monitor": "10s"},
        rollback_config=types.UpdateConfig(parallelism=2),
        restart_policy={"Condition": "on-failure", "MaxAttempts": 3},
        resources={"Limits": {"MemoryBytes": "128m", "NanoCPUs": "0.5"}},
        healthcheck={"test": "wget -q -O- http://127.0.0.1/", "interval": "5s"},
        endpoint_spec={"Ports": [{"TargetPort": 80, "PublishedPort": 8080,
                                  "PublishMode": "host"}]},
        mounts=["/srv:/srv:ro", {"Type": "tmpfs", "Target": "/tmp"}],
        networks=[net.name],
        secrets=[pw.reference()],
        configs=[conf.reference("/etc/app.conf", mode=0o440)],
        dns_config={"nameservers": ["10.0.0.2"]},
        ulimits={"nofile": (1024, 2048)},
        preferences=[("spread", "node.labels.zone")],
        env={"A": pulumi.Output.secret("b")},
    )
    other = SwarmService("api", image="x:1", endpoint_spec=types.EndpointSpec(ports={81: 80}))
    seen = SwarmService.get("seen", "some-service")
    found = SwarmNetwork.get("found", "ingress")

    port: pulumi.Output[int] = web.endpoint.apply(lambda e: e["Ports"][0]["PublishedPort"])
    next_version: pulumi.Output[int] = web.version.apply(lambda v: v + 1)
    sid: pulumi.Output[str] = seen.service_id
'''

BAD = '''
    from swarm_provider import SwarmService

    SwarmService("a", image="x:1", replicas=2)
    SwarmService("b", image="x:1", update_config={"parallelism": "two"})
    SwarmService("c", image="x:1", restart_policy={"condition": "always"})
    SwarmService("d", image="x:1", resources={"Limits": {"MemoryByte": "1g"}})
'''


def run_mypy(tmp_path: Path, program: str) -> subprocess.CompletedProcess[str]:
    """mypy on a program in tmp_path (outside the repo), seeing swarm_provider the way a
    user's mypy does; MYPYPATH stands in for an installed copy (an editable install is
    an import hook mypy can't follow; tests/integration/test_user_project.py checks the
    installed wheel)."""
    path = tmp_path / "__main__.py"
    path.write_text(textwrap.dedent(program))
    env = {**os.environ, "MYPYPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", str(tmp_path / "c"),
         "--strict-optional", "--ignore-missing-imports", "--check-untyped-defs", str(path)],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300, check=False)


def test_mypy_flags_a_wrong_input_name_and_a_wrong_nested_value(tmp_path: Path) -> None:
    result = run_mypy(tmp_path, BAD)
    out = result.stdout
    assert result.returncode == 1, out
    assert ':4: error: Unexpected keyword argument "replicas" for "SwarmService"' in out
    assert ':5: error: Argument "update_config" to "SwarmService" has incompatible type ' \
        '"dict[str, str]"; expected "UpdateConfig | ' in out
    assert ':6: error: Argument "restart_policy"' in out
    assert ':7: error: Argument "resources"' in out
    assert out.count(": error:") == 4, out


def test_mypy_accepts_a_correct_program(tmp_path: Path) -> None:
    result = run_mypy(tmp_path, GOOD)
    assert result.returncode == 0, result.stdout
