"""Stack policies: what only shows when the stack's resources are looked at together.

Resource policies see one service at a time, so three mistakes reach the engine and fail
``pulumi up`` half-way: two services publishing the same port, two resources claiming
one service name, and a service referencing a network, secret or config that nothing in
the stack declares (a typo, or a name without the stack's ``swarm:namePrefix``). These
policies catch them in the preview.

A stack policy sees each resource's *outputs* (pulumi-policy's ``StackValidationArgs``);
SwarmService outputs carry every input in its canonical Engine form, so the same keys
as the resource policies read. A value still unknown in a preview is never reported: a
port, name or reference that is not known yet is skipped, and so is a whole kind of
reference when one declaring resource's name or id is not known yet (it could be that
one). ``pulumi up`` runs the policies again with known values before anything changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Final

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ..errors import field_message
from ..schema.service import FIELDS_BY_NAME
from ._support import SERVICE_TYPE, UNKNOWN, as_int, config_schema, contains_unknown, plain

NETWORK_TYPE: Final = "pulumi-python:dynamic/swarm:Network"
SECRET_TYPE: Final = "pulumi-python:dynamic/swarm:Secret"
CONFIG_TYPE: Final = "pulumi-python:dynamic/swarm:Config"


@dataclass(frozen=True)
class StackResource:
    """One resource of the stack as a stack policy sees it: plain outputs, no proxies."""

    resource_type: str
    name: str
    urn: str
    props: Mapping[str, Any]

    def value(self, key: str) -> Any:
        """The output ``key``; ``UNKNOWN`` if it (or anything in it) is not known yet."""
        raw = self.props.get(key)
        return UNKNOWN if contains_unknown(raw) else raw

    @property
    def service_name(self) -> Any:
        name = self.value("name")
        return name if isinstance(name, str) or name is UNKNOWN else None

    @property
    def label(self) -> str:
        name = self.service_name
        if isinstance(name, str) and name:
            return f'service "{name}"'
        return f'service of resource "{self.name}"'

    def message(self, field_name: str, problem: str, got: Any, hint: str) -> str:
        """``service "web": <field> (<Engine path>): <problem>; got <value> [<hint>]``."""
        row = FIELDS_BY_NAME[field_name]
        return f"{self.label}: " + field_message(
            field_name, row.engine_path, problem, whole_numbers(got), hint, row.secret)


def whole_numbers(value: Any) -> Any:
    """Protobuf carries every number as a float: show ``8080``, not ``8080.0``."""
    if isinstance(value, Mapping):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    return as_int(value)


def stack_resources(args: StackValidationArgs) -> list[StackResource]:
    found = []
    for resource in args.resources:
        props = plain(resource.props)
        found.append(StackResource(str(resource.resource_type), str(resource.name),
                                   str(resource.urn), props if isinstance(props, dict) else {}))
    return found


def _services(resources: Iterable[StackResource]) -> list[StackResource]:
    """The services, by resource name: Pulumi registers resources concurrently, so the
    stack arrives in any order, and a finding must read the same on every run."""
    return sorted((r for r in resources if r.resource_type == SERVICE_TYPE),
                  key=lambda r: r.name)


Finding = tuple[str, str]
"""(message, urn of the resource it is about)."""


# --- published ports -------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """One published port of a service: what the engine binds, and how."""

    port: int
    protocol: str
    mode: str  # "ingress" (every node) or "host" (the nodes that run a task)

    def __str__(self) -> str:
        return f"{self.port}/{self.protocol} ({self.mode})"


def published_ports(service: StackResource) -> list[Published] | None:
    """The explicitly published ports; ``None`` when the endpoint is not known yet.
    Ports the engine picks (no PublishedPort) never clash: it picks free ones."""
    endpoint = service.value("endpoint_spec")
    if endpoint is UNKNOWN:
        return None
    ports = endpoint.get("Ports") if isinstance(endpoint, Mapping) else None
    found = []
    for port in ports or []:
        if isinstance(port, Mapping) and port.get("PublishedPort"):
            found.append(Published(int(as_int(port["PublishedPort"])),
                                   str(port.get("Protocol") or "tcp"),
                                   str(port.get("PublishMode") or "ingress")))
    return found


def _constraint_terms(constraints: Iterable[Any]) -> list[tuple[str, str, str]]:
    """``node.role==worker`` -> (``node.role``, ``==``, ``worker``); others are skipped."""
    terms = []
    for constraint in constraints:
        text = "".join(str(constraint).split())
        for operator in ("==", "!="):
            key, sep, wanted = text.partition(operator)
            if sep:
                terms.append((key, operator, wanted))
                break
    return terms


def placements_disjoint(first: Iterable[Any], second: Iterable[Any]) -> bool:
    """True when no node can satisfy both constraint lists: one says ``k==a`` and the
    other ``k==b`` (b != a) or ``k!=a``. Anything else may share a node."""
    for key, op, value in _constraint_terms(first):
        for other_key, other_op, other_value in _constraint_terms(second):
            if key != other_key or "==" not in (op, other_op):
                continue
            if op == other_op == "==" and value != other_value:
                return True
            if op != other_op and value == other_value:
                return True
    return False


def _clash(a: Published, b: Published, a_service: StackResource,
           b_service: StackResource) -> bool | None:
    """Whether two published ports collide; ``None`` when that isn't known yet."""
    if (a.port, a.protocol) != (b.port, b.protocol):
        return False
    if "ingress" in (a.mode, b.mode):
        return True  # the routing mesh holds an ingress port on every node
    a_constraints, b_constraints = a_service.value("constraints"), b_service.value("constraints")
    if a_constraints is UNKNOWN or b_constraints is UNKNOWN:
        return None
    return not placements_disjoint(a_constraints or [], b_constraints or [])


