"""pulumi-policy rules for SwarmService, enforced by ``pulumi preview --policy-pack policy``.

Each module holds the policies of one concern as pure ``validate(args, report_violation)``
functions (built from small checks in ``_support``); ``POLICIES`` lists the resource
policies (one service at a time), ``STACK_POLICIES`` those that look at the whole stack
(``stack``: port clashes, duplicate names, undeclared references), and ``build_pack``
serves them all as a policy pack. The pack folder ships in the package (``pack/``;
``python -m swarm_provider.policy init DIR`` copies it, see ``init``). High-severity
policies are mandatory by default, the rest advisory; a ``--policy-pack-config`` file
changes levels and parameters (see ``pack/README.md``).
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyPack,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

from . import (
    environment,
    filesystem,
    image,
    lifecycle,
    network,
    placement,
    privileges,
    resources,
    stack,
)
from ._support import SERVICE_TYPE

PACK_NAME = "swarm-service-policies"

POLICIES: list[ResourceValidationPolicy] = [
    *image.POLICIES,
    *privileges.POLICIES,
    *filesystem.POLICIES,
    *environment.POLICIES,
    *network.POLICIES,
    *resources.POLICIES,
    *lifecycle.POLICIES,
    *placement.POLICIES,
]

POLICIES_BY_NAME: dict[str, ResourceValidationPolicy] = {p.name: p for p in POLICIES}

STACK_POLICIES: list[StackValidationPolicy] = [*stack.POLICIES]
STACK_POLICIES_BY_NAME: dict[str, StackValidationPolicy] = {p.name: p for p in STACK_POLICIES}


def build_pack(
    name: str = PACK_NAME,
    initial_config: dict[str, EnforcementLevel | dict[str, object]] | None = None,
) -> PolicyPack:
    """Serve the policies as a policy pack.

    ``PolicyPack`` starts its gRPC server in the constructor and blocks until the CLI
    stops it, so call this only from a pack's ``__main__.py``, never from tests.
    ``initial_config`` has the shape of a ``--policy-pack-config`` file (levels as
    ``EnforcementLevel``) and becomes the pack's own starting config.
    """
    policies: list[Policy] = [*POLICIES, *STACK_POLICIES]  # PolicyPack takes the base class
    return PolicyPack(
        name=name,
        policies=policies,
        initial_config=initial_config,
        description="Security and reliability rules for Docker Swarm services (SwarmService).",
        display_name="Swarm service policies",
        tags=["docker", "swarm"],
    )


__all__ = [
    "PACK_NAME",
    "POLICIES",
    "POLICIES_BY_NAME",
    "SERVICE_TYPE",
    "STACK_POLICIES",
    "STACK_POLICIES_BY_NAME",
    "build_pack",
]
