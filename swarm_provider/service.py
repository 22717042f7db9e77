"""``SwarmService``: the Pulumi resource users write against.

Every keyword of docker-py's ``ServiceCollection.create()`` is an input of the same name
and accepts the same value forms (``docker.types`` objects, Engine-shaped dicts, strings)
or Pulumi ``Input``/``Output`` values; ``ulimits``, ``pids_limit``, ``oom_score_adj``
and ``force_update`` go beyond docker-py. See ``swarm_provider.fields.FIELDS`` for what
each input does.
"""

from __future__ import annotations

from typing import Any

import pulumi

from .fields import FIELDS, USER_FIELDS
from .program_inputs import prepare_inputs, refuse_import
from .provider import OPTIONS, ServiceProvider
from .registration import Resource
from .state import COMPUTED
from .table import input_names

Json = Any


def default_name(resource_name: str) -> str:
    """The service name when none is given: the stack's ``swarm:namePrefix`` + resource name."""
    prefix = pulumi.Config("swarm").get("namePrefix") or ""
    return f"{prefix}{resource_name}"


class SwarmService(Resource, module="swarm", name="Service"):
    """A Docker Swarm service managed by Pulumi.

    Outputs: ``service_id`` (also the Pulumi id), ``version`` (the engine's version index
    at the last write), ``created_at``/``updated_at``, ``spec`` (the effective
    ServiceSpec as the engine stores it; a secret output because it carries env values),
    ``endpoint`` (published ports including engine-assigned ones, virtual IPs), and every
    input in its canonical Engine form.
    """

    # Output types stay loose: during a preview an input may still be a dict holding
    # unknowns, and the SDK checks declared output types.
    service_id: pulumi.Output[str]
    version: pulumi.Output[Any]
    created_at: pulumi.Output[Any]
    updated_at: pulumi.Output[Any]
    spec: pulumi.Output[Any]
    endpoint: pulumi.Output[Any]
    name: pulumi.Output[Any]
    image: pulumi.Output[Any]
    mode: pulumi.Output[Any]
    env: pulumi.Output[Any]
    labels: pulumi.Output[Any]
    networks: pulumi.Output[Any]

    def __init__(
        self,
        resource_name: str,
        image: pulumi.Input[str],
        command: pulumi.Input[str | list[str]] | None = None,
        *,
        args: pulumi.Input[str | list[str]] | None = None,
        constraints: pulumi.Input[list[str]] | None = None,
        preferences: pulumi.Input[list[Json]] | None = None,
        maxreplicas: pulumi.Input[int] | None = None,
        platforms: pulumi.Input[list[Json]] | None = None,
        container_labels: pulumi.Input[dict[str, str]] | None = None,
        endpoint_spec: pulumi.Input[Json] | None = None,
        env: pulumi.Input[dict[str, str] | list[str]] | None = None,
        hostname: pulumi.Input[str] | None = None,
        init: pulumi.Input[bool] | None = None,
        isolation: pulumi.Input[str] | None = None,
        labels: pulumi.Input[dict[str, str]] | None = None,
        log_driver: pulumi.Input[str] | None = None,
        log_driver_options: pulumi.Input[dict[str, str]] | None = None,
        mode: pulumi.Input[str | Json] | None = None,
        mounts: pulumi.Input[list[str | Json]] | None = None,
        name: pulumi.Input[str] | None = None,
        networks: pulumi.Input[list[str | Json]] | None = None,
        resources: pulumi.Input[Json] | None = None,
        restart_policy: pulumi.Input[Json] | None = None,
        secrets: pulumi.Input[list[Json]] | None = None,
        stop_grace_period: pulumi.Input[int | str] | None = None,
        update_config: pulumi.Input[Json] | None = None,
        rollback_config: pulumi.Input[Json] | None = None,
        user: pulumi.Input[str] | None = None,
        workdir: pulumi.Input[str] | None = None,
        tty: pulumi.Input[bool] | None = None,
        groups: pulumi.Input[list[str]] | None = None,
        open_stdin: pulumi.Input[bool] | None = None,
        read_only: pulumi.Input[bool] | None = None,
        stop_signal: pulumi.Input[str] | None = None,
        healthcheck: pulumi.Input[Json] | None = None,
        hosts: pulumi.Input[dict[str, str] | list[str]] | None = None,
        dns_config: pulumi.Input[Json] | None = None,
        configs: pulumi.Input[list[Json]] | None = None,
        privileges: pulumi.Input[Json] | None = None,
        cap_add: pulumi.Input[list[str]] | None = None,
        cap_drop: pulumi.Input[list[str]] | None = None,
        sysctls: pulumi.Input[dict[str, str]] | None = None,
        ulimits: pulumi.Input[Json] | None = None,
        pids_limit: pulumi.Input[int] | None = None,
        oom_score_adj: pulumi.Input[int] | None = None,
        force_update: pulumi.Input[int] | None = None,
        wait: pulumi.Input[bool] | None = None,
        timeout: pulumi.Input[float] | None = None,
        adopt: pulumi.Input[bool] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare a service. ``name`` defaults to the resource name (with the stack's
        ``swarm:namePrefix``). ``wait=False`` returns without waiting for convergence;
        ``timeout`` (seconds) bounds the wait (default derived from the spec).
        ``adopt=True``: if a service of that name already exists (made with the docker CLI,
        say), the create takes it over in place instead of failing: no new service, and
        no task restart when it already matches (docs/usage.md, "Adopting")."""
        refuse_import("SwarmService", resource_name, opts)
        inputs = {key: value for key, value in locals().items() if key in _INPUT_NAMES}
        inputs["name"] = name if name is not None else default_name(resource_name)
        inputs["owner"] = f"{pulumi.get_project()}/{pulumi.get_stack()}/{resource_name}"
        props: dict[str, Any] = {key: None for key in COMPUTED}
        props.update(inputs)
        secret_outputs = pulumi.ResourceOptions(additional_secret_outputs=["spec"])
        super().__init__(
            ServiceProvider(), resource_name, prepare_inputs(props),
            pulumi.ResourceOptions.merge(secret_outputs, opts),
        )


_INPUT_NAMES = input_names(FIELDS, OPTIONS)


def _describe_inputs(intro: str) -> str:
    """``help(SwarmService)`` lists every input with its doc, straight from the table."""
    lines = [intro.rstrip(), "", "Inputs (docker-py keywords, then extras; see docs/inputs.md):"]
    lines += [f"    {f.name} ({f.engine_path}): {f.doc}" for f in USER_FIELDS]
    return "\n".join(lines)


SwarmService.__init__.__doc__ = _describe_inputs(SwarmService.__init__.__doc__ or "")
