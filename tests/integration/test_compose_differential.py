"""ComposeStack against `docker stack deploy`: the same files must store the same specs.

Each corpus case is deployed with the real docker CLI (`docker stack deploy
--resolve-image never`), its stored specs recorded (raw inspect, no inserted defaults),
the stack removed, then the same files deployed with ComposeStack through the real
Pulumi CLI; the specs are compared field by field. Allowed differences (issue #11): our
owner label, and the names/ids of secret and config objects (versioned), never their
file name, uid, gid or mode. Network ids differ between two deployments: they are
compared by network name.

The ORDER of published ports, of mounts and of network aliases is compared too: the
engine stores these lists as sent, and ComposeStack sends the CLI's order (ports by
published port alone, mounts as in the file, aliases as in the file then the service
name); SwarmService keeps the order it is given and compares them as multisets.

Most corpus services run ``sh -c "trap 'exit 0' TERM; sleep 3600 & wait"``, not a bare
``sleep``: PID 1 without a handler ignores SIGTERM, so each removal would sit out the 10-s
stop grace period (minimal.yml keeps the bare form, override.yml the commands its unit
test checks).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from swarm_provider.schema.service import OWNER_LABEL, SENT_LABEL

from .pulumi_helpers import changes, free_port, local_stack, pulumi_env, write_program

CORPUS = Path(__file__).resolve().parents[1] / "compose_corpus"
CASES = {
    "minimal": ["minimal.yml"],
    "environment": ["environment.yml"],
    "external": ["external.yml"],
    "ports": ["ports.yml"],
    "volumes": ["volumes.yml"],
    "secrets": ["secrets.yml"],
    "networks": ["networks.yml"],
    "deploy": ["deploy.yml"],
    "modes": ["modes.yml"],
    "container": ["container.yml"],
    "override": ["base.yml", "override.yml"],
    "ignored": ["ignored.yml"],
}
NAMESPACE = "com.docker.stack.namespace"
__all__ = ["pulumi_env"]


def corpus_env(test_image: str) -> dict[str, str]:
    """The variables the corpus files interpolate: the test image and free ports."""
    base = free_port()
    return {"IMAGE": test_image, "P1": str(free_port()), "P2": str(free_port()),
            "P3": str(free_port()), "R1": str(base), "R2": str(base + 1),
            "FROM_SHELL": "shell-value", "BARE_KEY": "bare-from-shell"}


def stack_deploy(files: list[str], stack: str, env: dict[str, str]) -> None:
    args = ["docker", "stack", "deploy", "--resolve-image", "never"]
    for file in files:
        args += ["-c", str(CORPUS / file)]
    result = subprocess.run([*args, stack], cwd=CORPUS, env={**os.environ, **env},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def stack_rm(client: docker.DockerClient, stack: str) -> None:
    """`docker stack rm`, repeated until nothing of the stack is left (it sometimes
    leaves a network behind)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if not stack_objects(client, stack):
            return
        subprocess.run(["docker", "stack", "rm", stack], capture_output=True, timeout=60)
        time.sleep(1)
    pytest.fail(f"stack {stack} still has {stack_objects(client, stack)}")


def stack_objects(client: docker.DockerClient, stack: str) -> list[str]:
    label = {"label": f"{NAMESPACE}={stack}"}
    return ([s.name for s in client.services.list(filters=label)]
            + [n.name for n in client.networks.list(filters=label)]
            + [s.name for s in client.secrets.list(filters=label)]
            + [c.name for c in client.configs.list(filters=label)])


def recorded(client: docker.DockerClient, stack: str) -> dict[str, Any]:
    """What the engine stores for the stack: service specs (comparable form), networks,
    secret and config labels, by name."""
    api = client.api
    label = {"label": f"{NAMESPACE}={stack}"}
    names = {n["Id"]: n["Name"] for n in api.networks()}
    services = {s["Spec"]["Name"]: comparable(s["Spec"], names)
                for s in api.services(filters=label)}
    networks = {}
    for network in api.networks(filters=label):
        options = {k: v for k, v in (network.get("Options") or {}).items()
                   if not k.startswith("com.docker.network.driver.overlay.vxlanid")}
        networks[network["Name"]] = {
            "Driver": network["Driver"], "Options": options,
            "Labels": {k: v for k, v in (network.get("Labels") or {}).items() if k != OWNER_LABEL},
            "Internal": network["Internal"], "Attachable": network["Attachable"],
            "Scope": network["Scope"]}
    objects = {}
    for kind, listing in (("secret", api.secrets), ("config", api.configs)):
        for item in listing(filters=label):
            spec = item["Spec"]
            labels = {k: v for k, v in (spec.get("Labels") or {}).items() if k != OWNER_LABEL}
            objects[f"{kind} {base_name(spec['Name'])}"] = {
                "Labels": labels, "Templating": spec.get("Templating"),
                "Driver": spec.get("Driver")}
    return {"services": services, "networks": networks, "objects": objects}


