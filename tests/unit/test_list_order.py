"""Ports, mounts, networks and aliases: sent in the order given, compared in none.

The engine stores these lists as sent and ``docker stack deploy`` sends them in its own
order (ports by published port, mounts as in the file, aliases as in the file then the
service name), so the canonical form keeps the given order: the spec built from it is
the one the CLI stores (issue 11). What the lists mean does not depend on their order,
so the diff compares them as multisets (``Field.order_free``): a program that reorders
them, or state written by older versions (which sorted them), shows no change.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from swarm_provider.converge import wait as converge
from swarm_provider.core.check import require_valid
from swarm_provider.core.spec import build_spec, is_as_sent, read_fields, with_sent_digest
from swarm_provider.providers.service import ServiceProvider
from swarm_provider.schema.service import FIELDS_BY_NAME, SENT_LABEL

BASE = {"name": "web", "image": "busybox:1", "owner": "p/s/web"}

PORTS = [
    {"TargetPort": 9000, "PublishedPort": 8081},
    {"TargetPort": 53, "Protocol": "udp"},
    {"TargetPort": 80, "PublishedPort": 8080, "PublishMode": "host"},
    {"TargetPort": 22},
]
MOUNTS = ["vol:/var/lib/z", {"Type": "tmpfs", "Target": "/a/cache"}, "/srv:/m:ro"]
NETWORKS = [
    {"Target": "st_front", "Aliases": ["web-front", "api", "web"]},
    {"Target": "st_back", "Aliases": ["zeta", "alpha"]},
    "st_default",
]

ORDERED: list[tuple[str, Any, Any]] = [
    ("endpoint_spec", {"Ports": PORTS}, {"Ports": PORTS[::-1]}),
    ("mounts", MOUNTS, MOUNTS[::-1]),
    ("networks", NETWORKS, [{**n, "Aliases": n["Aliases"][::-1]} if isinstance(n, dict) else n
                            for n in NETWORKS[::-1]]),
]
"""(row, a value, the same value in another order), each order unsorted by every key."""

ENGINE_LISTS = {
    "endpoint_spec": (("EndpointSpec", "Ports"), "TargetPort"),
    "mounts": (("TaskTemplate", "ContainerSpec", "Mounts"), "Target"),
    "networks": (("TaskTemplate", "Networks"), "Target"),
}


def canonical(**inputs: Any) -> dict[str, Any]:
    return require_valid({**BASE, **inputs})


def at(spec: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        spec = spec[key]
    return spec


SENT_KEYS = {
    "endpoint_spec": ([9000, 53, 80, 22], [22, 80, 53, 9000]),
    "mounts": (["/var/lib/z", "/a/cache", "/m"], ["/m", "/a/cache", "/var/lib/z"]),
    "networks": (["st_front", "st_back", "st_default"], ["st_default", "st_back", "st_front"]),
}
"""Per row, the identifying key of each item of ``ORDERED``'s two values, in their order."""


@pytest.mark.parametrize(("row", "given", "reordered"), ORDERED, ids=[r[0] for r in ORDERED])
def test_the_built_spec_keeps_the_given_order(row: str, given: Any, reordered: Any) -> None:
    path, key = ENGINE_LISTS[row]
    for value, expected in zip((given, reordered), SENT_KEYS[row], strict=True):
        sent = at(build_spec(canonical(**{row: value})), path)
        assert [entry[key] for entry in sent] == expected
        assert expected != sorted(expected)


def test_aliases_keep_the_given_order() -> None:
    sent = build_spec(canonical(networks=NETWORKS))["TaskTemplate"]["Networks"]
    assert sent[0]["Aliases"] == ["web-front", "api", "web"]
    assert sent[1]["Aliases"] == ["zeta", "alpha"]


@pytest.mark.parametrize(("row", "given", "reordered"), ORDERED, ids=[r[0] for r in ORDERED])
def test_a_reordered_input_is_no_change(row: str, given: Any, reordered: Any) -> None:
    state = read_fields(build_spec(canonical(**{row: given})))
    provider = ServiceProvider()
    checked = provider.check({}, {**BASE, row: reordered})
    assert checked.failures == []
    result = provider.diff("id", state, checked.inputs)
    assert result.changes is False, result.diffs


@pytest.mark.parametrize(("row", "given", "reordered"), ORDERED, ids=[r[0] for r in ORDERED])
def test_state_of_older_versions_sorted_is_no_change(row: str, given: Any,
                                                     reordered: Any) -> None:
    """Older versions stored these lists sorted (``order_free``'s order)."""
    field = FIELDS_BY_NAME[row]
    state = read_fields(build_spec(canonical(**{row: given})))
    state[row] = field.order_free(state[row]) if field.order_free else state[row]
    assert state[row] != read_fields(build_spec(canonical(**{row: given})))[row]
    provider = ServiceProvider()
    checked = provider.check({}, {**BASE, row: given})
    assert provider.diff("id", state, checked.inputs).changes is False


