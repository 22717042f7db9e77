"""The one error a compose file can raise while it is read, checked or converted."""

from __future__ import annotations


class ComposeError(ValueError):
    """A compose file that ``docker stack deploy`` would refuse too (or that we can't
    deploy identically). The message names the file, the service and the key:
    ``<key> (<file>, service <name>): <problem>; got <value> [hint]``."""


def message(key: str, file: str, problem: str, value: object = None,
            service: str | None = None, hint: str = "") -> str:
    """The project's error shape, with the compose file (and service) as the location."""
    where = f"{file}, service {service}" if service else file
    text = f"{key} ({where}): {problem}"
    if value is not None:
        text += f"; got {value!r}"
    if hint:
        text += f" [{hint}]"
    return text
