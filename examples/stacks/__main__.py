"""One program, several stacks: `dev` and `prod` differ only in their stack config
(Pulumi.dev.yaml, Pulumi.prod.yaml): replicas, memory limit and `swarm:namePrefix`, so both
can share one swarm (dev-api, prod-api...).
"""

import os

import pulumi

from swarm_provider import SwarmConfig, SwarmNetwork, SwarmService

config = pulumi.Config()
image = os.environ.get("SWARM_TEST_IMAGE", "busybox:1.36")

network = SwarmNetwork("app")
settings = SwarmConfig("settings", data=f"environment={pulumi.get_stack()}\n")

api = SwarmService(
    "api",
    image=image,
    command=["httpd", "-f", "-p", "8080", "-h", "/srv"],
    mode={"mode": "replicated", "replicas": config.require_int("replicas")},
    resources={"Limits": {"MemoryBytes": config.require("memoryLimit"), "NanoCPUs": "0.25"}},
    networks=[network.name],
    configs=[settings.reference("/srv/settings.txt")],
    labels={"environment": pulumi.get_stack()},
    update_config={"parallelism": 2, "monitor": "1s"},
    stop_grace_period="2s",
)

pulumi.export("api", api.name)
pulumi.export("network", network.name)
pulumi.export("replicas", config.require_int("replicas"))
