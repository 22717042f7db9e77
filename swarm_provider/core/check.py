"""Check inputs before any engine call: normalise every row and apply cross-field rules.

Runs in ``check`` (also during ``pulumi preview`` with no swarm reachable). Values still
unknown in a preview are passed through untouched. Every failure uses the one message
shape from ``errors.field_message``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi.runtime.rpc import contains_unknowns

from ..errors import FieldValueError, ValidationError, field_message, show_value
from ..resources.inputs import secret_names
from ..schema.service import FIELDS
from ..schema.table import Field, Rows, Table
from .rules import Failures, service_failures


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
    failures.extend(service_failures(canonical, secret_names(raw)))
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


Rule = Callable[[Mapping[str, Any], frozenset[str]], Failures]
"""Cross-field rules: (canonical inputs, names of inputs given as secrets) -> failures."""

RULES: dict[str, Rule] = {"SwarmService": service_failures}
"""The cross-field rules of each resource, by its class name."""
