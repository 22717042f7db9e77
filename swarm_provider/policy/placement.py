"""Where tasks may run: placement constraints, required only where config asks (say, on
production stacks, to keep workloads off manager nodes)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ._support import UNKNOWN, Service, config_schema, service_policy


def _canonical(constraint: str) -> str:
    """``node.role == worker`` and ``node.role==worker`` are the same constraint."""
    return "".join(constraint.split())


def check_constraints(service: Service) -> Iterator[str]:
    required = [str(c) for c in service.setting("requiredConstraints") or []]
    if not service.setting("requireConstraints") and not required:
        return
    constraints = service.value("constraints")
    if constraints is UNKNOWN:
        return
    have = {_canonical(str(c)) for c in constraints or []}
    missing = [c for c in required if _canonical(c) not in have]
    if not have and not missing:
        yield service.message(
            "constraints", "is empty, so tasks may land on any node, managers included",
            constraints, 'set constraints, e.g. ["node.role==worker"]')
    elif missing:
        yield service.message(
            "constraints", f"lacks the required {', '.join(missing)}", constraints,
            f"add {missing} to constraints")


PLACEMENT_CONSTRAINTS = service_policy(
    "swarm-placement-constraints",
    "Services set placement constraints (when requireConstraints or requiredConstraints is "
    "set in the policy config).",
    check_constraints,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    remediation_steps='Set constraints, e.g. ["node.role==worker"].',
    schema=config_schema(
        requireConstraints={
            "type": "boolean", "default": False,
            "description": "Require at least one placement constraint (e.g. in prod).",
        },
        requiredConstraints={
            "type": "array", "items": {"type": "string"}, "default": [],
            "description": 'Constraints every service must have, e.g. ["node.role==worker"] '
                           "(spaces are ignored when comparing).",
        },
    ),
)

POLICIES = [PLACEMENT_CONSTRAINTS]
