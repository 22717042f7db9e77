"""Each row of docs/parity.md: how docker-py's ``Service`` methods are done here, on the
real swarm. The provider is driven the way the Pulumi engine drives it (check -> diff ->
create/update/read/delete), which is what `pulumi up`, `refresh` and `destroy` do; the
helpers in ``swarm_provider.lookup`` are called as a program or script would.

Where docker-py's own method has a pitfall the notes describe (a no-op ``scale`` that
redeploys, ``logs()`` that asks for no stream), the test shows that too.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import docker
import pytest

from swarm_provider import lookup
from swarm_provider.providers.service import ServiceProvider

LOOP = "trap 'exit 0' TERM; while true; do sleep 1; done"


class Managed:
    """One service managed through the provider, as Pulumi would."""

    def __init__(self, provider: ServiceProvider, name: str, image: str, **inputs: Any) -> None:
        self.provider = provider
        self.name = name
        self.base = {"name": name, "image": image, "command": ["sh", "-c", LOOP],
                     "owner": f"parity/test/{name}", "stop_grace_period": "1s",
                     "update_config": {"Monitor": "1s"}, **inputs}
        created = provider.create(self.inputs())
        self.id = created.id
        self.state: dict[str, Any] = dict(created.outs)

    def inputs(self, **changes: Any) -> dict[str, Any]:
        checked = self.provider.check({}, {**self.base, **changes})
        assert checked.failures == []
        return dict(checked.inputs)

    def change(self, **changes: Any) -> Any:
        """`pulumi up` with these inputs changed: the diff, then the update it leads to."""
        news = self.inputs(**changes)
        diff = self.provider.diff(self.id, self.state, news)
        if diff.changes and not diff.replaces:
            self.state = dict(self.provider.update(self.id, self.state, news).outs)
            self.base.update(changes)
        return diff

    def delete(self) -> None:
        self.provider.delete(self.id, self.state)


@pytest.fixture
def manage(provider: ServiceProvider, test_image: str,
           docker_client: docker.DockerClient) -> Iterator[Callable[..., Managed]]:
    made: list[Managed] = []
    suffix = uuid.uuid4().hex[:6]

    def make(stem: str, **inputs: Any) -> Managed:
        service = Managed(provider, f"parity-{stem}-{suffix}", test_image, **inputs)
        made.append(service)
        return service

    yield make
    for service in made:
        service.delete()


def running(client: docker.DockerClient, name: str) -> set[str]:
    return {t["ID"] for t in client.services.get(name).tasks(
        filters={"desired-state": "running"}) if t["Status"]["State"] == "running"}


def test_update_is_a_changed_input(manage: Callable[..., Managed],
                                   docker_client: docker.DockerClient) -> None:
    """``Service.update(**kwargs)`` -> change the inputs, `pulumi up`: an update in place.
    Only what the engine needs to redeploy for restarts tasks (docker-py's update re-sends
    the defaults and restarts every task, even for a label)."""
    web = manage("update", labels={"team": "a"})
    tasks = running(docker_client, web.name)
    diff = web.change(labels={"team": "b"})
    assert diff.changes and not diff.replaces
    live = docker_client.services.get(web.id)
    assert live.attrs["Spec"]["Labels"]["team"] == "b"
    assert running(docker_client, web.name) == tasks  # a label change restarts nothing
    web.change(env={"LEVEL": "debug"})
    assert running(docker_client, web.name).isdisjoint(tasks)  # env: tasks replaced
    assert docker_client.services.get(web.id).id == web.id  # same service
    assert not web.provider.diff(web.id, web.state, web.inputs()).changes


def test_scale_is_the_replica_count(manage: Callable[..., Managed],
                                    docker_client: docker.DockerClient) -> None:
    """``Service.scale(n)`` -> ``mode={"mode": "replicated", "replicas": n}``: in place;
    running tasks stay (docker-py's scale redeploys them, even to the same count)."""
    web = manage("scale", mode={"mode": "replicated", "replicas": 1})
    [first] = running(docker_client, web.name)
    diff = web.change(mode={"mode": "replicated", "replicas": 3})
    assert diff.changes and not diff.replaces
    now = running(docker_client, web.name)
    assert len(now) == 3 and first in now
    # A global service has no replica count: changing the mode kind replaces it.
    diff = web.provider.diff(web.id, web.state, web.inputs(mode="global"))
    assert diff.replaces == ["mode"]


def test_force_update_is_a_counter_input(manage: Callable[..., Managed],
                                         docker_client: docker.DockerClient) -> None:
    """``Service.force_update()`` -> bump ``force_update``: every task restarts, nothing
    else changes; the same value again restarts nothing."""
    web = manage("force", force_update=1)
    tasks = running(docker_client, web.name)
    assert web.change(force_update=2).changes
    after = running(docker_client, web.name)
    assert after and after.isdisjoint(tasks)
    assert not web.change(force_update=2).changes
    assert running(docker_client, web.name) == after


def test_reload_is_refresh(manage: Callable[..., Managed],
                           docker_client: docker.DockerClient) -> None:
    """``Service.reload()`` -> `pulumi refresh` (the provider's read), or ``read_service``
    for a fresh look without touching the state."""
    web = manage("reload")
    subprocess.run(["docker", "service", "update", "--quiet", "--detach",
                    "--label-add", "touched=yes", web.name],
                   check=True, capture_output=True, timeout=60)
    refreshed = web.provider.read(web.id, web.state)
    assert refreshed.id == web.id
    assert refreshed.outs["labels"] == {"touched": "yes"}
    assert refreshed.outs["version"] > web.state["version"]
    assert lookup.read_service(web.name)["inputs"]["labels"] == {"touched": "yes"}


def test_remove_is_destroy(manage: Callable[..., Managed],
                           docker_client: docker.DockerClient) -> None:
    """``Service.remove()`` -> `pulumi destroy` (or deleting the resource from the program):
    the service goes, and so do its tasks before the delete returns."""
    web = manage("remove")
    web.delete()
    with pytest.raises(docker.errors.NotFound):
        docker_client.services.get(web.id)
    running_tasks = [t for t in docker_client.api.tasks()
                     if t["ServiceID"] == web.id and t["Status"]["State"] == "running"]
    assert running_tasks == []
    web.delete()  # already gone is fine (a destroy retried after a crash)


def test_tasks_helper(manage: Callable[..., Managed], docker_client: docker.DockerClient) -> None:
    """``Service.tasks(filters)`` -> ``lookup.service_tasks(name, desired_state=...)``."""
    web = manage("tasks")
    [task] = lookup.service_tasks(web.name)
    assert task["Status"]["State"] == "running" and task["ServiceID"] == web.id
    web.change(env={"N": "2"})
    current = lookup.service_tasks(web.name)
    assert len(current) == 1 and current[0]["ID"] != task["ID"]
    every = lookup.service_tasks(web.name, desired_state=None)
    assert task["ID"] in {t["ID"] for t in every}  # the replaced one, shut down
    node = docker_client.info()["Swarm"]["NodeID"]
    on_node = lookup.service_tasks(web.name, filters={"node": node})
    assert all(t["NodeID"] == node for t in on_node)


ECHO = "echo line-1; echo line-2; echo line-3 >&2; " + LOOP


def wait_for(read: Callable[[], str], expect: str, seconds: float = 20) -> str:
    deadline = time.monotonic() + seconds
    text = read()
    while expect not in text and time.monotonic() < deadline:
        time.sleep(0.5)
        text = read()
    return text


@pytest.mark.parametrize("tty", [False, True], ids=["plain", "tty"])
def test_logs_helper(tty: bool, manage: Callable[..., Managed],
                     docker_client: docker.DockerClient) -> None:
    """``Service.logs(**kwargs)`` -> ``lookup.service_logs(name, tail=...)``: both streams
    by default, whole lines with or without a TTY."""
    web = manage("logs-tty" if tty else "logs", command=["sh", "-c", ECHO], tty=tty)
    text = wait_for(lambda: lookup.service_logs(web.name), "line-3")
    lines = [line.strip() for line in text.splitlines()]
    # stderr too (the two streams interleave in no fixed order)
    assert sorted(lines) == ["line-1", "line-2", "line-3"]
    assert len(lookup.service_logs(web.name, tail=1).splitlines()) == 1
    assert lookup.service_logs(web.name, stderr=False).count("line-3") == (1 if tty else 0)
    # docker-py's own: no stream by default (an engine error); a TTY streams single bytes.
    service = docker_client.services.get(web.id)
    with pytest.raises(docker.errors.APIError, match="at least one stream"):
        list(service.logs())
    chunks = list(service.logs(stdout=True, stderr=True))
    if tty:
        assert all(len(chunk) == 1 for chunk in chunks)
