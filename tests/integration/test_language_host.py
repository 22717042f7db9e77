"""Our Python language host (tools/pulumi-cli/shims/) honours ``runtime.options.virtualenv``
of Pulumi.yaml and PulumiPolicy.yaml, relative or absolute, as the official host does:
a project whose virtualenv is not on PATH works (program, dynamic provider, policy pack).

The CLI passes the options over RPC only (not as flags), after the host has started,
so the host's wrapper reads the project file to find an interpreter for itself. These
runs use the real CLI with this checkout's shims, in an environment with nothing
activated: PATH holds the CLI and the system's folders only (the system python3 has no
pulumi), no PULUMI_PYTHON_CMD, no PYTHONPATH. Previews only: no engine call.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .pulumi_helpers import REPO, TIMEOUT, bare_env, checkout_cli

PROGRAM = """\
import pulumi
from swarm_provider import SwarmService

SwarmService("web", image="nginx:latest", endpoint_spec={"Ports": {"8080": 80}})
pulumi.export("interpreter", __import__("sys").prefix)
"""


def project(base: Path, virtualenv: str | None) -> Path:
    folder = base / "infra"
    folder.mkdir(parents=True)
    options = f"  options:\n    virtualenv: {virtualenv}\n" if virtualenv else ""
    (folder / "Pulumi.yaml").write_text(f"name: host-venv\nruntime:\n  name: python\n{options}")
    (folder / "__main__.py").write_text(PROGRAM)
    return folder


def pack(base: Path, virtualenv: str) -> Path:
    folder = base / "policy"
    subprocess.run([sys.executable, "-m", "swarm_provider.policy", "init", str(folder),
                    "--virtualenv", virtualenv], check=True, capture_output=True)
    return folder


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(env["PATH"].split(":")[0]) / "pulumi"), *args,
                           "--non-interactive"], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT, check=False)


@pytest.fixture
def bare(tmp_path: Path) -> dict[str, str]:
    if subprocess.run(["/usr/bin/env", "-i", "PATH=/usr/bin:/bin", "python3", "-c",
                       "import grpc, pulumi"], capture_output=True).returncode == 0:
        pytest.fail("the system python3 has grpc and pulumi: this test needs one without",
                    pytrace=False)
    return bare_env(checkout_cli(tmp_path / "cli"), tmp_path / "state")


@pytest.mark.parametrize("form", ["relative", "absolute"])
def test_program_provider_and_pack_run_in_the_configured_virtualenv(
    tmp_path: Path, bare: dict[str, str], form: str
) -> None:
    venv = tmp_path / "venv"
    venv.symlink_to(sys.prefix, target_is_directory=True)  # the test's venv, elsewhere
    folder = project(tmp_path, "../venv" if form == "relative" else str(venv))
    policy = pack(tmp_path, "../venv" if form == "relative" else str(venv))
    assert run(["stack", "init", "dev"], folder, bare).returncode == 0

    done = run(["preview", "--diff", "--policy-pack", str(policy)], folder, bare)
    output = done.stdout + done.stderr
    # The pack ran (its mandatory :latest finding fails the preview), after the program
    # ran and the provider checked the service.
    assert done.returncode != 0, output
    assert 'service "web": image (TaskTemplate.ContainerSpec.Image): uses the tag :latest' \
        in output, output
    assert "swarm-service-policies" in output
    assert "no Python interpreter" not in output
    assert "+ swarm:Service" in output or "swarm:Service" in output, output


def test_without_a_virtualenv_the_bare_environment_has_no_python(
    tmp_path: Path, bare: dict[str, str]
) -> None:
    """The control: the same project without the option can't run here, so the runs
    above did use the virtualenv the options name."""
    folder = project(tmp_path, None)
    assert run(["stack", "init", "dev"], folder, bare).returncode == 0
    done = run(["preview"], folder, bare)
    assert done.returncode != 0
    assert "no Python interpreter that can import 'grpc' and 'pulumi'" in done.stdout + \
        done.stderr


def test_the_repo_pack_names_the_repo_virtualenv() -> None:
    assert "virtualenv: ../.venv" in (REPO / "policy" / "PulumiPolicy.yaml").read_text()
