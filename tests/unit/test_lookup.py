"""The pure parts of reading services (``lookup.describe``) and of connection settings."""

from __future__ import annotations

from typing import Any

import pytest

from swarm_provider import lookup
from swarm_provider.api import connection, engine
from swarm_provider.errors import EngineError
from swarm_provider.schema.service import OWNER_LABEL

# What `docker service create --name web --label keep=me --network backend busybox sleep 3600`
# leaves, as the engine's inspect returns it (trimmed).
CLI_CREATED: dict[str, Any] = {
    "ID": "abc123",
    "Version": {"Index": 42},
    "CreatedAt": "2026-01-01T00:00:00Z",
    "UpdatedAt": "2026-01-01T00:00:01Z",
    "Spec": {
        "Name": "web",
        "Labels": {"keep": "me", OWNER_LABEL: "p/s/web"},
        "TaskTemplate": {
            "ContainerSpec": {"Image": "busybox", "Args": ["sleep", "3600"], "Init": False,
                              "StopGracePeriod": 10_000_000_000, "DNSConfig": {},
                              "Isolation": "default"},
            "Resources": {"Limits": {}, "Reservations": {}},
            "Placement": {},
            "Networks": [{"Target": "net-id-1"}],
            "ForceUpdate": 0,
            "Runtime": "container",
        },
        "Mode": {"Replicated": {"Replicas": 1}},
        "EndpointSpec": {"Mode": "vip"},
    },
    "Endpoint": {"Spec": {"Mode": "vip"}, "VirtualIPs": [{"NetworkID": "net-id-1"}]},
}


def test_describe_gives_the_inputs_that_declare_the_service() -> None:
    info = lookup.describe(CLI_CREATED, {"net-id-1": "backend"})
    assert info["service_id"] == "abc123" and info["name"] == "web" and info["version"] == 42
    assert info["inputs"] == {
        "name": "web", "image": "busybox", "args": ["sleep", "3600"], "init": False,
        "labels": {"keep": "me"}, "mode": {"Replicated": {"Replicas": 1}},
        "networks": [{"Target": "backend"}], "stop_grace_period": "10s",
    }  # engine defaults (vip endpoint, default isolation, empty resources) are left out
    assert OWNER_LABEL not in info["inputs"]["labels"]  # ours, not something to declare
    assert info["endpoint"] == {"Ports": [], "VirtualIPs": [{"NetworkID": "net-id-1"}]}
    assert info["spec"] is CLI_CREATED["Spec"]


def test_describe_without_network_names_keeps_ids() -> None:
    assert lookup.describe(CLI_CREATED)["inputs"]["networks"] == [{"Target": "net-id-1"}]


class FakeConfig:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def get(self, key: str) -> str | None:
        return self.values.get(key)


def test_connection_from_stack_config() -> None:
    connection = engine.connection_from_config(FakeConfig({
        "swarm:dockerHost": "tcp://manager:2376", "swarm:tlsCaCert": "CA",
        "swarm:tlsVerify": "false"}))
    assert connection == engine.Connection(host="tcp://manager:2376", tls_ca="CA",
                                           tls_verify=False)
    assert engine.connection_from_config(FakeConfig({})) == engine.Connection()


def test_a_client_certificate_needs_its_key() -> None:
    with pytest.raises(EngineError, match="tlsCert and swarm:tlsKey go together"):
        connection._tls_config(engine.Connection(host="tcp://m:2376", tls_cert="CERT"))


def test_a_ca_alone_verifies_the_server_without_a_client_certificate() -> None:
    tls = connection._tls_config(engine.Connection(host="tcp://m:2376", tls_ca="CA"))
    assert tls.cert is None and tls.verify is True and tls.ca_cert.endswith("ca.pem")
