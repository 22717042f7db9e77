"""What users do with stacks, through the real Pulumi CLI against the real swarm.

- connection settings from stack config (`swarm:dockerHost`, TLS material as config
  secrets) or from the environment (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH):
  they work, never reach the state in plaintext, and changing them changes no service;
- an env value given as a Pulumi secret stays encrypted in the state and out of the output;
- drift made with the docker CLI shows in `preview --refresh`; `up --refresh` undoes it;
- editing the program (a comment, an unrelated resource) leaves the services unchanged.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
from pulumi import automation as auto

from . import pulumi_helpers as helpers
from .tls_proxy import TlsEngine, tls_engine

pulumi_env = helpers.pulumi_env  # the fixture

LOOP = "trap 'exit 0' TERM; while true; do sleep 1; done"
PROGRAM = f"""\
import pulumi

from swarm_provider import SwarmService

cfg = pulumi.Config()
app = SwarmService(
    "app",
    image=cfg.require("image"),
    command=["sh", "-c", {LOOP!r}],
    env={{"A": cfg.get("a") or "1"}},
    update_config={{"Monitor": "1s"}},
    stop_grace_period="1s",
)
pulumi.export("name", app.name)
"""
NOWHERE = "unix:///nonexistent/docker.sock"


class Project:
    """A local program in tmp_path and its stacks, destroyed and removed at the end."""

    def __init__(self, tmp_path: Path, env: dict[str, str], program: str,
                 prefix: str, image: str) -> None:
        self.dir = helpers.write_program(tmp_path / "prog", "workflow", program)
        self.env = env
        self.prefix = prefix
        self.image = image
        self.stacks: list[helpers.Stack] = []

    def stack(self, name: str = "dev", extra_env: dict[str, str] | None = None,
              config: dict[str, auto.ConfigValue] | None = None) -> helpers.Stack:
        env = {**self.env, **(extra_env or {})}
        stack = helpers.new_stack(name, env, self.dir)
        self.stacks.append(stack)
        stack.set_all_config({
            "swarm:namePrefix": auto.ConfigValue(self.prefix),
            "image": auto.ConfigValue(self.image),
            **(config or {}),
        })
        return stack

    def at_rest(self, stack: str = "dev") -> str:
        return helpers.export_at_rest(self.dir, self.env, stack)

    def close(self) -> None:
        for stack in self.stacks:
            stack.tear_down()


@pytest.fixture
def project_factory(tmp_path: Path, pulumi_env: dict[str, str], test_image: str,
                    docker_client: docker.DockerClient) -> Iterator[Any]:
    made: list[Project] = []
    prefix = f"wf{uuid.uuid4().hex[:6]}-"

    def make(program: str = PROGRAM) -> Project:
        project = Project(tmp_path, pulumi_env, program, prefix, test_image)
        made.append(project)
        return project

    yield make
    for project in made:
        project.close()
    assert helpers.swarm_leftovers(docker_client, prefix) == []


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsEngine]:
    host = os.environ.get("DOCKER_HOST", "")
    if not host.startswith("unix://"):
        pytest.fail("the TLS front needs the test bed's unix socket in DOCKER_HOST "
                    f"(got {host!r}): run the suite through scripts/test")
    with tls_engine(host.removeprefix("unix://"), tmp_path_factory.mktemp("tls")) as engine:
        yield engine


def socket_path() -> str:
    host = os.environ["DOCKER_HOST"]
    assert host.startswith("unix://"), "these tests need the test bed's unix socket"
    return host.removeprefix("unix://")


# --- connection settings ----------------------------------------------------------------------


def test_docker_host_from_stack_config(project_factory: Any,
                                       docker_client: docker.DockerClient) -> None:
    """swarm:dockerHost works (DOCKER_HOST points nowhere), stays out of the state, and an
    equivalent or even a wrong value changes no service in a preview."""
    sock = socket_path()
    project = project_factory()
    stack = project.stack(extra_env={"DOCKER_HOST": NOWHERE}, config={
        "swarm:dockerHost": auto.ConfigValue(f"unix://{sock}", secret=True)})
    up = stack.up()
    assert helpers.changes(up.summary.resource_changes) == {"create": 2}
    assert docker_client.services.get(f"{project.prefix}app")
    helpers.assert_absent("the exported state", project.at_rest(), sock)

    folder, file = os.path.split(sock)
    stack.set_config("swarm:dockerHost", auto.ConfigValue(f"unix://{folder}/./{file}",
                                                           secret=True))
    assert helpers.changes(stack.preview(expect_no_changes=True).change_summary) == {"same": 2}
    assert helpers.changes(stack.up().summary.resource_changes) == {"same": 2}
    stack.refresh()  # reads the service through the new value
    helpers.assert_absent("the exported state", project.at_rest(), sock, folder)

    # Previews never contact the engine, and neither does an `up` with nothing to do, so
    # even a wrong address changes no service...
    stack.set_config("swarm:dockerHost", auto.ConfigValue(NOWHERE, secret=True))
    assert helpers.changes(stack.preview(expect_no_changes=True).change_summary) == {"same": 2}
    assert helpers.changes(stack.up().summary.resource_changes) == {"same": 2}
    # ...while anything that reads the service uses it (refresh and destroy: the settings
    # of the last `up`, or of the current config with --run-program), and says so.
    with pytest.raises(auto.CommandError, match="cannot reach the Docker engine"):
        stack.refresh()
    stack.set_config("swarm:dockerHost", auto.ConfigValue(f"unix://{sock}", secret=True))
    stack.refresh(run_program=True)
    assert helpers.changes(stack.up().summary.resource_changes) == {"same": 2}


def test_tls_material_from_stack_config(project_factory: Any, tls: TlsEngine,
                                        docker_client: docker.DockerClient) -> None:
    """A TLS engine (client certificate required) from config secrets; no PEM in the state."""
    project = project_factory()
    stack = project.stack(extra_env={"DOCKER_HOST": NOWHERE}, config={
        "swarm:dockerHost": auto.ConfigValue(tls.url),
        "swarm:tlsCaCert": auto.ConfigValue(tls.pem("ca.pem"), secret=True),
        "swarm:tlsCert": auto.ConfigValue(tls.pem("cert.pem"), secret=True),
        "swarm:tlsKey": auto.ConfigValue(tls.pem("key.pem"), secret=True),
    })
    up = stack.up()
    assert helpers.changes(up.summary.resource_changes) == {"create": 2}
    assert docker_client.services.get(f"{project.prefix}app")
    key_body = tls.pem("key.pem").splitlines()[5]  # a line of the private key's base64
    cert_body = tls.pem("cert.pem").splitlines()[5]
    exported = project.at_rest()
    helpers.assert_absent("the exported state", exported, key_body, cert_body)
    helpers.assert_absent("the output of up", up.stdout, key_body, cert_body)
    assert helpers.changes(stack.preview(expect_no_changes=True).change_summary) == {"same": 2}
    destroyed = stack.destroy()
    assert helpers.changes(destroyed.summary.resource_changes) == {"delete": 2}


def test_tls_from_environment(project_factory: Any, tls: TlsEngine,
                              docker_client: docker.DockerClient) -> None:
    """No swarm:* config: DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, as docker's."""
    project = project_factory()
    stack = project.stack(extra_env={"DOCKER_HOST": tls.url, "DOCKER_TLS_VERIFY": "1",
                                     "DOCKER_CERT_PATH": str(tls.cert_dir)})
    up = stack.up()
    assert helpers.changes(up.summary.resource_changes) == {"create": 2}
    assert docker_client.services.get(f"{project.prefix}app")
    destroyed = stack.destroy()
    assert helpers.changes(destroyed.summary.resource_changes) == {"delete": 2}


