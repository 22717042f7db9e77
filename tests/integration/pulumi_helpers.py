"""What the tests that drive the real Pulumi CLI share (smoke tests, rotation).

The CLI is the one scripts/pulumi-cli builds, with this project's language host and
shims next to it; state goes to a `file://` backend in the test's tmp_path.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto
from pulumi.automation._stack import StackInitMode

SECRET_MASK = "[secret]"
"""How `pulumi stack output --json` shows a secret value."""

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
    return cli_env(tmp_path)


def cli_env(directory: Path) -> dict[str, str]:
    """What ``pulumi_env`` gives, in ``directory`` (for fixtures wider than one test)."""
    pulumi_cli()
    home = directory / "pulumi-home"
    state = directory / "state"
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
        # installed in the virtualenv, and the programs and providers of the tests
        # import tests.support (tests.support._smoke: the run fails without it).
        "PYTHONPATH": pythonpath,
    }


def changes(summary: Any) -> dict[str, int]:
    """An OpMap / resource_changes dict with plain string keys."""
    return {str(getattr(k, "value", k)): v for k, v in (summary or {}).items()}


def copy_project(source: Path, tmp_path: Path) -> Path:
    """A copy of a project folder that keeps a `virtualenv: ../../.venv` working: the copy
    sits two levels down in tmp_path, next to a `.venv` link to the test's interpreter."""
    target = tmp_path / "projects" / source.name
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    venv = tmp_path / ".venv"
    if not venv.exists():
        venv.symlink_to(sys.prefix, target_is_directory=True)
    return target


def swarm_leftovers(client: Any, prefix: str) -> list[str]:
    """Services, networks, secrets and configs whose name starts with ``prefix``."""
    found = [f"service {s.name}" for s in client.services.list(filters={"name": prefix})
             if s.name.startswith(prefix)]
    found += [f"network {n.name}" for n in client.networks.list(names=[prefix])
              if n.name.startswith(prefix)]
    found += [f"secret {s.name}" for s in client.secrets.list(filters={"name": prefix})
              if s.name.startswith(prefix)]
    found += [f"config {c.name}" for c in client.configs.list(filters={"name": prefix})
              if c.name.startswith(prefix)]
    return found


def free_port() -> int:
    """A TCP port nothing listens on now (for host-mode publishing on the manager)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_cli(project: Path, env: dict[str, str], *args: str, stack: str = "dev"
            ) -> subprocess.CompletedProcess[str]:
    """One `pulumi` command on ``stack`` of ``project``, as a user types it (not through
    the Automation API), with ``env`` over the test's environment; output captured."""
    return subprocess.run(
        [pulumi_cli(), *args, "--stack", stack, "--non-interactive"], cwd=project,
        env={**os.environ, **env}, capture_output=True, text=True, timeout=TIMEOUT)


def export_at_rest(project: Path, env: dict[str, str], stack: str) -> str:
    """`pulumi stack export` as stored: secrets stay ciphertext (the Automation API's
    ``export_stack()`` passes --show-secrets)."""
    exported = run_cli(project, env, "stack", "export", stack=stack)
    exported.check_returncode()
    return exported.stdout


def assert_absent(where: str, text: str, *values: str) -> None:
    """None of ``values`` occurs in ``text``; on failure show where it was found."""
    for value in values:
        at = text.find(value)
        assert at < 0, f"{value!r} is in plaintext in {where}: ...{text[max(0, at - 300):at + 80]}"


SECRET_SIG = "4dabf18193072939515e22adb298388d"
"""The key Pulumi puts in a secret envelope (``{SECRET_SIG: ..., "ciphertext": ...}``)."""


def plaintext_paths(node: Any, value: str, path: str = "") -> list[str]:
    """Where ``value`` occurs outside a secret envelope, in an exported deployment."""
    if isinstance(node, dict):
        if SECRET_SIG in node:
            return []
        return [p for k, v in node.items() for p in plaintext_paths(v, value, f"{path}.{k}")]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in plaintext_paths(v, value, f"{path}[{i}]")]
    return [path] if isinstance(node, str) and value in node else []


@functools.cache
def pulumi_command() -> auto.PulumiCommand:
    """The CLI on PATH for the Automation API, its version checked once per test process:
    without it every new workspace runs `pulumi version` first."""
    return auto.PulumiCommand(root=str(Path(pulumi_cli()).resolve().parent.parent))


