"""Record golden inspect JSON from a real engine: `python tests/unit/golden/record.py [DIR]`.

Each case's inputs (Python literals in CASES) are created through the provider's own
spec builder, inspected without inserted defaults, and saved with the inputs, so the
unit tests can check read-back and diff against what an engine really returns. Run it
against the testbed (eval "$(scripts/testbed env)") when the normalisers change. The
files beside this script come from Debian's 20.10; `record.py docker-28` writes the same
cases, as Docker 28 returns them, into docker-28/ (run it on a SWARM_TESTBED_ENGINE=28
test bed): newer engines add keys of their own (NoNewPrivileges, for one).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import docker

from swarm_provider.api import engine
from swarm_provider.core.check import require_valid
from swarm_provider.core.spec import build_spec, with_sent_digest

HERE = Path(__file__).parent
IMAGE = os.environ.get("SWARM_TEST_IMAGE", "swarm-testbed/busybox:1.0")

CASES: dict[str, dict[str, Any]] = {
    "minimal": {"name": "golden-minimal", "image": IMAGE},
    "full": {
        "name": "golden-full",
        "image": IMAGE,
        "command": "sleep 3600",
        "mode": {"mode": "replicated", "replicas": 2},
        "env": {"B": "2", "A": "1", "FLAG": None},
        "labels": {"team": "a"},
        "container_labels": {"tier": "web"},
        "constraints": ["node.role==manager"],
        "preferences": [["spread", "node.labels.zone"]],
        "maxreplicas": 2,
        "mounts": ["/tmp:/host-tmp:ro", "data:/data",
                   {"Type": "tmpfs", "Target": "/scratch", "TmpfsOptions": {"SizeBytes": "16m"}}],
        "resources": {"cpu_limit": 500_000_000, "mem_limit": "64m", "mem_reservation": "8m"},
        "pids_limit": 100,
        "restart_policy": {"Condition": "on-failure", "MaxAttempts": 3, "Delay": "2s"},
        "update_config": {"parallelism": 1, "failure_action": "rollback", "monitor": "2s"},
        "rollback_config": {"Parallelism": 0, "FailureAction": "continue"},
        "endpoint_spec": {"Ports": {"18201": [80, "tcp", "host"]}},
        "healthcheck": {"test": "cat /www/index.html", "interval": "2s", "retries": 3},
        "hosts": {"db": "10.9.0.2"},
        "dns_config": {"nameservers": ["10.9.0.53"], "search": ["example.test"]},
        "privileges": {"selinux_disable": True},
        "cap_add": ["CAP_NET_BIND_SERVICE"],
        "cap_drop": ["CAP_NET_RAW"],
        "sysctls": {"net.ipv4.ip_forward": "1"},
        "ulimits": {"nofile": [1024, 2048]},
        "stop_grace_period": "2s",
        "stop_signal": "SIGINT",
        "init": True,
        "tty": True,
        "user": "65534",
        "workdir": "/tmp",
        "hostname": "web-{{.Task.Slot}}",
        "groups": ["100"],
        "read_only": True,
        "open_stdin": True,
        "log_driver": "json-file",
        "log_driver_options": {"max-size": "1m"},
        "platforms": ["linux/amd64"],
        "force_update": 1,
    },
    "global-job": {"name": "golden-global-job", "image": IMAGE, "command": ["true"],
                   "mode": "global-job"},
}


def main(folder: Path = HERE) -> None:
    api = docker.from_env(version="auto").api
    folder.mkdir(exist_ok=True)
    for case, inputs in CASES.items():
        spec = with_sent_digest(build_spec(require_valid({**inputs, "owner": f"golden/{case}"})),
                                {})  # as the provider sends it (no networks to resolve here)
        service_id = engine.create_service(api, spec)
        try:
            time.sleep(0.5)
            live = engine.inspect_service(api, service_id)
        finally:
            api.remove_service(service_id)
        record = {"inputs": inputs, "inspect": live}
        path = folder / f"{case}.json"
        path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main(HERE / sys.argv[1] if len(sys.argv) > 1 else HERE)
