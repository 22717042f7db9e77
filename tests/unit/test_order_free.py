"""``Field.compare`` is enforced, not only documented: the comparable value of every
``set``, ``map`` and ``keyed`` row ignores the order of its items (a reordered program
is no change), and that of a ``list`` row keeps it (``command``, ``preferences``: order
has a meaning there). Property-tested over every such row of every table."""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from swarm_provider.schema.objects import CONFIG, NETWORK_FIELDS, SECRET
from swarm_provider.schema.service import FIELDS
from swarm_provider.schema.table import Field

ROWS: list[Field] = [*FIELDS, *NETWORK_FIELDS, *SECRET.table, *CONFIG.table]
NAMES = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=6)


def unique(strategy: st.SearchStrategy[Any], key: Callable[[Any], Any] = lambda x: x,
           ) -> st.SearchStrategy[list[Any]]:
    return st.lists(strategy, min_size=2, max_size=5, unique_by=key)


def _network(pair: tuple[str, list[str]]) -> dict[str, Any]:
    return {"Target": pair[0], "Aliases": pair[1]}


MAPS = st.dictionaries(NAMES, NAMES, min_size=2, max_size=5)
# row name -> the items of a valid value, as a list (a map's items as (key, value) pairs).
ITEMS: dict[str, st.SearchStrategy[list[Any]]] = {
    "constraints": unique(NAMES.map(lambda s: f"node.labels.{s}==x")),
    "platforms": unique(NAMES.map(lambda s: f"linux/{s}")),
    "env": unique(NAMES.map(lambda s: f"{s.upper()}=v"), key=lambda s: s),
    "groups": unique(NAMES),
    "cap_add": unique(NAMES.map(lambda s: f"CAP_{s.upper()}")),
    "cap_drop": unique(NAMES.map(lambda s: f"CAP_{s.upper()}")),
    "hosts": unique(st.tuples(st.integers(1, 254), NAMES).map(lambda t: f"10.0.0.{t[0]} {t[1]}"),
                    key=lambda line: line),
    "endpoint_spec": unique(st.integers(1, 60000).map(
        lambda p: {"TargetPort": p, "PublishedPort": p + 1}), key=lambda p: p["TargetPort"]),
    "mounts": unique(NAMES.map(lambda s: {"Type": "volume", "Source": s, "Target": f"/{s}"}),
                     key=lambda m: m["Target"]),
    "networks": unique(st.tuples(NAMES, unique(NAMES)).map(_network),
                       key=lambda n: n["Target"]),
    "secrets": unique(NAMES.map(lambda s: {"SecretID": f"id-{s}", "SecretName": s}),
                      key=lambda r: r["SecretName"]),
    "configs": unique(NAMES.map(lambda s: {"ConfigID": f"id-{s}", "ConfigName": s}),
                      key=lambda r: r["ConfigName"]),
    "ulimits": unique(NAMES.map(lambda s: {"Name": s, "Soft": 1, "Hard": 2}),
                      key=lambda u: u["Name"]),
}
WRAP: dict[str, Callable[[list[Any]], Any]] = {"endpoint_spec": lambda ports: {"Ports": ports}}
UNORDERED = [row for row in ROWS if row.compare in ("set", "map", "keyed")]


def value_of(row: Field, items: list[Any]) -> Any:
    if row.compare == "map":
        return dict(items)
    return WRAP.get(row.name, lambda x: x)(items)


def reordered(row: Field, items: list[Any], order: list[int]) -> list[Any]:
    """``items`` in another order; a network's aliases reversed as well."""
    shuffled = [items[i] for i in order]
    if row.name == "networks":
        shuffled = [{**n, "Aliases": n["Aliases"][::-1]} for n in shuffled]
    return shuffled


def items_of(row: Field) -> st.SearchStrategy[list[Any]]:
    return unique(st.tuples(NAMES, NAMES), key=lambda kv: kv[0]) if row.compare == "map" \
        else ITEMS[row.name]


def test_every_unordered_row_is_covered() -> None:
    assert {row.name for row in UNORDERED if row.compare != "map"} == set(ITEMS)


@pytest.mark.parametrize("row", UNORDERED, ids=[f"{r.engine_path}:{r.name}" for r in UNORDERED])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_an_unordered_row_compares_equal_in_any_order(row: Field, data: st.DataObject) -> None:
    items = data.draw(items_of(row))
    order = data.draw(st.permutations(range(len(items))))
    original = row.comparable(value_of(row, items))
    assert original is not None
    assert row.comparable(value_of(row, reordered(row, items, order))) == original


LISTS = [row for row in ROWS if row.compare == "list"]
ORDERED_ITEMS: dict[str, st.SearchStrategy[list[Any]]] = {
    "command": unique(NAMES),
    "args": unique(NAMES),
    "preferences": unique(NAMES.map(lambda s: ("spread", f"node.labels.{s}"))),
}


def test_every_ordered_row_is_covered() -> None:
    assert {row.name for row in LISTS} == set(ORDERED_ITEMS)


@pytest.mark.parametrize("row", LISTS, ids=[r.name for r in LISTS])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_an_ordered_row_sees_another_order(row: Field, data: st.DataObject) -> None:
    items = data.draw(ORDERED_ITEMS[row.name])
    assert row.comparable(items[::-1]) != row.comparable(items)
