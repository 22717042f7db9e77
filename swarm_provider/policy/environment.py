"""Secrets belong in Swarm secrets, not in plain environment variables: those are stored
in the service spec and shown to anyone who can run ``docker service inspect``."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from ._support import UNKNOWN, Service, config_schema, service_policy

SECRET_NAME_PATTERN = (
    r"(?i)(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY"
    r"|SIGNING_?KEY|ENCRYPTION_?KEY|CLIENT_?KEY|CREDENTIAL|DSN|CONNECTION_?STRING)"
)
"""Variable names that usually carry a secret (matched anywhere in the name)."""

_SECRET_FILES = "/run/secrets/"


def env_entries(raw: Any) -> list[tuple[str, Any]]:
    """(name, value) pairs of an env input: canonical ``["K=v"]``, or the raw dict/list a
    preview passes through when a value is unknown. Entries whose name is unknown are
    left out; a key-only entry has value ``None``."""
    if raw is None or raw is UNKNOWN:
        return []
    if isinstance(raw, Mapping):
        return [(str(k), v) for k, v in raw.items() if k is not UNKNOWN]
    entries: list[tuple[str, Any]] = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, str):
            name, sep, value = item.partition("=")
            entries.append((name, value if sep else None))
    return entries


def _carries_value(name: str, value: Any) -> bool:
    """False for the safe forms: no value, or a path to a mounted secret file
    (``DB_PASSWORD_FILE=/run/secrets/db``, the convention of the official images)."""
    if value is None or value == "":
        return False
    if isinstance(value, str) and value.startswith(_SECRET_FILES):
        return False
    return not name.upper().endswith("_FILE")


def check_env(service: Service) -> Iterator[str]:
    pattern_text = str(service.setting("namePattern"))
    try:
        pattern = re.compile(pattern_text)
    except re.error as exc:
        yield service.message(
            "env", f"cannot be checked: the policy's namePattern {pattern_text!r} is not a "
            f"valid regular expression ({exc})", None, "fix namePattern in the policy config")
        return
    allowed = {str(n).upper() for n in service.setting("allowedNames") or []}
    names = sorted({
        name for name, value in env_entries(service.raw("env"))
        if pattern.search(name) and name.upper() not in allowed and _carries_value(name, value)
    })
    if names:
        yield service.message(
            "env", f"{', '.join(names)} "
            + ("looks like a secret in a plain environment variable" if len(names) == 1
               else "look like secrets in plain environment variables")
            + ", readable by anyone who can inspect the service",
            service.raw("env"),
            "create a Swarm secret (SwarmSecret) and pass it with secrets=[...]; the app reads "
            f"it from {_SECRET_FILES}<name> (e.g. {names[0]}_FILE={_SECRET_FILES}"
            f"{names[0].lower()}); a false positive goes in allowedNames")


NO_SECRETS_IN_ENV = service_policy(
    "swarm-no-secrets-in-env",
    "Secret-looking values (passwords, tokens, keys) are passed as Swarm secrets, not as "
    "plain environment variables.",
    check_env,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Move the value into a Swarm secret and reference it with secrets=[...].",
    schema=config_schema(
        namePattern={
            "type": "string", "default": SECRET_NAME_PATTERN,
            "description": "Python regular expression; a variable whose name matches (search) "
                           "may not carry a value.",
        },
        allowedNames={
            "type": "array", "items": {"type": "string"}, "default": [],
            "description": "Variable names exempt from the check (false positives).",
        },
    ),
)

POLICIES = [NO_SECRETS_IN_ENV]
