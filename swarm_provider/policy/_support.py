"""What every SwarmService policy shares: matching the resource type, reading inputs that
may be unknown during a preview, reading config with defaults, and the message shape.

A policy is written as a *check*: a pure function from a ``Service`` (the canonical
inputs of one SwarmService plus the policy's config) to the messages it reports.
``service_policy`` turns a check into pulumi-policy's ``validate(args, report_violation)``.

Unknown values: during ``pulumi preview`` an input computed from another resource's
output is unknown. pulumi-policy hands such props over as sentinel strings behind a proxy
that raises ``UnknownValueError`` when touched. ``Service`` copies the props into plain
dicts and lists up front, replacing every unknown with ``UNKNOWN``, so no check can
trip over one. A field holding an unknown is also *not canonical* (``check`` passes it
through raw), so ``Service.value`` reports the whole field as ``UNKNOWN`` and checks skip
it; ``pulumi up`` runs the policies again with known values before the service is
created, so a skipped check still blocks a bad deployment there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pulumi.output import Unknown
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

from ..errors import field_message
from ..resources.service import SwarmService
from ..schema.service import FIELDS_BY_NAME

SERVICE_TYPE: Final = f"pulumi-python:{SwarmService._resource_type_name}"
"""The Pulumi type of SwarmService: ``pulumi-python:dynamic/swarm:Service``."""

_SENTINELS = frozenset({
    UNKNOWN_BOOLEAN_VALUE, UNKNOWN_NUMBER_VALUE, UNKNOWN_STRING_VALUE, UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE, UNKNOWN_ARCHIVE_VALUE, UNKNOWN_OBJECT_VALUE,
})


class _Unknown:
    """A value that is not known yet (preview). A singleton: compare with ``is``."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()


def is_unknown(value: Any) -> bool:
    """True for an unknown in any of the shapes it may arrive in."""
    return (
        value is UNKNOWN
        or isinstance(value, Unknown)
        or (isinstance(value, str) and value in _SENTINELS)
    )


def plain(value: Any) -> Any:
    """A plain copy of a (proxied) prop: dicts, lists and scalars; unknowns -> ``UNKNOWN``."""
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        for key in list(value):
            try:
                out[key] = plain(value[key])
            except UnknownValueError:
                out[key] = UNKNOWN
        return out
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        items: list[Any] = []
        for index in range(len(value)):
            try:
                items.append(plain(value[index]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def contains_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(contains_unknown(k) or contains_unknown(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


def as_int(value: Any) -> Any:
    """Numbers come through protobuf as floats (80.0); show and compare them as ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass(frozen=True)
class Service:
    """One SwarmService as a policy sees it: canonical inputs and the policy's config."""

    resource_name: str
    props: Mapping[str, Any]
    config: Mapping[str, Any] = field(default_factory=dict)
    schema: PolicyConfigSchema | None = None

    @classmethod
    def from_args(cls, args: ResourceValidationArgs,
                  schema: PolicyConfigSchema | None = None) -> Service:
        props = plain(args.props)
        config = plain(args.get_config() or {})
        return cls(str(args.name), props if isinstance(props, dict) else {}, config, schema)

    @property
    def label(self) -> str:
        """How messages name the service: ``service "web"``."""
        name = self.props.get("name")
        if isinstance(name, str) and name:
            return f'service "{name}"'
        return f'service of resource "{self.resource_name}" (name not known yet)'

    def value(self, name: str) -> Any:
        """The canonical value of input ``name``; ``None`` if unset, ``UNKNOWN`` if the
        value (or anything inside it) is not known yet."""
        raw = self.props.get(name)
        return UNKNOWN if contains_unknown(raw) else raw

    def raw(self, name: str) -> Any:
        """The input as it came, with ``UNKNOWN`` where a part is not known (then it may
        be in any form the user wrote, not the canonical one)."""
        return self.props.get(name)

    def setting(self, key: str) -> Any:
        """A config value, or the default from the policy's schema (the CLI fills in
        defaults too; tests calling ``validate`` directly rely on this)."""
        if key in self.config and self.config[key] is not None:
            return self.config[key]
        if self.schema is None or key not in self.schema.properties:
            raise KeyError(f"policy has no config property {key!r}")
        return self.schema.properties[key].get("default")

    def mode_kind(self) -> Any:
        """``Replicated``, ``Global``, ``ReplicatedJob``, ``GlobalJob`` or ``UNKNOWN``."""
        mode = self.value("mode")
        if mode is UNKNOWN:
            return UNKNOWN
        if not isinstance(mode, Mapping) or len(mode) != 1:
            return "Replicated"  # unset: the engine's default, 1 replica
        return next(iter(mode))

    def message(self, field_name: str, problem: str, got: Any, hint: str) -> str:
        """``service "web": <field> (<Engine path>): <problem>; got <value> [<hint>]``."""
        row = FIELDS_BY_NAME[field_name]
        shown = None if got is UNKNOWN else got
        return f"{self.label}: " + field_message(
            field_name, row.engine_path, problem, shown, hint, row.secret
        )


Check = Callable[[Service], Iterable[str]]
"""A policy's logic: the messages for one service (none when it complies)."""


def config_schema(**properties: dict[str, Any]) -> PolicyConfigSchema | None:
    """A schema from JSON-schema snippets; each must carry its ``default``."""
    for key, spec in properties.items():
        if "default" not in spec:
            raise ValueError(f"config property {key!r} needs a default")
    return PolicyConfigSchema(properties=dict(properties)) if properties else None


def service_policy(
    name: str,
    description: str,
    check: Check,
    *,
    enforcement_level: EnforcementLevel,
    severity: Severity,
    remediation_steps: str,
    schema: PolicyConfigSchema | None = None,
) -> ResourceValidationPolicy:
    """A pulumi-policy resource policy running ``check`` on every SwarmService."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type != SERVICE_TYPE:
            return
        for message in check(Service.from_args(args, schema)):
            report_violation(message, None)

    validate.__name__ = validate.__qualname__ = f"validate_{name.replace('-', '_')}"
    validate.__doc__ = description
    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement_level,
        config_schema=schema,
        severity=severity,
        remediation_steps=remediation_steps,
        tags=["swarm"],
    )
