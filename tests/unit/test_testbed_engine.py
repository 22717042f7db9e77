"""scripts/testbed's engine choice: which dockerd the private nodes run (no process started)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "testbed"


@pytest.fixture
def testbed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("testbed_script", str(SCRIPT))
    spec = importlib.util.spec_from_loader("testbed_script", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "testbed_script", module)  # @dataclass looks it up
    loader.exec_module(module)
    monkeypatch.setattr(module, "STATE", tmp_path / ".testbed")
    return module


def test_default_nodes_run_the_dockerd_on_path(testbed: ModuleType) -> None:
    for index in (0, 1):
        args = testbed.dockerd_args(testbed.Node(index))
        assert args[0] == "dockerd"
        assert not [a for a in args if a.startswith("--userland-proxy-path")]


def test_a_built_engine_runs_on_every_node_with_its_own_docker_proxy(
    testbed: ModuleType, tmp_path: Path
) -> None:
    testbed.write_state("engine-bin", str(tmp_path / "bin"))
    for index in (0, 1):
        args = testbed.dockerd_args(testbed.Node(index))
        assert args[0] == f"{tmp_path}/bin/dockerd"
        assert f"--userland-proxy-path={tmp_path}/bin/docker-proxy" in args


def test_unknown_engines_are_refused(testbed: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWARM_TESTBED_ENGINE", "27")
    with pytest.raises(testbed.TestbedError, match="known engines are 20.10, 28"):
        testbed.asked_engine()
    monkeypatch.setenv("SWARM_TESTBED_ENGINE", "28")
    assert testbed.asked_engine() == "28"
    monkeypatch.delenv("SWARM_TESTBED_ENGINE")
    assert testbed.asked_engine() is None


def test_the_28_pin_is_the_one_in_tools_engine(testbed: ModuleType) -> None:
    gomod = (SCRIPT.parents[1] / "tools" / "engine" / "go.mod").read_text()
    assert "require github.com/docker/docker v28." in gomod
    assert testbed.ENGINES["28"] == SCRIPT.parent / "engine"
