"""Unit tests of the SwarmService policies (swarm_provider.policy).

Inputs are written as a user writes SwarmService arguments and canonicalised by the
provider's own ``check`` (the props a policy sees are post-Check inputs), then sent
through the same path as in the CLI: a protobuf Struct (numbers become floats), unknowns
as the engine's sentinel strings, pulumi-policy's deserializer and unknown-checking proxy.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import struct_pb2
from google.protobuf.json_format import MessageToDict
from pulumi.output import Unknown
from pulumi.runtime import proto
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResourceOptions,
    ResourceValidationArgs,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from swarm_provider.policy import POLICIES, POLICIES_BY_NAME, SERVICE_TYPE, STACK_POLICIES
from swarm_provider.policy.image import parse_image
from swarm_provider.providers.service import ServiceProvider
from swarm_provider.schema.service import USER_FIELDS
from tests.support import policy as support
from tests.support.policy import DIGEST

REPO = Path(__file__).resolve().parents[2]
HARDENED: dict[str, Any] = {
    "name": "web",
    **support.HARDENED,
    "env": {"LOG_LEVEL": "info", "DB_PASSWORD_FILE": "/run/secrets/db_password"},
    "endpoint_spec": {"Ports": [{"TargetPort": 8080, "PublishedPort": 443}]},
    "mounts": [*support.HARDENED["mounts"], "data:/var/lib/app"],
    "networks": ["backend"],
}
"""support.HARDENED as a unit test's service: named, with env, a published port, a volume
and a network, which every policy also accepts."""


def service(**changes: Any) -> dict[str, Any]:
    """HARDENED with some inputs changed; a value of None removes the input."""
    inputs = {**HARDENED, **changes}
    return {k: v for k, v in inputs.items() if v is not None}


def canonical(inputs: dict[str, Any]) -> dict[str, Any]:
    result = ServiceProvider().check({}, inputs)
    assert not result.failures, [f.reason for f in result.failures]
    return dict(result.inputs)


def _wire(value: Any) -> Any:
    """What the engine sends for a value: unknowns become the sentinel string."""
    if isinstance(value, Unknown):
        return UNKNOWN_STRING_VALUE
    if isinstance(value, dict):
        return {str(k): _wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_wire(v) for v in value]
    return value


def as_struct(props: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(_wire(props))
    return struct


def make_args(props: dict[str, Any], config: dict[str, Any] | None = None,
              resource_type: str = SERVICE_TYPE, name: str = "web") -> ResourceValidationArgs:
    deserialized = deserialize_properties(MessageToDict(as_struct(props)))
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
    urn = f"urn:pulumi:dev::proj::{resource_type}::{name}"
    return ResourceValidationArgs(resource_type, unknown_checking_proxy(deserialized), urn, name,
                                  opts, None, config)


class Collector(list[str]):
    """A report_violation callback that keeps the messages."""

    def __call__(self, message: str, urn: str | None = None) -> None:
        self.append(message)


def violations(policy: str, inputs: dict[str, Any], config: dict[str, Any] | None = None,
               **kwargs: Any) -> list[str]:
    found = Collector()
    POLICIES_BY_NAME[policy].validate(make_args(canonical(inputs), config, **kwargs), found)
    return found


# --- the compliant service --------------------------------------------------------------


def _prod_config() -> dict[str, Any]:
    return json.loads((REPO / "policy" / "config.prod.json").read_text())


def _properties(entry: Any) -> dict[str, Any]:
    if isinstance(entry, dict):
        return {k: v for k, v in entry.items() if k != "enforcementLevel"}
    return {}


@pytest.mark.parametrize("policy", [p.name for p in POLICIES])
def test_hardened_service_passes_defaults_and_prod_config(policy: str) -> None:
    assert violations(policy, service()) == []
    assert violations(policy, service(), _properties(_prod_config().get(policy))) == []


def test_prod_config_names_real_policies_and_parameters() -> None:
    json_types = {"boolean": bool, "array": list, "string": str, "integer": int}
    every = {**POLICIES_BY_NAME, **{p.name: p for p in STACK_POLICIES}}
    for policy, entry in _prod_config().items():
        assert policy in every, policy
        level = entry["enforcementLevel"] if isinstance(entry, dict) else entry
        assert EnforcementLevel(level)
        schema = every[policy].config_schema
        for key, value in _properties(entry).items():
            assert schema is not None and key in schema.properties, (policy, key)
            assert isinstance(value, json_types[schema.properties[key]["type"]]), (policy, key)


def test_every_policy_matches_only_swarm_services() -> None:
    bad = service(image="nginx", cap_add=["SYS_ADMIN"], read_only=None, env={"TOKEN": "x"})
    for policy in POLICIES:
        found = Collector()
        policy.validate(make_args(canonical(bad), resource_type="pulumi-python:dynamic:Resource"),
                        found)
        assert found == [], policy.name


def test_default_levels_mandatory_for_high_severity() -> None:
    levels = {p.name: p.enforcement_level for p in POLICIES}
    mandatory = {name for name, level in levels.items() if level == EnforcementLevel.MANDATORY}
    assert mandatory == {
        "swarm-image-pinned", "swarm-image-registry", "swarm-no-dangerous-capabilities",
        "swarm-selinux-enabled", "swarm-no-sensitive-host-mounts", "swarm-no-secrets-in-env",
        "swarm-published-ports", "swarm-no-host-network",
    }
    assert set(levels.values()) <= {EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY}
    for policy in POLICIES:
        high = policy.severity is not None and policy.severity.value in ("high", "critical")
        assert high == (policy.name in mandatory), policy.name


# --- violations, compliant variants and config overrides, per policy --------------------

VIOLATIONS: list[tuple[str, dict[str, Any], dict[str, Any] | None, list[str]]] = [
    ("swarm-image-pinned", {"image": "nginx"}, None, ["has no tag", "nginx:1.2.3"]),
    ("swarm-image-pinned", {"image": "nginx:latest"}, None, ["uses the tag :latest"]),
    ("swarm-image-pinned", {"image": "registry.local:5000/team/app"}, None, ["has no tag"]),
    ("swarm-image-pinned", {"image": "nginx@sha256:abc"}, None, ["malformed digest"]),
    ("swarm-image-pinned", {"image": "nginx:1.27"}, {"requireDigest": True},
     ["not pinned by digest", "nginx:1.27@sha256:<digest>"]),
    ("swarm-image-registry", {"image": "ghcr.io/acme-evil/app:1"},
     {"allowedRegistries": ["ghcr.io/acme"]}, ["ghcr.io/acme-evil/app", "allowedRegistries"]),
    ("swarm-image-registry", {"image": "nginx:1"}, {"allowedRegistries": ["ghcr.io"]},
     ["docker.io/library/nginx"]),
    ("swarm-no-dangerous-capabilities", {"cap_add": ["SYS_ADMIN"]}, None, ["SYS_ADMIN"]),
    ("swarm-no-dangerous-capabilities", {"cap_add": ["CAP_NET_ADMIN", "CHOWN"]}, None,
     ["CAP_NET_ADMIN", "cap_drop"]),
    ("swarm-no-dangerous-capabilities", {"cap_add": ["all"]}, None, ["all"]),
    ("swarm-no-dangerous-capabilities", {"cap_add": ["NET_BIND_SERVICE"]},
     {"deniedCapabilities": ["CAP_NET_BIND_SERVICE"]}, ["NET_BIND_SERVICE"]),
    ("swarm-selinux-enabled", {"privileges": {"SELinuxContext": {"Disable": True}}}, None,
     ["disables SELinux", "SELinuxContext.Disable"]),
    ("swarm-selinux-enabled", {"privileges": {"selinux_disable": True}}, None,
     ["disables SELinux"]),
    ("swarm-non-root-user", {"user": None}, None, ["is not set", "10001"]),
    ("swarm-non-root-user", {"user": "root"}, None, ["runs the process as root"]),
    ("swarm-non-root-user", {"user": "0:1000"}, None, ["runs the process as root"]),
    ("swarm-no-sensitive-host-mounts",
     {"mounts": ["/var/run/docker.sock:/var/run/docker.sock:ro"]}, None,
     ["/var/run/docker.sock -> /var/run/docker.sock", "socket proxy"]),
    ("swarm-no-sensitive-host-mounts", {"mounts": ["/:/host:ro"]}, None, ["/ -> /host"]),
    ("swarm-no-sensitive-host-mounts", {"mounts": ["/var:/host-var"]}, None, ["/var ->"]),
    ("swarm-no-sensitive-host-mounts", {"mounts": ["/etc/ssh:/etc/ssh"]}, None, ["/etc/ssh"]),
    ("swarm-no-sensitive-host-mounts", {"mounts": ["/srv/data:/data"]},
     {"deniedHostPaths": ["/srv"]}, ["/srv/data -> /data"]),
    ("swarm-read-only-rootfs", {"read_only": None}, None, ["writable", "read_only=True"]),
    ("swarm-no-secrets-in-env", {"env": {"DB_PASSWORD": "hunter2", "A": "1"}}, None,
     ["DB_PASSWORD looks like a secret", "secrets=[...]", "DB_PASSWORD_FILE=/run/secrets/"]),
    ("swarm-no-secrets-in-env", {"env": ["API_TOKEN=abc", "aws_secret_access_key=x"]}, None,
     ["API_TOKEN, aws_secret_access_key look like"]),
    ("swarm-no-secrets-in-env", {"env": {"MY_THING": "1"}}, {"namePattern": "^MY_"},
     ["MY_THING"]),
    ("swarm-no-secrets-in-env", {"env": {"A": "1"}}, {"namePattern": "("},
     ["namePattern", "not a valid regular expression"]),
    ("swarm-published-ports", {"endpoint_spec": {"Ports": {22: 22}}}, None,
     ["22 -> 22/tcp", "allowed ports [80, 443] or 1024-65535", "sshd"]),
    ("swarm-published-ports", {"endpoint_spec": {"Ports": {2377: 80}}}, None,
     ["2377 -> 80/tcp", "of Swarm itself"]),
    ("swarm-published-ports", {"endpoint_spec": {"Ports": {8080: 80}}},
     {"allowedPortRange": []}, ["8080 -> 80/tcp", "allowed ports [80, 443]"]),
    ("swarm-published-ports", {"endpoint_spec": {"Ports": [{"TargetPort": 80}]}},
     {"requirePublishedPort": True}, ["(any) -> 80/tcp", "engine picks"]),
    ("swarm-published-ports", {"endpoint_spec": {"Ports": [{"TargetPort": 80}]}},
     {"allowedPortRange": [1024, 20000]}, ["(any) -> 80/tcp", "engine picks"]),
    ("swarm-published-ports", {"endpoint_spec": {"Ports": [
        {"TargetPort": 80, "PublishedPort": 443, "PublishMode": "host"}]}},
     {"allowHostMode": False}, ["host mode", "allowHostMode"]),
    ("swarm-no-host-network", {"networks": ["host"]}, None, ["attaches to host", "overlay"]),
    ("swarm-no-host-network", {"networks": ["backend"]}, {"deniedNetworks": ["backend"]},
     ["attaches to backend"]),
    ("swarm-resource-limits", {"resources": None}, None, ["no memory and no CPU limit"]),
    ("swarm-resource-limits", {"resources": {"mem_limit": "64m"}}, None, ["no CPU limit"]),
    ("swarm-resource-limits", {"pids_limit": None}, {"requirePidsLimit": True},
     ["pids_limit", "fork bomb"]),
    ("swarm-healthcheck", {"healthcheck": None}, None, ["not set on a long-running"]),
    ("swarm-healthcheck", {"healthcheck": {"test": ["NONE"]}}, None, ["disabled (Test NONE)"]),
    ("swarm-healthcheck", {"healthcheck": None, "mode": "global"}, None, ["(Global)"]),
    ("swarm-restart-policy", {"restart_policy": None}, None, ["is not set"]),
    ("swarm-restart-policy", {"restart_policy": {"condition": "none"}}, None,
     ["never restarts"]),
    ("swarm-update-rollback", {"update_config": None}, None, ["'pause'", "failure_action"]),
    ("swarm-update-rollback", {"update_config": {"failure_action": "continue"}}, None,
     ["'continue'"]),
    ("swarm-placement-constraints", {"constraints": None}, {"requireConstraints": True},
     ["is empty", "node.role==worker"]),
    ("swarm-placement-constraints", {}, {"requiredConstraints": ["node.labels.zone==a"]},
     ["lacks the required node.labels.zone==a"]),
]


@pytest.mark.parametrize(("policy", "changes", "config", "expected"), VIOLATIONS)
def test_violation(policy: str, changes: dict[str, Any], config: dict[str, Any] | None,
                   expected: list[str]) -> None:
    found = violations(policy, service(**changes), config)
    assert len(found) == 1, found
    assert found[0].startswith('service "web": '), found[0]
    for fragment in expected:
        assert fragment in found[0]
    assert re.search(r"; got .*\[.+\]$", found[0]), "message shape: ...; got <value> [hint]"


COMPLIANT: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = [
    ("swarm-image-pinned", {"image": "nginx:1.27"}, None),
    ("swarm-image-pinned", {"image": "registry.local:5000/team/app:2.0"}, None),
    ("swarm-image-pinned", {"image": f"registry.local:5000/app@{DIGEST}"},
     {"requireDigest": True}),
    ("swarm-image-pinned", {"image": f"nginx:latest@{DIGEST}"}, None),
    ("swarm-image-registry", {"image": "nginx:1"}, None),
    ("swarm-image-registry", {"image": "ghcr.io/acme/app:1"},
     {"allowedRegistries": ["ghcr.io/acme"]}),
    ("swarm-image-registry", {"image": "nginx:1"}, {"allowedRegistries": ["library"]}),
    ("swarm-image-registry", {"image": "localhost:5000/app:1"},
     {"allowedRegistries": ["localhost:5000"]}),
    ("swarm-no-dangerous-capabilities", {"cap_add": None}, None),
    ("swarm-no-dangerous-capabilities", {"cap_add": ["SYS_ADMIN"]},
     {"deniedCapabilities": []}),
    ("swarm-selinux-enabled", {"privileges": {"SELinuxContext": {"Type": "svirt_apache_t"}}},
     None),
    ("swarm-non-root-user", {"user": "app"}, None),
    ("swarm-non-root-user", {"user": "1000:0"}, None),
    ("swarm-no-sensitive-host-mounts", {"mounts": ["/srv/data:/data", "docker.sock:/x"]},
     None),
    ("swarm-no-sensitive-host-mounts", {"mounts": ["/var/run/docker.sock:/var/run/docker.sock"]},
     {"allowedHostPaths": ["/var/run/docker.sock"]}),
    ("swarm-no-sensitive-host-mounts", {"mounts": ["/etc/localtime:/etc/localtime:ro"]}, None),
    ("swarm-no-secrets-in-env", {"env": ["API_TOKEN", "DB_PASSWORD="]}, None),
    ("swarm-no-secrets-in-env", {"env": {"GITHUB_TOKEN": "/run/secrets/gh"}}, None),
    ("swarm-no-secrets-in-env", {"env": {"API_TOKEN": "x"}}, {"allowedNames": ["api_token"]}),
    ("swarm-no-secrets-in-env", {"env": {"DB_PASSWORD": "x"}}, {"namePattern": "^MY_"}),
    ("swarm-published-ports", {"endpoint_spec": None}, None),
    # The defaults pass an ordinary service on a high port, and engine-picked ports.
    ("swarm-published-ports", {"endpoint_spec": {"Ports": {8080: 80, 9443: 443}}}, None),
    ("swarm-published-ports", {"endpoint_spec": {"Ports": [{"TargetPort": 80}]}}, None),
    ("swarm-published-ports", {"endpoint_spec": {"Ports": {8080: 80}}},
     {"allowedPorts": [8080]}),
    ("swarm-published-ports", {"endpoint_spec": {"Ports": [
        {"TargetPort": 80, "PublishedPort": 80, "PublishMode": "host"}]}}, None),
    ("swarm-no-host-network", {"networks": None}, None),
    ("swarm-resource-limits", {"resources": {"mem_limit": "64m"}}, {"requireCpuLimit": False}),
    ("swarm-resource-limits", {"pids_limit": None,
                               "resources": {"Limits": {"MemoryBytes": "64m", "NanoCPUs": "1",
                                                        "Pids": 100}}},
     {"requirePidsLimit": True}),
    ("swarm-healthcheck", {"healthcheck": None, "update_config": None,
                           "mode": {"mode": "replicated-job", "replicas": 3}}, None),
    ("swarm-healthcheck", {"healthcheck": {"interval": "5s"}}, None),
    ("swarm-restart-policy", {"restart_policy": {"condition": "none"}, "update_config": None,
                              "mode": "global-job"}, None),
    ("swarm-update-rollback", {"update_config": None, "mode": "replicated-job"}, None),
    ("swarm-placement-constraints", {"constraints": None}, None),
    ("swarm-placement-constraints", {"constraints": ["node.role == worker"]},
     {"requireConstraints": True, "requiredConstraints": ["node.role==worker"]}),
]


@pytest.mark.parametrize(("policy", "changes", "config"), COMPLIANT)
def test_compliant(policy: str, changes: dict[str, Any], config: dict[str, Any] | None) -> None:
    assert violations(policy, service(**changes), config) == []


def test_every_policy_has_a_violating_and_a_compliant_case() -> None:
    names = {p.name for p in POLICIES}
    assert {case[0] for case in VIOLATIONS} == names
    assert {case[0] for case in COMPLIANT} | {"swarm-read-only-rootfs"} == names


def test_env_values_never_appear_in_messages() -> None:
    found = violations("swarm-no-secrets-in-env",
                       service(env={"DB_PASSWORD": "hunter2-very-secret"}))
    assert found and "hunter2" not in found[0]


def test_config_from_the_cli_overrides_schema_defaults() -> None:
    """The CLI passes the full config (defaults filled in) with numbers as floats."""
    inputs = service(endpoint_spec={"Ports": {9000: 9000}})
    assert violations("swarm-published-ports", inputs,
                      {"allowedPorts": [9000.0], "allowedPortRange": [],
                       "allowHostMode": True}) == []
    assert violations("swarm-published-ports", inputs,
                      {"allowedPorts": [80.0], "allowedPortRange": [], "allowHostMode": True})


@pytest.mark.parametrize(("image", "registry", "repository", "tag", "digest"), [
    ("nginx", "docker.io", "library/nginx", None, None),
    ("nginx:1.27", "docker.io", "library/nginx", "1.27", None),
    ("acme/app:1", "docker.io", "acme/app", "1", None),
    ("localhost/app", "localhost", "app", None, None),
    ("registry.local:5000/team/app", "registry.local:5000", "team/app", None, None),
    (f"ghcr.io/acme/app:2@{DIGEST}", "ghcr.io", "acme/app", "2", DIGEST),
])
def test_parse_image(image: str, registry: str, repository: str, tag: str | None,
                     digest: str | None) -> None:
    ref = parse_image(image)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (
        registry, repository, tag, digest)


# --- unknown values (preview) -----------------------------------------------------------


def run_all(props: dict[str, Any], config: dict[str, Any] | None = None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for policy in POLICIES:
        found = Collector()
        policy.validate(make_args(props, config), found)
        out[policy.name] = found
    return out


def test_the_proxy_really_raises_on_unknowns() -> None:
    """Guards the tests below: touching an unknown prop raises, so they exercise it."""
    args = make_args(canonical(service(image=Unknown())))
    with pytest.raises(UnknownValueError):
        args.props["image"]


@pytest.mark.parametrize("field", sorted(f.name for f in USER_FIELDS))
def test_an_unknown_input_crashes_no_policy(field: str) -> None:
    props = canonical(service(**{field: Unknown()}))
    assert props[field].__class__ is Unknown  # check passed it through
    results = run_all(props)
    assert all(found == [] for found in results.values()), results


def test_unknown_parts_inside_inputs_crash_no_policy() -> None:
    inputs = service(
        resources={"mem_limit": Unknown(), "cpu_limit": "0.5"},
        endpoint_spec={"Ports": [{"TargetPort": 80, "PublishedPort": Unknown()}]},
        mounts=[Unknown(), "/srv:/srv"],
        cap_add=["NET_BIND_SERVICE", Unknown()],
        healthcheck={"test": Unknown()},
        mode={"mode": "replicated", "replicas": Unknown()},
        env={"LOG_LEVEL": Unknown()},
        name=Unknown(),
    )
    results = run_all(canonical(inputs), {"requireDigest": True})
    assert all(found == [] for found in results.values()), results


def test_every_input_unknown_at_once() -> None:
    props = {f.name: UNKNOWN_STRING_VALUE for f in USER_FIELDS}
    assert all(found == [] for found in run_all(props).values())


def test_secret_env_names_are_flagged_even_when_values_are_unknown() -> None:
    found = violations("swarm-no-secrets-in-env",
                       service(env={"DB_PASSWORD": Unknown(), "LOG_LEVEL": "info"}))
    assert len(found) == 1 and "DB_PASSWORD looks like" in found[0]


def test_unknown_name_is_reported_by_resource_name() -> None:
    found = violations("swarm-image-pinned", service(name=Unknown(), image="nginx"),
                       name="frontend")
    assert found[0].startswith('service of resource "frontend" (name not known yet): image')


def test_analyzer_runs_the_pack_on_unknowns_without_preview_errors() -> None:
    """Through pulumi-policy's analyzer (what the CLI talks to): unknown props give neither
    an error nor the "can't run policy during preview" note; real violations still show."""
    servicer = _PolicyAnalyzerServicer("swarm-service-policies", "0.1.0", list(POLICIES),
                                       EnforcementLevel.ADVISORY)
    props = canonical(service(image="nginx:latest", resources=Unknown(), user=Unknown(),
                              env={"API_TOKEN": Unknown()}))
    request = proto.AnalyzeRequest(type=SERVICE_TYPE, properties=as_struct(props),
                                   urn=f"urn:pulumi:dev::p::{SERVICE_TYPE}::web", name="web")
    response = servicer.Analyze(request, None)
    by_policy = {d.policyName: d for d in response.diagnostics}
    assert set(by_policy) == {"swarm-image-pinned", "swarm-no-secrets-in-env"}
    assert all("can't run policy" not in d.message for d in response.diagnostics)
    assert by_policy["swarm-image-pinned"].enforcementLevel == proto.MANDATORY


# --- docs ---------------------------------------------------------------------------


def test_readme_documents_every_policy_and_parameter() -> None:
    readme = (REPO / "policy" / "README.md").read_text()
    for policy in [*POLICIES, *STACK_POLICIES]:
        assert f"`{policy.name}`" in readme, policy.name
        for key in (policy.config_schema.properties if policy.config_schema else {}):
            assert f"`{key}`" in readme, (policy.name, key)