def base_name(name: str) -> str:
    """A versioned object name without its ``-<12 hex>`` content suffix."""
    stem, _, suffix = name.rpartition("-")
    return stem if stem and len(suffix) == 12 and all(c in "0123456789abcdef" for c in suffix) \
        else name


PROVIDER_LABELS = frozenset({OWNER_LABEL, SENT_LABEL})
"""The provider's own bookkeeping labels: who owns a service, and a digest of what it sent
(the update guard's proof); the one allowed difference in labels."""


def comparable(spec: dict[str, Any], network_names: dict[str, str]) -> dict[str, Any]:
    """A service spec with only the allowed differences taken out."""
    spec = {**spec, "Labels": {k: v for k, v in spec.get("Labels", {}).items()
                               if k not in PROVIDER_LABELS}}
    task = dict(spec["TaskTemplate"])
    task["Networks"] = [{**n, "Target": network_names.get(n["Target"], n["Target"])}
                        for n in task.get("Networks") or []]
    container = dict(task["ContainerSpec"])
    for key, name_key, id_key in (("Secrets", "SecretName", "SecretID"),
                                  ("Configs", "ConfigName", "ConfigID")):
        if key in container:
            refs = [{**{k: v for k, v in ref.items() if k not in (name_key, id_key)},
                     "Object": base_name(ref[name_key])} for ref in container[key]]
            container[key] = sorted(refs, key=lambda r: r["Object"])
    task["ContainerSpec"] = container
    spec["TaskTemplate"] = task
    return spec


def compose_program(files: list[str], stack: str) -> str:
    paths = [str(CORPUS / f) for f in files]
    return ("from swarm_provider.compose import ComposeStack\n"
            f"ComposeStack('app', files={paths!r}, stack_name={stack!r})\n")


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Every leaf where the two differ, as `path: expected != actual`."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return [d for key in sorted(set(expected) | set(actual), key=str)
                for d in differences(expected.get(key), actual.get(key), f"{path}.{key}")]
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [d for i, (e, a) in enumerate(zip(expected, actual, strict=True))
                for d in differences(e, a, f"{path}[{i}]")]
    return [] if expected == actual else [f"{path}: stack deploy {expected!r} != ours {actual!r}"]


def recorded_by_cli(client: docker.DockerClient, files: list[str], stack: str,
                    env: dict[str, str]) -> dict[str, Any]:
    """Deploy with `docker stack deploy`, record what the engine stores, remove it all."""
    try:
        stack_deploy(files, stack, env)
        theirs = recorded(client, stack)
        assert theirs["services"], "docker stack deploy created no service"
        return theirs
    finally:
        stack_rm(client, stack)


def deploy_and_compare(client: docker.DockerClient, program: str, stack: str,
                       theirs: dict[str, Any], project_dir: Path, env: dict[str, str]) -> None:
    """`pulumi up` of ``program``, the same specs as ``theirs``, then no diff in a
    preview, nor after a refresh."""
    project = write_program(project_dir, "compose-diff", program)
    pulumi_stack = local_stack(project, env)
    try:
        pulumi_stack.up(on_output=lambda _line: None)
        ours = recorded(client, stack)
        found = differences(theirs, ours)
        assert not found, "\n".join(found)
        preview = pulumi_stack.preview(on_output=lambda _line: None)
        assert set(changes(preview.change_summary)) == {"same"}, preview.change_summary
        pulumi_stack.refresh(on_output=lambda _line: None)
        preview = pulumi_stack.preview(on_output=lambda _line: None)
        assert set(changes(preview.change_summary)) == {"same"}, preview.change_summary
    finally:
        pulumi_stack.destroy(on_output=lambda _line: None)
        pulumi_stack.workspace.remove_stack(pulumi_stack.name)