class Stack(auto.Stack):
    """The Automation API's stack, minus the CLI runs that derive the passphrase key
    (PBKDF2, about 0.25 CPU-s each) for values no test reads.

    - After each `up`, `refresh` and `destroy` the Automation API reads the operation's
      summary with `pulumi stack history --show-secrets`, only to show config secrets in
      ``summary.config``, which no test reads: it is read without the secrets.
    - After each `up` it reads the outputs twice, with `pulumi stack output --json` and
      again with `--show-secrets`. ``outputs()`` runs the first only: a secret output's
      value is ``"[secret]"``, marked secret. ``plaintext_outputs()`` has the values."""

    deployed = False
    """Whether an `up` may have left resources that no `destroy` has removed since."""

    def info(self, show_secrets: bool = False) -> auto.UpdateSummary | None:
        return super().info(show_secrets=False)

    def outputs(self) -> auto.OutputMap:
        masked = json.loads(self._run_pulumi_cmd_sync(["stack", "output", "--json"]).stdout)
        return {key: auto.OutputValue(value=value, secret=value == SECRET_MASK)
                for key, value in masked.items()}

    def plaintext_outputs(self) -> auto.OutputMap:
        """The outputs as the Automation API reads them, secrets in plaintext."""
        return super().outputs()

    def up(self, *args: Any, **kwargs: Any) -> auto.UpResult:
        self.deployed = True  # before: a failed `up` may have created some
        return super().up(*args, **kwargs)

    def destroy(self, *args: Any, **kwargs: Any) -> auto.DestroyResult:
        result = super().destroy(*args, **kwargs)
        self.deployed = False
        return result

    def tear_down(self, **destroy: Any) -> None:
        """A test's cleanup: `destroy` (with ``destroy``'s arguments) unless the test
        destroyed what it deployed. The stack itself stays: its state lives in the test's
        tmp_path."""
        if self.deployed:
            self.destroy(**destroy)


def new_stack(name: str, env: dict[str, str], project: Path, program: Any = None,
              project_name: str = "inline") -> Stack:
    """A new stack ``name`` of the local program in ``project``, or of the inline
    ``program`` of project ``project_name`` (working in ``project``), run by the real CLI
    with ``env``."""
    options = auto.LocalWorkspaceOptions(work_dir=str(project), pulumi_home=env["PULUMI_HOME"],
                                         env_vars=env, pulumi_command=pulumi_command())
    if program is not None:
        options.program = program
        options.project_settings = auto.ProjectSettings(name=project_name, runtime="python")
    # Stack.create() would make an auto.Stack whatever the class it is called on.
    return Stack(name, auto.LocalWorkspace(**vars(options)), StackInitMode.CREATE)


def local_stack(project: Path, env: dict[str, str], name: str = "dev") -> Stack:
    """A new stack of the local program in ``project``, run by the real CLI with ``env``."""
    return new_stack(name, env, project)



def checkout_cli(directory: Path) -> Path:
    """A bin folder with the Pulumi CLI and *this checkout's* language host and shims.

    The CLI looks for its plugins next to its own (real) path, so the binary is linked
    (or copied) in; the shared cache that `scripts/pulumi-cli` fills keeps whatever
    version of the shims was installed last."""
    bindir = directory / "bin"
    bindir.mkdir(parents=True)
    cli = Path(pulumi_cli()).resolve()
    try:
        os.link(cli, bindir / "pulumi")
    except OSError:
        shutil.copy2(cli, bindir / "pulumi")
    for name in ("pulumi-language-python", "pulumi-language-python-exec",
                 "pulumi-resource-pulumi-python", "pulumi_language_python_host.py"):
        shutil.copy2(REPO / "tools" / "pulumi-cli" / "shims" / name, bindir / name)
    version = cli.parent / ".pulumi-version"
    if version.exists():
        shutil.copy2(version, bindir / ".pulumi-version")
    return bindir


def bare_env(bindir: Path, state: Path, **extra: str) -> dict[str, str]:
    """The whole environment of a CLI run by a user who activated nothing: the CLI's
    folder and the system's on PATH, no PULUMI_PYTHON_CMD, no PYTHONPATH."""
    home = state / "pulumi-home"
    backend = state / "backend"
    home.mkdir(parents=True, exist_ok=True)
    backend.mkdir(parents=True, exist_ok=True)
    env = {
        "HOME": os.environ.get("HOME", "/root"),
        "PATH": f"{bindir}:/usr/bin:/bin",
        "PULUMI_HOME": str(home),
        "PULUMI_BACKEND_URL": f"file://{backend}",
        "PULUMI_CONFIG_PASSPHRASE": "bare-env",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
    }
    if os.environ.get("DOCKER_HOST"):
        env["DOCKER_HOST"] = os.environ["DOCKER_HOST"]
    env.update(extra)
    return env
