"""scripts/testbed's engine choice: which dockerd the private nodes run (no process started)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

TOOLS = Path(__file__).resolve().parents[2] / "tools"
SCRIPT = TOOLS.parent / "scripts" / "testbed"


@pytest.fixture
def testbed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """The package behind scripts/testbed (tools/testbed), its state in tmp_path."""
    monkeypatch.syspath_prepend(str(TOOLS))
    from testbed import config, daemon, manager, process

    for module in (process, daemon):  # read_state/write_state, and the nodes' folders
        monkeypatch.setattr(module, "STATE", tmp_path / ".testbed")
    return SimpleNamespace(
        Node=daemon.Node, dockerd_args=daemon.dockerd_args, write_state=process.write_state,
        asked_engine=manager.asked_engine, TestbedError=config.TestbedError,
        ENGINES=config.ENGINES,
    )


def test_default_nodes_run_the_dockerd_on_path(testbed: SimpleNamespace) -> None:
    for index in (0, 1):
        args = testbed.dockerd_args(testbed.Node(index))
        assert args[0] == "dockerd"
        assert not [a for a in args if a.startswith("--userland-proxy-path")]


def test_a_built_engine_runs_on_every_node_with_its_own_docker_proxy(
    testbed: SimpleNamespace, tmp_path: Path
) -> None:
    testbed.write_state("engine-bin", str(tmp_path / "bin"))
    for index in (0, 1):
        args = testbed.dockerd_args(testbed.Node(index))
        assert args[0] == f"{tmp_path}/bin/dockerd"
        assert f"--userland-proxy-path={tmp_path}/bin/docker-proxy" in args


def test_unknown_engines_are_refused(
    testbed: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWARM_TESTBED_ENGINE", "27")
    with pytest.raises(testbed.TestbedError, match="known engines are 20.10, 28"):
        testbed.asked_engine()
    monkeypatch.setenv("SWARM_TESTBED_ENGINE", "28")
    assert testbed.asked_engine() == "28"
    monkeypatch.delenv("SWARM_TESTBED_ENGINE")
    assert testbed.asked_engine() is None


def test_the_28_pin_is_the_one_in_tools_engine(testbed: SimpleNamespace) -> None:
    gomod = (SCRIPT.parents[1] / "tools" / "engine" / "go.mod").read_text()
    assert "require github.com/docker/docker v28." in gomod
    assert testbed.ENGINES["28"] == SCRIPT.parent / "engine"
