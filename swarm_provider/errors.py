"""Project exceptions and the one message shape every error uses.

Shape: ``<field> (<Engine path>): <problem>; got <value> [hint]``. Values of fields
marked secret, and of inputs the program passed as (or with) Pulumi secrets, are never
printed: Pulumi hands a dynamic provider every secret in plaintext, so the provider
learns which inputs are secret from ``program_inputs`` and scrubs every string of such
an input out of the whole message, at any depth.
"""

from __future__ import annotations

import json
from typing import Any

REDACTED = "[secret]"
_MAX_VALUE_CHARS = 200


class SwarmProviderError(Exception):
    """Base class of everything this package raises on purpose."""


_WHOLE = object()


class FieldValueError(SwarmProviderError):
    """A normaliser rejected a value; the validator adds field, path and value.

    ``value`` is the offending part (an interval, one list item): messages quote it
    rather than the whole structure, which may hold unrelated sensitive strings.
    """

    def __init__(self, problem: str, hint: str = "", value: Any = _WHOLE) -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint
        self.value = value

    def shown(self, whole: Any) -> Any:
        """The value a message quotes: the offending part if known, else ``whole``."""
        return whole if self.value is _WHOLE else self.value


class ValidationError(SwarmProviderError):
    """One or more inputs are invalid; ``failures`` holds (field, message) pairs."""

    def __init__(self, failures: list[tuple[str, str]]) -> None:
        self.failures = failures
        super().__init__("; ".join(message for _, message in failures))


class EngineError(SwarmProviderError):
    """The Docker engine refused or failed an operation on a service or object.

    ``api.classify`` raises the subclass that says which refusal it was, once, where the
    answer comes back; callers catch that (``except OutOfSequence:``) and never look at
    docker-py's exception, which stays the cause for debugging.
    """


class TransientEngineError(EngineError):
    """The engine did not answer, or failed in a way a retry may cure: connection reset or
    refused, a timeout, a 5xx answer. Reads are retried (``api.classify.READ_PAUSES``); a
    write whose outcome is unknown is re-checked by a read, never sent again blindly."""


class OutOfSequence(TransientEngineError):
    """An update named a version index that is no longer the live one (500 ``update out
    of sequence``): something wrote in between, often the orchestrator's own UpdateStatus.
    Read the object again and send at the new index."""


class NotFound(EngineError):
    """The engine has no object of that id or name (404)."""


class NameConflict(EngineError):
    """A create named an object that already exists (409)."""


class InUse(EngineError):
    """A delete was refused because a service, task or container still uses the object."""


class ConflictError(EngineError):
    """The live service changed outside Pulumi since the state was written."""


class NotFoundError(NotFound):
    """No service has that name or id (``swarm_provider.lookup``)."""


class ConvergenceError(EngineError):
    """The service did not reach its desired state (failed, rolled back, timed out)."""


class RolloutStalled(ConvergenceError):
    """Tasks of an older spec run while no update is under way to replace them (what a node
    lost mid-update leaves); sending the spec again starts the update that replaces them."""


def plain_numbers(value: Any) -> Any:
    """Integral floats as ints, at any depth: Pulumi sends every number as a float, and a
    message or preview should say ``8081``, not ``8081.0``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, dict):
        return {k: plain_numbers(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_numbers(v) for v in value]
    return value


def show_value(value: Any, secret: bool = False) -> str:
    """Render a value for an error message: compact JSON, truncated, redacted if secret."""
    if secret:
        return REDACTED
    try:
        text = json.dumps(plain_numbers(value), sort_keys=True, default=repr)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 3] + "..."
    return text


def field_message(
    field: str, path: str, problem: str, value: Any, hint: str = "", secret: bool = False,
    secret_value: Any = None,
) -> str:
    """Format ``<field> (<Engine path>): <problem>; got <value> [hint]``.

    With ``secret``, the value is ``[secret]`` and every string found in
    ``secret_value`` (the whole input, if given) is scrubbed from problem and hint too:
    a problem such as ``invalid variable name 'X'`` may quote a part of it.
    """
    message = f"{field} ({path}): {problem}; got {show_value(value, secret)}"
    message = f"{message} [{hint}]" if hint else message
    if secret:
        message = scrub(message, value if secret_value is None else secret_value)
    return message


def secret_strings(value: Any) -> set[str]:
    """Every string (and number, as text) inside ``value``, at any depth. Mapping keys are
    names (``PW`` in ``env={"PW": token}``, ``test`` in a healthcheck), not secrets."""
    if isinstance(value, dict):
        return {s for v in value.values() for s in secret_strings(v)}
    if isinstance(value, (list, tuple, set)):
        return {s for item in value for s in secret_strings(item)}
    if isinstance(value, bool) or value is None:
        return set()
    if isinstance(value, (int, float)):
        return {str(value), str(plain_numbers(value))}
    return {str(value)} if str(value) else set()


def scrub(text: str, value: Any) -> str:
    """``text`` with every string of ``value`` replaced by ``[secret]``, longest first.

    One-character strings are left alone (they would shred the message and hardly
    identify a secret); the rendered value itself is redacted separately.
    """
    for part in sorted(secret_strings(value), key=len, reverse=True):
        if len(part) > 1:
            text = text.replace(part, REDACTED)
    return text


def object_label(kind: str, name: str | None, object_id: str | None) -> str:
    """How errors name an engine object: ``service 'web' (id abc123)``."""
    label = f"{kind} {name!r}" if name else kind
    return f"{label} (id {object_id[:12]})" if object_id else label


def service_label(name: str | None, service_id: str | None) -> str:
    return object_label("service", name, service_id)