@pytest.mark.parametrize(("row", "given", "reordered"), ORDERED, ids=[r[0] for r in ORDERED])
def test_a_changed_item_is_still_a_change(row: str, given: Any, reordered: Any) -> None:
    state = read_fields(build_spec(canonical(**{row: given})))
    changed = copy.deepcopy(reordered)
    items = changed["Ports"] if row == "endpoint_spec" else changed
    items.pop()
    provider = ServiceProvider()
    checked = provider.check({}, {**BASE, row: changed})
    assert provider.diff("id", state, checked.inputs).changes is True


@pytest.mark.parametrize(("row", "given", "reordered"), ORDERED, ids=[r[0] for r in ORDERED])
def test_the_sent_digest_ignores_the_order(row: str, given: Any, reordered: Any) -> None:
    """The update guard: a service we sent in one order is still "as sent" when the
    same content is read in another (so an older version's sorted spec stays ours)."""
    first = with_sent_digest(build_spec(canonical(**{row: given})), {})
    second = with_sent_digest(build_spec(canonical(**{row: reordered})), {})
    assert first["Labels"][SENT_LABEL] == second["Labels"][SENT_LABEL]
    assert at(first, ENGINE_LISTS[row][0]) != at(second, ENGINE_LISTS[row][0])
    second["Labels"][SENT_LABEL] = first["Labels"][SENT_LABEL]
    assert is_as_sent(second)


@pytest.mark.parametrize(("row", "given", "reordered"), ORDERED, ids=[r[0] for r in ORDERED])
def test_a_sent_reorder_counts_as_a_redeploy(row: str, given: Any, reordered: Any) -> None:
    """When an update is sent anyway (another row changed), the engine stores the new
    order and compares task specs as they are: the tasks are redeployed, and ``wait``
    must watch them."""
    current = read_fields(build_spec(canonical(**{row: given})))
    wanted = read_fields(build_spec(canonical(**{row: reordered})))
    assert converge.redeploys(current, wanted) is True
    assert converge.redeploys(current, current) is False


names = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)
LISTS = st.fixed_dictionaries({
    "mounts": st.lists(names.map(lambda v: f"{v}:/mnt/{v}"), min_size=1, max_size=4,
                       unique=True),
    "endpoint_spec": st.lists(st.integers(1, 65535), min_size=1, max_size=4,
                              unique=True).map(lambda targets: [{"TargetPort": t}
                                                                for t in targets]),
    "networks": st.lists(names, min_size=1, max_size=3, unique=True).flatmap(
        lambda targets: st.tuples(*[st.lists(names, max_size=3).map(
            lambda aliases, t=t: {"Target": t, "Aliases": aliases}) for t in targets]).map(list)),
})


def as_inputs(lists: dict[str, Any]) -> dict[str, Any]:
    return {**lists, "endpoint_spec": {"Ports": lists["endpoint_spec"]}}


@settings(max_examples=150, deadline=None)
@given(LISTS, st.randoms(use_true_random=False))
def test_any_permutation_is_sent_as_given_and_diffs_to_nothing(lists: dict[str, Any],
                                                                rng: Any) -> None:
    shuffled = {}
    for row, items in lists.items():
        items = [({**i, "Aliases": rng.sample(i["Aliases"], len(i["Aliases"]))}
                  if row == "networks" else i) for i in items]
        shuffled[row] = rng.sample(items, len(items))
    state = read_fields(build_spec(canonical(**as_inputs(lists))))
    sent = build_spec(canonical(**as_inputs(shuffled)))
    assert [p["TargetPort"] for p in sent["EndpointSpec"]["Ports"]] == [
        p["TargetPort"] for p in shuffled["endpoint_spec"]]
    assert [m["Target"] for m in sent["TaskTemplate"]["ContainerSpec"]["Mounts"]] == [
        m.split(":")[1] for m in shuffled["mounts"]]
    assert [(n["Target"], n.get("Aliases", [])) for n in sent["TaskTemplate"]["Networks"]] == [
        (n["Target"], n["Aliases"]) for n in shuffled["networks"]]
    provider = ServiceProvider()
    checked = provider.check({}, {**BASE, **as_inputs(shuffled)})
    assert checked.failures == []
    assert provider.diff("id", state, checked.inputs).changes is False
