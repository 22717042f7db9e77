"""The four service modes: a global agent, a replicated job, a global job (and the default,
replicated, in the other examples).

Jobs run to completion: `pulumi up` returns once every task of the job completed, and a
change to a job (here `migrateCompletions`) runs it again. Changing a service's mode *kind*
(`pulumi config set agentMode replicated`) can't be done in place: the service is replaced
(deleted, then created, since Swarm names are unique).
"""

import os

import pulumi

from swarm_provider import SwarmService

config = pulumi.Config()
image = os.environ.get("SWARM_TEST_IMAGE", "busybox:1.36")

# One task on every node (a node agent, a log shipper...).
agent = SwarmService(
    "agent",
    image=image,
    command=["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"],
    mode=config.get("agentMode") or "global",
    stop_grace_period="2s",
)

# A job that must complete N times, at most `concurrency` at once (a migration, a batch).
migrate = SwarmService(
    "migrate",
    image=image,
    command=["sh", "-c", "echo migrating on $(hostname); sleep 1; echo done"],
    mode={"mode": "replicated-job", "replicas": config.get_int("migrateCompletions") or 2,
          "concurrency": 1},
    restart_policy={"condition": "on-failure", "max_attempts": 2},
)

# A job that runs once on every node (a host preparation step).
prepare = SwarmService(
    "prepare-nodes",
    image=image,
    command=["sh", "-c", "echo prepared $(hostname)"],
    mode="global-job",
    restart_policy={"condition": "on-failure", "max_attempts": 2},
)

pulumi.export("agent", agent.name)
pulumi.export("agent_mode", agent.mode)
pulumi.export("migrate", migrate.name)
pulumi.export("migrate_mode", migrate.mode)
pulumi.export("prepare", prepare.name)
