"""Validate a compose file against the JSON schema the docker CLI embeds.

We ship docker/cli's ``config_schema_v3.13.json`` (Apache-2.0, see ``schema/NOTICE``)
rather than the compose-spec schema: ``docker stack deploy`` (docker CLI 28) validates
with exactly this file, so a file it accepts is accepted here and one it refuses
(``tmpfs`` sizes like ``16m``, boolean env values, keys the v3 format lacks) is refused
here too, before any resource exists. The compose-spec schema accepts keys that stack
deploy then refuses or ignores. Unlike the CLI's message, ours names the file and the
service.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from .errors import ComposeError, message

SCHEMA_VERSION = "3.13"
_DURATION = re.compile(r"^[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+)$")
_PORTS = re.compile(
    r"^((\[?[0-9a-fA-F.:]+\]?:)?(\d+(-\d+)?)?:)?\d+(-\d+)?(/(tcp|udp|sctp))?$")


# The schema's own formats, which jsonschema leaves to its caller; registered by name
# (plain calls, not decorators: jsonschema's decorator has no type hints).
def _duration(value: object) -> bool:
    return not isinstance(value, str) or bool(_DURATION.match(value))


def _ports(value: object) -> bool:
    return not isinstance(value, (str, int)) or bool(_PORTS.match(str(value)))


@cache
def _validator() -> jsonschema.Draft4Validator:
    text = resources.files(__package__).joinpath(
        f"schema/config_schema_v{SCHEMA_VERSION}.json").read_text()
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("duration")(_duration)
    checker.checks("ports")(_ports)
    return jsonschema.Draft4Validator(json.loads(text), format_checker=checker)


def check_version(document: dict[str, Any], file: str) -> None:
    """Only the 3.x format stack deploy reads; no ``version`` means the latest (3.13)."""
    version = str(document.get("version", SCHEMA_VERSION))
    if version not in ("3", SCHEMA_VERSION) and not re.fullmatch(r"3(\.\d+)?", version):
        raise ComposeError(message("version", file, "is not a 3.x compose format "
                                   "(docker stack deploy reads only those)", version))


def validate(document: dict[str, Any], file: str) -> None:
    """Raise the most specific schema error, naming the file, the service and the key."""
    errors = list(_validator().iter_errors(document))
    if not errors:
        return
    error = _most_specific(errors)
    path = [str(p) for p in error.absolute_path]
    service = path[1] if len(path) > 1 and path[0] == "services" else None
    key = ".".join(path) or "(root)"
    problem = error.message
    if error.validator == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        extra = sorted(str(k) for k in set(error.instance) - known)
        key = ".".join([*path, *extra[:1]]) if extra else key
        problem = f"additional property {', '.join(extra)} is not allowed"
        raise ComposeError(message(key, file, problem, service=service,
                                   hint="see the compose file reference, version 3"))
    if error.validator == "type":
        problem = f"must be {_types(error.validator_value)}"
    raise ComposeError(message(key, file, problem, error.instance, service=service))


def _most_specific(errors: list[jsonschema.ValidationError]) -> jsonschema.ValidationError:
    """The deepest error wins, type errors on ties (the docker CLI's rule); inside a
    oneOf/anyOf, the deepest error of its alternatives."""
    best = max(errors, key=lambda e: (len(e.absolute_path), e.validator == "type"))
    if best.validator in ("oneOf", "anyOf") and best.context:
        deeper = _most_specific(list(best.context))
        if len(deeper.absolute_path) > len(best.absolute_path):
            return deeper
    return best


def _types(expected: Any) -> str:
    names = {"object": "a mapping", "array": "a list", "integer": "an integer",
             "string": "a string", "number": "a number", "boolean": "a boolean", "null": "null"}
    kinds = expected if isinstance(expected, list) else [expected]
    return " or ".join(names.get(str(k), str(k)) for k in kinds)
