"""What the container may do to its node: kernel capabilities, SELinux, the user it runs as."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from ._support import UNKNOWN, Service, config_schema, service_policy

DANGEROUS_CAPABILITIES = [
    "ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO",
    "DAC_READ_SEARCH", "BPF",
]
"""Each of these lets a container escape to, or take over networking of, its node."""


def capability_name(name: str) -> str:
    """``cap_sys_admin`` and ``SYS_ADMIN`` are the same capability: ``SYS_ADMIN``."""
    upper = name.strip().upper()
    return upper.removeprefix("CAP_")


def check_capabilities(service: Service) -> Iterator[str]:
    added = service.value("cap_add")
    if added is UNKNOWN or not added:
        return
    denied = {capability_name(str(c)) for c in service.setting("deniedCapabilities") or []}
    bad = sorted({str(c) for c in added if capability_name(str(c)) in denied})
    if bad:
        yield service.message(
            "cap_add", f"adds dangerous capabilities {', '.join(bad)}", added,
            "remove them from cap_add and grant the narrowest capability the process needs "
            "(e.g. NET_BIND_SERVICE); better still, cap_drop=[\"ALL\"] and add back only that")


def check_selinux(service: Service) -> Iterator[str]:
    privileges = service.value("privileges")
    if privileges is UNKNOWN or not isinstance(privileges, dict):
        return
    selinux = privileges.get("SELinuxContext") or {}
    if isinstance(selinux, dict) and selinux.get("Disable") is True:
        yield service.message(
            "privileges", "disables SELinux separation for the containers", privileges,
            "remove selinux_disable / SELinuxContext.Disable; if the process needs more "
            "access, give it a label (SELinuxContext Type/Level) instead")


_ROOT = {"root", "0"}


def check_non_root(service: Service) -> Iterator[str]:
    user = service.value("user")
    if user is UNKNOWN:
        return
    hint = ('set user="10001:10001" (or the image\'s unprivileged user by name), and make '
            "files the process writes owned by that uid")
    if user is None:
        yield service.message(
            "user", "is not set, so the process runs as the image's USER, which is root "
            "unless the image says otherwise", user, hint)
    elif str(user).partition(":")[0].strip() in _ROOT:
        yield service.message("user", "runs the process as root", user, hint)


NO_DANGEROUS_CAPABILITIES = service_policy(
    "swarm-no-dangerous-capabilities",
    "Services add no dangerous kernel capabilities (SYS_ADMIN, NET_ADMIN, ALL, ...).",
    check_capabilities,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Drop the capability from cap_add; grant a narrower one if needed.",
    schema=config_schema(
        deniedCapabilities={
            "type": "array", "items": {"type": "string"}, "default": DANGEROUS_CAPABILITIES,
            "description": "Capabilities cap_add may not contain (X and CAP_X both match).",
        },
    ),
)

SELINUX_ENABLED = service_policy(
    "swarm-selinux-enabled",
    "Services keep SELinux separation (privileges.SELinuxContext.Disable is not set).",
    check_selinux,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Remove SELinuxContext.Disable from privileges.",
)

NON_ROOT_USER = service_policy(
    "swarm-non-root-user",
    "Services run as an explicit non-root user.",
    check_non_root,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set user to an unprivileged uid[:gid] or user name.",
)

POLICIES = [NO_DANGEROUS_CAPABILITIES, SELINUX_ENABLED, NON_ROOT_USER]
