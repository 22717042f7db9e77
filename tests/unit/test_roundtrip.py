"""Property: what build_spec writes, read_fields reads back unchanged."""

from __future__ import annotations

from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from swarm_provider.core.check import normalise_inputs
from swarm_provider.core.spec import build_spec, read_fields

names = st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True)
words = st.text(alphabet="abcxyz0123-_.", min_size=1, max_size=8)
durations = st.integers(min_value=1_000_000, max_value=10**11)

inputs = st.fixed_dictionaries(
    {"name": names, "image": st.just("busybox:1"), "owner": st.just("p/s/x")},
    optional={
        "env": st.dictionaries(names, words, max_size=4),
        "labels": st.dictionaries(words, words, max_size=3),
        "container_labels": st.dictionaries(words, words, max_size=3),
        "constraints": st.lists(words.map(lambda w: f"node.labels.{w}==1"), max_size=3),
        "command": st.lists(words, max_size=3),
        "mode": st.sampled_from(["replicated", "global", "replicated-job", "global-job"])
        | st.integers(0, 9).map(lambda r: {"mode": "replicated", "replicas": r}),
        "stop_grace_period": durations,
        "maxreplicas": st.integers(0, 5),
        "pids_limit": st.integers(0, 500),
        "resources": st.fixed_dictionaries(
            {"mem_limit": st.integers(4 * 2**20, 2**30), "cpu_limit": st.integers(10**6, 4 * 10**9)}
        ),
        "healthcheck": st.fixed_dictionaries({"test": words, "interval": durations}),
        "hosts": st.dictionaries(names, st.sampled_from(["10.0.0.1", "10.0.0.2"]), max_size=3),
        "mounts": st.lists(names.map(lambda v: f"{v}:/mnt/{v}"), max_size=3, unique=True),
        "endpoint_spec": st.lists(st.integers(1, 65535), max_size=4, unique=True).map(
            lambda targets: {"Ports": [{"TargetPort": t} for t in targets]}),
        "networks": st.lists(st.fixed_dictionaries(
            {"Target": names, "Aliases": st.lists(names, max_size=3)}), max_size=3),
        "ulimits": st.dictionaries(st.sampled_from(["nofile", "nproc"]), st.integers(1, 4096)),
        "force_update": st.integers(0, 5),
        "tty": st.booleans(),
        "init": st.none() | st.booleans(),
    },
)


@settings(max_examples=300, deadline=None)
@given(inputs)
def test_read_of_build_is_identity(raw: dict[str, Any]) -> None:
    canonical, failures = normalise_inputs(raw)
    assume(not failures)  # cross-field rules (e.g. maxreplicas with global) are tested elsewhere
    assert read_fields(build_spec(canonical)) == canonical
