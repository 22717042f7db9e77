"""A compose file as Pulumi resources: `ComposeStack` declares one SwarmService,
SwarmNetwork, SwarmSecret or SwarmConfig per entry of docker-compose.yml, storing the
specs `docker stack deploy -c docker-compose.yml <stack>` would store.

Config: `greeting` (the api's MESSAGE, through `${GREETING}` in the file) and `port`
(the web port, `${WEB_PORT}`). The stack name is the resource name with the stack's
`swarm:namePrefix`.
"""

import pulumi

from swarm_provider.compose import ComposeStack

config = pulumi.Config()
port = config.get("port") or "18090"
shop = ComposeStack("shop", files=["docker-compose.yml"],
                    env={"GREETING": config.get("greeting") or "hello", "WEB_PORT": port})

pulumi.export("stack_name", shop.stack_name)
pulumi.export("api_service", shop.services["api"].name)
pulumi.export("web_url", f"http://127.0.0.1:{port}/")