# --- secrets stay secret ----------------------------------------------------------------------

SECRET_PROGRAM = f"""\
import pulumi

from swarm_provider import SwarmService

cfg = pulumi.Config()
# Not from config: a plain config value would be in the state as the provider's input.
with open(cfg.require("passwordFile"), encoding="utf-8") as source:
    password = source.read()
common = dict(image=cfg.require("image"), command=["sh", "-c", {LOOP!r}],
              update_config={{"Monitor": "1s"}}, stop_grace_period="1s")
as_dict = SwarmService("dict-env", env={{"MODE": cfg.get("mode") or "a",
                                        "PASSWORD": pulumi.Output.secret(password)}}, **common)
as_list = SwarmService("list-env", env=["MODE=" + (cfg.get("mode") or "a"),
                                        pulumi.Output.secret("PASSWORD=" + password)], **common)
pulumi.export("dict_env", as_dict.env)
pulumi.export("list_env", as_list.env)
pulumi.export("name", as_dict.name)
"""


def test_env_secret_stays_secret(project_factory: Any, tmp_path: Path,
                                 docker_client: docker.DockerClient) -> None:
    password = f"hunter2-{uuid.uuid4().hex}"
    password_file = tmp_path / "password.txt"
    password_file.write_text(password)
    project = project_factory(SECRET_PROGRAM)
    stack = project.stack(config={"passwordFile": auto.ConfigValue(str(password_file))})
    up = stack.up(diff=True)
    assert helpers.changes(up.summary.resource_changes) == {"create": 3}
    assert up.outputs["dict_env"].secret and up.outputs["list_env"].secret
    for service in ("dict-env", "list-env"):  # the containers do get it
        spec = docker_client.services.get(f"{project.prefix}{service}").attrs["Spec"]
        assert f"PASSWORD={password}" in spec["TaskTemplate"]["ContainerSpec"]["Env"]
    preview = stack.preview(expect_no_changes=True, diff=True)
    refresh = stack.refresh()
    stack.set_config("mode", auto.ConfigValue("b"))  # an update of both services
    changed = stack.up(diff=True)
    assert helpers.changes(changed.summary.resource_changes) == {"update": 2, "same": 1}
    for text, where in ((up.stdout, "up"), (preview.stdout, "preview"),
                        (refresh.stdout, "refresh"), (changed.stdout, "the second up")):
        helpers.assert_absent(f"the output of {where}", text, password)

    exported = project.at_rest()
    helpers.assert_absent("the exported state", exported, password)
    services = [r for r in json.loads(exported)["deployment"]["resources"]
                if r["type"].endswith(":Service")]
    for resource in services:
        for part in ("inputs", "outputs"):
            assert "ciphertext" in resource[part]["env"], (resource["urn"], part)
    # Decrypted (export_stack passes --show-secrets), it only sits inside secret envelopes.
    assert helpers.plaintext_paths(stack.export_stack().deployment, password) == []


