"""The service's cross-field rules: what no single row's normaliser can see.

Each rule is a pure function of the canonical inputs that reports what it finds to a
``Report`` (pulumi-policy's ``report_violation`` shape), so a rule reads as the sentence it
checks. Values still unknown in a preview read as unset here: checked again once known.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pulumi.runtime.rpc import contains_unknowns

from ..errors import field_message
from ..schema.normalise import mode_kind
from ..schema.service import FIELDS_BY_NAME, OWNER_LABEL
from ..schema.units import duration_ns

_SERVICE_NAME = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9-_]*[a-zA-Z0-9])?$")
_MIN_NANO_CPUS = {"Reservations": 1_000_000, "Limits": 10_000_000}
"""The engine refuses less than 0.001 CPU; a limit below 0.01 CPU passes the engine but
the kernel's CFS quota minimum (1 ms per 100 ms period) keeps the task from starting."""
_MIN_MEMORY = 4 * 1024 * 1024
_CONSTRAINT = re.compile(r"^\s*[A-Za-z0-9_.\-]+\s*(==|!=)\s*\S.*$")
_IMAGE = re.compile(r"^[^\s]+$")
_IMAGE_REPOSITORY = re.compile(
    r"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*"
    r"(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9+._-]*:[0-9a-zA-Z=_-]+)?$")
_MILLISECOND = 1_000_000
_DURATIONS = (
    ("stop_grace_period", ()),
    ("update_config", ("Delay",)), ("update_config", ("Monitor",)),
    ("rollback_config", ("Delay",)), ("rollback_config", ("Monitor",)),
    ("restart_policy", ("Delay",)), ("restart_policy", ("Window",)),
)
"""Durations outside the healthcheck, where less than 1 ms is never meant: docker-py takes
nanoseconds, so ``stop_grace_period=10`` is 10 ns (the healthcheck has its own minimum)."""

Failures = list[tuple[str, str]]
_WHOLE = object()


class Report:
    """Collects (field, message) failures in the one message shape; secrets redacted."""

    def __init__(self, canonical: Mapping[str, Any], hidden: frozenset[str]) -> None:
        self.canonical = canonical
        self.hidden = hidden
        self.failures: Failures = []

    def known(self, name: str) -> Any:
        """The canonical value, or None while it is unknown (a preview)."""
        value = self.canonical.get(name)
        return None if contains_unknowns(value) else value

    def __call__(self, name: str, problem: str, hint: str = "", value: Any = _WHOLE) -> None:
        """Report ``problem`` with ``name``; the message quotes ``value`` (default: the
        input's whole canonical value)."""
        row = FIELDS_BY_NAME[name]
        shown = self.canonical.get(name) if value is _WHOLE else value
        self.failures.append((name, field_message(name, row.engine_path, problem, shown, hint,
                                                  row.secret or name in self.hidden)))


def name_is_a_dns_label(report: Report) -> None:
    name = report.canonical.get("name")
    if name is None:
        report("name", "is required")
    elif not contains_unknowns(name):
        if len(name) > 63:
            report("name", "must be 63 characters or fewer")
        elif not _SERVICE_NAME.match(name):
            report("name", "must be valid as a DNS name component", "letters, digits and -")


def image_is_a_reference(report: Report) -> None:
    image = report.known("image")
    if report.canonical.get("image") is None:
        report("image", "is required")
    elif image is not None and not (_IMAGE.match(image) and _IMAGE_REPOSITORY.match(image)):
        report("image", "is not a valid image reference",
               "repository[:tag][@sha256:digest], lower-case repository, no spaces")


def constraints_compare(report: Report) -> None:
    bad = [c for c in report.known("constraints") or [] if not _CONSTRAINT.match(c)]
    if bad:
        report("constraints", "a constraint is <attribute> == <value> or <attribute> != <value>",
               'e.g. "node.role==worker" (two "=")', value=bad[0])


def owner_label_is_ours(report: Report) -> None:
    if OWNER_LABEL in (report.known("labels") or {}):
        report("labels", f"the label {OWNER_LABEL} is set by swarm_provider",
               "it names the Pulumi resource that owns the service; remove it")


def durations_are_not_nanoseconds_by_mistake(report: Report) -> None:
    for name, path in _DURATIONS:
        value = report.known(name)
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        nanoseconds = duration_ns(value) if isinstance(value, (int, str)) else None
        if nanoseconds is not None and 0 < nanoseconds < _MILLISECOND:
            where = f"{path[0]} " if path else ""
            report(name, f"{where}is {nanoseconds} ns, below 1 ms",
                   f'a number is nanoseconds (docker-py); write "{nanoseconds}s" for '
                   f"{nanoseconds} seconds", value=nanoseconds)


def log_options_need_a_driver(report: Report) -> None:
    if report.known("log_driver_options") and report.canonical.get("log_driver") is None:
        report("log_driver_options", "needs log_driver", "set log_driver, e.g. json-file")


def mode_allows_the_rest(report: Report) -> None:
    mode = report.known("mode")
    kind = mode_kind(mode) if mode else "Replicated"
    if kind.endswith("Job"):
        for key in ("update_config", "rollback_config"):
            if report.known(key) is not None:
                report(key, f"is not allowed for {kind} services", "jobs have no rolling updates")
    if kind in ("Global", "GlobalJob") and report.known("maxreplicas"):
        report("maxreplicas", f"only applies to replicated services, not {kind}")


def resources_are_enough_to_start(report: Report) -> None:
    resources = report.known("resources") or {}
    for part in ("Limits", "Reservations"):
        block = resources.get(part, {})
        cpus, memory = block.get("NanoCPUs"), block.get("MemoryBytes")
        minimum = _MIN_NANO_CPUS[part]
        if cpus is not None and cpus < minimum:
            why = "" if part == "Reservations" else " (the kernel's minimum CPU quota)"
            report("resources",
                   f"{part}.NanoCPUs must be at least {minimum / 1e9:g} CPU ({minimum}){why}",
                   'NanoCPUs: 1e9 = 1 CPU; "0.5" means half a CPU')
        if memory is not None and memory < _MIN_MEMORY:
            report("resources", f"{part}.MemoryBytes must be at least 4MiB", 'e.g. "64m"')


def dnsrr_publishes_no_ingress_port(report: Report) -> None:
    endpoint = report.known("endpoint_spec") or {}
    if endpoint.get("Mode") == "dnsrr" and any(
        p.get("PublishMode") == "ingress" for p in endpoint.get("Ports", [])
    ):
        report("endpoint_spec", "ports published in ingress mode can't be used with dnsrr",
               'publish with PublishMode "host"')


SERVICE_RULES: tuple[Callable[[Report], None], ...] = (
    name_is_a_dns_label, image_is_a_reference, constraints_compare, owner_label_is_ours,
    durations_are_not_nanoseconds_by_mistake, log_options_need_a_driver,
    mode_allows_the_rest, resources_are_enough_to_start, dnsrr_publishes_no_ingress_port,
)


def service_failures(canonical: Mapping[str, Any],
                     hidden: frozenset[str] = frozenset()) -> Failures:
    """Every cross-field failure of a service's canonical inputs."""
    report = Report(canonical, hidden)
    for rule in SERVICE_RULES:
        rule(report)
    return report.failures
