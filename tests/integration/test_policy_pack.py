"""The policy pack end to end: `pulumi preview --policy-pack policy` through the real CLI
(Automation API, local programs, a `file://` backend in a temp dir).

Previews only: SwarmService's check and diff never call the engine, so no swarm is
touched. Needs the Pulumi CLI from `scripts/pulumi-cli` (with this project's Python
language host) and the repo's virtualenv `.venv` (`scripts/ensure-venv`), which both the
programs here and the pack (`virtualenv: ../.venv`) run in.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from swarm_provider.policy import PACK_NAME, POLICIES
from tests.support.policy import HARDENED

REPO = Path(__file__).resolve().parents[2]
VENV = REPO / ".venv"
PACK = REPO / "policy"


@pytest.fixture(scope="module")
def pulumi_bin() -> Path:
    if not (VENV / "bin" / "python").exists():
        pytest.fail(f"{VENV} is missing: run scripts/ensure-venv (the pack runs in it)",
                    pytrace=False)
    result = subprocess.run([str(REPO / "scripts" / "pulumi-cli")], capture_output=True,
                            text=True, timeout=3600, check=False)
    if result.returncode != 0:
        pytest.fail(f"scripts/pulumi-cli failed:\n{result.stderr}", pytrace=False)
    bindir = Path(result.stdout.strip().splitlines()[-1])
    assert (bindir / "pulumi").exists() and bindir.name == "bin", bindir
    return bindir


def make_stack(tmp_path: Path, pulumi_bin: Path, program: str) -> auto.Stack:
    """A local program in tmp_path/program, its stack "dev" in a file backend."""
    project = tmp_path / "program"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        "name: policy-e2e\n"
        f"runtime:\n  name: python\n  options:\n    virtualenv: {VENV}\n"
    )
    (project / "__main__.py").write_text(
        "import pulumi\nfrom swarm_provider import SwarmService\n\n" + textwrap.dedent(program)
    )
    state = tmp_path / "state"
    state.mkdir()
    env = {
        "PATH": os.pathsep.join([str(pulumi_bin), str(VENV / "bin"), os.environ["PATH"]]),
        "PULUMI_BACKEND_URL": f"file://{state}",
        "PULUMI_CONFIG_PASSPHRASE": "x",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
    }
    workspace = auto.LocalWorkspaceOptions(
        env_vars=env,
        pulumi_home=str(tmp_path / "pulumi-home"),
        pulumi_command=auto.PulumiCommand(root=str(pulumi_bin.parent)),
    )
    return auto.create_stack("dev", work_dir=str(project), opts=workspace)


def preview(stack: auto.Stack, tmp_path: Path, config: dict[str, Any] | None = None) -> str:
    """Preview with the pack; the CLI output, or CommandError if the preview failed."""
    configs = None
    if config is not None:
        path = tmp_path / f"policy-config-{len(list(tmp_path.glob('policy-config-*')))}.json"
        path.write_text(json.dumps(config))
        configs = [str(path)]
    result = stack.preview(policy_packs=[str(PACK)], policy_pack_configs=configs)
    return result.stdout + result.stderr


def test_violating_service_fails_on_mandatory_policies(tmp_path: Path, pulumi_bin: Path) -> None:
    stack = make_stack(tmp_path, pulumi_bin, """
        SwarmService(
            "bad-web",
            name="bad-web",
            image="nginx:latest",
            cap_add=["SYS_ADMIN"],
            env={"DB_PASSWORD": "hunter2-never-printed"},
            mounts=["/var/run/docker.sock:/var/run/docker.sock:ro"],
        )
    """)
    with pytest.raises(auto.CommandError) as failure:
        preview(stack, tmp_path)
    output = str(failure.value)
    assert 'service "bad-web": image (TaskTemplate.ContainerSpec.Image): uses the tag :latest' \
        in output
    assert "pin a version tag such as nginx:1.2.3" in output
    for policy in ("swarm-image-pinned", "swarm-no-dangerous-capabilities",
                   "swarm-no-secrets-in-env", "swarm-no-sensitive-host-mounts"):
        assert policy in output
    assert "mandatory" in output
    assert "hunter2-never-printed" not in output


def test_advisory_violations_warn_until_config_makes_them_mandatory(
    tmp_path: Path, pulumi_bin: Path
) -> None:
    stack = make_stack(tmp_path, pulumi_bin, """
        SwarmService("lax", name="lax", image="nginx:1.27")
    """)
    output = preview(stack, tmp_path)
    assert "swarm-read-only-rootfs" in output and "advisory" in output
    assert 'service "lax": read_only' in output

    with pytest.raises(auto.CommandError) as failure:
        preview(stack, tmp_path, {"swarm-read-only-rootfs": "mandatory"})
    assert 'service "lax": read_only (TaskTemplate.ContainerSpec.ReadOnly)' in str(failure.value)


def test_hardened_services_pass_every_policy_as_mandatory(
    tmp_path: Path, pulumi_bin: Path
) -> None:
    """Every policy mandatory, with the production parameters; the second service's env
    and labels depend on the first one's id, which is unknown during the preview."""
    stack = make_stack(tmp_path, pulumi_bin, f"""
        HARDENED = {HARDENED!r}
        api = SwarmService(
            "api",
            name="api",
            endpoint_spec={{"Ports": [{{"TargetPort": 8080, "PublishedPort": 443}}]}},
            env={{"LOG_LEVEL": "info", "DB_PASSWORD_FILE": "/run/secrets/db_password"}},
            **HARDENED,
        )
        SwarmService(
            "worker",
            name="worker",
            env=[pulumi.Output.concat("API_SERVICE_ID=", api.service_id), "LOG_LEVEL=info"],
            container_labels={{"upstream": api.service_id}},
            **HARDENED,
        )
    """)
    prod = json.loads((PACK / "config.prod.json").read_text())
    config: dict[str, Any] = {"all": "mandatory"}
    for policy, entry in prod.items():
        params = entry if isinstance(entry, dict) else {}
        config[policy] = {**params, "enforcementLevel": "mandatory"}

    output = preview(stack, tmp_path, config)
    assert PACK_NAME in output
    for policy in POLICIES:
        assert policy.name not in output, output
    assert "can't run policy" not in output


def test_stack_policies_fail_the_preview_on_a_port_clash_and_a_duplicate_name(
    tmp_path: Path, pulumi_bin: Path
) -> None:
    """Both would only fail half-way through `pulumi up` on the engine; the stack
    policies stop them in the preview (new services: their props are still inputs)."""
    stack = make_stack(tmp_path, pulumi_bin, """
        SwarmService("web", name="shop-web", image="nginx:1.27",
                     endpoint_spec={"Ports": [{"TargetPort": 80, "PublishedPort": 8080}]})
        SwarmService("api", name="shop-api", image="nginx:1.27",
                     endpoint_spec={"Ports": [{"TargetPort": 8000, "PublishedPort": 8080,
                                               "PublishMode": "host"}]})
        SwarmService("web-copy", name="shop-web", image="nginx:1.27")
    """)
    with pytest.raises(auto.CommandError) as failure:
        preview(stack, tmp_path)
    output = str(failure.value)
    assert "swarm-unique-published-ports" in output and "swarm-unique-service-names" in output
    assert 'service "shop-api": endpoint_spec (EndpointSpec): publishes 8080/tcp (host) like ' \
        'service "shop-web" (resource "web") does' in output
    assert 'service "shop-web": name (Name): is also the name of the services of resources ' \
        '"web", "web-copy"' in output