def check_port_clashes(resources: list[StackResource]) -> Iterator[Finding]:
    services = [(s, published_ports(s)) for s in _services(resources)]
    known = [(s, ports) for s, ports in services if ports]
    for (a_service, a_ports), (b_service, b_ports) in combinations(known, 2):
        for a in a_ports or []:
            for b in b_ports or []:
                if not _clash(a, b, a_service, b_service):
                    continue
                where = ("on every node (ingress)" if "ingress" in (a.mode, b.mode)
                         else "on the nodes both may run on (host mode, placements overlap)")
                for this, other, mine in ((a_service, b_service, a), (b_service, a_service, b)):
                    yield this.message(
                        "endpoint_spec", f"publishes {mine} like {other.label} (resource "
                        f'"{other.name}") does; both would bind port {mine.port}/'
                        f"{mine.protocol} {where}, so the engine refuses the second or its "
                        "tasks stay pending", this.value("endpoint_spec"),
                        "publish another port, drop PublishedPort to let the engine pick "
                        "one, or (host mode) give the services disjoint constraints",
                    ), this.urn


# --- service names ---------------------------------------------------------------------


def check_duplicate_names(resources: list[StackResource]) -> Iterator[Finding]:
    by_name: dict[str, list[StackResource]] = defaultdict(list)
    for service in _services(resources):
        name = service.service_name
        if isinstance(name, str) and name:
            by_name[name].append(service)
    for name, owners in sorted(by_name.items()):
        if len(owners) < 2:
            continue
        names = ", ".join(f'"{o.name}"' for o in owners)
        for owner in owners:
            yield owner.message(
                "name", f"is also the name of the services of resources {names}; service "
                "names are unique on a swarm, so one create fails (or, with adopt, one "
                "resource takes over the other's service)", name,
                "give each resource its own name (the name input defaults to the resource "
                "name with swarm:namePrefix)"), owner.urn


# --- references ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceKind:
    """One kind of object a service refers to, and how both sides spell it."""

    field: str
    resource_type: str
    resource_class: str
    reference_keys: tuple[str, ...]  # keys of one reference in the service's input
    declared_keys: tuple[str, ...]   # outputs of a declaring resource that may match
    external_setting: str


REFERENCE_KINDS: tuple[ReferenceKind, ...] = (
    ReferenceKind("networks", NETWORK_TYPE, "SwarmNetwork", ("Target",),
                  ("name", "network_id"), "externalNetworks"),
    ReferenceKind("secrets", SECRET_TYPE, "SwarmSecret", ("SecretName", "SecretID"),
                  ("name", "secret_name", "secret_id"), "externalSecrets"),
    ReferenceKind("configs", CONFIG_TYPE, "SwarmConfig", ("ConfigName", "ConfigID"),
                  ("name", "config_name", "config_id"), "externalConfigs"),
)


def _declared(kind: ReferenceKind, resources: list[StackResource]) -> set[str] | None:
    """Names and ids the stack declares for ``kind``; ``None`` if one is not known yet."""
    names: set[str] = set()
    for resource in resources:
        if resource.resource_type != kind.resource_type:
            continue
        values = [resource.value(key) for key in kind.declared_keys]
        name = resource.value("name")
        if not isinstance(name, str) or not name:
            return None  # unknown (or not in the outputs yet): it could be any reference
        names.update(v for v in values if isinstance(v, str) and v)
    return names


