"""Networks, secrets and configs: tables, normalisers, versioned names, check and diff.

All pure: no engine. The engine-facing half is in tests/integration/test_objects.py.
"""

from __future__ import annotations

import base64
import hashlib
import inspect
from typing import Any

import docker
import pulumi
import pytest
from docker import types
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi.output import Unknown

from swarm_provider.core.objects import (
    covers,
    engine_name,
    file_object_fields,
    file_object_outputs,
    file_object_spec,
    network_fields,
    version_tag,
)
from swarm_provider.errors import FieldValueError, ValidationError
from swarm_provider.providers.objects import ConfigProvider, NetworkProvider, SecretProvider
from swarm_provider.resources.objects import SwarmConfig, SwarmNetwork, SwarmSecret
from swarm_provider.schema import normalise as n
from swarm_provider.schema.objects import (
    CONFIG,
    NETWORK_DOCKER_PY_OBSOLETE,
    NETWORK_FIELDS,
    SECRET,
    FileKind,
)
from swarm_provider.schema.service import OWNER_LABEL
from tests.support.providers import checked, failures

SECRET_VALUE = "hunter2-do-not-print"


# --- the tables agree with docker-py and with the typed args -----------------------------


def docker_py_keywords(method: Any) -> set[str]:
    return set(inspect.signature(method).parameters) - {"self"}


@pytest.mark.parametrize(
    ("table", "method", "obsolete"),
    [
        (NETWORK_FIELDS, docker.APIClient.create_network, NETWORK_DOCKER_PY_OBSOLETE),
        (SECRET.table, docker.APIClient.create_secret, frozenset()),
        (CONFIG.table, docker.APIClient.create_config, frozenset()),
    ],
    ids=["network", "secret", "config"],
)
def test_table_covers_every_docker_py_create_keyword(table: Any, method: Any,
                                                     obsolete: frozenset[str]) -> None:
    rows = {f.name for f in table if f.origin == "docker-py"}
    assert rows == docker_py_keywords(method) - obsolete
    assert not obsolete & {f.name for f in table}


@pytest.mark.parametrize(
    ("cls", "table", "provider"),
    [
        (SwarmNetwork, NETWORK_FIELDS, NetworkProvider),
        (SwarmSecret, SECRET.table, SecretProvider),
        (SwarmConfig, CONFIG.table, ConfigProvider),
    ],
    ids=["network", "secret", "config"],
)
def test_typed_args_match_the_table(cls: Any, table: Any, provider: Any) -> None:
    parameters = set(inspect.signature(cls.__init__).parameters)
    rows = {f.name for f in table if f.origin != "internal"}
    assert parameters == rows | provider.options | {"self", "resource_name", "opts"}


def test_resource_types() -> None:
    assert SwarmNetwork._resource_type_name == "dynamic/swarm:Network"
    assert SwarmSecret._resource_type_name == "dynamic/swarm:Secret"
    assert SwarmConfig._resource_type_name == "dynamic/swarm:Config"


def test_what_replaces() -> None:
    assert all(f.replace for f in NETWORK_FIELDS), "the engine can't change a network"
    for kind in (SECRET, CONFIG):
        assert {f.name for f in kind.table if not f.replace} == {"labels", "owner"}
    assert [f.name for f in SECRET.table if f.secret] == ["data"]
    assert [f.name for f in CONFIG.table if f.secret] == []


# --- normalisers ----------------------------------------------------------------------

POOL = {"Subnet": "10.30.0.0/24", "Gateway": "10.30.0.1"}