@contextlib.contextmanager
def external_objects(client: docker.DockerClient, stack: str,
                     env: dict[str, str]) -> Iterator[None]:
    """The network, secret and config external.yml uses, made outside the stack; after
    both deployments they must still exist (then they are removed)."""
    names = {"EXT_NETWORK": f"{stack}-shared", "EXT_SECRET": f"{stack}-token",
             "EXT_CONFIG": f"{stack}-settings"}
    env.update(names)
    network = client.networks.create(names["EXT_NETWORK"], driver="overlay", attachable=True)
    secret = client.secrets.create(name=names["EXT_SECRET"], data=b"t0ken")
    config = client.configs.create(name=names["EXT_CONFIG"], data=b"a=1")
    try:
        yield
        client.networks.get(network.id)
        client.secrets.get(secret.id)
        client.configs.get(config.id)
    finally:
        for remove in (network.remove, secret.remove, config.remove):
            with contextlib.suppress(docker.errors.NotFound):
                remove()


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_specs_as_docker_stack_deploy(case: str, docker_client: docker.DockerClient,
                                           test_image: str, unique: Any, tmp_path: Path,
                                           pulumi_env: dict[str, str]) -> None:
    files = CASES[case]
    stack = unique("cd").replace("-", "")
    env = corpus_env(test_image)
    with contextlib.ExitStack() as resources:
        if case == "external":
            resources.enter_context(external_objects(docker_client, stack, env))
        theirs = recorded_by_cli(docker_client, files, stack, env)
        deploy_and_compare(docker_client, compose_program(files, stack), stack, theirs,
                           tmp_path / "project", {**pulumi_env, **env})


@pytest.mark.parametrize("case", ["override", "secrets"])
def test_converted_program_deploys_the_same_specs(case: str, docker_client: docker.DockerClient,
                                                  test_image: str, unique: Any, tmp_path: Path,
                                                  pulumi_env: dict[str, str]) -> None:
    """`python -m swarm_provider.compose convert FILE...` prints a program that, run as
    it is, stores what `docker stack deploy` stores."""
    files = CASES[case]
    stack = unique("cv").replace("-", "")
    env = corpus_env(test_image)
    converted = subprocess.run(
        [sys.executable, "-m", "swarm_provider.compose", "convert", *files,
         "--stack-name", stack], cwd=CORPUS, env={**os.environ, **env},
        capture_output=True, text=True, timeout=60)
    assert converted.returncode == 0, converted.stderr
    assert "SwarmService(" in converted.stdout
    theirs = recorded_by_cli(docker_client, files, stack, env)
    deploy_and_compare(docker_client, converted.stdout, stack, theirs, tmp_path / "project",
                       {**pulumi_env, **env})


def test_the_spec_sent_has_the_clis_order() -> None:
    """The order ``docker stack deploy`` stores, which the cases above compare exactly,
    in the spec ComposeStack's services send (no engine needed): mounts in the file's
    order, ports by published port alone (unpublished ones in the file's order), aliases
    as in the file then the service name. Each list is unsorted by its key, so a core
    that sorted them again would fail here as well as above."""
    from swarm_provider.compose import load, plan
    from swarm_provider.core.check import require_valid
    from swarm_provider.core.spec import build_spec

    env = {"IMAGE": "img", "P1": "8001", "P2": "8002", "P3": "8003", "R1": "9000", "R2": "9001"}

    def sent(file: str, service: str) -> dict[str, Any]:
        stack = plan(load([CORPUS / file], process_env=env, dotenv=False), "st")
        return build_spec(require_valid({**stack.services[service], "owner": "o"}))

    mounts = sent("volumes.yml", "store")["TaskTemplate"]["ContainerSpec"]["Mounts"]
    assert [m["Target"] for m in mounts] == [
        "/data", "/cache", "/anon", "/corpus", "/host-tmp", "/scratch", "/data-ro"]
    ports = sent("ports.yml", "web")["EndpointSpec"]["Ports"]
    assert [(p.get("PublishedPort", 0), p["TargetPort"]) for p in ports] == [
        (0, 7000), (0, 6000), (8001, 80), (8002, 53), (8003, 8443), (9000, 90), (9001, 91)]
    networks = sent("networks.yml", "front")["TaskTemplate"]["Networks"]
    assert [(n["Target"], n["Aliases"]) for n in networks] == [
        ("st_backend", ["front"]), ("st_frontend", ["www", "portal", "front"])]
