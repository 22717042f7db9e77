"""A :class:`~.load.Project` as resource inputs that store what ``docker stack deploy``
stores (``--resolve-image never``, docker CLI 28): pure, no engine call.

Each function mirrors one conversion of the CLI (names ``<stack>_<key>``, the stack
labels, ``<stack>_default``, aliases, ports, mounts, units, ...). Values equal to Go's
zero value are left out, as the CLI's JSON (``omitempty``) leaves them out. Secret and
config references are :class:`FileRef` placeholders: ``ComposeStack`` turns them into
``SwarmSecret.reference(...)`` (or a looked-up external object) with the file name,
uid, gid and mode given here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import FieldValueError
from ..schema import units
from .errors import ComposeError, message
from .load import Project

NAMESPACE_LABEL = "com.docker.stack.namespace"
IMAGE_LABEL = "com.docker.stack.image"
DEFAULT_NETWORK = "default"
_NOT_USER_DEFINED = ("default", "bridge", "host", "none")

Fail = Callable[..., ComposeError]
"""``fail(key, problem, value=None, hint="")``: the error for a key of the service."""


@dataclass(frozen=True)
class FileRef:
    """A service's use of a secret or config: which compose object, and its file."""

    kind: str
    """``secrets`` or ``configs``."""
    source: str
    """The compose name of the object."""
    target: str
    uid: str
    gid: str
    mode: int


@dataclass
class ObjectPlan:
    """A network, secret or config: its engine name, and inputs unless ``external``."""

    name: str
    external: bool
    inputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class StackPlan:
    services: dict[str, dict[str, Any]]
    networks: dict[str, ObjectPlan]
    secrets: dict[str, ObjectPlan]
    configs: dict[str, ObjectPlan]


def plan(project: Project, stack: str) -> StackPlan:
    """Every resource the stack needs, by compose name."""
    used: set[str] = set()
    services = {}
    for name in sorted(project.services):
        services[name] = service_inputs(project, stack, name)
        used.update(project.services[name].get("networks") or {DEFAULT_NETWORK: None})
    networks = {key: _network(project, stack, key) for key in sorted(used)}
    secrets = {key: _file_object(project, stack, "secrets", key) for key in sorted(project.secrets)}
    configs = {key: _file_object(project, stack, "configs", key) for key in sorted(project.configs)}
    return StackPlan(services, networks, secrets, configs)


def scoped(stack: str, key: str) -> str:
    return f"{stack}_{key}"


def with_namespace(stack: str, labels: dict[str, Any] | None) -> dict[str, str]:
    return {**{k: str(v) for k, v in (labels or {}).items()}, NAMESPACE_LABEL: stack}


# --- services ----------------------------------------------------------------------------

def service_inputs(project: Project, stack: str, name: str) -> dict[str, Any]:
    """SwarmService keywords for one compose service."""
    service = project.services[name]
    file = project.file_of(name)
    deploy = service.get("deploy") or {}

    def fail(key: str, problem: str, value: Any = None, hint: str = "") -> ComposeError:
        return ComposeError(message(f"services.{name}.{key}", file, problem, value,
                                    service=name, hint=hint))

    image = service.get("image")
    if not image:
        raise fail("image", "is required (docker stack deploy builds no image)")
    if service.get("oom_score_adj"):
        raise fail("oom_score_adj", "is not supported with Engine API 1.41",
                   service["oom_score_adj"])
    inputs: dict[str, Any] = {
        "name": scoped(stack, name),
        "image": image,
        "labels": {**with_namespace(stack, deploy.get("labels")), IMAGE_LABEL: image},
        "container_labels": with_namespace(stack, service.get("labels")),
        "mode": _mode(deploy, fail),
        "networks": _networks(project, stack, name, fail),
        "env": _environment(service, project),
    }
    inputs.update(_container_inputs(service, fail))
    inputs.update(_task_inputs(project, stack, service, fail))
    inputs.update(_deploy_inputs(service, deploy, fail))
    inputs.update(_placement_inputs(project, service, deploy, fail))
    return inputs


