"""Fixtures for tests against the real swarm (scripts/testbed up; env from `testbed env`).

The rule for every integration test: scripts/test runs them at the same time on several
pytest-xdist workers, against one swarm that other runs may share, so

- every object a test makes on the swarm has a name no other run can make: build it with
  the ``unique`` fixture (or a uuid), ``swarm:namePrefix`` included;
- a test looks only at its own objects: filter by its names or labels; never count all the
  services, tasks, networks or containers of the swarm;
- Pulumi state stays in tmp_path: ``pulumi_helpers.pulumi_env`` gives a private
  PULUMI_HOME and file:// backend, so stack names need not be unique;
- no ``@pytest.mark.xdist_group``: under pytest 9, pytest-xdist 3.8 cannot group (its
  renamed node ids are ignored), so grouped tests still spread over the workers, and a
  module-scoped fixture is made again on each; what must share one deployment is one
  test (test_compose_differential.py); a test that needs the swarm to itself (changes
  nodes, counts swarm-wide, times something tightly) is ``@pytest.mark.serial``: it runs
  alone on the swarm, outside the parallel stage (scripts/test).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import docker
import pytest

from swarm_provider.converge import removal
from swarm_provider.providers.service import ServiceProvider

from .timing import Timing


def pytest_configure(config: pytest.Config) -> None:
    """Slowest tests first and a time per module (tests/integration/timing.py)."""
    if not config.pluginmanager.has_plugin("swarm-provider-timing"):
        config.pluginmanager.register(Timing(config), "swarm-provider-timing")


@pytest.fixture(scope="session")
def docker_client() -> docker.DockerClient:
    try:
        client = docker.from_env(version="auto")
        info = client.info()
    except docker.errors.DockerException as exc:
        pytest.fail(f"no Docker engine at {os.environ.get('DOCKER_HOST')}: {exc}; "
                    "run `eval \"$(scripts/testbed env)\"` after `scripts/testbed up`")
    if not info.get("Swarm", {}).get("ControlAvailable"):
        pytest.fail("the engine is not a swarm manager; run scripts/testbed up")
    return client


@pytest.fixture(scope="session")
def test_image() -> str:
    image = os.environ.get("SWARM_TEST_IMAGE")
    if not image:
        pytest.fail("SWARM_TEST_IMAGE is not set; use the env from scripts/testbed env")
    return image


@pytest.fixture
def unique() -> Iterator[callable]:  # type: ignore[valid-type]
    """A factory of unique, DNS-valid names for this test."""
    suffix = uuid.uuid4().hex[:6]
    yield lambda stem: f"{stem}-{suffix}"


@pytest.fixture
def provider() -> ServiceProvider:
    return ServiceProvider()


@pytest.fixture
def services_cleanup(docker_client: docker.DockerClient) -> Iterator[list[str]]:
    """Names of services to remove after the test, whatever happened (through
    ``removal.remove``, so a job's running tasks are stopped too, not left behind)."""
    names: list[str] = []
    yield names
    for service in docker_client.services.list():
        if service.name in names:
            removal.remove(docker_client.api, service.id, service.name)


@pytest.fixture
def service_inputs(provider: ServiceProvider, unique: Callable[[str], str], test_image: str,
                   services_cleanup: list[str]) -> Callable[..., dict[str, Any]]:
    """``service_inputs(stem, **inputs)``: checked inputs of a sleeping service with a unique
    name, removed after the test (modules bind their defaults with ``functools.partial``)."""

    def build(stem: str, **inputs: Any) -> dict[str, Any]:
        name = unique(stem)
        services_cleanup.append(name)
        raw = {"name": name, "image": test_image, "command": ["sleep", "600"],
               "owner": f"test/{name}", **inputs}
        checked = provider.check({}, raw)
        assert checked.failures == [], checked.failures
        return dict(checked.inputs)

    return build

