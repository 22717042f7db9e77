"""Static types of the nested inputs and of the outputs, for users' type checkers.

Every nested input of ``SwarmService`` has a ``TypedDict`` here (``total=False``: every key
is optional, as in the Engine API). Each holds the keys its declared structure accepts
(``schema.struct.Struct``), in both spellings it reads: Engine case (``"FailureAction"``,
as ``docker service inspect`` prints it and as ``docker.types`` objects hold it) and snake
case (``"failure_action"``, docker-py's keywords). A misspelt key or a wrong value type is
then a mypy/pyright error in the user's program, before any preview; ``docker.types``
objects stay accepted (docker ships no type information, so to a type checker they are
``Any``).

They are written out by hand, so that an editor shows them as they are; a unit test
(tests/unit/test_types.py) compares each with its structure's declaration, so the two
can't drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypedDict

import pulumi

Duration = int | str
"""Nanoseconds (as docker-py) or a Go duration string: ``"10s"``, ``"1m30s"``."""
Bytes = int | str
"""Bytes, or a size string: ``"64m"``, ``"1g"``."""
Cpus = int | float | str
"""NanoCPUs as an int (``500_000_000``), or CPUs as a string: ``"0.5"``."""


class UpdateConfig(TypedDict, total=False):
    """``update_config`` and ``rollback_config`` (Engine ``UpdateConfig``)."""

    parallelism: pulumi.Input[int]
    delay: pulumi.Input[Duration]
    failure_action: pulumi.Input[Literal["pause", "continue", "rollback"]]
    monitor: pulumi.Input[Duration]
    max_failure_ratio: pulumi.Input[float]
    order: pulumi.Input[Literal["stop-first", "start-first"]]
    Parallelism: pulumi.Input[int]
    Delay: pulumi.Input[Duration]
    FailureAction: pulumi.Input[Literal["pause", "continue", "rollback"]]
    Monitor: pulumi.Input[Duration]
    MaxFailureRatio: pulumi.Input[float]
    Order: pulumi.Input[Literal["stop-first", "start-first"]]


class RestartPolicy(TypedDict, total=False):
    """``restart_policy`` (Engine ``TaskTemplate.RestartPolicy``)."""

    condition: pulumi.Input[Literal["none", "on-failure", "any"]]
    delay: pulumi.Input[Duration]
    max_attempts: pulumi.Input[int]
    window: pulumi.Input[Duration]
    Condition: pulumi.Input[Literal["none", "on-failure", "any"]]
    Delay: pulumi.Input[Duration]
    MaxAttempts: pulumi.Input[int]
    Window: pulumi.Input[Duration]


class GenericResourceValue(TypedDict, total=False):
    """The body of ``{"DiscreteResourceSpec": {...}}`` / ``{"NamedResourceSpec": {...}}``."""

    Kind: pulumi.Input[str]
    Value: pulumi.Input[int | str]


GenericResources = Sequence[Mapping[str, GenericResourceValue]] | Mapping[str, int | str]
"""A list of Engine generic resources, or docker-py's ``{kind: count | name}``."""


class ResourceSpec(TypedDict, total=False):
    """``Limits`` or ``Reservations`` of ``resources`` (GenericResources: reservations only)."""

    nano_cpus: pulumi.Input[Cpus]
    memory_bytes: pulumi.Input[Bytes]
    pids: pulumi.Input[int]
    generic_resources: pulumi.Input[GenericResources]
    NanoCPUs: pulumi.Input[Cpus]
    MemoryBytes: pulumi.Input[Bytes]
    Pids: pulumi.Input[int]
    GenericResources: pulumi.Input[GenericResources]


class Resources(TypedDict, total=False):
    """``resources``: Engine ``Limits``/``Reservations``, or docker.types.Resources' keywords."""

    limits: pulumi.Input[ResourceSpec]
    reservations: pulumi.Input[ResourceSpec]
    Limits: pulumi.Input[ResourceSpec]
    Reservations: pulumi.Input[ResourceSpec]
    cpu_limit: pulumi.Input[Cpus]
    mem_limit: pulumi.Input[Bytes]
    cpu_reservation: pulumi.Input[Cpus]
    mem_reservation: pulumi.Input[Bytes]
    generic_resources: pulumi.Input[GenericResources]


