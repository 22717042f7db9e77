"""What differs between engines: API 1.44+ features, and the defaults newer engines add.

These run on whatever engine the test bed runs (Debian's 20.10 by default, Docker 28 with
SWARM_TESTBED_ENGINE=28; scripts/test runs them on both). Each test asserts what a user of
that engine would see: a volume Subpath kept and really mounted where the engine knows
it, refused in one clear message where it would be dropped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
from docker import types

from swarm_provider.api import engine
from swarm_provider.errors import ConflictError, EngineError
from swarm_provider.providers.service import ServiceProvider

ON_MANAGER = ["node.role==manager"]  # the volume below lives on the manager's engine


def api_version(provider: ServiceProvider) -> tuple[int, int]:
    major, minor = engine.client(provider.connection).api.api_version.split(".")
    return int(major), int(minor)


@pytest.fixture
def host_volume(docker_client: docker.DockerClient) -> Iterator[str]:
    """A named volume on the manager whose folder `app` holds a file `marker`.

    A local volume bound to a host folder, so its content exists before any task mounts a
    Subpath of it (the engine refuses a Subpath that does not exist in the volume).
    """
    suffix = uuid.uuid4().hex[:6]
    folder = Path(f"/tmp/swarm-provider-subpath-{suffix}")
    (folder / "app").mkdir(parents=True)
    (folder / "app" / "marker").write_text("from the subpath\n")
    volume = docker_client.volumes.create(
        f"subpath-{suffix}", driver="local",
        driver_opts={"type": "none", "o": "bind", "device": str(folder)},
    )
    yield volume.name
    # The removed service's container goes a moment later; until then the volume is in use.
    for _ in range(50):
        try:
            volume.remove(force=True)
            break
        except docker.errors.NotFound:
            break
        except docker.errors.APIError:
            time.sleep(0.2)
    else:
        pytest.fail(f"volume {volume.name} still in use 10 s after the test")
    shutil.rmtree(folder, ignore_errors=True)


def inputs(provider: ServiceProvider, name: str, image: str, **extra: Any) -> dict[str, Any]:
    raw = {"name": name, "image": image, "owner": f"test/engine-versions/{name}",
           "stop_grace_period": "1s", "update_config": {"Monitor": "1s"}, **extra}
    checked = provider.check({}, raw)
    assert checked.failures == [], checked.failures
    return dict(checked.inputs)


def test_volume_subpath_is_mounted_kept_and_cleared_or_refused_clearly(
    provider: ServiceProvider, unique: Callable[[str], str], test_image: str,
    services_cleanup: list[str], host_volume: str,
) -> None:
    name = unique("subpath")
    services_cleanup.append(name)
    # The task only stays up when /d is the volume's `app` folder: wait=True proves the mount.
    news = inputs(
        provider, name, test_image, constraints=ON_MANAGER,
        command=["sh", "-c", "test -f /d/marker && exec sleep 600"],
        mounts=[types.Mount("/d", host_volume, subpath="app")],
    )
    if api_version(provider) < (1, 45):
        with pytest.raises(EngineError) as refused:
            provider.create(news)
        message = str(refused.value)
        assert message.startswith(f"service {name!r}: mounts (TaskTemplate.ContainerSpec."
                                  "Mounts.VolumeOptions.Subpath): needs Engine API 1.45")
        assert '"app"' in message and "upgrade the engine" in message
        client = engine.client(provider.connection).api
        assert not [s for s in client.services(filters={"name": name}) if
                    s["Spec"]["Name"] == name], "nothing may be created on a refused spec"
        return

    created = provider.create(news)
    state = dict(created.outs or {})
    try:
        live = state["spec"]["TaskTemplate"]["ContainerSpec"]["Mounts"]
        assert [m.get("VolumeOptions", {}).get("Subpath") for m in live] == ["app"]
        assert provider.diff(created.id, state, news).changes is False
        refreshed = dict(provider.read(created.id, state).outs or {})
        assert provider.diff(created.id, refreshed, news).changes is False

        # The volume root has no marker: the same command now needs the mount's root.
        root = inputs(
            provider, name, test_image, constraints=ON_MANAGER,
            command=["sh", "-c", "test -f /d/app/marker && exec sleep 600"],
            mounts=[types.Mount("/d", host_volume)],
        )
        assert provider.diff(created.id, state, root).changes is True
        state = dict(provider.update(created.id, state, root).outs or {})
        live = state["spec"]["TaskTemplate"]["ContainerSpec"]["Mounts"]
        assert "Subpath" not in (live[0].get("VolumeOptions") or {})
        assert provider.diff(created.id, state, root).changes is False
    finally:
        provider.delete(created.id, state)


def test_no_new_privileges_reaches_the_task_or_is_refused_clearly(
    provider: ServiceProvider, unique: Callable[[str], str], test_image: str,
    services_cleanup: list[str],
) -> None:
    name = unique("nonewprivs")
    services_cleanup.append(name)
    # The task stays up only when the kernel really set no_new_privs for it.
    news = inputs(
        provider, name, test_image, privileges={"NoNewPrivileges": True},
        command=["sh", "-c", "grep -q 'NoNewPrivs:[[:space:]]*1' /proc/self/status && "
                 "exec sleep 600"],
    )
    if api_version(provider) < (1, 44):
        with pytest.raises(EngineError, match=rf"^service {name!r}: privileges \(TaskTemplate"
                           r"\.ContainerSpec\.Privileges\.NoNewPrivileges\): needs Engine API "
                           r"1\.44 \(Docker 25\.0\)"):
            provider.create(news)
        return
    created = provider.create(news)
    state = dict(created.outs or {})
    try:
        live = state["spec"]["TaskTemplate"]["ContainerSpec"]["Privileges"]
        assert live["NoNewPrivileges"] is True
        refreshed = dict(provider.read(created.id, state).outs or {})
        assert provider.diff(created.id, refreshed, news).changes is False
        plain = inputs(provider, name, test_image, command=["sleep", "600"])
        state = dict(provider.update(created.id, state, plain).outs or {})
        assert provider.diff(created.id, state, plain).changes is False
    finally:
        provider.delete(created.id, state)


def test_subpath_matches_what_the_docker_cli_stores(
    provider: ServiceProvider, unique: Callable[[str], str], test_image: str,
    services_cleanup: list[str], docker_client: docker.DockerClient,
) -> None:
    """The oracle: `docker service create --mount ...,volume-subpath=app` (no task runs).

    Below API 1.45 the engine stores the CLI's mount without its Subpath, silently: the
    reason the provider refuses a Subpath there. From 1.45 on, the provider's mount is
    exactly the one the CLI gets.
    """
    name = unique("subpath-cli")
    services_cleanup.append(name)
    subprocess.run(
        ["docker", "service", "create", "--quiet", "--detach", "--replicas", "0",
         "--name", name, "--mount", "type=volume,source=cli-vol,target=/d,volume-subpath=app",
         test_image, "sleep", "60"],
        check=True, capture_output=True, env=dict(os.environ),
    )
    stored = docker_client.services.get(name).attrs["Spec"]["TaskTemplate"]["ContainerSpec"]
    ours = inputs(provider, name, test_image,
                  mounts=[types.Mount("/d", "cli-vol", subpath="app")])["mounts"]
    from_cli = inputs(provider, name, test_image, mounts=stored["Mounts"])["mounts"]
    if api_version(provider) < (1, 45):
        assert "Subpath" not in str(stored["Mounts"]), "the old engine kept the Subpath"
        assert from_cli != ours
    else:
        assert from_cli == ours == [{"Type": "volume", "Source": "cli-vol", "Target": "/d",
                                     "VolumeOptions": {"Subpath": "app"}}]


def test_an_oom_score_adj_set_outside_pulumi_is_drift_not_silently_wiped(
    provider: ServiceProvider, unique: Callable[[str], str], test_image: str,
    services_cleanup: list[str],
) -> None:
    """`docker service update --oom-score-adj` (API 1.46+) is seen by refresh and guards `up`.

    Before oom_score_adj was an input, the provider read past it and the next update sent
    a spec without it: the setting was gone and nobody was told. The CLI itself refuses the
    flag below API 1.46, and so does the provider.
    """
    name = unique("oom")
    services_cleanup.append(name)
    news = inputs(provider, name, test_image, command=["sleep", "600"])
    cli = ["docker", "service", "update", "--quiet", "--detach=false", "--oom-score-adj",
           "100", name]
    if api_version(provider) < (1, 46):
        with pytest.raises(EngineError, match=r"oom_score_adj .*needs Engine API 1\.46"):
            provider.create({**news, "oom_score_adj": 100})
        return
    created = provider.create(news)
    state = dict(created.outs or {})
    try:
        subprocess.run(cli, check=True, capture_output=True, env=dict(os.environ))
        refreshed = dict(provider.read(created.id, state).outs or {})
        assert refreshed["oom_score_adj"] == 100
        assert provider.diff(created.id, refreshed, news).changes is True
        changed = inputs(provider, name, test_image, command=["sleep", "600"], env=["A=1"])
        with pytest.raises(ConflictError, match=r"oom_score_adj \(null -> 100\)"):
            provider.update(created.id, state, changed)
        kept = inputs(provider, name, test_image, command=["sleep", "600"], oom_score_adj=100)
        assert provider.diff(created.id, refreshed, kept).changes is False
    finally:
        provider.delete(created.id, state)
