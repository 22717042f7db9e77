"""ComposeStack through the real Pulumi CLI: adoption of a stack `docker stack deploy` made
(nothing restarts), a one-line change is one update, bad files and ignored keys in the
preview."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import docker
import pytest
from pulumi import automation as auto

from . import pulumi_helpers as helpers
from .test_compose_differential import CORPUS, NAMESPACE, corpus_env, stack_rm

pulumi_env = helpers.pulumi_env  # the fixture


def copy_corpus(tmp_path: Path, *files: str) -> Path:
    """The corpus files (and their data files) in a folder the test may edit."""
    folder = tmp_path / "compose"
    folder.mkdir()
    shutil.copytree(CORPUS / "files", folder / "files")
    for file in files:
        shutil.copy(CORPUS / file, folder / file)
    return folder


def program(files: list[Path], stack: str, adopt: bool = False) -> str:
    return ("from swarm_provider.compose import ComposeStack\n"
            f"ComposeStack('app', files={[str(f) for f in files]!r}, stack_name={stack!r}, "
            f"adopt={adopt!r})\n")


def tasks_of(client: docker.DockerClient, stack: str) -> dict[str, set[str]]:
    """Every task id (whatever its state) of every service of the stack, by service id."""
    return {s.id: {t["ID"] for t in s.tasks()}
            for s in client.services.list(filters={"label": f"{NAMESPACE}={stack}"})}


def test_adopting_a_cli_stack_restarts_nothing_then_a_change_is_one_update(
        docker_client: docker.DockerClient, test_image: str, unique: Any, tmp_path: Path,
        pulumi_env: dict[str, str]) -> None:
    folder = copy_corpus(tmp_path, "adopt.yml")
    compose = folder / "adopt.yml"
    stack = unique("ad").replace("-", "")
    env = corpus_env(test_image)
    deployed = subprocess.run(
        ["docker", "stack", "deploy", "--resolve-image", "never", "--detach=false",
         "-c", str(compose), stack], cwd=folder, env={**os.environ, **env},
        capture_output=True, text=True, timeout=180)
    try:
        assert deployed.returncode == 0, deployed.stderr
        before = tasks_of(docker_client, stack)
        assert len(before) == 2 and all(before.values())
        secrets_before = {s.id for s in docker_client.secrets.list(
            filters={"label": f"{NAMESPACE}={stack}"})}
        project = helpers.write_program(tmp_path / "project", "compose-adopt",
                                        program([compose], stack, adopt=True))
        pulumi_stack = helpers.local_stack(project, {**pulumi_env, **env})
        try:
            result = pulumi_stack.up(on_output=lambda _line: None)
            assert helpers.changes(result.summary.resource_changes).get("create") == 7
            assert tasks_of(docker_client, stack) == before, "adoption restarted tasks"
            assert {s.id for s in docker_client.secrets.list(
                filters={"label": f"{NAMESPACE}={stack}"})} == secrets_before
            preview = pulumi_stack.preview(on_output=lambda _line: None, diff=True)
            assert set(helpers.changes(preview.change_summary)) == {"same"}, preview.stdout

            compose.write_text(compose.read_text().replace("LEVEL: info", "LEVEL: debug"))
            preview = pulumi_stack.preview(on_output=lambda _line: None)
            assert helpers.changes(preview.change_summary).get("update") == 1, \
                preview.change_summary
            assert set(helpers.changes(preview.change_summary)) == {"same", "update"}
            pulumi_stack.up(on_output=lambda _line: None)
            api = docker_client.services.get(f"{stack}_api")
            assert "LEVEL=debug" in api.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"]
            assert tasks_of(docker_client, stack)[api.id] != before[api.id]
        finally:
            pulumi_stack.tear_down()
    finally:
        stack_rm(docker_client, stack)


@pytest.mark.parametrize(("text", "expected"), [
    ("services:\n  web:\n    image: i\n    portz: ['80']\n",
     "services.web.portz ({file}, service web): additional property portz is not allowed"),
    ("services:\n  web:\n    image: i\n    deploy:\n      replicas: lots\n",
     "services.web.deploy.replicas ({file}, service web): must be an integer; got 'lots'"),
    ("services:\n  web:\n    image: ${COMPOSE_TEST_NO_SUCH:?set the image}\n",
     "{file}: services.web.image: required variable COMPOSE_TEST_NO_SUCH is missing a value: "
     "set the image"),
    ("services:\n  web:\n    image: i\n    secrets: [pw]\nsecrets:\n  pw:\n"
     "    file: ./missing.txt\n",
     "secrets.pw.file ({file}): does not exist; got '{folder}/missing.txt'"),
])
def test_bad_files_fail_the_preview_naming_file_service_and_key(
        text: str, expected: str, tmp_path: Path, pulumi_env: dict[str, str]) -> None:
    folder = tmp_path / "compose"
    folder.mkdir()
    compose = folder / "bad.yml"
    compose.write_text(text)
    project = helpers.write_program(tmp_path / "project", "compose-bad",
                                    program([compose], "bad"))
    pulumi_stack = helpers.local_stack(project, pulumi_env)
    with pytest.raises(auto.CommandError) as raised:
        pulumi_stack.preview(on_output=lambda _line: None)
    output = str(raised.value)
    assert expected.format(file=compose, folder=folder) in output, output
    assert "Traceback" not in output


def test_ignored_keys_warn_once_in_the_preview(test_image: str, tmp_path: Path,
                                                pulumi_env: dict[str, str]) -> None:
    project = helpers.write_program(tmp_path / "project", "compose-warn",
                                    program([CORPUS / "ignored.yml"], "warn"))
    pulumi_stack = helpers.local_stack(project, {**pulumi_env, "IMAGE": test_image})
    warnings: list[str] = []

    def collect(event: Any) -> None:
        diagnostic = event.diagnostic_event
        if diagnostic is not None and diagnostic.severity == "warning":
            warnings.append(diagnostic.message.strip())

    pulumi_stack.preview(on_output=lambda _line: None, on_event=collect)
    assert warnings == [
        "Ignoring unsupported options: build, restart",
        "Ignoring deprecated options:\n\ncontainer_name: Setting the container name is not "
        "supported."], warnings
