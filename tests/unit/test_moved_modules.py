"""State written before the package was split into folders still loads (issue #10).

Pulumi keeps each resource's provider pickled by reference in the state
(``swarm_provider.provider.ServiceProvider`` and so on) and unpickles it again to refresh,
update or delete the resource. The blobs in state_0.1/ were written by
``pulumi.dynamic.serialize_provider`` from the flat layout (commit 248a054); they are
loaded in a fresh interpreter, as the provider host loads them, which has imported
nothing of ours before.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BLOBS = json.loads((Path(__file__).parent / "state_0.1" / "pickled_providers.json").read_text())

LOAD = """
import base64, sys
import dill
provider = dill.loads(base64.b64decode(sys.argv[1]))
kind = type(provider)
print(kind.__module__ + "." + kind.__qualname__)
print(type(provider.connection).__module__)
result = provider.check({}, {"name": "web", "image": "nginx:1.27"} if sys.argv[2] == "service"
                        else {"name": "web", "data": "x"} if sys.argv[2] != "network"
                        else {"name": "web"})
print(sorted(result.inputs), [f.property for f in result.failures or []])
"""

NEW_HOMES = {
    "ServiceProvider": "swarm_provider.providers.service",
    "NetworkProvider": "swarm_provider.providers.objects",
    "SecretProvider": "swarm_provider.providers.objects",
    "ConfigProvider": "swarm_provider.providers.objects",
}


@pytest.mark.parametrize("name", sorted(BLOBS["providers"]))
def test_a_provider_pickled_by_0_1_loads_and_checks(name: str) -> None:
    kind = name.removesuffix("Provider").lower()
    run = subprocess.run([sys.executable, "-c", LOAD, BLOBS["providers"][name], kind],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    loaded, connection, checked = run.stdout.splitlines()
    assert loaded == f"{NEW_HOMES[name]}.{name}"
    assert connection == "swarm_provider.api.engine"
    assert "name" in checked and "[]" in checked, checked
