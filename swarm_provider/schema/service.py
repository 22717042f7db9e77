"""The field table: one row per SwarmService input, the single source of truth.

Every ``ServiceCollection.create()`` keyword of docker-py is a row, plus the extras the
Engine API 1.41 has and docker-py lacks. A row says where the value lives in the
Engine's ServiceSpec (as ``docker service inspect`` prints it), how to normalise it,
how to compare it, whether a change forces replacement, whether it is secret, and
what it is for. Validation, spec building, read-back, diffing, docs and policies all
iterate over ``FIELDS``; a test checks it against docker-py's own keyword lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import normalise as n
from .normalise import to_engine
from .table import EngineDefault, Field, Output, Table, live_at, option

OWNER_LABEL = "swarm-provider.owner"
"""Service label naming the Pulumi resource that owns a service (project/stack/name)."""
SENT_LABEL = "swarm-provider.sent"
"""Service label holding a digest of the spec the provider sent (``spec.sent_digest``):
while it matches the live spec, nobody changed the service since we wrote it."""


def _mode_kind_changed(old: Any, new: Any) -> bool:
    return n.mode_kind(old) != n.mode_kind(new)


_SECOND = 1_000_000_000
# What the engine runs when these are unset (swarmkit api/defaults/service.go, the values
# `docker service inspect` shows and docker-py's Service.update() writes back).
# Given in Engine units and normalised, so they are in whatever form canonical values take.
_STOP_GRACE_DEFAULT = EngineDefault(whole=n.duration(10 * _SECOND))
_RESTART_DEFAULT = EngineDefault(
    keys=(("Condition", "any"), ("Delay", n.duration(5 * _SECOND))), whole={})
_UPDATE_DEFAULT = EngineDefault(keys=(("Monitor", n.duration(5 * _SECOND)),),
                                whole={"Parallelism": 1})
"""Monitor 0 and unset both mean 5 s; FailureAction pause, Order stop-first, Delay 0 and
MaxFailureRatio 0 are already folded by the normaliser. Parallelism stays: in a stored
config 0 means all at once, while no config means 1 at a time."""

_T = ("TaskTemplate",)
_C = ("TaskTemplate", "ContainerSpec")
_P = ("TaskTemplate", "Placement")

FIELDS: tuple[Field, ...] = (
    Field("name", ("Name",), n.text, "value", replace=True,
          doc="Service name (DNS label). Defaults to the Pulumi resource name, with the "
              "stack's `swarm:namePrefix`. Renaming replaces the service (delete first)."),
    Field("image", (*_C, "Image"), n.text, "value",
          doc="Image reference, ideally pinned by digest. Stored exactly as given."),
    Field("command", (*_C, "Command"), n.command, "list",
          doc="Entrypoint override: a list, or a string split like a shell."),
    Field("args", (*_C, "Args"), n.command, "list",
          doc="Arguments to the command: a list, or a string split like a shell."),
    Field("constraints", (*_P, "Constraints"), n.string_set, "set",
          doc='Placement constraints, e.g. ["node.role==worker"]. Order does not matter.'),
    Field("preferences", (*_P, "Preferences"), n.preferences, "list",
          doc='Placement preferences in priority order: ("spread", "node.labels.zone").'),
    Field("maxreplicas", (*_P, "MaxReplicas"), n.positive_int, "value",
          doc="Maximum replicas of this service per node (0 = unlimited)."),
    Field("platforms", (*_P, "Platforms"), n.platforms, "set",
          struct=n.PLATFORM,
          doc='Platforms the image supports: (arch, os) tuples or "os/arch" strings.'),
    Field("container_labels", (*_C, "Labels"), n.string_map, "map",
          doc="Labels on the containers (not the service). Changing them redeploys tasks."),
    Field("endpoint_spec", ("EndpointSpec",), n.endpoint_spec, "keyed", key="TargetPort",
          struct=n.ENDPOINT_SPEC,
          order_free=n.endpoint_order_free,
          doc="Endpoint mode (vip/dnsrr) and published ports: an EndpointSpec, or a dict "
              'whose "Ports" is {published: target | (target, proto, mode)} or a list of '
              "PortConfig dicts (the list form can publish one port for tcp and udp). Sent "
              "in the order given, compared in any order."),
    Field("env", (*_C, "Env"), n.env, "set", secret=True,
          doc='Environment: {"KEY": "value"} or ["KEY=value"]. Values are redacted in '
              "errors; pass secrets as pulumi secrets or, better, Swarm secrets."),
    Field("hostname", (*_C, "Hostname"), n.text, "value",
          doc="Container hostname; Go templates such as {{.Task.Slot}} are allowed."),
    Field("init", (*_C, "Init"), n.tristate, "value",
          doc="Run an init process as PID 1 (true/false); unset uses the daemon default."),
    Field("isolation", (*_C, "Isolation"), n.isolation, "value",
          doc="Isolation technology: default, process or hyperv (Windows)."),
    Field("labels", ("Labels",), n.string_map, "map",
          doc="Service labels. Changing them never redeploys tasks."),
    Field("log_driver", (*_T, "LogDriver", "Name"), n.log_driver_name, "value",
          doc="Log driver name for the tasks, e.g. json-file or journald."),
    Field("log_driver_options", (*_T, "LogDriver", "Options"), n.string_map, "map",
          doc="Log driver options; requires log_driver."),
    Field("mode", ("Mode",), n.mode, "value", replace=_mode_kind_changed,
          struct=n.SERVICE_MODE,
          doc='"replicated", "global", "replicated-job", "global-job", a ServiceMode or '
              '{"mode": ..., "replicas": n, "concurrency": c}. Unset is 1 replica. Changing '
              "the kind replaces the service; changing replicas updates it in place."),
    Field("mounts", (*_C, "Mounts"), n.mounts, "keyed", key="Target",
          struct=n.MOUNT,
          order_free=n.mounts_order_free,
          to_engine=to_engine.tmpfs_modes,
          doc='Mounts: "source:target[:ro|rw]" strings (absolute source = bind, else '
              "volume), docker.types.Mount objects or Engine dicts. A volume Subpath "
              "(Mount subpath=) needs Engine API 1.45 (Docker 26) or newer. Sent in the "
              "order given, compared in any order."),
    Field("networks", (*_T, "Networks"), n.networks, "keyed", key="Target",
          struct=n.NETWORK_ATTACHMENT,
          order_free=n.networks_order_free,
          doc="Networks to attach: names, ids or NetworkAttachmentConfig (aliases, "
              "driver options). Names stay names in state; the engine stores ids. Networks "
              "and aliases are sent in the order given, compared in any order."),
    Field("resources", (*_T, "Resources"), n.resources, "value",
          struct=n.RESOURCES,
          doc='Limits and reservations: docker.types.Resources, {"cpu_limit": ...} or '
              'Engine dicts. Memory takes "64m"; CPUs take NanoCPUs or "0.5".'),
    Field("restart_policy", (*_T, "RestartPolicy"), n.restart_policy, "value",
          struct=n.RESTART_POLICY,
          to_engine=to_engine.restart_policy,
          default=_RESTART_DEFAULT,
          doc="Restart policy. Note docker.types.RestartPolicy() defaults to condition "
              "none; a dict without Condition means any (the engine default)."),
    Field("secrets", (*_C, "Secrets"), n.secrets, "keyed", key="SecretName",
          struct=n.SECRET_REFERENCE,
          to_engine=to_engine.file_modes,
          doc="Secret references with SecretID and SecretName (SecretReference, "
              "SwarmSecret.reference(...)); file name/uid/gid/mode default as docker-py."),
    Field("stop_grace_period", (*_C, "StopGracePeriod"), n.duration, "value",
          to_engine=to_engine.stop_grace_period,
          default=_STOP_GRACE_DEFAULT,
          doc='Time to wait after the stop signal before killing: int ns or "10s".'),
    Field("update_config", ("UpdateConfig",), n.update_config, "value",
          struct=n.UPDATE_CONFIG,
          to_engine=to_engine.update_config,
          default=_UPDATE_DEFAULT,
          doc='Rolling update policy (UpdateConfig or dict; durations as ns or "5s"). '
              "Not allowed for job modes."),
    Field("rollback_config", ("RollbackConfig",), n.update_config, "value",
          struct=n.UPDATE_CONFIG,
          to_engine=to_engine.update_config,
          default=_UPDATE_DEFAULT,
          doc="Rollback policy, same shape as update_config."),
    Field("user", (*_C, "User"), n.text, "value",
          doc="User (and group) the command runs as: name or uid[:gid]."),
    Field("workdir", (*_C, "Dir"), n.text, "value",
          doc="Working directory of the command."),
    Field("tty", (*_C, "TTY"), n.flag, "value", doc="Allocate a pseudo-TTY."),
    Field("groups", (*_C, "Groups"), n.string_set, "set",
          doc="Additional groups the process runs with."),
    Field("open_stdin", (*_C, "OpenStdin"), n.flag, "value", doc="Keep stdin open."),
    Field("read_only", (*_C, "ReadOnly"), n.flag, "value",
          doc="Mount the container's root filesystem read-only."),
    Field("stop_signal", (*_C, "StopSignal"), n.text, "value",
          doc="Signal that stops the container, e.g. SIGINT."),
    Field("healthcheck", (*_C, "Healthcheck"), n.healthcheck, "value",
          struct=n.HEALTHCHECK,
          to_engine=to_engine.healthcheck,
          doc='Healthcheck: docker.types.Healthcheck or dict; a string test runs in a '
              'shell; durations as ns or "5s" (at least 1ms).'),
    Field("hosts", (*_C, "Hosts"), n.hosts, "set",
          doc='Extra /etc/hosts entries: {host: ip}, "IP host" or "host:ip".'),
    Field("dns_config", (*_C, "DNSConfig"), n.dns_config, "value",
          struct=n.DNS_CONFIG,
          doc="Resolver settings: DNSConfig or {nameservers, search, options}."),
    Field("configs", (*_C, "Configs"), n.configs, "keyed", key="ConfigName",
          struct=n.CONFIG_REFERENCE,
          to_engine=to_engine.file_modes,
          doc="Config references with ConfigID and ConfigName (ConfigReference, "
              "SwarmConfig.reference(...))."),
    Field("privileges", (*_C, "Privileges"), n.privileges, "value",
          struct=n.PRIVILEGES,
          doc="Credential spec and SELinux context: Privileges or Engine dict."),
    Field("cap_add", (*_C, "CapabilityAdd"), n.string_set, "set",
          doc='Kernel capabilities to add, e.g. ["CAP_NET_BIND_SERVICE"].'),
    Field("cap_drop", (*_C, "CapabilityDrop"), n.string_set, "set",
          doc='Kernel capabilities to drop, e.g. ["ALL"].'),
    Field("sysctls", (*_C, "Sysctls"), n.string_map, "map",
          doc='Namespaced kernel parameters, e.g. {"net.core.somaxconn": "1024"}.'),
    # Engine API 1.41 features docker-py cannot express.
    Field("ulimits", (*_C, "Ulimits"), n.ulimits, "keyed", key="Name", origin="extra",
          struct=n.ULIMIT,
          doc='Resource limits: {"nofile": 1024} or {"nofile": [soft, hard]} or '
              "[{Name, Soft, Hard}]."),
    Field("pids_limit", (*_T, "Resources", "Limits", "Pids"), n.positive_int, "value",
          origin="extra", doc="Maximum number of processes per task (0 = unlimited)."),
    Field("oom_score_adj", (*_C, "OomScoreAdj"), n.oom_score_adj, "value", origin="extra",
          doc="The tasks' oom_score_adj, -1000 to 1000 (Engine API 1.46, Docker 27, or "
              "newer; refused on older engines, which would drop it)."),
    Field("force_update", (*_T, "ForceUpdate"), n.positive_int, "value", origin="extra",
          doc="Redeploy counter: change it (e.g. bump it) to restart every task without "
              "any other spec change."),
    Field("owner", ("Labels", OWNER_LABEL), n.text, "value", origin="internal",
          doc="Set by SwarmService: project/stack/resource that owns the service, so an "
              "interrupted create can be adopted safely on the next run."),
)

_WEEK = 7 * 86_400

OPTIONS: tuple[Field, ...] = (
    option("wait", n.boolean, default=True,
           doc="Wait for the tasks to converge after a create or update (as `docker service "
               "create` does without `--detach`), failing with the tasks' errors if they "
               "don't. False returns once the engine accepted the spec."),
    option("timeout", n.seconds("must be a number of seconds above 0", above=True,
                                below=_WEEK, hint="e.g. 300"),
           doc="Seconds the wait may take (below a week). Unset: derived from the spec "
               "(update delays and monitor windows, replicas, healthcheck)."),
    option("adopt", n.boolean, default=False,
           doc="If a service of that name exists (made with the docker CLI, say), the create "
               "takes it over in place instead of failing: no new service, and no task "
               "restart when it already matches (docs/usage.md, \"Adopting\")."),
)
"""SwarmService's provider options (see ``table.option`` for how they diff)."""


def _endpoint(live: Mapping[str, Any], _fields: Any) -> dict[str, Any]:
    endpoint = live.get("Endpoint") or {}
    return {"Ports": endpoint.get("Ports", []), "VirtualIPs": endpoint.get("VirtualIPs", [])}


OUTPUTS: tuple[Output, ...] = (
    Output("service_id", "The engine's id of the service (also the Pulumi id).", live_at("ID")),
    Output("version", "The engine's version index of the service at the last write.",
           live_at("Version", "Index")),
    Output("created_at", "When the engine created the service.", live_at("CreatedAt")),
    Output("updated_at", "When the engine last changed the service.", live_at("UpdatedAt")),
    Output("spec", "The ServiceSpec as the engine stores it (a secret: it holds env values).",
           live_at("Spec"), secret=True),
    Output("endpoint", "Published ports (engine-assigned ones included) and virtual IPs.",
           _endpoint),
)
"""What a SwarmService exports besides every input in its canonical form."""

SERVICE = Table("SwarmService", FIELDS, OPTIONS, OUTPUTS)
"""The whole SwarmService declaration: input, option and output rows."""

FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
USER_FIELDS: tuple[Field, ...] = tuple(f for f in FIELDS if f.origin != "internal")
REPLACE_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.replace)
