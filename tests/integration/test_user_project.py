"""The install path, as a user takes it: the wheel (not an editable install) in a fresh
virtualenv outside the repository, a Pulumi project of the user's own next to it, and the
real CLI in an environment where nothing is activated (tests/integration/
test_language_host.py explains that environment).

One run walks the whole path against the real swarm: preview, up (with ``.get()``
lookups of a service, network, secret and config it created), the policy pack from
``python -m swarm_provider.policy init`` (a stack policy failing a preview on a typo'd
network) and by path from the package, mypy with the installed package's types
(py.typed), destroy, nothing left.

The wheel: ``$SWARM_PROVIDER_DIST`` (scripts/test builds it with ``python -m build``),
else built here. Installing it pulls its dependencies from the package index, as a
user's ``pip install`` does (about a minute).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import textwrap
import uuid
import zipfile
from pathlib import Path
from typing import Any

import docker
import pytest

from .pulumi_helpers import REPO, TIMEOUT, bare_env, checkout_cli, free_port, swarm_leftovers

PROGRAM = """\
import pulumi
from swarm_provider import SwarmConfig, SwarmNetwork, SwarmSecret, SwarmService

config = pulumi.Config()
backend = SwarmNetwork("backend", attachable=True)
web = SwarmService(
    "web",
    image=config.require("image"),
    command=["httpd", "-f", "-p", "8080", "-h", "/"],
    networks=[backend.name],
    endpoint_spec={"Ports": [{"TargetPort": 8080, "PublishedPort": config.require_int("port"),
                              "PublishMode": "host"}]},
    update_config={"parallelism": 1, "monitor": "1s"},
)
seen = SwarmService.get("seen", web.service_id)
seen_net = SwarmNetwork.get("seen-net", backend.network_id)
password = SwarmSecret("pw", data="not-printed")
settings = SwarmConfig("conf", data="a=1")
seen_pw = SwarmSecret.get("seen-pw", password.secret_id)
seen_conf = SwarmConfig.get("seen-conf", settings.config_id)
if config.get_bool("typo"):
    SwarmService("worker", image=config.require("image"), command=["sleep", "3600"],
                 networks=["backend"])

pulumi.export("version", web.version)
pulumi.export("published", web.endpoint.apply(lambda e: e["Ports"][0]["PublishedPort"]))
pulumi.export("seen_image", seen.image)
pulumi.export("seen_net", seen_net.name)
pulumi.export("seen_pw", seen_pw.secret_name)
pulumi.export("pw", password.secret_name)
pulumi.export("seen_conf", seen_conf.config_name)
pulumi.export("conf", settings.config_name)
"""

TYPO = """\
from swarm_provider import SwarmService

