"""How a service stays up: a healthcheck, a restart policy, updates that roll back."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ._support import UNKNOWN, Service, service_policy

_LONG_RUNNING = ("Replicated", "Global")


def check_healthcheck(service: Service) -> Iterator[str]:
    kind = service.mode_kind()
    healthcheck = service.value("healthcheck")
    if kind not in _LONG_RUNNING or healthcheck is UNKNOWN:
        return  # jobs run to completion; an unknown mode may be a job
    test = (healthcheck or {}).get("Test") or []
    hint = ('set healthcheck={"test": ["CMD", "/app/healthcheck"], "interval": "10s", '
            '"timeout": "3s", "retries": 3} so Swarm replaces unhealthy tasks and rolling '
            "updates wait for healthy ones")
    if healthcheck is None:
        yield service.message(
            "healthcheck", f"is not set on a long-running ({kind}) service; the image's "
            "HEALTHCHECK, if any, is not visible to policy", healthcheck, hint)
    elif test[:1] == ["NONE"]:
        yield service.message(
            "healthcheck", f"is disabled (Test NONE) on a long-running ({kind}) service",
            healthcheck, hint)


def check_restart_policy(service: Service) -> Iterator[str]:
    policy = service.value("restart_policy")
    if policy is UNKNOWN:
        return
    kind = service.mode_kind()
    hint = ('set restart_policy={"condition": "any", "delay": "5s"} (jobs: "on-failure" '
            'with "max_attempts")')
    if policy is None:
        yield service.message(
            "restart_policy", "is not set, so restarts follow engine defaults nobody "
            "reviewed", policy, hint)
    elif policy.get("Condition") == "none" and kind in _LONG_RUNNING:
        yield service.message(
            "restart_policy", f"never restarts failed tasks of a long-running ({kind}) "
            "service", policy, hint)


def check_update_rollback(service: Service) -> Iterator[str]:
    kind = service.mode_kind()
    config = service.value("update_config")
    if kind not in _LONG_RUNNING or config is UNKNOWN:
        return  # jobs have no rolling updates
    action = (config or {}).get("FailureAction", "pause")
    if action != "rollback":
        yield service.message(
            "update_config", f"a failed update does {action!r}, leaving the service half "
            "updated, instead of rolling back", config,
            'set update_config={"failure_action": "rollback", "monitor": "30s", '
            '"parallelism": 1} (and a rollback_config to tune the rollback)')


HEALTHCHECK = service_policy(
    "swarm-healthcheck",
    "Long-running (replicated and global) services define a healthcheck.",
    check_healthcheck,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set healthcheck with a test that fails when the process is unhealthy.",
)

RESTART_POLICY = service_policy(
    "swarm-restart-policy",
    "Services set a restart policy, and long-running ones restart failed tasks.",
    check_restart_policy,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    remediation_steps='Set restart_policy, e.g. {"condition": "any", "delay": "5s"}.',
)

UPDATE_ROLLBACK = service_policy(
    "swarm-update-rollback",
    "Long-running services roll back a failed update (update_config.FailureAction rollback).",
    check_update_rollback,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps='Set update_config={"failure_action": "rollback", "monitor": "30s"}.',
)

POLICIES = [HEALTHCHECK, RESTART_POLICY, UPDATE_ROLLBACK]
