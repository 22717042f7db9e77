"""Entry point of the Swarm policy pack: serves swarm_provider.policy's policies.

The Pulumi CLI runs this folder with ``python -m pulumi.policy``; it blocks while
serving. Written by ``python -m swarm_provider.policy init``; the policies live in the
installed package, so upgrading swarm_provider upgrades them.
"""

from swarm_provider.policy import build_pack

build_pack()
