"""The smallest useful program: one replicated service.

`pulumi config set replicas 3 && pulumi up` scales it in place.
"""

import os

import pulumi

from swarm_provider import SwarmService

config = pulumi.Config()

hello = SwarmService(
    "hello",
    image=os.environ.get("SWARM_TEST_IMAGE", "busybox:1.36"),
    command=["httpd", "-f", "-p", "8080"],
    mode={"mode": "replicated", "replicas": config.get_int("replicas") or 1},
    init=True,  # an init process as PID 1 passes SIGTERM on: tasks stop at once
)

pulumi.export("name", hello.name)
pulumi.export("service_id", hello.service_id)