def _container_inputs(service: dict[str, Any], fail: Fail) -> dict[str, Any]:
    """The keys that copy over to the container spec (command, user, hosts, DNS, ...)."""
    inputs: dict[str, Any] = {}
    for key, target in (("entrypoint", "command"), ("command", "args")):
        if service.get(key):
            inputs[target] = list(service[key])
    for key, target in _PLAIN:
        if service.get(key) not in (None, "", False, {}, []):
            inputs[target] = service[key]
    if service.get("init") is not None:
        inputs["init"] = service["init"]
    if service.get("extra_hosts"):
        inputs["hosts"] = [f"{h.partition(':')[2]} {h.partition(':')[0]}"
                           for h in service["extra_hosts"]]
    if service.get("dns") or service.get("dns_search"):
        inputs["dns_config"] = _pruned({"Nameservers": service.get("dns"),
                                        "Search": service.get("dns_search")})
    if service.get("stop_grace_period"):
        inputs["stop_grace_period"] = _ns(service["stop_grace_period"], "stop_grace_period", fail)
    if service.get("healthcheck") is not None:
        inputs["healthcheck"] = _healthcheck(service["healthcheck"], fail)
    return inputs


def _task_inputs(project: Project, stack: str, service: dict[str, Any],
                 fail: Fail) -> dict[str, Any]:
    """Logging, capabilities, ulimits, mounts and the credential spec."""
    inputs: dict[str, Any] = {}
    logging = service.get("logging")
    if logging:
        if logging.get("driver"):
            inputs["log_driver"] = logging["driver"]
        if logging.get("options"):
            inputs["log_driver_options"] = {k: str(v) for k, v in logging["options"].items()}
    cap_add, cap_drop = _capabilities(service.get("cap_add"), service.get("cap_drop"))
    if cap_add:
        inputs["cap_add"] = cap_add
    if cap_drop:
        inputs["cap_drop"] = cap_drop
    if service.get("ulimits"):
        inputs["ulimits"] = _ulimits(service["ulimits"])
    if service.get("volumes"):
        inputs["mounts"] = [_mount(project, stack, v, fail) for v in service["volumes"]]
    credential = service.get("credential_spec") or {}
    if credential:
        if credential.get("config"):
            raise fail("credential_spec.config", "is not supported (Windows gMSA configs)")
        spec = {key.capitalize(): value for key, value in credential.items()}
        inputs["privileges"] = {"CredentialSpec": spec}
    return inputs


def _deploy_inputs(service: dict[str, Any], deploy: dict[str, Any],
                   fail: Fail) -> dict[str, Any]:
    """Ports, resources and the restart policy (``deploy``, or the legacy ``restart``)."""
    inputs: dict[str, Any] = {}
    endpoint = _endpoint(deploy.get("endpoint_mode"), service.get("ports") or [])
    if endpoint:
        inputs["endpoint_spec"] = endpoint
    resources, pids = _resources(deploy.get("resources") or {}, fail)
    if resources:
        inputs["resources"] = resources
    if pids:
        inputs["pids_limit"] = pids
    restart = deploy.get("restart_policy")
    if restart is None and service.get("restart"):
        inputs["restart_policy"] = _legacy_restart(service["restart"], fail)
    if restart is not None:
        inputs["restart_policy"] = _pruned({
            "Condition": restart.get("condition"),
            "Delay": _ns(restart.get("delay"), "deploy.restart_policy.delay", fail),
            "MaxAttempts": restart.get("max_attempts"),
            "Window": _ns(restart.get("window"), "deploy.restart_policy.window", fail),
        })
    return inputs


def _placement_inputs(project: Project, service: dict[str, Any], deploy: dict[str, Any],
                      fail: Fail) -> dict[str, Any]:
    """Placement, update and rollback configs, and the secret and config references."""
    inputs: dict[str, Any] = {}
    placement = deploy.get("placement") or {}
    if placement.get("constraints"):
        inputs["constraints"] = list(placement["constraints"])
    if placement.get("preferences"):
        inputs["preferences"] = [{"Spread": {"SpreadDescriptor": p.get("spread", "")}}
                                 for p in placement["preferences"]]
    if placement.get("max_replicas_per_node"):
        inputs["maxreplicas"] = placement["max_replicas_per_node"]
    for key in ("update_config", "rollback_config"):
        if deploy.get(key) is not None:
            inputs[key] = _update_config(deploy[key], f"deploy.{key}", fail)
    for kind in ("secrets", "configs"):
        refs = [_file_ref(project, kind, ref, fail) for ref in service.get(kind) or []]
        if refs:
            inputs[kind] = refs
    return inputs


