"""ComposeStack against `docker stack deploy`: the same files must store the same specs.

Each corpus case is deployed with the real docker CLI (`docker stack deploy
--resolve-image never`), its stored specs recorded (raw inspect, no inserted defaults),
then the same files deployed with ComposeStack through the real Pulumi CLI; the specs are
compared field by field. Allowed differences (issue #11): our
owner label, and the names/ids of secret and config objects (versioned), never their
file name, uid, gid or mode. Network ids differ between two deployments: they are
compared by network name.

The ORDER of published ports, of mounts and of network aliases is compared too: the
engine stores these lists as sent, and ComposeStack sends the CLI's order (ports by
published port alone, mounts as in the file, aliases as in the file then the service
name); SwarmService keeps the order it is given and compares them as multisets.

All the corpus cases are deployed together, in one test: each with `docker stack deploy`
into its own stack, recorded, then one Pulumi program with one ComposeStack per case; then
each case's specs and its resources' steps in the two no-op previews are checked, and the
failure lists every case that differs, by name. Ours go under other stack names and
publish other ports, beside theirs (removed at the end), and are compared with their names
and ports put in place of ours: networks made right after others were removed fail tasks
on Docker 28 under load ("Pool overlaps with other one on this address space", "no
configured subnet or ip-range contain the IP address"): a worker still holds the removed
network, whose subnet the manager has handed out again. (A Pulumi stack per case ran the
CLI some 140 times per engine, most of this module's time; one program for many stacks is
what a user with many stacks runs too.)

Most corpus services run ``sh -c "trap 'exit 0' TERM; sleep 3600 & wait"``, not a bare
``sleep``: PID 1 without a handler ignores SIGTERM, so each removal would sit out the 10-s
stop grace period (minimal.yml keeps the bare form, override.yml the commands its unit
test checks).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import pytest

from swarm_provider.schema.service import OWNER_LABEL, SENT_LABEL

from .pulumi_helpers import changes, cli_env, free_port, local_stack, pulumi_env, write_program

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
ALL_AT_ONCE = 100
"""`--parallel` for the corpus program: more than its resources."""
__all__ = ["pulumi_env"]


def shared_env(test_image: str) -> dict[str, str]:
    """The variables every case reads from the shell: the test image, and the values of
    environment.yml's keys given without one."""
    return {"IMAGE": test_image, "FROM_SHELL": "shell-value", "BARE_KEY": "bare-from-shell"}


PORT_KEYS = ("P1", "P2", "P3", "R1", "R2")


def case_env() -> dict[str, str]:
    """The variables that differ per case and per deployment: free ports (two cases
    publish ${P1}, and both deployments of a case are up at once), in the same order in
    every deployment (P1 < P2 < P3 < R1, R2 = R1 + 1), as the CLI sorts ports by them."""
    ports = sorted(free_port() for _ in range(4))
    return {"P1": str(ports[0]), "P2": str(ports[1]), "P3": str(ports[2]),
            "R1": str(ports[3]), "R2": str(ports[3] + 1)}


def corpus_env(test_image: str) -> dict[str, str]:
    """The variables the corpus files interpolate: the test image and free ports."""
    return {**shared_env(test_image), **case_env()}


