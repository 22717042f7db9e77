"""Registering many resources in one process leaves ``pickle`` as it found it (issue #13.2).

The SDK's ``serialize_provider`` wraps ``pickle._Pickler._batch_setitems`` again on every
resource and never restores it; without ``swarm_provider.resources.registration`` the 487th
resource of a process fails with RecursionError.
"""

from __future__ import annotations

import pickle
import sys
import time
from typing import Any

import pulumi
import pytest

from swarm_provider import SwarmConfig, SwarmNetwork, SwarmService
from swarm_provider.resources.registration import pickler_state, restore_pickler

MANY = 600
"""Well beyond the ~487 registrations at which the unguarded SDK overflows the stack."""


def wrapper_depth() -> int:
    """How many wrappers ``pickle._Pickler._batch_setitems`` is buried under."""
    function: Any = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]
    depth = 0
    while getattr(function, "__module__", None) != "pickle":
        inner = [cell.cell_contents for cell in function.__closure__ or ()
                 if callable(cell.cell_contents)]
        assert len(inner) == 1, f"an unknown wrapper: {function!r}"
        function, depth = inner[0], depth + 1
    return depth


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


@pytest.fixture
def pristine_pickler() -> Any:
    """Start (and end) with pickle's own ``_batch_setitems``, whatever ran before."""
    saved = pickler_state()
    restore_pickler({name: value for name, value in saved.items()})
    while wrapper_depth():
        function: Any = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]
        inner = [c.cell_contents for c in function.__closure__ if callable(c.cell_contents)]
        pickle._Pickler._batch_setitems = inner[0]  # type: ignore[attr-defined]
    yield
    restore_pickler(saved)


@pulumi.runtime.test
def test_many_registrations_leave_the_pickler_as_it_was(pristine_pickler: None) -> None:
    pulumi.runtime.set_mocks(Mocks(), preview=True)
    before = pickler_state()
    times = []
    limit = sys.getrecursionlimit()
    for index in range(MANY):
        started = time.perf_counter()
        if index % 3 == 0:
            SwarmService(f"svc-{index}", image="busybox:1.36", wait=False)
        elif index % 3 == 1:
            SwarmNetwork(f"net-{index}")
        else:
            SwarmConfig(f"conf-{index}", data="a=1")
        times.append(time.perf_counter() - started)
    assert wrapper_depth() == 0
    assert pickler_state() == before
    assert sys.getrecursionlimit() == limit
    # No growth per resource: the last hundred register as fast as the first hundred
    # (with the leak, each wrapper layer sorts every dict once more).
    first, last = sorted(times[100:200])[50], sorted(times[-100:])[50]
    assert last < first * 3 + 0.002, (first, last)


def test_the_sdk_still_wraps_without_restoring(pristine_pickler: None) -> None:
    """Why the guard exists: the bare SDK call adds a layer each time. If this fails, the
    SDK fixed it and ``registration`` can go."""
    from pulumi.dynamic.dynamic import serialize_provider

    from swarm_provider.providers.service import ServiceProvider

    for _ in range(3):
        serialize_provider(ServiceProvider())
    assert wrapper_depth() == 3


@pulumi.runtime.test
def test_property_outputs_leave_the_programs_final_wait() -> Any:
    """The SDK's last step walks every pending Output each time one resolves (quadratic in
    the resources); a service's 62 property Outputs stay out of it, and still resolve."""
    from pulumi.runtime.settings import SETTINGS

    pulumi.runtime.set_mocks(Mocks(), preview=False)
    before = len(SETTINGS.outputs)
    services = [SwarmService(f"w-{index}", name=f"w-{index}", image="busybox:1.36",
                             wait=False) for index in range(10)]
    pending = len(SETTINGS.outputs) - before
    assert pending <= 10 * 4, f"{pending} Outputs pending for 10 services"

    def check(names: list[str]) -> None:
        assert names == [f"w-{index}" for index in range(10)]

    return pulumi.Output.all(*[s.name for s in services]).apply(check)
