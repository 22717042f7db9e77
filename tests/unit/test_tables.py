"""Every table against docker-py's own keyword lists and the resource classes, like
test_fields.py does for the service rows: options, outputs and nested structures too."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from docker import types

from swarm_provider.core.check import check_options
from swarm_provider.resources.objects import SwarmConfig, SwarmNetwork, SwarmSecret
from swarm_provider.resources.service import SwarmService
from swarm_provider.schema import normalise as n
from swarm_provider.schema.docs import render
from swarm_provider.schema.objects import CONFIG, NETWORK, SECRET
from swarm_provider.schema.service import SERVICE
from swarm_provider.schema.struct import Struct, squash
from swarm_provider.schema.table import Table

TABLES = [SERVICE, NETWORK, SECRET.resource, CONFIG.resource]
CLASSES = {"SwarmService": SwarmService, "SwarmNetwork": SwarmNetwork,
           "SwarmSecret": SwarmSecret, "SwarmConfig": SwarmConfig}
IDS = [t.resource for t in TABLES]


def keywords(cls: Any) -> set[str]:
    return set(inspect.signature(cls.__init__).parameters) - {"self", "kwargs"}


# docker.types constructor -> (its Struct, keywords taken as **kwargs, read another way)
CONSTRUCTORS: list[tuple[Any, Struct, set[str]]] = [
    (types.Mount, n.MOUNT, set()),
    (types.Healthcheck, n.HEALTHCHECK,
     {"test", "interval", "timeout", "retries", "start_period"}),  # **kwargs in docker-py
    (types.Resources, n.RESOURCES, set()),
    (types.RestartPolicy, n.RESTART_POLICY, set()),
    (types.UpdateConfig, n.UPDATE_CONFIG, set()),
    (types.RollbackConfig, n.UPDATE_CONFIG, set()),
    (types.EndpointSpec, n.ENDPOINT_SPEC, set()),
    (types.DNSConfig, n.DNS_CONFIG, set()),
    (types.Privileges, n.PRIVILEGES, set()),
    (types.SecretReference, n.SECRET_REFERENCE, set()),
    (types.ConfigReference, n.CONFIG_REFERENCE, set()),
    (types.NetworkAttachmentConfig, n.NETWORK_ATTACHMENT, set()),
    (types.DriverConfig, n.DRIVER, set()),
    (types.IPAMConfig, n.IPAM_CONFIG, set()),
    (types.Ulimit, n.ULIMIT, {"name", "soft", "hard"}),  # **kwargs in docker-py
]


@pytest.mark.parametrize(("constructor", "struct", "kwargs"), CONSTRUCTORS,
                         ids=[c.__name__ for c, _, _ in CONSTRUCTORS])
def test_a_struct_accepts_every_keyword_of_its_docker_py_constructor(
        constructor: Any, struct: Struct, kwargs: set[str]) -> None:
    accepted = {squash(k) for k in struct.accepted()}
    assert {squash(k) for k in keywords(constructor) | kwargs} <= accepted


@pytest.mark.parametrize(("value", "struct"), [
    (types.Mount("/t", "/s", type="bind", read_only=True, consistency="cached",
                 propagation="rshared"), n.MOUNT),
    (types.Mount("/t", "v", no_copy=True, labels={"a": "b"}, subpath="s",
                 driver_config=types.DriverConfig("local", {"o": "x"})), n.MOUNT),
    (types.Mount("/t", None, type="tmpfs", tmpfs_size="1m", tmpfs_mode=0o700), n.MOUNT),
    (types.Resources(cpu_limit=1, mem_limit=1, cpu_reservation=1, mem_reservation=1,
                     generic_resources={"gpu": 1}), n.RESOURCES),
    (types.Privileges(credentialspec_file="f", selinux_disable=True, selinux_user="u",
                      selinux_role="r", selinux_type="t", selinux_level="l"), n.PRIVILEGES),
    (types.SecretReference("i", "n", filename="f", uid="1", gid="1", mode=0o400),
     n.SECRET_REFERENCE),
    (types.Healthcheck(test="true", interval=10**9, timeout=10**9, retries=1,
                       start_period=10**9),
     n.HEALTHCHECK),
    (types.IPAMConfig(pool_configs=[types.IPAMPool(subnet="10.0.0.0/24", iprange="10.0.0.0/25",
                                                   gateway="10.0.0.1",
                                                   aux_addresses={"a": "10.0.0.2"})]),
     n.IPAM_CONFIG),
], ids=lambda v: type(v).__name__)
def test_the_engine_dict_of_a_docker_py_object_has_only_declared_keys(
        value: Any, struct: Struct) -> None:
    """What docker.types builds, read key by key at every depth, with nothing left over."""
    read = struct.read(value)
    assert set(read) == {key.engine for key in struct.keys}
    assert {k for k, v in value.items() if v is not None} <= set(read)


def test_every_nested_structure_is_documented() -> None:
    text = render()
    for table in TABLES:
        for row in table.inputs:
            for struct in row.struct.walk() if row.struct else []:
                assert f"### {struct.name}\n" in text, struct.name
                for key in struct.keys:
                    assert f"| `{key.engine}` |" in text, (struct.name, key.engine)


@pytest.mark.parametrize("table", TABLES, ids=IDS)
def test_the_resource_class_takes_every_input_and_option(table: Table) -> None:
    expected = {row.name for row in table.inputs if row.origin != "internal"}
    assert keywords(CLASSES[table.resource]) == expected | table.option_names | {
        "resource_name", "opts"}


@pytest.mark.parametrize("table", TABLES, ids=IDS)
def test_options_are_rows_of_their_own(table: Table) -> None:
    names = [row.name for row in table.options]
    assert len(set(names)) == len(names)
    assert not set(names) & {row.name for row in table.inputs}
    for row in table.options:
        assert row.origin == "option" and row.path == () and row.doc.strip(), row.name
        assert row.engine_path == "provider option"


@pytest.mark.parametrize("table", TABLES, ids=IDS)
def test_every_option_refuses_a_value_of_the_wrong_type(table: Table) -> None:
    for row in table.options:
        failures = check_options({row.name: {"not": "an option value"}}, table)[1]
        assert [name for name, _ in failures] == [row.name]


@pytest.mark.parametrize("table", TABLES, ids=IDS)
def test_every_output_is_declared_once_and_annotated_on_the_class(table: Table) -> None:
    names = list(table.output_names)
    assert len(set(names)) == len(names)
    assert not set(names) & ({row.name for row in table.inputs} | table.option_names)
    annotated: set[str] = set()
    for klass in CLASSES[table.resource].__mro__:
        annotated |= set(getattr(klass, "__annotations__", {}))
    assert set(names) <= annotated
    assert all(row.doc.strip() for row in table.outputs)


@pytest.mark.parametrize("table", TABLES, ids=IDS)
def test_docs_list_every_option_and_output(table: Table) -> None:
    text = render()
    section = text[text.index(f"## {table.resource}\n"):]
    for name in (*table.option_names, *table.output_names):
        assert f"| `{name}` |" in section, name
