"""Project exceptions and the one message shape every error uses.

Shape: ``<field> (<Engine path>): <problem>; got <value> [hint]``. Values of fields
marked secret are never printed.
"""

from __future__ import annotations

import json
from typing import Any

REDACTED = "[secret]"
_MAX_VALUE_CHARS = 200


class SwarmProviderError(Exception):
    """Base class of everything this package raises on purpose."""


class FieldValueError(SwarmProviderError):
    """A normaliser rejected a value; the validator adds field, path and value."""

    def __init__(self, problem: str, hint: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint


class ValidationError(SwarmProviderError):
    """One or more inputs are invalid; ``failures`` holds (field, message) pairs."""

    def __init__(self, failures: list[tuple[str, str]]) -> None:
        self.failures = failures
        super().__init__("; ".join(message for _, message in failures))


class EngineError(SwarmProviderError):
    """The Docker engine refused or failed an operation on a service."""


class ConflictError(EngineError):
    """The live service changed outside Pulumi since the state was written."""


class NotFoundError(EngineError):
    """No service has that name or id (``swarm_provider.lookup``)."""


class ConvergenceError(EngineError):
    """The service did not reach its desired state (failed, rolled back, timed out)."""


def show_value(value: Any, secret: bool = False) -> str:
    """Render a value for an error message: compact JSON, truncated, redacted if secret."""
    if secret:
        return REDACTED
    try:
        text = json.dumps(value, sort_keys=True, default=repr)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 3] + "..."
    return text


def field_message(
    field: str, path: str, problem: str, value: Any, hint: str = "", secret: bool = False
) -> str:
    """Format ``<field> (<Engine path>): <problem>; got <value> [hint]``."""
    message = f"{field} ({path}): {problem}; got {show_value(value, secret)}"
    return f"{message} [{hint}]" if hint else message


def object_label(kind: str, name: str | None, object_id: str | None) -> str:
    """How errors name an engine object: ``service 'web' (id abc123)``."""
    label = f"{kind} {name!r}" if name else kind
    return f"{label} (id {object_id[:12]})" if object_id else label


def service_label(name: str | None, service_id: str | None) -> str:
    return object_label("service", name, service_id)