@pytest.mark.parametrize(
    ("normaliser", "forms", "canonical"),
    [
        (n.ipam, [types.IPAMConfig(pool_configs=[types.IPAMPool(subnet="10.30.0.0/24",
                                                                gateway="10.30.0.1")]),
                  {"driver": "default", "pool_configs": [{"subnet": "10.30.0.0/24",
                                                          "gateway": "10.30.0.1"}]},
                  {"Driver": "default", "Config": [POOL], "Options": None}],
         {"Config": [POOL]}),
        (n.ipam, [types.IPAMConfig(), {"Driver": "default", "Config": []}, {}, None], None),
        (n.ipam, [{"pool_configs": [types.IPAMPool(subnet="10.31.0.0/24",
                                                   aux_addresses={"r": "10.31.0.9"}),
                                    types.IPAMPool(subnet="10.30.0.0/24")]}],
         {"Config": [{"Subnet": "10.30.0.0/24"},
                     {"Subnet": "10.31.0.0/24", "AuxiliaryAddresses": {"r": "10.31.0.9"}}]}),
        (n.named_driver, ["golang", {"name": "golang"}, {"Name": "golang", "Options": {}}],
         {"Name": "golang"}),
        (n.named_driver, [types.DriverConfig("vault", {"path": "a"}),
                          {"Name": "vault", "Options": {"path": "a"}}],
         {"Name": "vault", "Options": {"path": "a"}}),
        (n.named_driver, [None, {}, ""], None),
        (n.network_driver, [None, "", "overlay"], "overlay"),
        (n.file_data, ["", b""], ""),
        (n.file_data, ["päss\n", "päss\n".encode()], "päss\n"),
    ],
)
def test_every_form_normalises_to_one_value(normaliser: Any, forms: list[Any],
                                            canonical: Any) -> None:
    for form in forms:
        assert normaliser(form) == canonical, form
        assert normaliser(canonical) == canonical


@pytest.mark.parametrize(
    ("normaliser", "value", "problem"),
    [
        (n.ipam, {"Driver": "default", "Pools": []}, "unknown key 'Pools'"),
        (n.ipam, {"pool_configs": [{"subnet": "x", "mask": 1}]}, "unknown key 'mask'"),
        (n.named_driver, {"Options": {"a": "1"}}, "needs a Name"),
        (n.network_scope, "cluster", "must be one of"),
        (n.file_data, b"\xff\xfe", "is not UTF-8"),
        (n.file_data, 42, "must be a string"),
    ],
)
def test_bad_values_are_refused(normaliser: Any, value: Any, problem: str) -> None:
    with pytest.raises(FieldValueError, match=problem):
        normaliser(value)


# --- versioned names and the secret/config round trip ----------------------------------


def test_version_is_the_sha256_of_the_data() -> None:
    digest = hashlib.sha256(b"s3cret").hexdigest()
    assert engine_name({"name": "db", "data": "s3cret"}, versioned=True) == f"db-{digest[:12]}"
    assert engine_name({"name": "db", "data": "s3cret"}, versioned=False) == "db"


def test_drivers_are_part_of_the_version() -> None:
    plain = version_tag({"data": "x"})
    templated = version_tag({"data": "x", "templating": {"Name": "golang"}})
    driven = version_tag({"data": "x", "driver": {"Name": "vault"}})
    assert len({plain, templated, driven}) == 3


def live_object(kind: FileKind, spec: dict[str, Any]) -> dict[str, Any]:
    """What inspect returns for a spec: secrets come back without their data."""
    returned = {k: v for k, v in spec.items() if not (kind is SECRET and k == "Data")}
    return {"ID": "id1", "Version": {"Index": 11}, "CreatedAt": "t0", "UpdatedAt": "t1",
            "Spec": returned}


object_inputs = st.fixed_dictionaries(
    {"name": st.from_regex(r"[a-z][a-z0-9._-]{0,20}[a-z0-9]", fullmatch=True),
     "data": st.text(min_size=1, max_size=40), "owner": st.just("p/s/r")},
    optional={
        "labels": st.dictionaries(st.text("abc.-", min_size=1, max_size=5),
                                  st.text(max_size=5), max_size=3),
        "templating": st.sampled_from(["golang", {"Name": "golang"}]),
    },
)


@settings(max_examples=200, deadline=None)
@given(object_inputs, st.sampled_from([SECRET, CONFIG]), st.booleans())
def test_read_of_build_is_identity(raw: dict[str, Any], kind: FileKind, versioned: bool) -> None:
    provider = SecretProvider() if kind is SECRET else ConfigProvider()
    canonical = provider.require(raw)
    spec = file_object_spec(canonical, kind, versioned)
    assert base64.b64decode(spec["Data"]).decode() == canonical["data"]
    assert spec["Labels"][OWNER_LABEL] == "p/s/r"
    # The state holds the canonical inputs; the secret's data comes from there.
    assert file_object_fields(live_object(kind, spec), kind, canonical, versioned) == canonical