class Healthcheck(TypedDict, total=False):
    """``healthcheck``: a string ``test`` runs in a shell; durations at least 1 ms."""

    test: pulumi.Input[str | Sequence[str]]
    interval: pulumi.Input[Duration]
    timeout: pulumi.Input[Duration]
    retries: pulumi.Input[int]
    start_period: pulumi.Input[Duration]
    Test: pulumi.Input[str | Sequence[str]]
    Interval: pulumi.Input[Duration]
    Timeout: pulumi.Input[Duration]
    Retries: pulumi.Input[int]
    StartPeriod: pulumi.Input[Duration]


Protocol = Literal["tcp", "udp", "sctp"]
PublishMode = Literal["ingress", "host"]


class PortConfig(TypedDict, total=False):
    """One published port of ``endpoint_spec`` (``TargetPort`` is required)."""

    name: pulumi.Input[str]
    protocol: pulumi.Input[Protocol]
    target_port: pulumi.Input[int]
    published_port: pulumi.Input[int]
    publish_mode: pulumi.Input[PublishMode]
    Name: pulumi.Input[str]
    Protocol: pulumi.Input[Protocol]
    TargetPort: pulumi.Input[int]
    PublishedPort: pulumi.Input[int]
    PublishMode: pulumi.Input[PublishMode]


PortTarget = int | tuple[int, str] | tuple[int, str, str]
PortMap = Mapping[str, PortTarget] | Mapping[int, PortTarget]
"""docker-py's ports form: ``{published: target}`` or ``{published: (target, proto, mode)}``.
Pulumi carries inputs as protobuf Structs, whose keys are strings: ``{"8080": 80}``
always serialises; ``docker.types.EndpointSpec(ports={8080: 80})`` turns the map into a
list first."""


class EndpointSpec(TypedDict, total=False):
    """``endpoint_spec``: the endpoint mode and the published ports."""

    mode: pulumi.Input[Literal["vip", "dnsrr"]]
    ports: pulumi.Input[Sequence[pulumi.Input[PortConfig]] | PortMap]
    Mode: pulumi.Input[Literal["vip", "dnsrr"]]
    Ports: pulumi.Input[Sequence[pulumi.Input[PortConfig]] | PortMap]


class ReplicatedMode(TypedDict, total=False):
    Replicas: pulumi.Input[int]


class ReplicatedJobMode(TypedDict, total=False):
    MaxConcurrent: pulumi.Input[int]
    TotalCompletions: pulumi.Input[int]


class EmptyMode(TypedDict, total=False):
    """``Global`` and ``GlobalJob`` take no settings."""


ModeKind = Literal["replicated", "global", "replicated-job", "global-job"]


class ServiceMode(TypedDict, total=False):
    """``mode``: ``{"mode": "replicated", "replicas": 3}`` (docker.types.ServiceMode's
    keywords) or one Engine kind (``{"Replicated": {"Replicas": 3}}``)."""

    mode: pulumi.Input[ModeKind]
    replicas: pulumi.Input[int]
    concurrency: pulumi.Input[int]
    Replicated: pulumi.Input[ReplicatedMode]
    Global: pulumi.Input[EmptyMode]
    ReplicatedJob: pulumi.Input[ReplicatedJobMode]
    GlobalJob: pulumi.Input[EmptyMode]
    replicated: pulumi.Input[ReplicatedMode]
    """The lower-case kinds are what ``dict(docker.types.ServiceMode(...))`` holds."""
    replicated_job: pulumi.Input[ReplicatedJobMode]
    global_job: pulumi.Input[EmptyMode]


class BindOptions(TypedDict, total=False):
    Propagation: pulumi.Input[str]
    NonRecursive: pulumi.Input[bool]
    CreateMountpoint: pulumi.Input[bool]
    ReadOnlyNonRecursive: pulumi.Input[bool]
    ReadOnlyForceRecursive: pulumi.Input[bool]


class DriverConfig(TypedDict, total=False):
    Name: pulumi.Input[str]
    Options: pulumi.Input[Mapping[str, str]]


class VolumeOptions(TypedDict, total=False):
    NoCopy: pulumi.Input[bool]
    Labels: pulumi.Input[Mapping[str, str]]
    DriverConfig: pulumi.Input[DriverConfig]
    Subpath: pulumi.Input[str]


