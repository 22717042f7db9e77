"""Fixtures of the unit tests."""

from __future__ import annotations

import pytest

from swarm_provider.providers import objects
from tests.support.fake_engine import FakeEngine


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    """The in-memory engine behind ``swarm_provider.api.engine``, with no pauses between
    the retries of a delete."""
    monkeypatch.setattr(objects, "POLL_SECONDS", 0.0)
    monkeypatch.setattr("swarm_provider.api.classify.READ_PAUSES", (0.0,) * 4)
    return FakeEngine().install(monkeypatch)
