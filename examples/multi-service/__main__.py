"""A three-tier application: frontend -> api -> db, on two overlay networks.

- `frontend` (network `frontend`): busybox httpd published on the manager (host mode); it
  fetches the api's answer every 2 s and serves it as /api.json, so `curl <url>/api.json`
  shows the whole chain working.
- `api` (networks `frontend` and `backend`): answers with a JSON document that is a
  SwarmConfig, and reads the database password from a SwarmSecret file.
- `db` (network `backend` only, unreachable from the frontend): holds the same secret.

Services call each other by service name, so callees use DNS round robin (`dnsrr`): the
virtual-IP load balancer needs IPVS, which not every host has.

Config: `apiMessage` (the api's answer: a new config, the api updated onto it), `port`,
`apiReplicas`, `dbPassword` (a secret).
"""

import json
import os

import pulumi

from swarm_provider import SwarmConfig, SwarmNetwork, SwarmSecret, SwarmService

config = pulumi.Config()
image = os.environ.get("SWARM_TEST_IMAGE", "busybox:1.36")
port = config.get_int("port") or 18081
loop = "trap 'exit 0' TERM; while true; do sleep 1; done"

frontend_net = SwarmNetwork("frontend", driver="overlay")
backend_net = SwarmNetwork("backend", driver="overlay", labels={"tier": "data"})

db_password = SwarmSecret("db-password", data=config.get_secret("dbPassword") or "change-me")
api_answer = SwarmConfig("api-answer", data=json.dumps(
    {"message": config.get("apiMessage") or "hello from the api", "db": "db"}) + "\n")
frontend_page = SwarmConfig("frontend-page", data="<h1>frontend</h1><a href=api.json>api</a>\n")

db = SwarmService(
    "db",
    image=image,
    command=["sh", "-c", f"test -s /run/secrets/db-password && {loop}"],
    networks=[backend_net.name],
    secrets=[db_password.reference("db-password", mode=0o400)],
    endpoint_spec={"Mode": "dnsrr"},
    constraints=["node.platform.os==linux"],
    resources={"Limits": {"MemoryBytes": "16m"}},
    stop_grace_period="2s",
)

api = SwarmService(
    "api",
    image=image,
    command=["sh", "-c",
             "test -s /run/secrets/db-password && exec httpd -f -p 80 -h /srv"],
    networks=[frontend_net.name, backend_net.name],
    secrets=[db_password.reference("db-password", mode=0o400)],
    configs=[api_answer.reference("/srv/index.html")],
    mode={"mode": "replicated", "replicas": config.get_int("apiReplicas") or 1},
    endpoint_spec={"Mode": "dnsrr"},
    # Spread replicas over the nodes, at most two per node.
    preferences=[("spread", "node.id")],
    maxreplicas=2,
    healthcheck={"test": "wget -q -O /dev/null http://127.0.0.1/", "interval": "2s",
                 "retries": 3},
    update_config={"order": "start-first", "monitor": "2s", "failure_action": "rollback"},
    stop_grace_period="2s",
    opts=pulumi.ResourceOptions(depends_on=[db]),
)

frontend = SwarmService(
    "frontend",
    image=image,
    command=api.name.apply(lambda api_host: [
        "sh", "-c",
        "mkdir -p /tmp/www && cp /etc/frontend/index.html /tmp/www/ && "
        "httpd -p 80 -h /tmp/www && trap 'exit 0' TERM && "
        f"while true; do wget -q -O /tmp/www/api.json.new http://{api_host}/ && "
        "mv /tmp/www/api.json.new /tmp/www/api.json; sleep 2; done",
    ]),
    networks=[frontend_net.name],
    configs=[frontend_page.reference("/etc/frontend/index.html")],
    endpoint_spec={"Ports": [{"TargetPort": 80, "PublishedPort": port, "PublishMode": "host"}]},
    # Host-mode ports answer on the node that runs the task: keep it on the manager.
    constraints=["node.role==manager"],
    update_config={"order": "stop-first", "monitor": "2s"},
    stop_grace_period="2s",
)

pulumi.export("url", f"http://127.0.0.1:{port}/")
pulumi.export("api_url", f"http://127.0.0.1:{port}/api.json")
pulumi.export("services", [frontend.name, api.name, db.name])
pulumi.export("networks", [frontend_net.name, backend_net.name])
pulumi.export("api_answer_config", api_answer.config_name)