class TmpfsOptions(TypedDict, total=False):
    SizeBytes: pulumi.Input[Bytes]
    Mode: pulumi.Input[int]


MountType = Literal["bind", "volume", "tmpfs", "npipe"]


class Mount(TypedDict, total=False):
    """One of ``mounts`` (besides ``"source:target[:ro|rw]"`` strings): Engine keys or
    docker.types.Mount's keywords (``target``, ``read_only``, ``tmpfs_size``, ...)."""

    Target: pulumi.Input[str]
    Source: pulumi.Input[str]
    Type: pulumi.Input[MountType]
    ReadOnly: pulumi.Input[bool]
    Consistency: pulumi.Input[str]
    BindOptions: pulumi.Input[BindOptions]
    VolumeOptions: pulumi.Input[VolumeOptions]
    TmpfsOptions: pulumi.Input[TmpfsOptions]
    target: pulumi.Input[str]
    source: pulumi.Input[str]
    type: pulumi.Input[MountType]
    read_only: pulumi.Input[bool]
    consistency: pulumi.Input[str]
    bind_options: pulumi.Input[BindOptions]
    volume_options: pulumi.Input[VolumeOptions]
    tmpfs_options: pulumi.Input[TmpfsOptions]
    propagation: pulumi.Input[str]
    no_copy: pulumi.Input[bool]
    labels: pulumi.Input[Mapping[str, str]]
    driver_config: pulumi.Input[DriverConfig]
    tmpfs_size: pulumi.Input[Bytes]
    tmpfs_mode: pulumi.Input[int]
    subpath: pulumi.Input[str]
    """docker.types.Mount's keyword for VolumeOptions.Subpath (Engine API 1.45+)."""


class FileTarget(TypedDict, total=False):
    """Where a secret or config appears in the container."""

    Name: pulumi.Input[str]
    UID: pulumi.Input[str | int]
    GID: pulumi.Input[str | int]
    Mode: pulumi.Input[int]


class SecretReference(TypedDict, total=False):
    """One of ``secrets``: what ``SwarmSecret.reference()`` returns, an Engine dict or
    docker.types.SecretReference's keywords. Id and name are both required."""

    SecretID: pulumi.Input[str]
    SecretName: pulumi.Input[str]
    File: pulumi.Input[FileTarget]
    secret_id: pulumi.Input[str]
    secret_name: pulumi.Input[str]
    file: pulumi.Input[FileTarget]
    filename: pulumi.Input[str]
    uid: pulumi.Input[str | int]
    gid: pulumi.Input[str | int]
    mode: pulumi.Input[int]


class ConfigReference(TypedDict, total=False):
    """One of ``configs``, like SecretReference (plus ``Runtime``, for credential specs)."""

    ConfigID: pulumi.Input[str]
    ConfigName: pulumi.Input[str]
    File: pulumi.Input[FileTarget]
    Runtime: pulumi.Input[Mapping[str, Any]]
    config_id: pulumi.Input[str]
    config_name: pulumi.Input[str]
    file: pulumi.Input[FileTarget]
    runtime: pulumi.Input[Mapping[str, Any]]
    filename: pulumi.Input[str]
    uid: pulumi.Input[str | int]
    gid: pulumi.Input[str | int]
    mode: pulumi.Input[int]


class DNSConfig(TypedDict, total=False):
    """``dns_config``: resolver settings of the containers."""

    nameservers: pulumi.Input[Sequence[str]]
    search: pulumi.Input[Sequence[str]]
    options: pulumi.Input[Sequence[str]]
    Nameservers: pulumi.Input[Sequence[str]]
    Search: pulumi.Input[Sequence[str]]
    Options: pulumi.Input[Sequence[str]]


class CredentialSpec(TypedDict, total=False):
    Config: pulumi.Input[str]
    File: pulumi.Input[str]
    Registry: pulumi.Input[str]
    config: pulumi.Input[str]
    file: pulumi.Input[str]
    registry: pulumi.Input[str]


class SELinuxContext(TypedDict, total=False):
    Disable: pulumi.Input[bool]
    User: pulumi.Input[str]
    Role: pulumi.Input[str]
    Type: pulumi.Input[str]
    Level: pulumi.Input[str]
    disable: pulumi.Input[bool]
    user: pulumi.Input[str]
    role: pulumi.Input[str]
    type: pulumi.Input[str]
    level: pulumi.Input[str]


