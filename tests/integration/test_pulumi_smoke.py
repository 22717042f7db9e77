"""End-to-end smoke tests of the Pulumi toolchain this project runs on.

They drive the real Pulumi CLI (built by scripts/pulumi-cli) with this project's own
Python language host (tools/pulumi-cli/shims/pulumi-language-python), the program
executor and the dynamic-provider shim, against a `file://` backend in a temp dir:

* a LOCAL program (its own Pulumi.yaml, `runtime.options.virtualenv`), so the CLI
  starts our language host, which runs the program with the project's virtualenv;
  the dynamic resource `tests.support._smoke.Echo` goes through up / preview
  (no changes) / update / refresh / destroy, and a failing program is reported once;
* the same resource from an inline Automation-API program;
* a Python policy pack given to `pulumi preview --policy-pack`, which the CLI starts
  through the language host's RunPlugin: its mandatory violation must fail the preview.

No Docker needed. Run with the env of `scripts/testbed env` (PATH with the CLI's bin
folder and the project's virtualenv).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pulumi import automation as auto

from tests.support._smoke import ECHO_TYPE

from . import pulumi_helpers as helpers

pulumi_env = helpers.pulumi_env  # the fixture
_pulumi = helpers.pulumi_cli
_venv_options = helpers.venv_options
_yaml_runtime = helpers.yaml_runtime
_changes = helpers.changes
TIMEOUT = helpers.TIMEOUT


PROGRAM = """\
import os
import sys

import pulumi

from tests.support._smoke import Echo

cfg = pulumi.Config()
if cfg.get_bool("fail"):
    raise RuntimeError("smoke program failed on purpose")
echo = Echo("echo", value=cfg.get("message") or "hello", journal=cfg.get("journal"))
pulumi.export("value", echo.value)
pulumi.export("length", echo.length)
pulumi.export("echo_id", echo.id)
pulumi.export("token", cfg.get_secret("token"))
pulumi.export("python", sys.executable)
pulumi.export("cwd", os.getcwd())
"""


def _write_program(directory: Path, name: str) -> Path:
    directory.mkdir(parents=True)
    (directory / "Pulumi.yaml").write_text(f"name: {name}\n" + _yaml_runtime(_venv_options()))
    (directory / "__main__.py").write_text(PROGRAM)
    return directory


def _journal(path: Path) -> list[str]:
    return [line.split()[0] for line in path.read_text().splitlines()] if path.exists() else []


def test_local_program_through_language_host(tmp_path: Path, pulumi_env: dict[str, str]) -> None:
    prog = _write_program(tmp_path / "prog", "smoke-local")
    journal = tmp_path / "journal.txt"
    stack = helpers.local_stack(prog, pulumi_env)
    try:
        stack.set_config("message", auto.ConfigValue("hello"))
        stack.set_config("journal", auto.ConfigValue(str(journal)))
        stack.set_config("token", auto.ConfigValue("t0ken", secret=True))

        up = stack.up()
        assert up.summary.result == "succeeded"
        assert _changes(up.summary.resource_changes) == {"create": 2}
        assert up.outputs["value"].value == "hello"
        assert up.outputs["length"].value == 5
        assert up.outputs["echo_id"].value.startswith("echo-")
        # Config and secret keys reached the program through our language host.
        assert up.outputs["token"].secret is True
        assert stack.plaintext_outputs()["token"].value == "t0ken"
        # The program ran in its folder with the virtualenv's interpreter.
        assert Path(up.outputs["cwd"].value).resolve() == prog.resolve()
        if _venv_options():
            assert (
                Path(up.outputs["python"].value).parent.resolve()
                == (Path(sys.prefix) / "bin").resolve()
            )
        # create() ran in the dynamic provider process.
        assert _journal(journal) == ["create"]

        preview = stack.preview(expect_no_changes=True)
        assert _changes(preview.change_summary) == {"same": 2}

        stack.set_config("message", auto.ConfigValue("changed"))
        up2 = stack.up()
        assert _changes(up2.summary.resource_changes) == {"update": 1, "same": 1}
        assert up2.outputs["value"].value == "changed"
        assert up2.outputs["length"].value == 7
        assert up2.outputs["echo_id"].value == up.outputs["echo_id"].value
        assert _journal(journal) == ["create", "update"]

        refresh = stack.refresh()
        assert refresh.summary.result == "succeeded"
        assert stack.preview(expect_no_changes=True).change_summary

        # A failing program: the error is reported once through the engine (the
        # executor exits 32, the host answers "bail"), not as a generic exit code.
        stack.set_config("fail", auto.ConfigValue("true"))
        with pytest.raises(auto.CommandError) as failed:
            stack.preview()
        text = str(failed.value)
        assert "smoke program failed on purpose" in text
        assert "non-zero exit code" not in text
        stack.remove_config("fail")

        destroy = stack.destroy()
        assert _changes(destroy.summary.resource_changes) == {"delete": 2}
        assert _journal(journal) == ["create", "update", "delete"]
        assert (stack.export_stack().deployment or {}).get("resources") in (None, [])
    finally:
        stack.tear_down()


def test_inline_program(tmp_path: Path, pulumi_env: dict[str, str]) -> None:
    import pulumi

    from tests.support._smoke import Echo

    journal = tmp_path / "journal.txt"

    def program() -> None:
        echo = Echo("echo", value="inline", journal=str(journal))
        pulumi.export("value", echo.value)
        pulumi.export("length", echo.length)

    work = tmp_path / "inline"
    work.mkdir()
    stack = helpers.new_stack("inline", pulumi_env, work, program=program,
                              project_name="smoke-inline")
    try:
        up = stack.up()
        assert _changes(up.summary.resource_changes) == {"create": 2}
        assert up.outputs["value"].value == "inline"
        assert up.outputs["length"].value == 6
        assert _changes(stack.preview(expect_no_changes=True).change_summary) == {"same": 2}
        destroy = stack.destroy()
        assert _changes(destroy.summary.resource_changes) == {"delete": 2}
        assert _journal(journal) == ["create", "delete"]
    finally:
        stack.tear_down()


POLICY_PACK = f"""\
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy


def no_echo(args, report_violation):
    if args.resource_type == {ECHO_TYPE!r}:
        report_violation("smoke-policy refuses Echo with value " + repr(args.props.get("value")))


PolicyPack(
    name="smoke-policy",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(
            name="no-echo",
            description="Echo resources are not allowed.",
            validate=no_echo,
        ),
    ],
)
"""


def test_policy_pack_through_run_plugin(tmp_path: Path, pulumi_env: dict[str, str]) -> None:
    pulumi_bin = _pulumi()
    prog = _write_program(tmp_path / "prog", "smoke-policy-project")
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text(
        _yaml_runtime(_venv_options()) + "description: smoke-test policy pack\n"
    )
    (pack / "__main__.py").write_text(POLICY_PACK)
    env = {**os.environ, **pulumi_env}

    def pulumi(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [pulumi_bin, *args, "--non-interactive"],
            cwd=prog,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )

    init = pulumi("stack", "init", "dev")
    assert init.returncode == 0, init.stderr
    try:
        assert pulumi("config", "set", "message", "policed").returncode == 0

        plain = pulumi("preview")
        assert plain.returncode == 0, plain.stdout + plain.stderr

        policed = pulumi("preview", "--policy-pack", str(pack))
        out = policed.stdout + policed.stderr
        assert policed.returncode != 0, out
        assert "smoke-policy refuses Echo with value 'policed'" in out, out
        assert "mandatory" in out and "no-echo" in out, out
    finally:
        pulumi("stack", "rm", "--yes", "--force", "dev")
