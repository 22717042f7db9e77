"""Compose files in, Pulumi resources out: ``ComposeStack``.

``ComposeStack("shop", files=["docker-compose.yml"])`` reads the files as
``docker stack deploy -c ... shop`` does (``load``), converts them to the inputs that
store the same specs (``convert``) and declares one ``SwarmService``, ``SwarmNetwork``,
``SwarmSecret`` or ``SwarmConfig`` per compose entry, as children of the component. So
every guarantee of those resources holds: exact previews, convergence waits, rollback
errors, secret rotation, policies. ``python -m swarm_provider.compose convert FILE...``
prints the same resources as a plain Pulumi program (``program``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi

from ..resources.objects import SwarmConfig, SwarmNetwork, SwarmSecret
from ..resources.service import SwarmService, default_name
from .convert import FileRef, StackPlan, plan
from .errors import ComposeError
from .interpolate import resolve_tokens
from .load import Project, load

__all__ = ["ComposeStack", "ComposeError", "load", "plan"]


class ComposeStack(pulumi.ComponentResource):
    """A compose stack as Pulumi resources, identical to ``docker stack deploy``.

    ``files``: one path or several (later files override earlier ones, as ``-c a -c b``).
    ``stack_name``: the stack (the name prefix of everything); default the resource name
    with the stack's ``swarm:namePrefix``. ``env``: variables for ``${VAR}``, which win
    over the process environment, which wins over a ``.env`` file beside the first file
    (``dotenv=False`` ignores it); values may be Pulumi Outputs or secrets, in string
    values. ``adopt=True``: services ``docker stack deploy`` made are taken over in place.
    ``.services``, ``.networks``, ``.secrets``, ``.configs``: the child resources by
    compose name (external objects are referenced, never created: they have no entry).
    """

    services: dict[str, SwarmService]
    networks: dict[str, SwarmNetwork]
    secrets: dict[str, SwarmSecret]
    configs: dict[str, SwarmConfig]

    def __init__(self, resource_name: str, files: str | Path | Sequence[str | Path], *,
                 stack_name: str | None = None, env: Mapping[str, Any] | None = None,
                 dotenv: bool = True, adopt: bool = False,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("swarm:compose:Stack", resource_name, None, opts)
        self.stack_name = stack_name or default_name(resource_name)
        try:
            project = load(files, env=env, dotenv=dotenv)
            for warning in project.warnings:  # before plan's errors: they may explain them
                pulumi.log.warn(warning, resource=self)
            stack = plan(project, self.stack_name)
        except ComposeError as exc:
            raise pulumi.RunError(str(exc)) from None
        child = pulumi.ResourceOptions(parent=self)
        self.networks = {}
        self.secrets = {}
        self.configs = {}
        self.services = {}
        self._declare_objects(resource_name, stack, project, child, adopt)
        for key, inputs in stack.services.items():
            kwargs = resolve_tokens(self._wire(inputs, stack), project.env.outputs)
            self.services[key] = SwarmService(f"{resource_name}-{key}", adopt=adopt or None,
                                              opts=child, **kwargs)
        self.register_outputs({"stack_name": self.stack_name})

    def _declare_objects(self, resource_name: str, stack: StackPlan, project: Project,
                         child: pulumi.ResourceOptions, adopt: bool) -> None:
        """Networks, secrets, configs. Adopting, secrets and configs keep the plain names
        stack deploy gave them (``versioned=False``): a new versioned object would change
        every service that uses it, and restart its tasks."""
        extra: dict[str, Any] = {"adopt": True} if adopt else {}
        files: dict[str, Any] = {"adopt": True, "versioned": False} if adopt else {}
        for key, network in stack.networks.items():
            if not network.external:
                self.networks[key] = SwarmNetwork(f"{resource_name}-{key}", opts=child,
                                                  **network.inputs, **extra)
        for key, secret in stack.secrets.items():
            if not secret.external:
                inputs = resolve_tokens(secret.inputs, project.env.outputs)
                self.secrets[key] = SwarmSecret(f"{resource_name}-{key}", opts=child,
                                                **inputs, **files)
        for key, config in stack.configs.items():
            if not config.external:
                inputs = resolve_tokens(config.inputs, project.env.outputs)
                self.configs[key] = SwarmConfig(f"{resource_name}-{key}", opts=child,
                                                **inputs, **files)

    def _wire(self, inputs: dict[str, Any], stack: StackPlan) -> dict[str, Any]:
        """Placeholders to resources: network targets become the networks' names (so the
        service depends on them), file references become complete Engine references."""
        wired = dict(inputs)
        by_name = {plan.name: key for key, plan in stack.networks.items()}
        networks = []
        for attachment in inputs["networks"]:
            key = by_name.get(attachment["Target"])
            if key in self.networks:
                attachment = {**attachment, "Target": self.networks[key].name}
            networks.append(attachment)
        wired["networks"] = networks
        for kind in ("secrets", "configs"):
            if kind in inputs:
                wired[kind] = [self._reference(ref, stack) for ref in inputs[kind]]
        return wired

    def _reference(self, ref: FileRef, stack: StackPlan) -> Any:
        managed = self.secrets if ref.kind == "secrets" else self.configs
        if ref.source in managed:
            return managed[ref.source].reference(ref.target, uid=ref.uid, gid=ref.gid,
                                                 mode=ref.mode)
        name = getattr(stack, ref.kind)[ref.source].name
        return external_reference(ref, name)


def external_reference(ref: FileRef, name: str) -> dict[str, Any]:
    """The reference to an ``external: true`` secret or config, looked up by name (while
    the program runs: the preview needs the swarm), as the docker CLI looks it up."""
    from .. import lookup
    from ..api import engine

    api = engine.client(lookup.stack_connection()).api
    kind = ref.kind[:-1]
    listing = api.secrets if ref.kind == "secrets" else api.configs
    found = [item for item in listing(filters={"name": name})
             if item.get("Spec", {}).get("Name") == name]
    if not found:
        raise pulumi.RunError(f"{ref.kind}.{ref.source} (external): {kind} {name!r} does not "
                              f"exist [create it first, e.g. `docker {kind} create {name} FILE`]")
    title = kind.capitalize()
    return {f"{title}ID": found[0]["ID"], f"{title}Name": name,
            "File": {"Name": ref.target, "UID": ref.uid, "GID": ref.gid, "Mode": ref.mode}}