class Privileges(TypedDict, total=False):
    """``privileges``: Engine keys or docker.types.Privileges' keywords."""

    CredentialSpec: pulumi.Input[CredentialSpec]
    SELinuxContext: pulumi.Input[SELinuxContext]
    NoNewPrivileges: pulumi.Input[bool]
    credential_spec: pulumi.Input[CredentialSpec]
    selinux_context: pulumi.Input[SELinuxContext]
    no_new_privileges: pulumi.Input[bool]
    credentialspec_file: pulumi.Input[str]
    credentialspec_registry: pulumi.Input[str]
    selinux_disable: pulumi.Input[bool]
    selinux_user: pulumi.Input[str]
    selinux_role: pulumi.Input[str]
    selinux_type: pulumi.Input[str]
    selinux_level: pulumi.Input[str]


class Ulimit(TypedDict, total=False):
    """One of ``ulimits`` in list form (``{"nofile": 1024}`` or ``[soft, hard]`` work too)."""

    Name: pulumi.Input[str]
    Soft: pulumi.Input[int]
    Hard: pulumi.Input[int]
    name: pulumi.Input[str]
    soft: pulumi.Input[int]
    hard: pulumi.Input[int]


class UlimitLimits(TypedDict, total=False):
    Soft: pulumi.Input[int]
    Hard: pulumi.Input[int]
    soft: pulumi.Input[int]
    hard: pulumi.Input[int]


UlimitMap = Mapping[str, int | Sequence[int] | UlimitLimits]


class SpreadOver(TypedDict, total=False):
    SpreadDescriptor: pulumi.Input[str]
    spread_descriptor: pulumi.Input[str]


class PlacementPreference(TypedDict, total=False):
    """One of ``preferences`` (``("spread", "node.labels.zone")`` and ``"spread=..."`` too)."""

    Spread: pulumi.Input[SpreadOver]
    spread: pulumi.Input[SpreadOver]


class NetworkAttachment(TypedDict, total=False):
    """One of ``networks`` (besides a name or id)."""

    Target: pulumi.Input[str]
    Aliases: pulumi.Input[Sequence[str]]
    DriverOpts: pulumi.Input[Mapping[str, str]]
    target: pulumi.Input[str]
    aliases: pulumi.Input[Sequence[str]]
    driver_opts: pulumi.Input[Mapping[str, str]]
    options: pulumi.Input[Mapping[str, str]]


class Platform(TypedDict, total=False):
    """One of ``platforms`` (besides ``(arch, os)`` tuples and ``"os/arch"`` strings)."""

    Architecture: pulumi.Input[str]
    OS: pulumi.Input[str]
    architecture: pulumi.Input[str]
    os: pulumi.Input[str]


NESTED_INPUTS: dict[str, type] = {
    "update_config": UpdateConfig,
    "rollback_config": UpdateConfig,
    "restart_policy": RestartPolicy,
    "resources": Resources,
    "healthcheck": Healthcheck,
    "endpoint_spec": EndpointSpec,
    "mode": ServiceMode,
    "mounts": Mount,
    "secrets": SecretReference,
    "configs": ConfigReference,
    "dns_config": DNSConfig,
    "privileges": Privileges,
    "ulimits": Ulimit,
    "preferences": PlacementPreference,
    "networks": NetworkAttachment,
    "platforms": Platform,
}
"""The TypedDict of every field-table row whose value is (or holds) a mapping."""


# --- outputs -----------------------------------------------------------------------------


class PublishedPort(TypedDict, total=False):
    """A port as the engine publishes it (engine-assigned ``PublishedPort`` included)."""

    Name: str
    Protocol: str
    TargetPort: int
    PublishedPort: int
    PublishMode: str


class VirtualIP(TypedDict, total=False):
    NetworkID: str
    Addr: str


class EndpointOut(TypedDict, total=False):
    """The ``endpoint`` output: what the engine published, and the virtual IPs."""

    Ports: list[PublishedPort]
    VirtualIPs: list[VirtualIP]


class FileReferenceOut(TypedDict, total=False):
    """What ``SwarmSecret.reference()``/``SwarmConfig.reference()`` resolve to."""

    SecretID: str
    SecretName: str
    ConfigID: str
    ConfigName: str
    File: FileTarget
