"""Stack policies (port clashes, duplicate names, undeclared references) and the pack as
package data (``python -m swarm_provider.policy init``), called directly: pure, no CLI.

The CLI path (a real ``pulumi preview`` failing on them) is in
tests/integration/test_policy_pack.py and tests/integration/test_user_project.py.
"""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.json_format import MessageToDict
from pulumi.output import Unknown
from pulumi.runtime import proto
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    StackValidationArgs,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import unknown_checking_proxy

from swarm_provider.policy import SERVICE_TYPE, STACK_POLICIES, STACK_POLICIES_BY_NAME
from swarm_provider.policy.init import PACK_FILES, PackOptions, pack_dir, write_pack
from swarm_provider.policy.stack import NETWORK_TYPE, SECRET_TYPE, placements_disjoint

from .test_policy import as_struct, canonical

REPO = Path(__file__).resolve().parents[2]


def svc(name: str, **inputs: Any) -> tuple[str, str, dict[str, Any]]:
    """A SwarmService as the stack policy sees it: canonical inputs as outputs."""
    return SERVICE_TYPE, name, canonical({"name": name, "image": "app:1", **inputs})


def resource(rtype: str, resource_name: str, **props: Any) -> tuple[str, str, dict[str, Any]]:
    return rtype, resource_name, props


def stack_args(resources: list[tuple[str, str, dict[str, Any]]],
               config: dict[str, Any] | None = None) -> StackValidationArgs:
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
    built = []
    for rtype, name, props in resources:
        wire = deserialize_properties(MessageToDict(as_struct(props)))
        built.append(PolicyResource(rtype, unknown_checking_proxy(wire),
                                    f"urn:pulumi:dev::p::{rtype}::{name}", name, opts, None,
                                    None, [], {}))
    return StackValidationArgs(built, config)


def stack_violations(policy: str, resources: list[tuple[str, str, dict[str, Any]]],
                     config: dict[str, Any] | None = None) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    STACK_POLICIES_BY_NAME[policy].validate(
        stack_args(resources, config), lambda message, urn=None: found.append((message, urn)))
    return found


def ports(*entries: tuple[int, str]) -> dict[str, Any]:
    return {"Ports": [{"TargetPort": 80, "PublishedPort": p, "PublishMode": m}
                      for p, m in entries]}


# --- published ports -------------------------------------------------------------------


@pytest.mark.parametrize(("first", "second", "clash"), [
    ({"endpoint_spec": ports((8080, "ingress"))}, {"endpoint_spec": ports((8080, "ingress"))},
     True),
    ({"endpoint_spec": ports((8080, "ingress"))}, {"endpoint_spec": ports((8080, "host"))},
     True),
    ({"endpoint_spec": ports((8080, "host"))}, {"endpoint_spec": ports((8080, "host"))}, True),
    ({"endpoint_spec": ports((8080, "host")), "constraints": ["node.hostname==a"]},
     {"endpoint_spec": ports((8080, "host")), "constraints": ["node.hostname == b"]}, False),
    ({"endpoint_spec": ports((8080, "host")), "constraints": ["node.role==manager"]},
     {"endpoint_spec": ports((8080, "host")), "constraints": ["node.role!=manager"]}, False),
    ({"endpoint_spec": ports((8080, "host")), "constraints": ["node.role==worker"]},
     {"endpoint_spec": ports((8080, "host")), "constraints": ["node.labels.zone==a"]}, True),
    ({"endpoint_spec": ports((8080, "ingress")), "constraints": ["node.hostname==a"]},
     {"endpoint_spec": ports((8080, "ingress")), "constraints": ["node.hostname==b"]}, True),
    ({"endpoint_spec": ports((8080, "ingress"))}, {"endpoint_spec": ports((8081, "ingress"))},
     False),
    ({"endpoint_spec": {"Ports": [{"TargetPort": 53, "PublishedPort": 5353,
                                   "Protocol": "udp"}]}},
     {"endpoint_spec": ports((5353, "ingress"))}, False),
    ({"endpoint_spec": {"Ports": [{"TargetPort": 80}]}},
     {"endpoint_spec": {"Ports": [{"TargetPort": 80}]}}, False),  # the engine picks two
])
def test_port_clashes(first: dict[str, Any], second: dict[str, Any], clash: bool) -> None:
    found = stack_violations("swarm-unique-published-ports", [svc("web", **first),
                                                             svc("api", **second)])
    if not clash:
        assert found == []
        return
    assert len(found) == 2  # reported on both services, each against its own URN
    messages = dict((urn, m) for m, urn in found)
    web = messages[f"urn:pulumi:dev::p::{SERVICE_TYPE}::web"]
    assert web.startswith('service "web": endpoint_spec (EndpointSpec): publishes 8080/tcp')
    assert 'like service "api" (resource "api")' in web and "got {" in web
    assert '"PublishedPort": 8080,' in web  # not 8080.0, as protobuf delivers it


