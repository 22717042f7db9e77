"""Provider options (``wait``, ``timeout``, ``adopt``, ``delete_timeout``, ``versioned``)
are rows of each resource's table: checked like inputs, diffed by one rule, documented.

The rule (docs/inputs.md, "Options"): a changed option is a change. It replaces the
resource only when the option names the engine object (``versioned``); otherwise it is an
update that writes nothing to the engine and only records the new value in the state,
which matters because Pulumi deletes with the *old* stored outputs (a ``delete_timeout``
changed without an update would never reach ``delete``).
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown

from swarm_provider.core.check import check_options
from swarm_provider.core.diff import diff_table
from swarm_provider.core.outputs import option_values, options_only_update
from swarm_provider.providers.objects import ConfigProvider, NetworkProvider, SecretProvider
from swarm_provider.providers.service import ServiceProvider
from swarm_provider.schema.objects import CONFIG, NETWORK, SECRET
from swarm_provider.schema.service import SERVICE
from swarm_provider.schema.table import Table

TABLES = [SERVICE, NETWORK, SECRET.resource, CONFIG.resource]
IDS = [t.resource for t in TABLES]
MINIMAL: dict[str, dict[str, Any]] = {
    "SwarmService": {"name": "web", "image": "busybox:1", "owner": "p/s/web"},
    "SwarmNetwork": {"name": "net", "owner": "p/s/net"},
    "SwarmSecret": {"name": "pw", "data": "x", "owner": "p/s/pw"},
    "SwarmConfig": {"name": "conf", "data": "x", "owner": "p/s/conf"},
}
PROVIDERS = {"SwarmService": ServiceProvider, "SwarmNetwork": NetworkProvider,
             "SwarmSecret": SecretProvider, "SwarmConfig": ConfigProvider}


def provider_for(table: Table) -> Any:
    return PROVIDERS[table.resource]()


@pytest.mark.parametrize("table", TABLES, ids=IDS)
def test_adopt_no_is_refused_by_check(table: Table) -> None:
    """``adopt="no"`` is truthy: it used to pass check and then adopt."""
    result = provider_for(table).check({}, {**MINIMAL[table.resource], "adopt": "no"})
    assert [f.property for f in result.failures] == ["adopt"]
    assert result.failures[0].reason == \
        'adopt (provider option): must be true or false; got "no"'


@pytest.mark.parametrize("table", TABLES, ids=IDS)
@pytest.mark.parametrize("bad", ["no", 1, "true"])
def test_every_boolean_option_refuses_what_is_not_a_boolean(table: Table, bad: Any) -> None:
    for row in table.options:
        if row.name in ("wait", "adopt", "versioned"):
            failures = check_options({row.name: bad}, table)[1]
            assert [name for name, _ in failures] == [row.name]


@pytest.mark.parametrize(("name", "value", "message"), [
    ("timeout", -1, "timeout (provider option): must be a number of seconds above 0; got -1"),
    ("timeout", "300", 'timeout (provider option): must be a number of seconds above 0; '
                       'got "300" [e.g. 300]'),
    ("timeout", True, "timeout (provider option): must be a number of seconds above 0"),
    ("timeout", 86_400 * 8, "timeout (provider option): must be a number of seconds above 0"),
    ("wait", "no", 'wait (provider option): must be true or false; got "no"'),
])
def test_service_option_messages(name: str, value: Any, message: str) -> None:
    failures = check_options({name: value}, SERVICE)[1]
    assert failures and failures[0][1].startswith(message), failures


def test_options_are_checked_once_known() -> None:
    assert check_options({"timeout": Unknown(), "adopt": Unknown()}, SERVICE)[1] == []


def state_of(provider: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    """The outputs an earlier create stored: its checked inputs (rows and options)."""
    checked = provider.check({}, inputs)
    assert checked.failures == []
    return dict(checked.inputs)


@pytest.mark.parametrize(("table", "option", "old", "new"), [
    (SERVICE, "timeout", 60, 600),
    (SERVICE, "wait", True, False),
    (SERVICE, "adopt", True, False),
    (NETWORK, "delete_timeout", 60, 5),
    (SECRET.resource, "delete_timeout", None, 5),
    (CONFIG.resource, "adopt", None, True),
], ids=["service-timeout", "service-wait", "service-adopt", "network-delete_timeout",
        "secret-delete_timeout", "config-adopt"])
def test_an_option_alone_is_an_update_in_place(table: Table, option: str, old: Any,
                                               new: Any) -> None:
    """A change of only ``timeout`` used to be no diff at all (a change of only
    ``delete_timeout`` was an update): one rule for every option now."""
    provider = provider_for(table)
    base = MINIMAL[table.resource]
    olds = state_of(provider, {**base, option: old})
    news = state_of(provider, {**base, option: new})
    result = provider.diff("id1", olds, news)
    assert result.changes is True
    assert result.replaces == []
    assert diff_table(olds, news, table).only_options


@pytest.mark.parametrize("table", TABLES, ids=IDS)
def test_an_option_equal_to_its_default_is_no_change(table: Table) -> None:
    provider = provider_for(table)
    base = MINIMAL[table.resource]
    olds = state_of(provider, base)
    for row in table.options:
        if row.default is not None:
            news = state_of(provider, {**base, row.name: row.default.whole})
            assert provider.diff("id1", olds, news).changes is False, row.name


@pytest.mark.parametrize("kind", [SECRET, CONFIG], ids=["secret", "config"])
def test_versioned_replaces(kind: Any) -> None:
    result = diff_table({"name": "a", "data": "x"}, {"name": "a", "data": "x",
                                                     "versioned": False}, kind.resource)
    assert result.replaces == ["versioned"] and not result.only_options


def test_options_only_update_records_the_new_options_and_nothing_else() -> None:
    olds = {"name": "web", "image": "busybox:1", "service_id": "s1", "timeout": 60,
            "version": 12}
    news = {"name": "web", "image": "busybox:1", "delete_timeout": None, "wait": False}
    outs = options_only_update(olds, news, SERVICE)
    assert outs == {"name": "web", "image": "busybox:1", "service_id": "s1", "version": 12,
                    "wait": False}
    assert options_only_update(olds, {**news, "image": "busybox:2"}, SERVICE) is None


def test_option_values_are_the_set_options_only() -> None:
    assert option_values({"wait": False, "timeout": None, "image": "x"}, SERVICE) == {
        "wait": False}


def test_the_service_update_sends_nothing_when_only_an_option_changed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """No engine call at all: the new option value only goes to the state."""
    from swarm_provider.api import engine

    def no_engine(*_args: Any, **_kw: Any) -> Any:
        raise AssertionError("the engine was called")

    monkeypatch.setattr(engine, "client", no_engine)
    provider = ServiceProvider()
    olds = {**state_of(provider, {**MINIMAL["SwarmService"], "timeout": 60}),
            "service_id": "s1", "version": 7}
    news = state_of(provider, {**MINIMAL["SwarmService"], "timeout": 600})
    assert provider.update("s1", olds, news).outs == {**olds, "timeout": 600}


@pytest.mark.parametrize("table", [NETWORK, SECRET.resource, CONFIG.resource],
                         ids=IDS[1:])
def test_an_object_update_sends_nothing_when_only_an_option_changed(
        monkeypatch: pytest.MonkeyPatch, table: Table) -> None:
    from swarm_provider.api import engine

    def no_engine(*_args: Any, **_kw: Any) -> Any:
        raise AssertionError("the engine was called")

    monkeypatch.setattr(engine, "client", no_engine)
    provider = provider_for(table)
    olds = state_of(provider, MINIMAL[table.resource])
    news = state_of(provider, {**MINIMAL[table.resource], "delete_timeout": 5})
    assert provider.update("o1", olds, news).outs == {**olds, "delete_timeout": 5}