# --- drift --------------------------------------------------------------------------------------


def test_drift_is_shown_by_refresh_and_undone_by_up(
        project_factory: Any, docker_client: docker.DockerClient) -> None:
    project = project_factory()
    stack = project.stack()
    stack.up()
    name = f"{project.prefix}app"
    subprocess.run(["docker", "service", "update", "--quiet", "--detach=false",
                    "--env-add", "FOO=bar", name], check=True, capture_output=True,
                   timeout=120)
    assert "FOO=bar" in env_on_engine(docker_client, name)

    # The state doesn't know yet; with --refresh the preview reads the service first.
    assert helpers.changes(stack.preview().change_summary) == {"same": 2}
    # An update without refresh doesn't silently undo someone's change: it is refused.
    stack.set_config("a", auto.ConfigValue("2"))
    with pytest.raises(auto.CommandError, match="changed outside Pulumi"):
        stack.up()
    assert "FOO=bar" in env_on_engine(docker_client, name)
    stack.remove_config("a")
    preview = stack.preview(refresh=True, diff=True)
    assert helpers.changes(preview.change_summary) == {"update": 1, "same": 1}
    assert "FOO=bar" in preview.stdout  # the drift, field by field

    up = stack.up(refresh=True)
    assert helpers.changes(up.summary.resource_changes).get("update") == 1
    assert env_on_engine(docker_client, name) == ["A=1"]
    assert helpers.changes(stack.preview(refresh=True, expect_no_changes=True)
                           .change_summary) == {"same": 2}


def env_on_engine(client: docker.DockerClient, name: str) -> list[str]:
    spec = client.services.get(name).attrs["Spec"]
    return list(spec["TaskTemplate"]["ContainerSpec"].get("Env") or [])


# --- a stable provider --------------------------------------------------------------------------

STABLE_PROGRAM = PROGRAM + f"""\
other = SwarmService("other", image=cfg.require("image"), command=["sh", "-c", {LOOP!r}],
                     stop_grace_period="1s", update_config={{"Monitor": "1s"}})
"""


def test_editing_the_program_changes_no_service(project_factory: Any,
                                                docker_client: docker.DockerClient) -> None:
    project = project_factory(STABLE_PROGRAM)
    stack = project.stack()
    assert helpers.changes(stack.up().summary.resource_changes) == {"create": 3}
    versions = {s.name: s.version for s in docker_client.services.list(
        filters={"name": project.prefix})}
    program = project.dir / "__main__.py"

    program.write_text("# A comment, and the line numbers of everything move.\n\n"
                       + program.read_text())
    preview = stack.preview(expect_no_changes=True, diff=True)
    assert helpers.changes(preview.change_summary) == {"same": 3}

    program.write_text(program.read_text() + (
        "from swarm_provider import SwarmConfig\n"
        'extra = SwarmConfig("extra", data="unrelated\\n")\n'))
    preview = stack.preview(diff=True)
    assert helpers.changes(preview.change_summary) == {"create": 1, "same": 3}
    up = stack.up()
    assert helpers.changes(up.summary.resource_changes) == {"create": 1, "same": 3}
    after = {s.name: s.version for s in docker_client.services.list(
        filters={"name": project.prefix})}
    assert after == versions  # nothing was written to the services
