"""The demo: a busybox web server on the swarm, with a healthcheck, a rolling update policy,
a secret and a config mounted as files, and an overlay network it shares with a second
service that calls it by name. `scripts/demo` runs it; `curl $(pulumi stack output url)`
answers with the page.

Stack config (Pulumi.yaml holds the defaults): `message` (the page's text), `port` (the
published port on the manager), `workerReplicas`, `apiToken` (a secret).
"""

import os

import pulumi

from swarm_provider import SwarmConfig, SwarmNetwork, SwarmSecret, SwarmService

config = pulumi.Config()
message = config.get("message") or "Hello from Docker Swarm"
port = config.get_int("port") or 18080
worker_replicas = config.get_int("workerReplicas") or 1
image = os.environ.get("SWARM_TEST_IMAGE", "swarm-testbed/busybox:1.0")

backend = SwarmNetwork("backend", driver="overlay", attachable=True)
api_token = SwarmSecret("api-token", data=config.get_secret("apiToken") or "demo-token")
# A config is immutable on the engine: a new message makes a new config (versioned name)
# and updates the web service onto it, in one `pulumi up`.
page = SwarmConfig("index-page", data=f"<h1>{message}</h1>\n<p>Served by swarm_provider.</p>\n")

web = SwarmService(
    "web",
    image=image,
    command=["httpd", "-f", "-p", "80", "-h", "/www"],
    networks=[backend.name],
    # Host-mode publishing on the manager: the ingress routing mesh and service VIPs need
    # IPVS, which the test bed lacks. The manager shares the host's network, so the port
    # answers on 127.0.0.1; one task per node can bind it.
    endpoint_spec={
        # DNS round robin: callers resolve the service name to the task's address.
        "Mode": "dnsrr",
        "Ports": [{"TargetPort": 80, "PublishedPort": port, "PublishMode": "host"}],
    },
    constraints=["node.role==manager"],
    configs=[page.reference(file_name="/www/index.html")],
    secrets=[api_token.reference(file_name="api-token", mode=0o400)],
    healthcheck={"test": "wget -q -O- http://127.0.0.1/ >/dev/null", "interval": "2s",
                 "timeout": "2s", "retries": 3, "start_period": "1s"},
    update_config={"parallelism": 1, "order": "stop-first", "failure_action": "rollback",
                   "monitor": "2s"},
    restart_policy={"condition": "any", "delay": "1s"},
    resources={"Limits": {"MemoryBytes": "32m", "NanoCPUs": "0.25"}},
    labels={"app": "swarm-demo", "tier": "web"},
    stop_grace_period="1s",
)

worker = SwarmService(
    "worker",
    image=image,
    # Calls the web service by its service name over the shared overlay network, and logs
    # what it got: `docker service logs demo-worker`.
    command=web.name.apply(lambda host: [
        "sh", "-c",
        f"while true; do echo \"$(date +%T) $(wget -q -O- http://{host}/ | head -n 1)\"; "
        "sleep 5; done",
    ]),
    mode={"mode": "replicated", "replicas": worker_replicas},
    networks=[backend.name],
    restart_policy={"condition": "any", "delay": "1s"},
    update_config={"parallelism": 2, "monitor": "1s"},
    labels={"app": "swarm-demo", "tier": "worker"},
    stop_grace_period="1s",
)

pulumi.export("url", f"http://127.0.0.1:{port}/")
pulumi.export("web_service", web.name)
pulumi.export("worker_service", worker.name)
pulumi.export("network", backend.name)
pulumi.export("page_config", page.config_name)
pulumi.export("secret", api_token.secret_name)  # mounted at /run/secrets/api-token in web
