"""What the tests that drive the real Pulumi CLI share (smoke tests, rotation).

The CLI is the one scripts/pulumi-cli builds, with this project's language host and
shims next to it; state goes to a `file://` backend in the test's tmp_path.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
PLUGINS = ("pulumi-language-python", "pulumi-language-python-exec", "pulumi-resource-pulumi-python")
TIMEOUT = 300


def pulumi_cli() -> str:
    """The `pulumi` on PATH, checked to have our language host and shims next to it."""
    found = shutil.which("pulumi")
    if not found:
        pytest.fail(
            "the Pulumi CLI is not on PATH: run the tests with the env of `scripts/testbed env`, "
            'or `export PATH="$(scripts/pulumi-cli):$PATH"`',
            pytrace=False,
        )
    bindir = Path(found).resolve().parent
    missing = [p for p in PLUGINS if not os.access(bindir / p, os.X_OK)]
    if missing:
        pytest.fail(
            f"{found} has no {', '.join(missing)} next to it; "
            "run scripts/pulumi-cli to install them",
            pytrace=False,
        )
    return found


def venv_options() -> dict[str, str]:
    """runtime.options for Pulumi.yaml: the virtualenv of the interpreter running the tests."""
    if sys.prefix != sys.base_prefix:
        return {"virtualenv": sys.prefix}
    return {}


def yaml_runtime(options: dict[str, str]) -> str:
    if not options:
        return "runtime: python\n"
    lines = ["runtime:", "  name: python", "  options:"]
    lines += [f"    {k}: {v}" for k, v in options.items()]
    return "\n".join(lines) + "\n"


def write_program(directory: Path, name: str, program: str) -> Path:
    """A local Pulumi project: Pulumi.yaml (this virtualenv) and __main__.py."""
    directory.mkdir(parents=True)
    (directory / "Pulumi.yaml").write_text(f"name: {name}\n" + yaml_runtime(venv_options()))
    (directory / "__main__.py").write_text(program)
    return directory


@pytest.fixture
def pulumi_env(tmp_path: Path) -> dict[str, str]:
    """Env vars for the CLI: a private PULUMI_HOME and file:// backend in tmp_path."""
    pulumi_cli()
    home = tmp_path / "pulumi-home"
    state = tmp_path / "state"
    home.mkdir()
    state.mkdir()
    pythonpath = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return {
        "PULUMI_HOME": str(home),
        "PULUMI_BACKEND_URL": f"file://{state}",
        "PULUMI_CONFIG_PASSPHRASE": "smoke-test-passphrase",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        # The interpreter for the language host itself, and for the provider shim and
        # policy packs when no virtualenv is configured (inline programs).
        "PULUMI_PYTHON_CMD": sys.executable,
        # The provider process imports swarm_provider even if the package is not
        # installed in the virtualenv.
        "PYTHONPATH": pythonpath,
    }


def changes(summary: Any) -> dict[str, int]:
    """An OpMap / resource_changes dict with plain string keys."""
    return {str(getattr(k, "value", k)): v for k, v in (summary or {}).items()}