def test_port_clash_tolerates_unknowns() -> None:
    found = stack_violations("swarm-unique-published-ports", [
        svc("web", endpoint_spec=ports((8080, "host"))),
        svc("api", endpoint_spec=ports((8080, "host")), constraints=[Unknown()]),
        svc("db", endpoint_spec={"Ports": [{"TargetPort": 80, "PublishedPort": Unknown()}]}),
    ])
    assert found == []


def test_placements_disjoint_reads_spaces_and_operators() -> None:
    assert placements_disjoint(["node.hostname == a"], ["node.hostname==b"])
    assert not placements_disjoint(["node.hostname==a"], ["node.hostname==a"])
    assert not placements_disjoint([], ["node.hostname==a"])


# --- names ----------------------------------------------------------------------------


def test_duplicate_service_names() -> None:
    found = stack_violations("swarm-unique-service-names", [
        (SERVICE_TYPE, "web", canonical({"name": "shared", "image": "a:1"})),
        (SERVICE_TYPE, "web2", canonical({"name": "shared", "image": "a:1"})),
        svc("other"),
        (SERVICE_TYPE, "later", canonical({"name": Unknown(), "image": "a:1"})),
    ])
    assert [urn.rsplit("::", 1)[1] for _, urn in found if urn] == ["web", "web2"]
    assert found[0][0].startswith(
        'service "shared": name (Name): is also the name of the services of resources '
        '"web", "web2"')


def test_stack_findings_do_not_depend_on_the_order_resources_registered_in() -> None:
    """Pulumi registers resources concurrently, so the policy sees them in any order: the
    findings and their wording must come out the same."""
    services = [
        (SERVICE_TYPE, "web", canonical({"name": "shop-web", "image": "a:1",
                                         "endpoint_spec": ports((8080, "ingress"))})),
        (SERVICE_TYPE, "api", canonical({"name": "shop-api", "image": "a:1",
                                         "endpoint_spec": ports((8080, "ingress"))})),
        (SERVICE_TYPE, "web-copy", canonical({"name": "shop-web", "image": "a:1"})),
    ]
    for policy in ("swarm-unique-service-names", "swarm-unique-published-ports"):
        found = stack_violations(policy, services)
        assert found and stack_violations(policy, services[::-1]) == found


# --- references -----------------------------------------------------------------------


def test_undeclared_network_is_reported_with_the_prefixed_name() -> None:
    found = stack_violations("swarm-declared-references", [
        resource(NETWORK_TYPE, "backend", name="dev-backend", network_id="n1"),
        svc("web", networks=["backend"]),
        svc("ok", networks=["dev-backend"]),
        svc("by-id", networks=["n1"]),
    ])
    assert len(found) == 1
    message = found[0][0]
    assert message.startswith(
        "service \"web\": networks (TaskTemplate.Networks): refers to network 'backend', "
        "which no SwarmNetwork of this stack declares")
    assert 'the SwarmNetwork "backend" is named "dev-backend" on the swarm' in message


def test_undeclared_secret_and_external_config() -> None:
    reference = {"SecretID": "s-old", "SecretName": "db-pw-0123456789ab",
                 "File": {"Name": "db-pw", "UID": "0", "GID": "0", "Mode": 0o444}}
    config_ref = {"ConfigID": "c1", "ConfigName": "shared-conf",
                  "File": {"Name": "c", "UID": "0", "GID": "0", "Mode": 0o444}}
    resources = [
        resource(SECRET_TYPE, "db-pw", name="db-pw", secret_id="s-new",
                 secret_name="db-pw-fedcba987654"),
        svc("web", secrets=[reference], configs=[config_ref]),
    ]
    found = stack_violations("swarm-declared-references", resources)
    assert [m.split(":")[1].strip().split(" ")[0] for m, _ in found] == ["secrets", "configs"]
    assert "'db-pw-0123456789ab'" in found[0][0]
    assert "externalConfigs" in found[1][0]
    assert stack_violations("swarm-declared-references", resources,
                            {"externalSecrets": ["s-old"],
                             "externalConfigs": ["shared-conf"]}) == []


