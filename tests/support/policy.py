"""A service every policy of the pack accepts, for the pack's unit and CLI tests."""

from __future__ import annotations

from typing import Any

DIGEST = "sha256:" + "4f" * 32

HARDENED: dict[str, Any] = {
    "image": f"nginx:1.27.3@{DIGEST}",
    "mode": {"mode": "replicated", "replicas": 2},
    "resources": {"mem_limit": "128m", "cpu_limit": "0.5"},
    "pids_limit": 256,
    "cap_drop": ["ALL"],
    "cap_add": ["NET_BIND_SERVICE"],
    "healthcheck": {"test": ["CMD", "wget", "-q", "--spider", "http://localhost/"],
                    "interval": "10s"},
    "restart_policy": {"condition": "any", "delay": "5s"},
    "update_config": {"failure_action": "rollback", "parallelism": 1, "monitor": "30s"},
    "read_only": True,
    "user": "101:101",
    "constraints": ["node.role==worker"],
    "mounts": [{"Type": "tmpfs", "Target": "/tmp"}, "/etc/localtime:/etc/localtime:ro"],
}
"""Inputs that satisfy every policy, even with policy/config.prod.json."""