def _hint(kind: ReferenceKind, wanted: str, resources: list[StackResource]) -> str:
    """Point at a declared resource whose *resource* name matches (a missing prefix)."""
    for resource in resources:
        engine_name = resource.value("name")
        if (resource.resource_type == kind.resource_type and resource.name == wanted
                and isinstance(engine_name, str)):
            return (f'the {kind.resource_class} "{wanted}" is named "{engine_name}" on the '
                    f"swarm: use its output (e.g. {_usage(kind)}) instead of a string")
    return (f"declare it in the stack ({kind.resource_class}(...) or "
            f"{kind.resource_class}.get(...)) and use its output, or list it in "
            f"{kind.external_setting} of this policy's config if it is managed elsewhere")


def _usage(kind: ReferenceKind) -> str:
    return "networks=[net.name]" if kind.field == "networks" else f"{kind.field}=[x.reference()]"


def check_references(resources: list[StackResource],
                     external: Mapping[str, Iterable[str]]) -> Iterator[Finding]:
    for kind in REFERENCE_KINDS:
        declared = _declared(kind, resources)
        if declared is None:
            continue
        allowed = declared | {str(x) for x in external.get(kind.external_setting) or []}
        for service in _services(resources):
            references = service.value(kind.field)
            if references is UNKNOWN or not isinstance(references, list):
                continue
            for reference in references:
                if not isinstance(reference, Mapping):
                    continue
                spelled = [reference.get(key) for key in kind.reference_keys]
                known = [s for s in spelled if isinstance(s, str) and s]
                if not known or any(s in allowed for s in known):
                    continue
                wanted = known[0]
                yield service.message(
                    kind.field, f"refers to {kind.field[:-1]} {wanted!r}, which no "
                    f"{kind.resource_class} of this stack declares, so the engine may not "
                    "have it", reference, _hint(kind, wanted, resources)), service.urn


# --- the policies ----------------------------------------------------------------------


def _stack_policy(name: str, description: str, check: Any, *, severity: Severity,
                  remediation_steps: str,
                  schema: PolicyConfigSchema | None = None) -> StackValidationPolicy:
    """A mandatory stack policy reporting ``check``'s findings against their resource."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = stack_resources(args)
        findings = (check(resources, args.get_config() or {}) if schema is not None
                    else check(resources))
        for message, urn in findings:
            report_violation(message, urn)

    validate.__name__ = validate.__qualname__ = f"validate_{name.replace('-', '_')}"
    return StackValidationPolicy(
        name=name, description=description, validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY, config_schema=schema,
        severity=severity, remediation_steps=remediation_steps, tags=["swarm"])


def _external_defaults(config: Mapping[str, Any]) -> dict[str, Any]:
    return {kind.external_setting: config.get(kind.external_setting) or []
            for kind in REFERENCE_KINDS}


UNIQUE_PUBLISHED_PORTS = _stack_policy(
    "swarm-unique-published-ports",
    "No two services publish the same port where they would meet: ingress ports anywhere, "
    "host-mode ports on placements that may share a node.",
    check_port_clashes, severity=Severity.HIGH,
    remediation_steps="Publish each port from one service only.")

UNIQUE_SERVICE_NAMES = _stack_policy(
    "swarm-unique-service-names",
    "No two SwarmService resources of the stack have the same service name.",
    check_duplicate_names, severity=Severity.HIGH,
    remediation_steps="Give every SwarmService its own name.")

DECLARED_REFERENCES = _stack_policy(
    "swarm-declared-references",
    "Every network, secret and config a service uses is declared in the stack (a resource "
    "or a .get() lookup) or listed as external in this policy's config.",
    lambda resources, config: check_references(resources, _external_defaults(config)),
    severity=Severity.HIGH,
    remediation_steps="Use the outputs of SwarmNetwork/SwarmSecret/SwarmConfig resources.",
    schema=config_schema(**{
        kind.external_setting: {
            "type": "array", "items": {"type": "string"}, "default": [],
            "description": f"Names or ids of {kind.field} managed outside this stack.",
        } for kind in REFERENCE_KINDS
    }),
)

POLICIES: list[StackValidationPolicy] = [
    UNIQUE_PUBLISHED_PORTS, UNIQUE_SERVICE_NAMES, DECLARED_REFERENCES,
]
