"""Check inputs before any engine call: normalise every row and apply cross-field rules.

Runs in ``check`` (also during ``pulumi preview`` with no swarm reachable). Values still
unknown in a preview are passed through untouched. Every failure uses the one message
shape from ``errors.field_message``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pulumi.runtime.rpc import contains_unknowns

from ..errors import FieldValueError, ValidationError, field_message, show_value
from ..resources.inputs import secret_names
from ..schema.normalise import mode_kind
from ..schema.service import FIELDS, FIELDS_BY_NAME, OWNER_LABEL
from ..schema.table import Field, Rows, Table
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


def unknown_keys(raw: Mapping[str, Any], known: frozenset[str],
                 hidden: frozenset[str] = frozenset()) -> Failures:
    """A failure for every key no row or option knows, so a typo never goes unnoticed
    (keys starting ``__`` are Pulumi's own)."""
    return [(key, f"{key}: unknown input; got {show_value(raw[key], key in hidden)} "
                  "[see the docs]")
            for key in raw if key not in known and not key.startswith("__")]


def normalise_each(raw: Mapping[str, Any], rows: Rows,
                   hidden: frozenset[str] = frozenset()) -> tuple[dict[str, Any], Failures]:
    """Canonical value of every row (``None`` when unset) and the (field, message)
    failures; values still unknown in a preview are passed through untouched."""
    canonical: dict[str, Any] = {}
    failures: Failures = []
    for field in rows:
        value = raw.get(field.name)
        if contains_unknowns(value):
            canonical[field.name] = value
            continue
        try:
            canonical[field.name] = field.normalise(value)
        except Exception as exc:  # noqa: BLE001 - classified by _failure
            failures.append((field.name, _failure(field, value, exc,
                                                  field.secret or field.name in hidden)))
    return canonical, failures


def _failure(field: Field, value: Any, exc: Exception, secret: bool) -> str:
    """The one message shape for a value a normaliser refused or could not read."""
    if isinstance(exc, FieldValueError):
        return field_message(field.name, field.engine_path, exc.problem, exc.shown(value),
                             exc.hint, secret, secret_value=value)
    if isinstance(exc, (TypeError, ValueError, KeyError, IndexError, OverflowError)):
        return field_message(field.name, field.engine_path, f"cannot be read ({exc})",
                             value, "", secret, secret_value=value)
    raise exc


def normalise_rows(raw: Mapping[str, Any], table: Rows,
                   extra_keys: frozenset[str] = frozenset()) -> tuple[dict[str, Any], Failures]:
    """Canonical value of every row of ``table`` and the (field, message) failures.

    Keys in ``extra_keys`` are passed through unchecked; any other unknown key is a
    failure.
    """
    hidden = secret_names(raw)
    known = frozenset(row.name for row in table) | extra_keys
    canonical, failures = normalise_each(raw, table, hidden)
    return canonical, unknown_keys(raw, known, hidden) + failures


def check_options(raw: Mapping[str, Any], table: Table) -> tuple[dict[str, Any], Failures]:
    """The options that are set, canonical, and a failure for every invalid one."""
    canonical, failures = normalise_each(raw, table.options, secret_names(raw))
    return {k: v for k, v in canonical.items() if v is not None}, failures


def check_table(raw: Mapping[str, Any], table: Table) -> tuple[dict[str, Any], Failures]:
    """Every input row (``None`` when unset) and every set option of ``table``, canonical,
    and the failures: unknown keys, refused values, and the cross-field rules of the
    service (``RULES``)."""
    hidden = secret_names(raw)
    canonical, failures = normalise_each(raw, table.inputs, hidden)
    options, option_failures = check_options(raw, table)
    known = frozenset(row.name for row in (*table.inputs, *table.options))
    failures = unknown_keys(raw, known, hidden) + failures + option_failures
    rule = RULES.get(table.resource)
    if rule is not None:
        failures.extend(rule(canonical, hidden))
    return {**canonical, **options}, failures


def normalise_inputs(raw: Mapping[str, Any],
                     extra_keys: frozenset[str] = frozenset()) -> tuple[dict[str, Any], Failures]:
    """SwarmService inputs: every row normalised, then the cross-field rules."""
    canonical, failures = normalise_rows(raw, FIELDS, extra_keys)
    failures.extend(_cross_field_failures(canonical, secret_names(raw)))
    return canonical, failures


def require_valid(raw: Mapping[str, Any],
                  extra_keys: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Canonical inputs, or ``ValidationError`` listing every problem."""
    canonical, failures = normalise_inputs(raw, extra_keys)
    if failures:
        raise ValidationError(failures)
    return canonical


def require_table(raw: Mapping[str, Any], table: Table) -> dict[str, Any]:
    """``check_table``'s canonical values, or ``ValidationError`` listing every problem."""
    canonical, failures = check_table(raw, table)
    if failures:
        raise ValidationError(failures)
    return canonical


def _message(name: str, problem: str, value: Any, hint: str = "",
             hidden: frozenset[str] = frozenset()) -> str:
    field = FIELDS_BY_NAME[name]
    return field_message(name, field.engine_path, problem, value, hint,
                         field.secret or name in hidden)


def _known(canonical: Mapping[str, Any], name: str) -> Any:
    value = canonical.get(name)
    return None if contains_unknowns(value) else value


def _cross_field_failures(canonical: Mapping[str, Any],
                          hidden: frozenset[str] = frozenset()) -> Failures:
    failures: Failures = []

    def fail(name: str, problem: str, hint: str = "") -> None:
        failures.append((name, _message(name, problem, canonical.get(name), hint, hidden)))

    name = canonical.get("name")
    if name is None:
        fail("name", "is required")
    elif not contains_unknowns(name):
        if len(name) > 63:
            fail("name", "must be 63 characters or fewer")
        elif not _SERVICE_NAME.match(name):
            fail("name", "must be valid as a DNS name component", "letters, digits and -")
    image = _known(canonical, "image")
    if canonical.get("image") is None:
        fail("image", "is required")
    elif image is not None and not (_IMAGE.match(image) and _IMAGE_REPOSITORY.match(image)):
        fail("image", "is not a valid image reference",
             "repository[:tag][@sha256:digest], lower-case repository, no spaces")

    for constraint in _known(canonical, "constraints") or []:
        if not _CONSTRAINT.match(constraint):
            failures.append(("constraints", field_message(
                "constraints", FIELDS_BY_NAME["constraints"].engine_path,
                "a constraint is <attribute> == <value> or <attribute> != <value>",
                constraint, 'e.g. "node.role==worker" (two "=")')))
            break

    for name in ("labels",):
        if OWNER_LABEL in (_known(canonical, name) or {}):
            fail(name, f"the label {OWNER_LABEL} is set by swarm_provider",
                 "it names the Pulumi resource that owns the service; remove it")

    for name, path in _DURATIONS:
        value = _known(canonical, name)
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        value = duration_ns(value) if isinstance(value, (int, str)) else None
        if value is not None and 0 < value < _MILLISECOND:
            where = f"{path[0]} " if path else ""
            failures.append((name, _message(
                name, f"{where}is {value} ns, below 1 ms", value,
                f'a number is nanoseconds (docker-py); write "{value}s" for {value} seconds',
                hidden)))

    if _known(canonical, "log_driver_options") and canonical.get("log_driver") is None:
        fail("log_driver_options", "needs log_driver", "set log_driver, e.g. json-file")

    mode = _known(canonical, "mode")
    kind = mode_kind(mode) if mode else "Replicated"
    if kind.endswith("Job"):
        for key in ("update_config", "rollback_config"):
            if _known(canonical, key) is not None:
                fail(key, f"is not allowed for {kind} services", "jobs have no rolling updates")
    if kind in ("Global", "GlobalJob") and _known(canonical, "maxreplicas"):
        fail("maxreplicas", f"only applies to replicated services, not {kind}")

    resources = _known(canonical, "resources") or {}
    for part in ("Limits", "Reservations"):
        block = resources.get(part, {})
        cpus, memory = block.get("NanoCPUs"), block.get("MemoryBytes")
        minimum = _MIN_NANO_CPUS[part]
        if cpus is not None and cpus < minimum:
            why = "" if part == "Reservations" else " (the kernel's minimum CPU quota)"
            fail("resources",
                 f"{part}.NanoCPUs must be at least {minimum / 1e9:g} CPU ({minimum}){why}",
                 'NanoCPUs: 1e9 = 1 CPU; "0.5" means half a CPU')
        if memory is not None and memory < _MIN_MEMORY:
            fail("resources", f"{part}.MemoryBytes must be at least 4MiB", 'e.g. "64m"')

    endpoint = _known(canonical, "endpoint_spec") or {}
    if endpoint.get("Mode") == "dnsrr" and any(
        p.get("PublishMode") == "ingress" for p in endpoint.get("Ports", [])
    ):
        fail("endpoint_spec", "ports published in ingress mode can't be used with dnsrr",
             'publish with PublishMode "host"')
    return failures


Rule = Callable[[Mapping[str, Any], frozenset[str]], Failures]
"""Cross-field rules: (canonical inputs, names of inputs given as secrets) -> failures."""

RULES: dict[str, Rule] = {"SwarmService": _cross_field_failures}
"""The cross-field rules of each resource, by its class name."""
