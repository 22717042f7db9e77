"""``SwarmService``: the Pulumi resource users write against.

Every keyword of docker-py's ``ServiceCollection.create()`` is an input of the same name
and accepts the same value forms (``docker.types`` objects, Engine-shaped dicts, strings)
or Pulumi ``Input``/``Output`` values; ``ulimits``, ``pids_limit``, ``oom_score_adj``
and ``force_update`` go beyond docker-py. See ``swarm_provider.schema.service.FIELDS`` for what
each input does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import pulumi
from pulumi.dynamic import ResourceProvider

from ..core.outputs import COMPUTED
from ..providers.service import ServiceProvider
from ..schema.service import SERVICE, USER_FIELDS
from ..types import (
    ConfigReference,
    DNSConfig,
    EndpointOut,
    EndpointSpec,
    Healthcheck,
    ModeKind,
    Mount,
    NetworkAttachment,
    PlacementPreference,
    Platform,
    Privileges,
    Resources,
    RestartPolicy,
    SecretReference,
    ServiceMode,
    Ulimit,
    UlimitMap,
    UpdateConfig,
)
from .inputs import prepare_inputs, refuse_import
from .registration import Resource

Json = Any
Strings = Sequence[str]


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

    # Type checkers read the first block. At run time the SDK reads these annotations to
    # convert outputs, and refuses a dict for a TypedDict, so there they stay loose
    # (int is kept: the SDK turns protobuf's 4017.0 back into 4017).
    if TYPE_CHECKING:
        service_id: pulumi.Output[str]
        version: pulumi.Output[int]
        created_at: pulumi.Output[str]
        updated_at: pulumi.Output[str]
        spec: pulumi.Output[dict[str, Any]]
        endpoint: pulumi.Output[EndpointOut]
        name: pulumi.Output[str]
        image: pulumi.Output[str]
        mode: pulumi.Output[dict[str, Any]]
        env: pulumi.Output[list[str] | None]
        labels: pulumi.Output[dict[str, str] | None]
        networks: pulumi.Output[list[NetworkAttachment] | None]
    else:
        service_id: pulumi.Output[str]
        version: pulumi.Output[int]
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
        command: pulumi.Input[str | Strings] | None = None,
        *,
        args: pulumi.Input[str | Strings] | None = None,
        constraints: pulumi.Input[Strings] | None = None,
        preferences: pulumi.Input[
            Sequence[pulumi.Input[str | tuple[str, str] | PlacementPreference]]] | None = None,
        maxreplicas: pulumi.Input[int] | None = None,
        platforms: pulumi.Input[
            Sequence[pulumi.Input[str | tuple[str, str] | Platform]]] | None = None,
        container_labels: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        endpoint_spec: pulumi.Input[EndpointSpec] | None = None,
        env: pulumi.Input[Mapping[str, pulumi.Input[str] | None]
                          | Sequence[pulumi.Input[str]]] | None = None,
        hostname: pulumi.Input[str] | None = None,
        init: pulumi.Input[bool] | None = None,
        isolation: pulumi.Input[str] | None = None,
        labels: pulumi.Input[Mapping[str, pulumi.Input[str]] | Strings] | None = None,
        log_driver: pulumi.Input[str] | None = None,
        log_driver_options: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        mode: pulumi.Input[ModeKind | ServiceMode] | None = None,
        mounts: pulumi.Input[Sequence[pulumi.Input[str | Mount]]] | None = None,
        name: pulumi.Input[str] | None = None,
        networks: pulumi.Input[Sequence[pulumi.Input[str | NetworkAttachment]]] | None = None,
        resources: pulumi.Input[Resources] | None = None,
        restart_policy: pulumi.Input[RestartPolicy] | None = None,
        secrets: pulumi.Input[Sequence[pulumi.Input[SecretReference]]] | None = None,
        stop_grace_period: pulumi.Input[int | str] | None = None,
        update_config: pulumi.Input[UpdateConfig] | None = None,
        rollback_config: pulumi.Input[UpdateConfig] | None = None,
        user: pulumi.Input[str] | None = None,
        workdir: pulumi.Input[str] | None = None,
        tty: pulumi.Input[bool] | None = None,
        groups: pulumi.Input[Strings] | None = None,
        open_stdin: pulumi.Input[bool] | None = None,
        read_only: pulumi.Input[bool] | None = None,
        stop_signal: pulumi.Input[str] | None = None,
        healthcheck: pulumi.Input[Healthcheck] | None = None,
        hosts: pulumi.Input[Mapping[str, str] | Strings] | None = None,
        dns_config: pulumi.Input[DNSConfig] | None = None,
        configs: pulumi.Input[Sequence[pulumi.Input[ConfigReference]]] | None = None,
        privileges: pulumi.Input[Privileges] | None = None,
        cap_add: pulumi.Input[Strings] | None = None,
        cap_drop: pulumi.Input[Strings] | None = None,
        sysctls: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        ulimits: pulumi.Input[Sequence[pulumi.Input[Ulimit]] | UlimitMap] | None = None,
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


    @staticmethod
    def get(resource_name: str, id: pulumi.Input[str],
            opts: pulumi.ResourceOptions | None = None) -> SwarmService:
        """Pulumi's usual ``get``: the live service ``id`` (an id or a name) as a resource
        of this stack, read through the provider's ``read``, never created, changed or
        deleted by it. Its outputs are those of a managed service; stack policies count
        it as declared."""
        hidden = pulumi.ResourceOptions(additional_secret_outputs=["spec"])
        return read_existing(SwarmService, ServiceProvider(), resource_name, id,
                             (*COMPUTED, *_INPUT_NAMES, "owner"),
                             pulumi.ResourceOptions.merge(hidden, opts))


_R = TypeVar("_R", bound=Resource)


def read_existing(cls: type[_R], provider: ResourceProvider, resource_name: str,
                  id: pulumi.Input[str], output_names: Iterable[str],
                  opts: pulumi.ResourceOptions | None) -> _R:
    """A resource of class ``cls`` for an object that exists: the ``id`` option makes the
    SDK read it (provider ``read``) instead of registering it. ``__init__`` is skipped,
    since it wants the inputs of a resource to create; every output starts unset."""
    resource = cls.__new__(cls)
    props: dict[str, Any] = {key: None for key in output_names}
    Resource.__init__(resource, provider, resource_name, props,
                      pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id)))
    return resource


_INPUT_NAMES = SERVICE.input_names


def _describe_inputs(intro: str) -> str:
    """``help(SwarmService)`` lists every input with its doc, straight from the table."""
    lines = [intro.rstrip(), "", "Inputs (docker-py keywords, then extras; see docs/inputs.md):"]
    lines += [f"    {f.name} ({f.engine_path}): {f.doc}" for f in USER_FIELDS]
    return "\n".join(lines)


SwarmService.__init__.__doc__ = _describe_inputs(SwarmService.__init__.__doc__ or "")