def stack_deploy(files: list[str], stack: str, env: dict[str, str]) -> None:
    args = ["docker", "stack", "deploy", "--resolve-image", "never"]
    for file in files:
        args += ["-c", str(CORPUS / file)]
    result = subprocess.run([*args, stack], cwd=CORPUS, env={**os.environ, **env},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def stack_rm(client: docker.DockerClient, *stacks: str) -> None:
    """`docker stack rm` of ``stacks``, repeated until nothing of them is left (it
    sometimes leaves a network behind)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        left = [stack for stack in stacks if stack_objects(client, stack)]
        if not left:
            return
        subprocess.run(["docker", "stack", "rm", *left], capture_output=True, timeout=60)
        time.sleep(1)
    pytest.fail(f"stacks still hold {[stack_objects(client, s) for s in stacks]}")


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


def corpus_program(stacks: dict[str, str], envs: dict[str, dict[str, str]]) -> str:
    """One program, one ComposeStack per case (named after it), each under its stack name
    and with its own variables (the shared ones come from the shell, as for the CLI)."""
    lines = ["from swarm_provider.compose import ComposeStack"]
    for case, files in CASES.items():
        paths = [str(CORPUS / f) for f in files]
        lines.append(f"ComposeStack({case!r}, files={paths!r}, stack_name={stacks[case]!r}, "
                     f"env={envs[case]!r})")
    return "\n".join(lines) + "\n"


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Every leaf where the two differ, as `path: expected != actual`."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return [d for key in sorted(set(expected) | set(actual), key=str)
                for d in differences(expected.get(key), actual.get(key), f"{path}.{key}")]
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [d for i, (e, a) in enumerate(zip(expected, actual, strict=True))
                for d in differences(e, a, f"{path}[{i}]")]
    return [] if expected == actual else [f"{path}: stack deploy {expected!r} != ours {actual!r}"]


@contextlib.contextmanager
def deployed_by_cli(client: docker.DockerClient, files: list[str], stack: str,
                    env: dict[str, str]) -> Iterator[dict[str, Any]]:
    """Deploy with `docker stack deploy`, give what the engine stores, remove it all."""
    try:
        stack_deploy(files, stack, env)
        theirs = recorded(client, stack)
        assert theirs["services"], "docker stack deploy created no service"
        yield theirs
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
        pulumi_stack.tear_down()


def external_objects(client: docker.DockerClient, stack: str) -> dict[str, Any]:
    """The network, secret and config external.yml uses (``EXT_*``), made outside the
    stack, by variable."""
    names = {"EXT_NETWORK": f"{stack}-shared", "EXT_SECRET": f"{stack}-token",
             "EXT_CONFIG": f"{stack}-settings"}
    return {
        "EXT_NETWORK": client.networks.create(names["EXT_NETWORK"], driver="overlay",
                                              attachable=True),
        "EXT_SECRET": client.secrets.create(name=names["EXT_SECRET"], data=b"t0ken"),
        "EXT_CONFIG": client.configs.create(name=names["EXT_CONFIG"], data=b"a=1")}


def missing(made: dict[str, Any]) -> list[str]:
    """Which of the external objects ``made`` are gone (each asks its own collection)."""
    gone = []
    for item in made.values():
        try:
            item.collection.get(item.id)
        except docker.errors.NotFound:
            gone.append(item.name)
    return gone


Step = tuple[str, str]
"""A resource's step in a preview: (op, URN)."""


def changed_steps(stack: Any) -> list[Step]:
    """The steps other than "same" in a preview of ``stack``."""
    events: list[Any] = []
    stack.preview(on_output=lambda _line: None, on_event=events.append)
    steps = [(str(getattr(e.resource_pre_event.metadata.op, "value", "")),
              e.resource_pre_event.metadata.urn) for e in events if e.resource_pre_event]
    return [(op, urn) for op, urn in steps if op != "same"]


def case_of(urn: str) -> str | None:
    """The case a resource of the corpus program belongs to: its ComposeStack is named
    after the case, the children ``<case>-<name>``."""
    name = urn.rsplit("::", 1)[-1]
    return next((c for c in CASES if name == c or name.startswith(f"{c}-")), None)


@dataclass
class Deployed:
    """Both deployments of every case: what each stored, the non-"same" steps of the two
    no-op previews (after `up`, after `refresh`), what was left after the removals, and
    the external objects that did not survive them."""

    theirs: dict[str, dict[str, Any]] = field(default_factory=dict)
    ours: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    left: dict[str, list[str]] = field(default_factory=dict)
    externals_lost: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def clock(self, step: str) -> None:
        """Print how long ``step`` took (with -s), to see where the time goes."""
        now = time.monotonic()
        print(f"compose differential: {step}: {now - self.started:.1f} s")
        self.started = now

    def note(self, when: str, steps: list[Step]) -> None:
        for op, urn in steps:
            owner = case_of(urn)  # a step of no case fails every case
            for case in [owner] if owner else list(CASES):
                self.changed[case].append(f"{when}: {op} {urn}")

    def problems(self, case: str) -> list[str]:
        """Everything wrong with ``case``; none when it passed."""
        found = [] if self.theirs[case]["services"] else ["docker stack deploy created no service"]
        found += differences(self.theirs[case], self.ours.get(case, {}))
        found += self.changed[case]
        found += [f"left after `pulumi destroy`: {item}" for item in self.left[case]]
        if case == "external":
            found += [f"external {name} removed with the stacks" for name in self.externals_lost]
        return found


def deploy_ours(client: docker.DockerClient, stacks: dict[str, str],
                envs: dict[str, dict[str, str]], env: dict[str, str], project_dir: Path,
                found: Deployed) -> None:
    """`pulumi up` of every case at once, then a preview, a refresh, a preview, and
    `pulumi destroy`, noting what each stored or wanted to change."""
    project = write_program(project_dir, "compose-diff", corpus_program(stacks, envs))
    pulumi_stack = local_stack(project, env)
    try:
        # Every resource at once, as the README advises for many services (Pulumi's
        # default is 4 operations per core: waves of 8 convergence waits here).
        pulumi_stack.up(on_output=lambda _line: None, parallel=ALL_AT_ONCE)
        found.clock("pulumi up")
        found.ours = {case: recorded(client, stack) for case, stack in stacks.items()}
        found.note("the preview after up", changed_steps(pulumi_stack))
        pulumi_stack.refresh(on_output=lambda _line: None)
        found.note("the preview after refresh", changed_steps(pulumi_stack))
        found.clock("preview, refresh, preview")
    finally:
        pulumi_stack.tear_down(parallel=ALL_AT_ONCE, on_output=lambda _line: None)
        found.clock("pulumi destroy")


def renamed(record: dict[str, Any], stack: str, other: str,
            theirs: dict[str, str], ours: dict[str, str]) -> dict[str, Any]:
    """``record`` as if deployed under the stack name ``other`` (in names, labels,
    targets) and with the published ports of ``ours`` for those of ``theirs`` (two case
    environments)."""
    ports = {int(theirs[key]): int(ours[key]) for key in PORT_KEYS}
    moved: dict[str, Any] = json.loads(json.dumps(record).replace(stack, other))
    for spec in moved["services"].values():
        for port in (spec.get("EndpointSpec") or {}).get("Ports") or []:
            if "PublishedPort" in port:
                port["PublishedPort"] = ports.get(port["PublishedPort"], port["PublishedPort"])
    return moved


def deploy_every_case(client: docker.DockerClient, test_image: str, work: Path) -> Deployed:
    """Every case deployed by `docker stack deploy` and recorded, then by one Pulumi
    program beside them, recorded and destroyed; theirs are removed last."""
    run = uuid.uuid4().hex[:6]
    theirs = {case: f"cd{run}t{case}" for case in CASES}
    ours = {case: f"cd{run}o{case}" for case in CASES}
    their_envs = {case: case_env() for case in CASES}
    our_envs = {case: case_env() for case in CASES}
    made = external_objects(client, f"cd{run}x")
    for envs in (their_envs, our_envs):
        envs["external"].update({variable: item.name for variable, item in made.items()})
    shell = shared_env(test_image)
    found = Deployed()
    try:
        for case, files in CASES.items():
            stack_deploy(files, theirs[case], {**shell, **their_envs[case]})
            found.theirs[case] = renamed(recorded(client, theirs[case]), theirs[case],
                                         ours[case], their_envs[case], our_envs[case])
        found.clock(f"docker stack deploy of {len(CASES)} stacks")
        deploy_ours(client, ours, our_envs, {**cli_env(work), **shell}, work / "project",
                    found)
        found.left = {case: stack_objects(client, stack) for case, stack in ours.items()}
    finally:
        stack_rm(client, *theirs.values())
        found.clock("docker stack rm")
        found.externals_lost = missing(made)
        for item in made.values():  # in use still if ours were not destroyed: that failed
            with contextlib.suppress(docker.errors.APIError):
                item.remove()
    return found


def test_same_specs_as_docker_stack_deploy(docker_client: docker.DockerClient,
                                           test_image: str, tmp_path: Path) -> None:
    found = deploy_every_case(docker_client, test_image, tmp_path)
    failed = {case: problems for case in sorted(CASES) if (problems := found.problems(case))}
    assert not failed, f"{len(failed)} of {len(CASES)} cases differ:\n" + "\n".join(
        f"[{case}]\n  " + "\n  ".join(problems) for case, problems in failed.items())


@pytest.mark.parametrize("case", ["override", "secrets"])
def test_converted_program_deploys_the_same_specs(case: str, docker_client: docker.DockerClient,
                                                  test_image: str, unique: Any, tmp_path: Path,
                                                  pulumi_env: dict[str, str]) -> None:
    """`python -m swarm_provider.compose convert FILE...` prints a program that, run as
    it is, stores what `docker stack deploy` stores."""
    files = CASES[case]
    stack = unique("cv").replace("-", "")
    theirs_stack, ours_stack = f"{stack}t", f"{stack}o"  # beside each other: the module doc
    their_env, our_env = corpus_env(test_image), corpus_env(test_image)
    converted = subprocess.run(
        [sys.executable, "-m", "swarm_provider.compose", "convert", *files,
         "--stack-name", ours_stack], cwd=CORPUS, env={**os.environ, **our_env},
        capture_output=True, text=True, timeout=60)
    assert converted.returncode == 0, converted.stderr
    assert "SwarmService(" in converted.stdout
    with deployed_by_cli(docker_client, files, theirs_stack, their_env) as recorded_theirs:
        theirs = renamed(recorded_theirs, theirs_stack, ours_stack, their_env, our_env)
        deploy_and_compare(docker_client, converted.stdout, ours_stack, theirs,
                           tmp_path / "project", {**pulumi_env, **our_env})


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
