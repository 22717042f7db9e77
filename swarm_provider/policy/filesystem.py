"""What the container may write to: its own root filesystem, and the node's through bind
mounts."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ._support import UNKNOWN, Service, config_schema, service_policy

SENSITIVE_HOST_PATHS = [
    "/var/run/docker.sock", "/run/docker.sock", "/var/lib/docker", "/run/containerd",
    "/etc", "/root", "/boot", "/proc", "/sys", "/dev", r"\\.\pipe\docker_engine",
]
"""Host paths that give a container control of its node (the Docker socket above all).
A mount of a folder that *contains* one of them (``/``, ``/var``) counts too."""

HARMLESS_HOST_PATHS = ["/etc/localtime", "/etc/timezone"]


def _clean(path: str) -> str:
    if path.startswith("\\"):  # a Windows named pipe: compare as written
        return path.lower()
    return posixpath.normpath("/" + path.lstrip("/"))


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _sensitive(source: str, denied: list[str], allowed: list[str]) -> bool:
    path = _clean(source)
    if any(_inside(path, _clean(entry)) for entry in allowed):
        return False
    return any(
        _inside(path, entry) or _inside(entry, path) for entry in (_clean(d) for d in denied)
    )


def check_host_mounts(service: Service) -> Iterator[str]:
    mounts = service.value("mounts")
    if mounts is UNKNOWN or not mounts:
        return
    denied = [str(p) for p in service.setting("deniedHostPaths") or []]
    allowed = [str(p) for p in service.setting("allowedHostPaths") or []]
    bad = [
        f"{m.get('Source')} -> {m.get('Target')}"
        for m in mounts
        if isinstance(m, dict) and m.get("Type") in ("bind", "npipe")
        and isinstance(m.get("Source"), str) and _sensitive(m["Source"], denied, allowed)
    ]
    if bad:
        yield service.message(
            "mounts", f"bind-mounts sensitive host paths ({'; '.join(bad)}); read-only does "
            "not help for the Docker socket, which grants root on the node", mounts,
            "use a named volume or a Swarm config/secret instead; if a tool really needs the "
            "engine, give it a socket proxy that allows only the calls it makes")


def check_read_only(service: Service) -> Iterator[str]:
    read_only = service.value("read_only")
    if read_only is UNKNOWN or read_only is True:
        return
    yield service.message(
        "read_only", "the container's root filesystem is writable", read_only,
        'set read_only=True and mount the paths it writes as tmpfs ({"Type": "tmpfs", '
        '"Target": "/tmp"}) or volumes')


NO_SENSITIVE_HOST_MOUNTS = service_policy(
    "swarm-no-sensitive-host-mounts",
    "Services bind-mount no sensitive host path (the Docker socket, /, /etc, /proc, ...).",
    check_host_mounts,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps="Replace the bind mount with a volume, a config or a secret.",
    schema=config_schema(
        deniedHostPaths={
            "type": "array", "items": {"type": "string"}, "default": SENSITIVE_HOST_PATHS,
            "description": "Host paths no bind mount may expose: the path itself, anything "
                           "under it, or a folder containing it.",
        },
        allowedHostPaths={
            "type": "array", "items": {"type": "string"}, "default": HARMLESS_HOST_PATHS,
            "description": "Exceptions: paths (and anything under them) that may be mounted.",
        },
    ),
)

READ_ONLY_ROOTFS = service_policy(
    "swarm-read-only-rootfs",
    "Services run with a read-only root filesystem.",
    check_read_only,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set read_only=True; mount writable paths as tmpfs or volumes.",
)

POLICIES = [NO_SENSITIVE_HOST_MOUNTS, READ_ONLY_ROOTFS]