def test_a_live_name_that_is_not_ours_shows_as_it_is() -> None:
    canonical = SecretProvider().require({"name": "db", "data": "a", "owner": "p/s/r"})
    spec = file_object_spec(canonical, SECRET, versioned=True)
    spec["Name"] = "db-000000000000"
    fields = file_object_fields(live_object(SECRET, spec), SECRET, canonical, True)
    assert fields["name"] == "db-000000000000"


def test_outputs_carry_the_exact_name_and_a_hash_not_the_data() -> None:
    canonical = SecretProvider().require({"name": "db", "data": SECRET_VALUE, "owner": "o"})
    spec = file_object_spec(canonical, SECRET, versioned=True)
    outs = file_object_outputs(live_object(SECRET, spec), SECRET, canonical, {})
    assert outs["secret_name"] == spec["Name"] and outs["secret_id"] == "id1"
    assert outs["data_sha256"] == hashlib.sha256(SECRET_VALUE.encode()).hexdigest()
    assert [k for k, v in outs.items() if SECRET_VALUE in str(v)] == ["data"]


# --- networks: what the engine adds is not a difference --------------------------------

LIVE_NETWORK = {
    "Name": "web", "Id": "n1", "Created": "t0", "Scope": "swarm", "Driver": "overlay",
    "EnableIPv6": False, "Internal": False, "Attachable": True, "Ingress": False,
    "IPAM": {"Driver": "default", "Options": None,
             "Config": [{"Subnet": "10.0.5.0/24", "Gateway": "10.0.5.1"}]},
    "Options": {"com.docker.network.driver.overlay.vxlanid_list": "4101"},
    "Labels": {OWNER_LABEL: "p/s/web"}, "ConfigFrom": {"Network": ""}, "ConfigOnly": False,
}


@pytest.mark.parametrize(
    "inputs",
    [
        {},
        {"scope": "swarm"},
        {"ipam": types.IPAMConfig(pool_configs=[types.IPAMPool(subnet="10.0.5.0/24")])},
        {"options": {"com.docker.network.driver.overlay.vxlanid_list": "4101"}},
    ],
)
def test_engine_additions_diff_to_nothing(inputs: dict[str, Any]) -> None:
    provider = NetworkProvider()
    news = checked(provider, {"name": "web", "attachable": True, "owner": "p/s/web", **inputs})
    state = {**network_fields(LIVE_NETWORK, news), "network_id": "n1"}
    result = provider.diff("n1", state, news)
    assert result.changes is False, state


@pytest.mark.parametrize(
    "inputs",
    [
        {"ipam": {"Config": [{"Subnet": "10.9.9.0/24"}]}},
        {"options": {"encrypted": ""}},
        {"scope": "local"},
        {"attachable": False},
    ],
)
def test_contradictions_of_the_live_network_show(inputs: dict[str, Any]) -> None:
    provider = NetworkProvider()
    desired = checked(provider, {"name": "web", "attachable": True, "owner": "p/s/web", **inputs})
    state = network_fields(LIVE_NETWORK, desired)
    assert provider.diff("n1", state, desired).replaces == list(inputs)


def test_covers() -> None:
    assert covers({"a": 1, "b": 2}, {"a": 1}) and covers([{"a": 1, "b": 2}], [{"a": 1}])
    assert not covers([{"a": 1}, {"a": 2}], [{"a": 1}])
    assert not covers({"a": 2}, {"a": 1}) and covers("x", None)


# --- check: one message shape, secrets never printed --------------------------------------


