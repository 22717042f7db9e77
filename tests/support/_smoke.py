"""A tiny dynamic provider for the Pulumi end-to-end smoke tests.

`Echo` stores a string and reports its length; it touches nothing outside Pulumi,
except that, when given a `journal` path, the provider appends one line per
create/update/delete to that file, so a test can see that the operations really ran
in the provider process (`python -m pulumi.dynamic`, started by the CLI through
`pulumi-resource-pulumi-python`).

The provider lives in this importable module (not in a program's `__main__`) so it
is pickled by reference: the provider process imports `tests.support._smoke`, so the
checkout must be on its PYTHONPATH (`pulumi_env` puts it there). It is a test fixture,
not part of the package users install.

Resource type: ``pulumi-python:dynamic/smoke:Echo`` (see ``ECHO_TYPE``).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

ECHO_TYPE = "pulumi-python:dynamic/smoke:Echo"


def _journal(props: dict[str, Any], line: str) -> None:
    path = props.get("journal")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


def _outs(props: dict[str, Any]) -> dict[str, Any]:
    value = str(props.get("value", ""))
    outs: dict[str, Any] = {"value": value, "length": len(value)}
    if props.get("journal"):
        outs["journal"] = props["journal"]
    return outs


class EchoProvider(ResourceProvider):
    """Create returns the value and its length; changing `value` is an update."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        value = news.get("value")
        if value is not None and not isinstance(value, (str, pulumi.output.Unknown)):
            return CheckResult(news, [CheckFailure("value", "value must be a string")])
        return CheckResult(news, [])

    def create(self, props: dict[str, Any]) -> CreateResult:
        value = str(props.get("value", ""))
        id_ = "echo-" + hashlib.sha256(f"{value}:{os.getpid()}".encode()).hexdigest()[:12]
        _journal(props, f"create {id_} {value}")
        return CreateResult(id_, _outs(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # olds are the stored outputs, news the new inputs (see notes/pulumi.md §1).
        changed = olds.get("value") != news.get("value") or olds.get("journal") != news.get(
            "journal"
        )
        return DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _journal(news, f"update {id_} {news.get('value', '')}")
        return UpdateResult(_outs(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, _outs(props))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        _journal(props, f"delete {id_} {props.get('value', '')}")


class Echo(Resource, module="smoke", name="Echo"):
    """``pulumi-python:dynamic/smoke:Echo``: outputs ``value`` and ``length``."""

    value: pulumi.Output[str]
    length: pulumi.Output[int]

    def __init__(
        self,
        resource_name: str,
        value: pulumi.Input[str],
        journal: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {"value": value, "length": None}
        if journal is not None:
            props["journal"] = journal
        super().__init__(EchoProvider(), resource_name, props, opts)