SwarmService("a", image="x:1", replicas=2)
SwarmService("b", image="x:1", update_config={"parallelism": "two"})
"""


def wheel(tmp_path: Path) -> Path:
    dist = os.environ.get("SWARM_PROVIDER_DIST")
    if not dist:
        dist = str(tmp_path / "dist")
        subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", dist, str(REPO)],
                       check=True, capture_output=True, timeout=TIMEOUT)
    wheels = sorted(Path(dist).glob("swarm_provider-*.whl"))
    assert wheels, f"no wheel in {dist}"
    return wheels[-1]


def sh(args: list[str], cwd: Path, env: dict[str, str] | None = None,
       check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)
    if check and done.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n"
                    f"{done.stderr}", pytrace=False)
    return done


def test_wheel_in_a_fresh_virtualenv_runs_a_user_project(
    tmp_path: Path, docker_client: Any, test_image: str
) -> None:
    built = wheel(tmp_path)
    names = zipfile.ZipFile(built).namelist()
    assert "swarm_provider/py.typed" in names
    assert "swarm_provider/policy/pack/PulumiPolicy.yaml" in names

    user = Path(f"/tmp/swarm-user-{uuid.uuid4().hex[:8]}")  # outside the repo, always
    assert REPO not in user.parents
    prefix = f"u{uuid.uuid4().hex[:6]}-"
    try:
        venv = user / "venv"
        sh([sys.executable, "-m", "venv", str(venv)], cwd=user.parent)
        sh([str(venv / "bin" / "pip"), "install", "--quiet", str(built)], cwd=user)
        where = sh([str(venv / "bin" / "python"), "-c",
                    "import swarm_provider; print(swarm_provider.__file__)"], cwd=user)
        assert where.stdout.startswith(str(venv)), where.stdout  # the wheel, not the repo

        infra = user / "infra"
        infra.mkdir()
        (infra / "Pulumi.yaml").write_text(
            "name: shop\nruntime:\n  name: python\n  options:\n    virtualenv: ../venv\n")
        (infra / "__main__.py").write_text(PROGRAM)
        env = bare_env(checkout_cli(user / "cli"), user / "state")

        def pulumi(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
            return sh([str(Path(env["PATH"].split(":")[0]) / "pulumi"), *args,
                       "--non-interactive"], cwd=infra, env=env, check=check)

        pulumi("stack", "init", "dev")
        pulumi("config", "set", "swarm:namePrefix", prefix)
        pulumi("config", "set", "image", test_image)
        pulumi("config", "set", "port", str(free_port()))

        preview = pulumi("preview", "--diff")
        assert f'name         : "{prefix}web"' in preview.stdout, preview.stdout
        assert "+ 5 to create" in preview.stdout

        up = pulumi("up", "--yes")
        assert "+ 5 created" in up.stdout, up.stdout  # the four reads are not creates
        outputs = json.loads(pulumi("stack", "output", "--json").stdout)
        assert isinstance(outputs["version"], int)  # Output[int]: never 1234.0
        assert outputs["seen_image"] == test_image  # SwarmService.get read it back
        assert outputs["seen_net"] == f"{prefix}backend"
        assert outputs["seen_pw"] == outputs["pw"] and outputs["pw"].startswith(f"{prefix}pw-")
        assert outputs["seen_conf"] == outputs["conf"]
        assert docker_client.services.get(f"{prefix}web").attrs["Spec"]["Name"] == \
            f"{prefix}web"

        # The pack, from the installed package, into the user's repo.
        init = sh([str(venv / "bin" / "python"), "-m", "swarm_provider.policy", "init",
                   str(user / "policy")], cwd=user)
        assert "virtualenv ../venv" in init.stdout
        checked = pulumi("preview", "--policy-pack", str(user / "policy"))
        assert "swarm-service-policies@v" in checked.stdout
        assert "[mandatory]" not in checked.stdout  # a high host port passes the default

        # The pack straight from the installed package, by path: it names no virtualenv,
        # so it runs in the Python on PATH, i.e. the activated virtualenv.
        packaged = sh([str(venv / "bin" / "python"), "-m", "swarm_provider.policy", "path"],
                      cwd=user).stdout.strip()
        assert packaged.startswith(str(venv))
        activated = {**env, "PATH": f"{venv / 'bin'}:{env['PATH']}", "VIRTUAL_ENV": str(venv)}
        by_path = sh([str(Path(env["PATH"].split(":")[0]) / "pulumi"), "preview",
                      "--non-interactive", "--policy-pack", packaged], cwd=infra, env=activated)
        assert "swarm-service-policies@v" in by_path.stdout, by_path.stdout

        pulumi("config", "set", "typo", "true")
        typo = pulumi("preview", "--policy-pack", str(user / "policy"), check=False)
        assert typo.returncode != 0
        assert f'service "{prefix}worker": networks (TaskTemplate.Networks): refers to ' \
            "network 'backend', which no SwarmNetwork of this stack declares" in typo.stdout
        assert f'is named "{prefix}backend" on the swarm' in typo.stdout
        pulumi("config", "rm", "typo")

        # The installed package's types reach the user's mypy (py.typed in the wheel).
        (user / "typo.py").write_text(textwrap.dedent(TYPO))
        typed = sh([sys.executable, "-m", "mypy", "--python-executable",
                    str(venv / "bin" / "python"), "--no-incremental", "--cache-dir",
                    str(user / "mypy-cache"), "typo.py"], cwd=user, check=False)
        assert 'typo.py:3: error: Unexpected keyword argument "replicas"' in typed.stdout, \
            typed.stdout
        assert 'typo.py:4: error: Argument "update_config"' in typed.stdout

        destroy = pulumi("destroy", "--yes")
        assert "- 5 deleted" in destroy.stdout, destroy.stdout
        pulumi("stack", "rm", "dev", "--yes")
        assert swarm_leftovers(docker_client, prefix) == []
    finally:
        for service in docker_client.services.list(filters={"name": prefix}):
            if service.name.startswith(prefix):
                service.remove()
        for network in docker_client.networks.list(names=[prefix]):
            if network.name.startswith(prefix):
                with contextlib.suppress(docker.errors.APIError):
                    network.remove()
        subprocess.run(["rm", "-rf", str(user)], check=False)