@pytest.mark.parametrize(
    ("provider", "raw", "field", "message"),
    [
        (SecretProvider(), {"data": "x"}, "name", "name (Name): is required; got null"),
        (SecretProvider(), {"name": "db"}, "data", "data (Data): is required; got [secret]"),
        (SecretProvider(), {"name": "db", "data": ""}, "data",
         "data (Data): must be 1 to 511999 bytes; got [secret] [it is 0 bytes]"),
        (ConfigProvider(), {"name": "app", "data": "x" * 1024000}, "data",
         "data (Data): must be 1 to 1023999 bytes; got"),
        (SecretProvider(), {"name": "-db", "data": "x"}, "name",
         "name (Name): may only hold letters, digits, '-', '_' and '.'; got \"-db\""),
        (SecretProvider(), {"name": "d" * 52, "data": "x"}, "name",
         "name (Name): must be 51 characters or fewer; got"),
        (SecretProvider(), {"name": "d" * 52, "data": "x", "versioned": "yes"}, "versioned",
         'versioned (provider option): must be true or false; got "yes"'),
        (ConfigProvider(), {"name": "a", "data": "x", "templating": {"Options": {"a": "b"}}},
         "templating", "templating (Templating): a driver with Options needs a Name"),
        (NetworkProvider(), {"name": "n", "driver": "bridge", "ingress": True}, "ingress",
         "ingress (Ingress): needs the overlay driver; got true [driver is 'bridge']"),
        (NetworkProvider(), {"name": "n", "delete_timeout": -1}, "delete_timeout",
         "delete_timeout (provider option): must be seconds >= 0; got -1"),
        (NetworkProvider(), {"name": "n", "drivr": "overlay"}, "drivr", "drivr: unknown input"),
    ],
)
def test_check_failures(provider: Any, raw: dict[str, Any], field: str, message: str) -> None:
    found = failures(provider, {**raw, "owner": "p/s/r"})
    assert found[field].startswith(message), found


def test_secret_data_is_never_in_a_message() -> None:
    found = failures(SecretProvider(), {"name": "db", "data": SECRET_VALUE * 40000, "owner": "o"})
    assert "data" in found and SECRET_VALUE not in str(found)
    found = failures(SecretProvider(), {"name": "db", "data": b"\xff" + SECRET_VALUE.encode()})
    assert SECRET_VALUE not in str(found)


def test_unknown_values_pass_check() -> None:
    result = SecretProvider().check({}, {"name": "db", "data": Unknown(), "owner": "o"})
    assert result.failures == []


# --- diff: what updates in place, what replaces, and in which order ---------------------


def object_state(provider: Any, versioned: bool = True, **inputs: Any) -> dict[str, Any]:
    """What create would store for these inputs."""
    news = checked(provider, {"name": "db", "data": "one", "owner": "p/s/db",
                              "versioned": versioned, **inputs})
    spec = file_object_spec(news, provider.file_kind, versioned)
    fields = file_object_fields(live_object(provider.file_kind, spec), provider.file_kind,
                                news, versioned)
    return file_object_outputs(live_object(provider.file_kind, spec), provider.file_kind,
                               fields, {"versioned": versioned})


@pytest.mark.parametrize("provider", [SecretProvider(), ConfigProvider()], ids=["secret", "config"])
@pytest.mark.parametrize(
    ("versioned", "change", "replaces", "delete_first"),
    [
        (True, {}, [], False),
        (True, {"labels": {"team": "a"}}, [], False),
        (True, {"data": "two"}, ["data"], False),
        (True, {"name": "db2"}, ["name"], False),
        (True, {"templating": "golang"}, ["templating"], False),
        (False, {"data": "two"}, ["data"], True),
        (False, {"name": "db2"}, ["name"], False),
        (False, {"labels": {"team": "a"}}, [], False),
        (True, {"versioned": False}, ["versioned"], False),
        (True, {"delete_timeout": 5}, [], False),
    ],
)
def test_file_object_diff(provider: Any, versioned: bool, change: dict[str, Any],
                          replaces: list[str], delete_first: bool) -> None:
    old = object_state(provider, versioned)
    news = checked(provider, {"name": "db", "data": "one", "owner": "p/s/db",
                              "versioned": versioned, **change})
    result = provider.diff("id1", old, news)
    assert result.changes is bool(change)
    assert result.replaces == replaces
    assert result.delete_before_replace is delete_first


def test_unknown_data_in_a_preview_is_a_create_first_replacement() -> None:
    provider = SecretProvider()
    news = {**checked(provider, {"name": "db", "data": "x", "owner": "p/s/db"}), "data": Unknown()}
    result = provider.diff("id1", object_state(provider), news)
    assert result.replaces == ["data"] and result.delete_before_replace is False


@pytest.mark.parametrize(
    ("change", "delete_first"),
    [({"labels": {"a": "b"}}, True), ({"internal": True}, True), ({"name": "web2"}, False),
     ({"name": Unknown()}, True)],
)
def test_every_network_change_replaces(change: dict[str, Any], delete_first: bool) -> None:
    provider = NetworkProvider()
    base = checked(provider, {"name": "web", "attachable": True, "owner": "p/s/web"})
    state = network_fields(LIVE_NETWORK, base)
    news = {**base, **change}
    result = provider.diff("n1", state, news)
    assert result.replaces == list(change)
    assert result.delete_before_replace is delete_first


