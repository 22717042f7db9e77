"""Variable substitution in compose files, as ``docker stack deploy`` does it.

``${VAR}``, ``$VAR``, ``${VAR:-default}`` (unset or empty), ``${VAR-default}`` (unset),
``${VAR:?message}`` (error if unset or empty), ``${VAR?message}`` (error if unset) and
``$$`` (a literal ``$``), in every string value of the file (keys are left alone), then
the docker CLI's casts of a few keys to integers, floats or booleans (``replicas:
${N}``).

Values come from an :class:`Environment`: the ``env=`` mapping of ``ComposeStack``, then
the process environment, then a ``.env`` file beside the first compose file. The
process environment wins over ``.env`` so that every variable ``docker stack deploy``
would see (it reads only the shell's environment, never ``.env``) has the same value
here; ``.env`` only fills in what the shell lacks. A value may be a Pulumi ``Output``:
it is substituted as a placeholder token (see :class:`Environment`) and turned back
into an ``Output`` once the resources' inputs are built, keeping its secretness.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ComposeError

_PATTERN = re.compile(
    r"\$(?i:(?P<escaped>\$)|(?P<named>[_a-z][_a-z0-9]*)"
    r"|{(?P<braced>[_a-z][_a-z0-9]*(?::?[-?][^}]*)?)}|(?P<invalid>))"
)
TOKEN = re.compile("\ue000(\\d+)\ue001")
"""A placeholder for a Pulumi Output value: private-use characters around its index."""


@dataclass
class Environment:
    """Where ``${VAR}`` values come from, in order: ``explicit`` (``env=``), the process
    environment, then ``dotenv`` (the ``.env`` file). ``outputs`` collects the Pulumi
    Outputs met in ``explicit``; each is looked up as a placeholder token."""

    explicit: Mapping[str, Any] = field(default_factory=dict)
    process: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    dotenv: Mapping[str, str] = field(default_factory=dict)
    outputs: list[Any] = field(default_factory=list)
    unset: dict[str, str] = field(default_factory=dict)
    """Variables used bare (``${VAR}``, ``$VAR``) that no source sets, each with the
    first place it was used: they become empty strings, as the CLI makes them."""

    def unset_warnings(self) -> list[str]:
        """One warning per variable in ``unset`` (the CLI substitutes without a word)."""
        return [f"{where}: variable {name} is not set, so it is an empty string here (as "
                f"docker stack deploy makes it); set it, or write ${{{name}:-default}}"
                for name, where in self.unset.items()]

    def lookup(self, name: str) -> str | None:
        if name in self.explicit:
            return self._plain(self.explicit[name])
        if name in self.process:
            return self.process[name]
        return self.dotenv.get(name)

    def _plain(self, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        for index, known in enumerate(self.outputs):
            if known is value:
                return f"\ue000{index}\ue001"
        self.outputs.append(value)
        return f"\ue000{len(self.outputs) - 1}\ue001"


def read_dotenv(path: Path) -> dict[str, str]:
    """``KEY=value`` lines (``#`` comments, blank lines and an ``export `` prefix allowed;
    surrounding quotes removed), the usual ``.env`` format."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, line in enumerate(path.read_text().splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        text = text.removeprefix("export ").strip()
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            raise ComposeError(f"{path}:{number}: not KEY=value; got {line!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def substitute(template: str, env: Environment, where: str) -> str:
    """One string with every variable replaced; ``where`` (file and key) names errors."""

    def replace(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        expression = match.group("named") or match.group("braced")
        if not expression:
            raise ComposeError(f"{where}: invalid interpolation format; got {template!r} "
                               "[write $$ for a literal $]")
        return _evaluate(expression, env, where)

    return _PATTERN.sub(replace, template)


def _evaluate(expression: str, env: Environment, where: str) -> str:
    for separator, rule in _RULES:
        name, found, argument = expression.partition(separator)
        if found:
            value = env.lookup(name)
            result = rule(value, argument)
            if result is None:
                raise ComposeError(
                    f"{where}: required variable {name} is missing a value: {argument}")
            return result
    value = env.lookup(expression)
    if value is None:
        env.unset.setdefault(expression, where)
    return value or ""


_Rule = Callable[[str | None, str], str | None]
_RULES: tuple[tuple[str, _Rule], ...] = (
    # The docker CLI tries these in this order on the text inside ${...}.
    (":-", lambda value, default: default if not value else value),
    ("-", lambda value, default: default if value is None else value),
    (":?", lambda value, _msg: value if value else None),
    ("?", lambda value, _msg: value),
)


def interpolate(document: Any, env: Environment, file: str, path: tuple[str, ...] = ()) -> Any:
    """Every string value of a parsed file substituted, then cast where the CLI casts."""
    if isinstance(document, dict):
        return {key: interpolate(value, env, file, (*path, str(key)))
                for key, value in document.items()}
    if isinstance(document, list):
        return [interpolate(value, env, file, (*path, "[]")) for value in document]
    if isinstance(document, str):
        where = f"{file}: {'.'.join(path)}"
        text = substitute(document, env, where)
        # Like the CLI, only a value that interpolation changed is cast ("3" stays a
        # string, which the schema then refuses where it wants an integer).
        return _cast(path, text, where) if text != document else text
    return document


def _cast(path: tuple[str, ...], text: str, where: str) -> Any:
    caster = _cast_for(path)
    if caster is None:
        return text
    if TOKEN.search(text):
        raise ComposeError(f"{where}: a Pulumi Output can't be used here (only in string "
                           f"values); got {text!r}")
    try:
        return caster(text)
    except ValueError:
        raise ComposeError(f"{where}: is not a valid {caster.__name__}; got {text!r}") from None


def boolean(text: str) -> bool:
    """YAML 1.1 booleans, as the CLI accepts them after interpolation."""
    lowered = text.lower()
    if lowered in ("y", "yes", "true", "on"):
        return True
    if lowered in ("n", "no", "false", "off"):
        return False
    raise ValueError(text)


def integer(text: str) -> int:
    return int(text, 10)


def number(text: str) -> float:
    return float(text)


_S = ("services", "*")
_CASTS: tuple[tuple[tuple[str, ...], Callable[[str], Any]], ...] = (
    # The keys the docker CLI (cli/compose/loader/interpolate.go) casts after interpolation.
    ((*_S, "configs", "[]", "mode"), integer),
    ((*_S, "secrets", "[]", "mode"), integer),
    ((*_S, "healthcheck", "retries"), integer),
    ((*_S, "healthcheck", "disable"), boolean),
    ((*_S, "deploy", "replicas"), integer),
    ((*_S, "deploy", "update_config", "parallelism"), integer),
    ((*_S, "deploy", "update_config", "max_failure_ratio"), number),
    ((*_S, "deploy", "rollback_config", "parallelism"), integer),
    ((*_S, "deploy", "rollback_config", "max_failure_ratio"), number),
    ((*_S, "deploy", "restart_policy", "max_attempts"), integer),
    ((*_S, "deploy", "placement", "max_replicas_per_node"), integer),
    ((*_S, "ports", "[]", "target"), integer),
    ((*_S, "ports", "[]", "published"), integer),
    ((*_S, "ulimits", "*"), integer),
    ((*_S, "ulimits", "*", "hard"), integer),
    ((*_S, "ulimits", "*", "soft"), integer),
    ((*_S, "privileged"), boolean),
    ((*_S, "oom_score_adj"), integer),
    ((*_S, "read_only"), boolean),
    ((*_S, "stdin_open"), boolean),
    ((*_S, "tty"), boolean),
    ((*_S, "volumes", "[]", "read_only"), boolean),
    ((*_S, "volumes", "[]", "volume", "nocopy"), boolean),
    (("networks", "*", "external"), boolean),
    (("networks", "*", "internal"), boolean),
    (("networks", "*", "attachable"), boolean),
    (("volumes", "*", "external"), boolean),
    (("secrets", "*", "external"), boolean),
    (("configs", "*", "external"), boolean),
)


def _cast_for(path: tuple[str, ...]) -> Callable[[str], Any] | None:
    for pattern, caster in _CASTS:
        if len(pattern) == len(path) and all(
                p in ("*", k) for p, k in zip(pattern, path, strict=True)):
            return caster
    return None


def resolve_tokens(value: Any, outputs: list[Any]) -> Any:
    """``value`` with every placeholder token turned back into its Output: a string that
    holds tokens becomes an ``Output[str]`` (secret if any of its Outputs is)."""
    if isinstance(value, dict):
        return {k: resolve_tokens(v, outputs) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_tokens(v, outputs) for v in value]
    if isinstance(value, str) and TOKEN.search(value):
        import pulumi

        indexes = [int(i) for i in TOKEN.findall(value)]
        text = value

        def fill(resolved: list[Any]) -> str:
            by_index = dict(zip(indexes, resolved, strict=True))
            return TOKEN.sub(lambda m: str(by_index[int(m.group(1))]), text)

        return pulumi.Output.all(*[outputs[i] for i in indexes]).apply(fill)
    return value