_PLAIN = (
    # compose key -> SwarmService keyword, copied as they are.
    ("hostname", "hostname"), ("user", "user"), ("working_dir", "workdir"),
    ("stop_signal", "stop_signal"), ("tty", "tty"), ("stdin_open", "open_stdin"),
    ("read_only", "read_only"), ("isolation", "isolation"), ("sysctls", "sysctls"),
)


def _pruned(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "", 0, [], {}, False)}


def _legacy_restart(restart: str, fail: Any) -> dict[str, Any] | None:
    """``restart:`` when ``deploy.restart_policy`` is absent: docker CLI 28 warns that it
    is unsupported, then converts it all the same (seen on the testbed: ``always`` is
    stored as Condition any), so we do both."""
    policy, _, count = restart.partition(":")
    if policy == "no":
        return None
    if policy in ("always", "unless-stopped") and not count:
        return {"Condition": "any"}
    if policy == "on-failure" and (not count or count.isdigit()):
        return {"Condition": "on-failure", "MaxAttempts": int(count or 0)}
    raise fail("restart", "is not a restart policy (no, always, unless-stopped, "
               "on-failure[:N])", restart)


def _ns(value: Any, key: str, fail: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return units.duration_ns(value)
    except FieldValueError as exc:
        raise fail(key, str(exc), value) from None


def _mode(deploy: dict[str, Any], fail: Any) -> dict[str, Any]:
    mode = deploy.get("mode") or "replicated"
    replicas = deploy.get("replicas")
    if mode in ("global", "global-job") and replicas is not None:
        raise fail("deploy.replicas", "can only be used with replicated or replicated-job mode",
                   replicas)
    if mode == "global":
        return {"Global": {}}
    if mode == "global-job":
        return {"GlobalJob": {}}
    if mode == "replicated-job":
        return {"ReplicatedJob": _pruned({"MaxConcurrent": replicas, "TotalCompletions": replicas})}
    if mode == "replicated":
        return {"Replicated": {} if replicas is None else {"Replicas": replicas}}
    raise fail("deploy.mode", "is not a mode (replicated, global, replicated-job, global-job)",
               mode)


def _networks(project: Project, stack: str, name: str, fail: Any) -> list[dict[str, Any]]:
    attached = project.services[name].get("networks") or {DEFAULT_NETWORK: None}
    result = []
    for key, settings in attached.items():
        if key not in project.networks and key != DEFAULT_NETWORK:
            raise fail(f"networks.{key}", "is not defined in the top-level networks", key)
        target = project.networks.get(key, {}).get("name") or scoped(stack, key)
        settings = settings or {}
        aliases = list(settings.get("aliases") or [])
        if target not in _NOT_USER_DEFINED and not target.startswith("container:"):
            aliases.append(name)
        attachment: dict[str, Any] = {"Target": target}
        if aliases:
            attachment["Aliases"] = aliases
        if settings.get("driver_opts"):
            attachment["DriverOpts"] = {k: str(v) for k, v in settings["driver_opts"].items()}
        result.append(attachment)
    return sorted(result, key=lambda a: a["Target"])


def _environment(service: dict[str, Any], project: Project) -> list[str]:
    """env_file entries then ``environment``; a key without a value takes the variable's
    value from the environment when set (the CLI does the same), sorted."""
    values: dict[str, str | None] = {}
    for path in service.get("env_file") or []:
        for key, value in read_env_file(Path(path)).items():
            values[key] = value
    values.update(service.get("environment") or {})
    result = []
    for key, value in values.items():
        if not value:
            looked_up = project.env.lookup(key)
            value = looked_up if looked_up is not None else value
        result.append(key if value is None else f"{key}={value}")
    return sorted(result)


def read_env_file(path: Path) -> dict[str, str | None]:
    """An ``env_file``, as the docker CLI reads it: values kept verbatim (quotes too),
    ``#`` comments skipped, a bare ``KEY`` left for the environment to fill."""
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise ComposeError(f"env_file ({path}): can't read it: {exc.strerror}") from None
    values: dict[str, str | None] = {}
    for line in lines:
        text = line.lstrip()
        if not text or text.startswith("#"):
            continue
        key, sep, value = text.partition("=")
        values[key] = value if sep else None
    return values


def _healthcheck(health: dict[str, Any], fail: Any) -> dict[str, Any]:
    if health.get("disable"):
        if health.get("test"):
            raise fail("healthcheck", "test and disable can't be set at the same time")
        return {"Test": ["NONE"]}
    return _pruned({
        "Test": health.get("test"),
        "Interval": _ns(health.get("interval"), "healthcheck.interval", fail),
        "Timeout": _ns(health.get("timeout"), "healthcheck.timeout", fail),
        "Retries": health.get("retries"),
        "StartPeriod": _ns(health.get("start_period"), "healthcheck.start_period", fail),
        "StartInterval": _ns(health.get("start_interval"), "healthcheck.start_interval", fail),
    })


def _capability(name: str) -> str:
    upper = name.upper()
    return upper if upper == "ALL" or upper.startswith("CAP_") else f"CAP_{upper}"


def _capabilities(add: list[str] | None, drop: list[str] | None) -> tuple[list[str], list[str]]:
    """Normalised as the CLI does: ``CAP_`` prefix, upper case; ALL in cap_add keeps only
    ALL; a capability both added and dropped is only added."""
    added = sorted({_capability(c) for c in add or []})
    dropped = sorted({_capability(c) for c in drop or []})
    if "ALL" in added:
        added = ["ALL"]
    dropped = [c for c in dropped if c not in added]
    return added, dropped


def _ulimits(ulimits: dict[str, Any]) -> list[dict[str, Any]]:
    result = []
    for name in sorted(ulimits):
        value = ulimits[name]
        soft, hard = (value, value) if isinstance(value, int) else (value["soft"], value["hard"])
        result.append({"Name": name, "Soft": soft, "Hard": hard})
    return result


def _mount(project: Project, stack: str, volume: dict[str, Any], fail: Any) -> dict[str, Any]:
    kind = volume.get("type") or "volume"
    mount: dict[str, Any] = _pruned({"Type": kind, "Target": volume.get("target"),
                                     "ReadOnly": volume.get("read_only"),
                                     "Source": volume.get("source"),
                                     "Consistency": volume.get("consistency")})
    if kind == "volume":
        source = volume.get("source")
        if not source:
            return mount
        if source not in project.volumes:
            raise fail("volumes", "names a volume missing from the top-level volumes", source)
        declared = project.volumes[source]
        mount["Source"] = declared.get("name") or scoped(stack, source)
        options: dict[str, Any] = _pruned({"NoCopy": (volume.get("volume") or {}).get("nocopy"),
                                           "Subpath": (volume.get("volume") or {}).get("subpath")})
        if not declared.get("external"):
            options["Labels"] = with_namespace(stack, declared.get("labels"))
            if declared.get("driver") or declared.get("driver_opts") is not None:
                options["DriverConfig"] = _pruned({
                    "Name": declared.get("driver"),
                    "Options": {k: str(v) for k, v in (declared.get("driver_opts") or {}).items()},
                })
        mount["VolumeOptions"] = options
    elif kind == "bind":
        if volume.get("bind"):
            mount["BindOptions"] = _pruned({"Propagation": volume["bind"].get("propagation")})
    elif kind == "tmpfs":
        if volume.get("source"):
            raise fail("volumes", "a tmpfs mount takes no source", volume["source"])
        if volume.get("tmpfs"):
            mount["TmpfsOptions"] = _pruned({"SizeBytes": volume["tmpfs"].get("size")})
    else:
        raise fail("volumes", "type must be volume, bind or tmpfs here", kind)
    return mount


def _endpoint(mode: str | None, ports: list[dict[str, Any]]) -> dict[str, Any]:
    configs = [_pruned({"Protocol": p.get("protocol") or "tcp", "TargetPort": p.get("target"),
                        "PublishedPort": p.get("published"),
                        "PublishMode": p.get("mode") or "ingress"}) for p in ports]
    # docker/cli sorts by published port alone; its sort keeps the file's order among
    # equal ones (0 for unpublished ports) for lists this short, and Python's is stable.
    configs.sort(key=lambda c: c.get("PublishedPort", 0))
    endpoint: dict[str, Any] = {}
    if mode:
        endpoint["Mode"] = mode.lower()
    if configs:
        endpoint["Ports"] = configs
    return endpoint


def _resources(resources: dict[str, Any], fail: Any) -> tuple[dict[str, Any], int | None]:
    result: dict[str, Any] = {}
    pids = None
    for key, engine_key in (("limits", "Limits"), ("reservations", "Reservations")):
        given = resources.get(key)
        if given is None:
            continue
        values: dict[str, Any] = {}
        where = f"deploy.resources.{key}"
        try:
            if given.get("cpus"):
                values["NanoCPUs"] = units.nano_cpus(str(given["cpus"]))
            if given.get("memory"):
                values["MemoryBytes"] = units.byte_count(given["memory"])
        except FieldValueError as exc:
            raise fail(where, str(exc), given) from None
        if key == "limits":
            pids = given.get("pids") or None
        generic = [{"DiscreteResourceSpec": {"Kind": g["discrete_resource_spec"]["kind"],
                                             "Value": g["discrete_resource_spec"]["value"]}}
                   for g in given.get("generic_resources") or [] if g.get("discrete_resource_spec")]
        if generic:
            values["GenericResources"] = generic
        result[engine_key] = values
    return result, pids


def _update_config(config: dict[str, Any], key: str, fail: Any) -> dict[str, Any]:
    parallelism = config.get("parallelism")
    return {"Parallelism": 1 if parallelism is None else parallelism, **_pruned({
        "Delay": _ns(config.get("delay"), f"{key}.delay", fail),
        "FailureAction": config.get("failure_action"),
        "Monitor": _ns(config.get("monitor"), f"{key}.monitor", fail),
        "MaxFailureRatio": config.get("max_failure_ratio"),
        "Order": config.get("order"),
    })}


def _file_ref(project: Project, kind: str, ref: dict[str, Any], fail: Any) -> FileRef:
    source = ref["source"]
    if source not in getattr(project, kind):
        raise fail(kind, f"names a {kind[:-1]} missing from the top-level {kind}", source)
    mode = ref.get("mode")
    return FileRef(kind, source, ref.get("target") or source, str(ref.get("uid") or "0"),
                   str(ref.get("gid") or "0"), 0o444 if mode is None else int(mode))


# --- networks, secrets, configs ------------------------------------------------------

def _network(project: Project, stack: str, key: str) -> ObjectPlan:
    declared = project.networks.get(key, {})
    name = declared.get("name") or scoped(stack, key)
    if declared.get("external"):
        return ObjectPlan(name, True)
    inputs: dict[str, Any] = {
        "name": name,
        "driver": declared.get("driver") or "overlay",
        "labels": with_namespace(stack, declared.get("labels")),
    }
    if declared.get("driver_opts"):
        inputs["options"] = {k: str(v) for k, v in declared["driver_opts"].items()}
    for flag in ("internal", "attachable"):
        if declared.get(flag):
            inputs[flag] = True
    ipam = declared.get("ipam") or {}
    if ipam.get("driver") or ipam.get("config"):
        inputs["ipam"] = _pruned({"Driver": ipam.get("driver"),
                                  "Config": [{"Subnet": c.get("subnet")}
                                             for c in ipam.get("config") or []]})
    return ObjectPlan(name, False, inputs)


def _file_object(project: Project, stack: str, kind: str, key: str) -> ObjectPlan:
    declared = getattr(project, kind)[key]
    name = declared.get("name") or scoped(stack, key)
    if declared.get("external"):
        return ObjectPlan(name, True)
    where, files = f"{kind}.{key}.file", ", ".join(project.files)
    inputs: dict[str, Any] = {"name": name, "labels": with_namespace(stack, declared.get("labels"))}
    if declared.get("driver"):
        inputs["driver"] = {"Name": declared["driver"],
                            "Options": dict(declared.get("driver_opts") or {})}
        inputs["data"] = ""
    else:
        path = declared.get("file")
        if not path:
            raise ComposeError(message(f"{kind}.{key}", files,
                                       "needs file, driver or external: true"))
        try:
            inputs["data"] = Path(path).read_bytes().decode("utf-8")
        except FileNotFoundError:
            raise ComposeError(message(where, files, "does not exist", path,
                                       hint=f"the {kind[:-1]}'s file is read when the stack "
                                            "is deployed")) from None
        except UnicodeDecodeError:
            raise ComposeError(message(where, files, "is not UTF-8 text", path)) from None
    if declared.get("template_driver"):
        inputs["templating"] = {"Name": declared["template_driver"]}
    return ObjectPlan(name, False, inputs)
