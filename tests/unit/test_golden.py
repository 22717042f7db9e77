"""Read-back and diff against inspect JSON recorded from a real engine (golden/record.py).

The recorded engine output carries what the engine adds on its own (Isolation default,
CredentialSpec null, empty SELinux fields, MaxFailureRatio 0, Mode for a minimal spec,
the owner label): none of it may show as a difference from the inputs that made it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from swarm_provider.core.check import require_valid
from swarm_provider.core.outputs import live_fields, outputs
from swarm_provider.core.spec import build_spec, is_as_sent, with_sent_digest
from swarm_provider.providers.service import ServiceProvider
from swarm_provider.schema.service import FIELDS_BY_NAME, SENT_LABEL

HERE = Path(__file__).parent / "golden"
# Debian's 20.10 beside record.py; Docker 28 in docker-28/ (it adds keys of its own).
GOLDEN = sorted([*HERE.glob("*.json"), *(HERE / "docker-28").glob("*.json")])


def load(path: Path) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(path.read_text())
    return record


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_recorded_service_diffs_to_nothing_against_its_inputs(path: Path) -> None:
    record = load(path)
    provider = ServiceProvider()
    checked = provider.check({}, {**record["inputs"], "owner": f"golden/{path.stem}"})
    assert checked.failures == []
    state = outputs(record["inspect"], live_fields(record["inspect"], {}), {})
    result = provider.diff(state["service_id"], state, checked.inputs)
    assert result.changes is False
    for name, value in checked.inputs.items():
        # Recorded from versions that sent ports, mounts and networks sorted: the same
        # content in another order, which compares equal (Field.order_free).
        row = FIELDS_BY_NAME.get(name)
        if row is not None and row.order_free is not None:
            assert row.order_free(state[name]) == row.order_free(value), name
        else:
            assert state[name] == value, name


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_recorded_service_is_still_as_sent(path: Path) -> None:
    """The digest of what we send equals the digest of what the engine stored from it: it
    survives the engine's own normalisations (issue 14, items 2-3)."""
    record = load(path)
    sent = with_sent_digest(build_spec(require_valid(
        {**record["inputs"], "owner": f"golden/{path.stem}"})), {})
    spec = record["inspect"]["Spec"]
    spec["Labels"][SENT_LABEL] = sent["Labels"][SENT_LABEL]
    assert is_as_sent(spec)
    spec["TaskTemplate"]["ContainerSpec"]["Image"] += "-changed"
    assert not is_as_sent(spec)


def test_golden_files_exist() -> None:
    for folder in (HERE, HERE / "docker-28"):
        assert {p.stem for p in folder.glob("*.json")} >= {"minimal", "full", "global-job"}
