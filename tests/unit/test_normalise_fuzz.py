"""Property test over every row of every field table (issue #14, item 5): whatever
JSON-ish value a program sends, a normaliser either gives a canonical form that
normalises to itself, or raises ``FieldValueError`` (which check turns into a message
naming the input). Any other exception would crash ``pulumi preview``; a canonical form
that changes again would be a perpetual diff."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swarm_provider.errors import FieldValueError
from swarm_provider.schema.objects import CONFIG, NETWORK_FIELDS, SECRET
from swarm_provider.schema.service import FIELDS
from swarm_provider.schema.table import Field

ROWS: list[Field] = [*FIELDS, *NETWORK_FIELDS, *SECRET.table, *CONFIG.table]

# Keys a normaliser knows, so the fuzzer reaches past the "unknown key" check.
KEYS = st.sampled_from([
    "Test", "test", "Interval", "interval", "Retries", "Limits", "Reservations", "NanoCPUs",
    "MemoryBytes", "Pids", "Ports", "TargetPort", "PublishedPort", "Protocol", "PublishMode",
    "Mode", "mode", "replicas", "concurrency", "Replicated", "Global", "ReplicatedJob",
    "Target", "Source", "Type", "ReadOnly", "File", "Name", "UID", "GID", "SecretID",
    "SecretName", "ConfigID", "ConfigName", "Condition", "Delay", "Window", "MaxAttempts",
    "Parallelism", "Monitor", "FailureAction", "Order", "MaxFailureRatio", "Aliases",
    "DriverOpts", "Nameservers", "Search", "Options", "SELinuxContext", "Disable",
    "CredentialSpec", "Config", "Subnet", "Gateway", "Driver", "Soft", "Hard", "Spread",
    "SpreadDescriptor", "Architecture", "OS", "GenericResources", "TmpfsOptions",
    "VolumeOptions", "Labels", "BindOptions", "Propagation", "NoCopy", "DriverConfig",
    "SizeBytes", "Subpath", "tmpfs_size", "no_copy", "cpu_limit", "filename", "uid",
    "credentialspec_file", "selinux_user", "pool_configs", "aux_addresses", "x",
])
SCALARS = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "1", "10s", "0.5", "64m", "/data", "a:/b", "a:/b:ro", "tcp",
                     "vip", "any", "replicated", "global", "inf", "nan", "0400", "no",
                     "CMD-SHELL", "node.role==worker", "10.0.0.0/24", "golang", "x y"]),
    st.text(max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(KEYS, st.text(max_size=4)), inner,
                                            max_size=4)),
    max_leaves=12,
)


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.engine_path}:{r.name}" for r in ROWS])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=VALUES)
def test_a_normaliser_gives_a_fixed_point_or_a_field_error(row: Field, value: Any) -> None:
    try:
        canonical = row.normalise(value)
    except FieldValueError:
        return
    assert row.normalise(canonical) == canonical, (value, canonical)


STRUCTURED = [row for row in ROWS if row.name in {
    "endpoint_spec", "resources", "restart_policy", "update_config", "rollback_config",
    "healthcheck", "dns_config", "privileges", "mode", "ipam", "templating", "driver"}
    and row not in NETWORK_FIELDS]  # a network's driver is a plain name
RECORD_LISTS = [row for row in ROWS if row.name in {
    "mounts", "networks", "secrets", "configs", "ulimits", "preferences", "platforms"}]


@pytest.mark.parametrize("row", STRUCTURED, ids=[r.name for r in STRUCTURED])
def test_an_unknown_key_in_a_structure_is_refused(row: Field) -> None:
    with pytest.raises(FieldValueError, match="unknown (key|mode) 'NoSuchKey'"):
        row.normalise({"NoSuchKey": 1})


@pytest.mark.parametrize("row", RECORD_LISTS, ids=[r.name for r in RECORD_LISTS])
def test_an_unknown_key_in_a_record_is_refused(row: Field) -> None:
    with pytest.raises(FieldValueError):
        row.normalise([{"NoSuchKey": 1}])
