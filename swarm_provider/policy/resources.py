"""How much of a node a service may take: memory, CPU and process limits."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ._support import UNKNOWN, Service, config_schema, service_policy


def check_limits(service: Service) -> Iterator[str]:
    resources = service.value("resources")
    pids = service.value("pids_limit")
    if resources is UNKNOWN:
        return
    limits = (resources or {}).get("Limits") or {}
    missing = []
    if not limits.get("MemoryBytes"):
        missing.append("memory")
    if service.setting("requireCpuLimit") and not limits.get("NanoCPUs"):
        missing.append("CPU")
    if missing:
        yield service.message(
            "resources", f"has no {' and no '.join(missing)} limit, so one task can starve "
            "everything else on its node", resources,
            'set resources={"mem_limit": "256m", "cpu_limit": "0.5"} (sized from what the '
            "service really uses) and reservations for scheduling")
    if (
        service.setting("requirePidsLimit") and pids is not UNKNOWN
        and not pids and not limits.get("Pids")
    ):
        yield service.message(
            "pids_limit", "is not set, so a fork bomb in one task can exhaust the node's "
            "process table", pids, "set pids_limit, e.g. 256")


RESOURCE_LIMITS = service_policy(
    "swarm-resource-limits",
    "Services set memory and CPU limits (and a process limit when requirePidsLimit is set).",
    check_limits,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps='Set resources={"mem_limit": "256m", "cpu_limit": "0.5"}.',
    schema=config_schema(
        requireCpuLimit={
            "type": "boolean", "default": True,
            "description": "Require a CPU limit as well as a memory limit.",
        },
        requirePidsLimit={
            "type": "boolean", "default": False,
            "description": "Require pids_limit (a cap on processes per task).",
        },
    ),
)

POLICIES = [RESOURCE_LIMITS]
