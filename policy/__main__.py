"""Entry point of the SwarmService policy pack: serves swarm_provider.policy.POLICIES.

The CLI runs this with ``python -m pulumi.policy``; it blocks while serving.
"""

from swarm_provider.policy import build_pack

build_pack()
