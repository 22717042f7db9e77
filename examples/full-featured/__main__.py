"""One service using every SwarmService input, each in a form docker-py accepts.

A locked-down busybox web server: non-root, read-only root filesystem, no capabilities,
limits on memory, CPU, processes and open files, a healthcheck, rolling updates that roll
back, a secret and a config mounted as files. `docs/inputs.md` describes every input.

Config: `message` (the GREETING env value: an in-place update that restarts the task),
`port` (published on the node, host mode), `forceUpdate` (bump it to restart the task
with nothing else changed), `token` (a secret; mounted at /run/secrets/token).
"""

import os

import pulumi
from docker import types

from swarm_provider import SwarmConfig, SwarmNetwork, SwarmSecret, SwarmService

config = pulumi.Config()
prefix = pulumi.Config("swarm").get("namePrefix") or ""
image = os.environ.get("SWARM_TEST_IMAGE", "busybox:1.36")
port = config.get_int("port") or 18090

network = SwarmNetwork("net", attachable=True)
token = SwarmSecret("token", data=config.get_secret("token") or "example-token")
page = SwarmConfig("page", data="<h1>every input</h1>\n")

service = SwarmService(
    "everything",
    # What runs
    image=image,
    command=["httpd"],
    args=["-f", "-p", "8080", "-h", "/www"],
    name=f"{prefix}everything",  # the default would be the same: namePrefix + resource name
    mode={"mode": "replicated", "replicas": 1},
    env={"GREETING": config.get("message") or "hello", "TOKEN_FILE": "/run/secrets/token"},
    workdir="/www",
    hostname="everything-{{.Task.Slot}}",
    # Who it runs as, and what it may do
    user="65534:65534",
    groups=["65534"],
    init=True,
    read_only=True,
    cap_drop=["ALL"],
    cap_add=["CAP_NET_BIND_SERVICE"],
    privileges={"SELinuxContext": {"Type": "container_t"}},
    isolation="default",
    sysctls={"net.core.somaxconn": "1024"},
    ulimits={"nofile": [1024, 2048]},
    pids_limit=64,
    resources={"Limits": {"MemoryBytes": "32m", "NanoCPUs": "0.25"},
               "Reservations": {"MemoryBytes": "8m"}},
    tty=False,
    open_stdin=False,
    stop_signal="SIGTERM",
    stop_grace_period="2s",
    # Files, names and addresses
    mounts=["/tmp:/host-tmp:ro",
            types.Mount("/scratch", None, type="tmpfs", tmpfs_size="16m")],
    secrets=[token.reference("token", uid="65534", gid="65534", mode=0o400)],
    configs=[page.reference("/www/index.html")],
    networks=[types.NetworkAttachmentConfig(network.name, aliases=["everything"])],
    hosts={"db.internal": "10.9.0.2"},
    dns_config={"nameservers": ["10.9.0.53"], "search": ["example.internal"],
                "options": ["ndots:2"]},
    endpoint_spec={"Mode": "vip", "Ports": [
        {"TargetPort": 8080, "PublishedPort": port, "PublishMode": "host"}]},
    # Where it runs
    constraints=["node.platform.os==linux"],
    preferences=[("spread", "node.labels.zone")],
    maxreplicas=1,
    platforms=[("amd64", "linux"), ("arm64", "linux")],
    # Health, restarts, updates
    healthcheck={"test": ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"],
                 "interval": "2s", "timeout": "2s", "retries": 3, "start_period": "1s"},
    restart_policy=types.RestartPolicy(condition="any", delay=1_000_000_000),
    update_config={"parallelism": 1, "delay": "1s", "failure_action": "rollback",
                   "monitor": "2s", "order": "stop-first"},
    rollback_config=types.RollbackConfig(parallelism=1, monitor=2_000_000_000),
    force_update=config.get_int("forceUpdate") or 0,
    # Metadata and logs
    labels={"example": "full-featured"},
    container_labels={"example": "full-featured", "role": "web"},
    log_driver="json-file",
    log_driver_options={"max-size": "1m", "max-file": "2"},
    # Provider options (not part of the spec)
    wait=True,
    timeout=120,
    adopt=False,
)

pulumi.export("name", service.name)
pulumi.export("service_id", service.service_id)
pulumi.export("published", service.endpoint)
pulumi.export("url", f"http://127.0.0.1:{port}/ (answers when the task runs on this node)")