def test_network_delete_timeout_alone_updates_in_place() -> None:
    provider = NetworkProvider()
    base = checked(provider, {"name": "web", "attachable": True, "owner": "p/s/web"})
    result = provider.diff("n1", network_fields(LIVE_NETWORK, base),
                           {**base, "delete_timeout": 5})
    assert result.changes is True and result.replaces == []


# --- the resource classes: secret inputs and complete references -------------------------


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        kind = args.typ.rsplit(":", 1)[-1].lower()
        state[f"{kind}_id"] = f"{args.name}-id"
        state[f"{kind}_name"] = f"{state['name']}-0123456789ab"
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


@pytest.fixture
def mocks() -> None:
    pulumi.runtime.set_mocks(Mocks(), preview=False)


@pulumi.runtime.test
def test_secret_reference_and_secret_data(mocks: None) -> None:
    secret = SwarmSecret("db-password", data=SECRET_VALUE)

    def verify(values: list[Any]) -> None:
        reference, data_is_secret = values
        assert reference == {
            "SecretID": "db-password-id",
            "SecretName": "db-password-0123456789ab",
            "File": {"Name": "db-password", "UID": "0", "GID": "0", "Mode": 0o444},
        }
        assert data_is_secret

    return pulumi.Output.all(secret.reference(), pulumi.Output.from_input(
        secret.data).is_secret()).apply(verify)


@pulumi.runtime.test
def test_config_reference_with_file_options(mocks: None) -> None:
    config = SwarmConfig("app-conf", data="a=1", name="app")

    def verify(reference: dict[str, Any]) -> None:
        assert reference == {
            "ConfigID": "app-conf-id", "ConfigName": "app-0123456789ab",
            "File": {"Name": "/etc/app.conf", "UID": "1000", "GID": "0", "Mode": 0o440},
        }
        canonical = {**reference, "File": {**reference["File"], "Mode": "0o440"}}
        assert n.configs([reference]) == [canonical], "SwarmService reads it as 0o440"

    return config.reference("/etc/app.conf", uid="1000", mode=0o440).apply(verify)


@pulumi.runtime.test
def test_a_reference_mounts_at_the_short_resource_name(mocks: None) -> None:
    """As `docker stack deploy` mounts at the compose key: not at the prefixed or the
    explicit engine name (issue #12, item 6)."""
    pulumi.runtime.set_config("swarm:namePrefix", "dev-")
    try:
        prefixed = SwarmSecret("db-password", data=SECRET_VALUE)
        named = SwarmConfig("app-conf", data="a=1", name="legacy-conf")
    finally:
        pulumi.runtime.set_config("swarm:namePrefix", "")

    def verify(files: list[str]) -> None:
        assert files == ["db-password", "app-conf"]

    return pulumi.Output.all(prefixed.reference().apply(lambda r: r["File"]["Name"]),
                             named.reference().apply(lambda r: r["File"]["Name"])
                             ).apply(verify)


def test_binary_secret_data_is_refused_without_printing_it(mocks: None) -> None:
    with pytest.raises(ValidationError, match="not UTF-8") as refused:
        SwarmSecret("bin", data=b"\xff" + SECRET_VALUE.encode())
    assert SECRET_VALUE not in str(refused.value)


def test_a_network_counts_as_created_once_the_swarm_allocated_it() -> None:
    """Right after a create the engine may show a network without IPAM and options."""
    provider = NetworkProvider()
    unallocated = {**LIVE_NETWORK, "IPAM": {"Driver": "", "Options": None, "Config": None},
                   "Options": None}
    assert not provider.settled(unallocated, {})
    assert provider.settled(LIVE_NETWORK, {})


def test_import_option_says_to_adopt(mocks: None) -> None:
    """Issue #12 item 6: import_ can't work for a dynamic resource; say what does."""
    from swarm_provider import SwarmService

    with pytest.raises(ValueError, match=r"adopt=True"):
        SwarmService("web", image="busybox:1", opts=pulumi.ResourceOptions(import_="abc123"))
