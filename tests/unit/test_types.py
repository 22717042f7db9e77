"""The static types users' type checkers see: TypedDicts that can't drift from the
normalisers, SwarmService's annotations, and mypy run on small user programs."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from pulumi._types import resource_types

from swarm_provider import types as types_module
from swarm_provider.resources.service import SwarmService
from swarm_provider.schema.service import FIELDS_BY_NAME
from swarm_provider.schema.struct import Struct
from swarm_provider.types import NESTED_INPUTS

REPO = Path(__file__).resolve().parents[2]


def canon(key: str) -> str:
    """How the normalisers match keys: case and underscores don't count."""
    return key.lower().replace("_", "")


# The TypedDict of each declared structure: by its Engine name, but for these.
TYPE_NAMES = {"Limits": "ResourceSpec", "Reservations": "ResourceSpec",
              "NetworkAttachmentConfig": "NetworkAttachment", "File": "FileTarget",
              "GenericResource": "GenericResourceValue", "Replicated": "ReplicatedMode",
              "ReplicatedJob": "ReplicatedJobMode", "Global": "EmptyMode",
              "GlobalJob": "EmptyMode"}

# Rows read by a function of their own, with no Struct: the keys it knows.
READ_OTHERWISE: dict[str, set[str]] = {
    # preferences: the strategy key is matched by name ("spread").
    "preferences": {"Spread"},
}


def declared_structs() -> list[Struct]:
    found: list[Struct] = []
    for row in FIELDS_BY_NAME.values():
        for struct in row.struct.walk() if row.struct else []:
            if all(struct is not seen for seen in found):
                found.append(struct)
    return found


def typed_dict(struct: Struct) -> Any:
    return getattr(types_module, TYPE_NAMES.get(struct.name, struct.name))


@pytest.mark.parametrize("struct", declared_structs(), ids=lambda s: s.name)
def test_typed_dict_holds_exactly_the_keys_the_struct_accepts(struct: Struct) -> None:
    """A user's type checker accepts exactly the keys the provider reads (in any of the
    spellings it reads); Limits and Reservations share ResourceSpec."""
    sharing = [s for s in declared_structs() if typed_dict(s) is typed_dict(struct)]
    accepted = set().union(*(s.accepted() for s in sharing))
    declared = set(typed_dict(struct).__annotations__)
    assert {canon(k) for k in declared} == {canon(k) for k in accepted}, struct.name


@pytest.mark.parametrize("field", sorted(NESTED_INPUTS))
def test_every_nested_row_has_the_typed_dict_of_its_struct(field: str) -> None:
    row = FIELDS_BY_NAME[field]
    typed = NESTED_INPUTS[field]
    if row.struct is None:
        assert {canon(k) for k in typed.__annotations__} == \
            {canon(k) for k in READ_OTHERWISE[field]}, field
    else:
        assert typed is typed_dict(row.struct), field


@pytest.mark.parametrize("field", sorted(NESTED_INPUTS))
def test_every_engine_key_has_its_snake_case_twin(field: str) -> None:
    """Users write either spelling; a dict literal must type-check in both."""
    declared = set(NESTED_INPUTS[field].__annotations__)
    engine_case = {k for k in declared if k[0].isupper()} - READ_OTHERWISE.get(field, set())
    engine_case -= {"Global"}  # "global" is a Python keyword: a TypedDict class can't hold it
    missing = [k for k in engine_case
               if not any(canon(k) == canon(s) and s.islower() for s in declared)]
    assert missing == [], (field, missing)


def test_nested_rows_are_exactly_the_typed_ones() -> None:
    """Every field-table row whose value is (or holds) a mapping has its TypedDict, and
    SwarmService's annotation of that input names it."""
    mapping_rows = {name for name, row in FIELDS_BY_NAME.items()
                    if row.struct is not None or name in READ_OTHERWISE}
    assert set(NESTED_INPUTS) == mapping_rows
    annotations = inspect.signature(SwarmService.__init__).parameters
    for field, typed in NESTED_INPUTS.items():
        assert typed.__name__ in str(annotations[field].annotation), field


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