def test_references_tolerate_unknowns() -> None:
    """An unknown reference is skipped, and so is every reference of a kind when a
    declaring resource's name is not known yet (the reference could be to it)."""
    assert stack_violations("swarm-declared-references", [
        resource(NETWORK_TYPE, "net", name=Unknown()),
        svc("web", networks=["anything"]),
        svc("api", networks=[Unknown()]),
    ]) == []


def test_analyzer_serves_stack_policies_at_the_urn() -> None:
    """Through pulumi-policy's analyzer: mandatory, reported against the resource URN."""
    servicer = _PolicyAnalyzerServicer("swarm-service-policies", "0.1.0", list(STACK_POLICIES),
                                       EnforcementLevel.ADVISORY)
    resources = []
    for rtype, name, props in [svc("web", endpoint_spec=ports((8080, "ingress"))),
                               svc("api", endpoint_spec=ports((8080, "ingress")))]:
        resources.append(proto.AnalyzerResource(
            type=rtype, properties=as_struct(props), name=name,
            urn=f"urn:pulumi:dev::p::{rtype}::{name}"))
    response = servicer.AnalyzeStack(proto.AnalyzeStackRequest(resources=resources), None)
    assert {d.urn.rsplit("::", 1)[1] for d in response.diagnostics} == {"web", "api"}
    assert {d.policyName for d in response.diagnostics} == {"swarm-unique-published-ports"}
    assert all(d.enforcementLevel == proto.MANDATORY for d in response.diagnostics)


# --- the pack as package data -----------------------------------------------------------


def test_repo_policy_folder_is_what_init_writes(tmp_path: Path) -> None:
    """policy/ is a thin copy made by `init` (regenerate it with the command below)."""
    write_pack(tmp_path, PackOptions("../.venv", "-e .."))
    for name in PACK_FILES:
        assert filecmp.cmp(tmp_path / name, REPO / "policy" / name, shallow=False), (
            f"policy/{name} is stale: python -m swarm_provider.policy init policy "
            "--virtualenv ../.venv --requirement '-e ..' --force")


def test_init_writes_a_pack_for_the_running_virtualenv(tmp_path: Path) -> None:
    target = tmp_path / "repo" / "policy"
    done = subprocess.run([sys.executable, "-m", "swarm_provider.policy", "init", str(target)],
                          capture_output=True, text=True, check=True)
    assert sorted(p.name for p in target.iterdir()) == sorted(PACK_FILES)
    yaml = (target / "PulumiPolicy.yaml").read_text()
    venv = yaml.split("virtualenv: ", 1)[1].strip()
    assert (target / venv).resolve() == Path(sys.prefix).resolve()
    assert (target / "requirements.txt").read_text().splitlines()[-1].startswith(
        "swarm_provider>=")
    assert f"pulumi preview --policy-pack {target}" in done.stdout
    # A changed file is kept unless --force.
    (target / "config.prod.json").write_text("{}\n")
    again = subprocess.run([sys.executable, "-m", "swarm_provider.policy", "init", str(target)],
                           capture_output=True, text=True, check=False)
    assert again.returncode == 1 and "--force" in again.stderr
    assert (target / "config.prod.json").read_text() == "{}\n"


def test_path_prints_the_packaged_pack() -> None:
    done = subprocess.run([sys.executable, "-m", "swarm_provider.policy", "path"],
                          capture_output=True, text=True, check=True)
    packaged = Path(done.stdout.strip())
    assert packaged == pack_dir() and (packaged / "PulumiPolicy.yaml").is_file()
    assert "virtualenv" not in (packaged / "PulumiPolicy.yaml").read_text()


def test_pack_version_is_the_package_version() -> None:
    pyproject = (REPO / "pyproject.toml").read_text()
    version = pyproject.split('version = "', 1)[1].split('"', 1)[0]
    assert f"version: {version} " in (pack_dir() / "PulumiPolicy.yaml").read_text()


def test_init_options_name_no_virtualenv_or_another_requirement(tmp_path: Path) -> None:
    target = tmp_path / "policy"
    subprocess.run([sys.executable, "-m", "swarm_provider.policy", "init", str(target),
                    "--no-virtualenv", "--requirement",
                    "swarm_provider @ git+https://example.invalid/swarm_provider@v0.1.0"],
                   capture_output=True, text=True, check=True)
    assert "virtualenv" not in (target / "PulumiPolicy.yaml").read_text()
    assert (target / "requirements.txt").read_text().splitlines()[-1] == \
        "swarm_provider @ git+https://example.invalid/swarm_provider@v0.1.0"
